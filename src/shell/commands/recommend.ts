/**
 * `pool-advisor recommend --from run.json`: the analysis, recommendations and TOML overrides of
 * a saved run, with no database. Prints what `analyze` printed for the same run.
 */
import { NoDataError, UsageError } from '../../core/errors.js';
import { hasSamples } from '../../core/evidence/samples.js';
import { invalidRunError } from '../../core/analysis/validity.js';
import { adviseEvidence } from '../../core/rules/index.js';
import { adviceData } from '../../core/render/recommendations.js';
import { renderReport } from '../../core/render/report.js';
import type { EvidenceFile } from '../../core/evidence/types.js';
import { loadAdvisorConfig } from '../advisorConfig.js';
import { writeOut } from '../output.js';
import { useColor } from '../tty.js';
import { assertOutputsApart, assertReportPath, writeReport } from '../report.js';
import { readEvidenceFile } from '../runFile.js';

interface RecommendOptions {
  from: string;
  advisorConfig?: string;
  json?: boolean;
  env?: string[];
  report?: string;
}

/** Run `recommend` with its parsed flags. */
export async function recommendCommand(opts: RecommendOptions): Promise<void> {
  if (opts.report) assertReportPath('--report', opts.report);
  const advisor = loadAdvisorConfig(opts.advisorConfig);
  const run = readEvidenceFile(opts.from);
  // After the reads: every file read (the advisor config's sql_file too) is an input.
  assertOutputsApart([['--report', opts.report]], [['--from', opts.from], ['--advisor-config', opts.advisorConfig]]);
  const names = run.environments.map((e) => e.env);
  for (const e of opts.env ?? []) {
    if (!names.includes(e)) throw new UsageError(`--env '${e}': the run has no such environment`, `choose one of: ${names.join(', ') || '(none)'}`);
  }
  const selected: EvidenceFile = opts.env ? { ...run, environments: run.environments.filter((e) => opts.env!.includes(e.env)) } : run;
  if (!hasSamples(selected)) throw new NoDataError(`${opts.from}: the run recorded no acquires`, 'run analyze longer (--duration) or with a higher --rate, and save it again');
  const { analysis, advice } = adviseEvidence(selected, advisor);
  if (opts.report) {
    // Loaded only for --report: the HTML renderer is the largest module recommend would otherwise parse.
    const { renderHtmlReport } = await import('../../core/render/html.js');
    writeReport(opts.report, renderHtmlReport(selected, analysis, advice));
  }
  if (opts.json) writeOut(JSON.stringify(adviceData(analysis, advice), null, 2));
  else writeOut(renderReport(selected, analysis, advice, { color: useColor(process.stdout) }));
  const invalid = invalidRunError(selected, opts.from);
  if (invalid) throw invalid;
}
