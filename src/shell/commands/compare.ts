/**
 * `pool-advisor compare before.json after.json`: two saved runs side by side, per environment and
 * pool, with the change of every figure and the settings that differ. No database.
 */
import { NoDataError, UsageError } from '../../core/errors.js';
import { compareRuns, hasCommonPool } from '../../core/analysis/compare.js';
import { hasSamples } from '../../core/evidence/samples.js';
import { compareData, renderCompare } from '../../core/render/compare.js';
import { renderCompareHtml } from '../../core/render/htmlCompare.js';
import type { EvidenceFile } from '../../core/evidence/types.js';
import { writeOut } from '../output.js';
import { useColor } from '../tty.js';
import { assertOutputsApart, assertReportPath, writeReport } from '../report.js';
import { readEvidenceFile } from '../runFile.js';

interface CompareOptions {
  json?: boolean;
  report?: string;
  env?: string[];
}

function onlyEnvs(run: EvidenceFile, envs: string[] | undefined): EvidenceFile {
  return envs ? { ...run, environments: run.environments.filter((e) => envs.includes(e.env)) } : run;
}

/** Run `compare` with its parsed arguments and flags. */
export function compareCommand(beforeFile: string, afterFile: string, opts: CompareOptions): void {
  if (opts.report) assertReportPath('--report', opts.report);
  assertOutputsApart([['--report', opts.report]], [['<before>', beforeFile], ['<after>', afterFile]]);
  const before = onlyEnvs(readEvidenceFile(beforeFile), opts.env);
  const after = onlyEnvs(readEvidenceFile(afterFile), opts.env);
  for (const e of opts.env ?? []) {
    if (!before.environments.some((x) => x.env === e) && !after.environments.some((x) => x.env === e)) {
      throw new UsageError(`--env '${e}': neither run has this environment`, 'choose an environment the runs measured');
    }
  }
  const cmp = compareRuns(before, after, { before: beforeFile, after: afterFile });
  if (!hasCommonPool(cmp)) {
    const names = (r: EvidenceFile): string => r.environments.flatMap((e) => e.pools.map((p) => `${e.env}/${p.pool}${p.replica ? ` (${p.replica})` : ''}`)).join(', ') || '(none)';
    throw new UsageError(`${beforeFile} and ${afterFile} have no environment and pool in common (before: ${names(before)}; after: ${names(after)})`, 'compare two runs of the same environments and pools');
  }
  if (!hasSamples(before) && !hasSamples(after)) throw new NoDataError('neither run recorded any acquires', 'run analyze longer (--duration) or with a higher --rate, and save it again');
  if (opts.report) writeReport(opts.report, renderCompareHtml(cmp));
  if (opts.json) writeOut(JSON.stringify(compareData(cmp), null, 2));
  else writeOut(renderCompare(cmp, { color: useColor(process.stdout) }));
}
