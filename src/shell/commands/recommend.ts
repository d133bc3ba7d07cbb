/**
 * `pool-advisor recommend --from run.json`: the analysis, recommendations and TOML overrides of
 * a saved run, with no database. Prints what `analyze` printed for the same run.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { NoDataError, UsageError } from '../../core/errors.js';
import { hasSamples, parseRunFile } from '../../core/analysis/runFile.js';
import { adviseRun } from '../../core/rules/index.js';
import { adviceData } from '../../core/render/recommendations.js';
import { renderReport } from '../../core/render/report.js';
import { renderHtmlReport } from '../../core/render/html.js';
import type { RunFile } from '../../core/run/types.js';
import { loadAdvisorConfig } from '../advisorConfig.js';
import { writeOut } from '../output.js';
import { useColor } from '../tty.js';
import { assertReportPath, writeReport } from '../report.js';

/** Largest run file read (a run file keeps histograms encoded, so real ones are far smaller). */
const MAX_RUN_FILE_BYTES = 64 * 1024 * 1024;

/** Read and check a saved run (exit 2 with one line on a missing, unreadable or malformed file). */
export function readRunFile(path: string): RunFile {
  let text: string;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new UsageError(`${path}: is a directory, expected a run file`, "pass the file written by 'pool-advisor analyze --out FILE'");
    if (st.size > MAX_RUN_FILE_BYTES) throw new UsageError(`${path}: ${st.size} bytes is larger than any run file (limit ${MAX_RUN_FILE_BYTES})`, 'check this is the right file');
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${path}: cannot read: ${code === 'ENOENT' ? 'no such file' : (code ?? (e as Error).message)}`, "pass the file written by 'pool-advisor analyze --out FILE'");
  }
  return parseRunFile(text, path);
}

interface RecommendOptions {
  from: string;
  advisorConfig?: string;
  json?: boolean;
  env?: string[];
  report?: string;
}

/** Register `recommend`. */
export function registerRecommend(program: Command): void {
  program
    .command('recommend')
    .description('Analyse a saved run (analyze --out) and print the recommendations and TOML overrides, with no database')
    .requiredOption('--from <file>', 'the run file to analyse')
    .option('--advisor-config <file>', 'advisor config: targets, rules, topology (default: ./pool-advisor.toml, else the shipped one)')
    .option('--env <env...>', 'only these environments of the run')
    .option('--json', 'print the analysis, recommendations and overrides as JSON on stdout')
    .option('--report <file>', 'also write a self-contained HTML report (charts, recommendations, TOML overrides)')
    .action((opts: RecommendOptions) => {
      if (opts.report) assertReportPath('--report', opts.report);
      const advisor = loadAdvisorConfig(opts.advisorConfig);
      const run = readRunFile(opts.from);
      const names = run.environments.map((e) => e.env);
      for (const e of opts.env ?? []) {
        if (!names.includes(e)) throw new UsageError(`--env '${e}': the run has no such environment`, `choose one of: ${names.join(', ') || '(none)'}`);
      }
      const selected: RunFile = opts.env ? { ...run, environments: run.environments.filter((e) => opts.env!.includes(e.env)) } : run;
      if (!hasSamples(selected)) throw new NoDataError(`${opts.from}: the run recorded no acquires`, 'run analyze longer (--duration) or with a higher --rate, and save it again');
      const { analysis, advice } = adviseRun(selected, advisor);
      if (opts.report) writeReport(opts.report, renderHtmlReport(selected, analysis, advice));
      if (opts.json) writeOut(JSON.stringify(adviceData(analysis, advice), null, 2));
      else writeOut(renderReport(selected, analysis, advice, { color: useColor(process.stdout) }));
    });
}
