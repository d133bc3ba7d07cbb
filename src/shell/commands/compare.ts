/**
 * `pool-advisor compare before.json after.json`: two saved runs side by side, per environment and
 * pool, with the change of every figure and the settings that differ. No database.
 */
import { NoDataError, UsageError } from '../../core/errors.js';
import { compareRuns, hasCommonPool } from '../../core/analysis/compare.js';
import { hasSamples } from '../../core/analysis/runFile.js';
import { renderCompare } from '../../core/render/compare.js';
import { renderCompareHtml } from '../../core/render/htmlCompare.js';
import type { RunFile } from '../../core/run/types.js';
import { writeOut } from '../output.js';
import { useColor } from '../tty.js';
import { assertOutputsApart, assertReportPath, writeReport } from '../report.js';
import { readRunFile } from '../runFile.js';

interface CompareOptions {
  json?: boolean;
  report?: string;
  env?: string[];
}

function onlyEnvs(run: RunFile, envs: string[] | undefined): RunFile {
  return envs ? { ...run, environments: run.environments.filter((e) => envs.includes(e.env)) } : run;
}

/** Run `compare` with its parsed arguments and flags. */
export function compareCommand(beforeFile: string, afterFile: string, opts: CompareOptions): void {
  if (opts.report) assertReportPath('--report', opts.report);
  assertOutputsApart([['--report', opts.report]], [['<before>', beforeFile], ['<after>', afterFile]]);
  const before = onlyEnvs(readRunFile(beforeFile), opts.env);
  const after = onlyEnvs(readRunFile(afterFile), opts.env);
  for (const e of opts.env ?? []) {
    if (!before.environments.some((x) => x.env === e) && !after.environments.some((x) => x.env === e)) {
      throw new UsageError(`--env '${e}': neither run has this environment`, 'choose an environment the runs measured');
    }
  }
  const cmp = compareRuns(before, after, { before: beforeFile, after: afterFile });
  if (!hasCommonPool(cmp)) {
    const names = (r: RunFile): string => r.environments.flatMap((e) => e.pools.map((p) => `${e.env}/${p.pool}`)).join(', ') || '(none)';
    throw new UsageError(`${beforeFile} and ${afterFile} have no environment and pool in common (before: ${names(before)}; after: ${names(after)})`, 'compare two runs of the same environments and pools');
  }
  if (!hasSamples(before) && !hasSamples(after)) throw new NoDataError('neither run recorded any acquires', 'run analyze longer (--duration) or with a higher --rate, and save it again');
  if (opts.report) writeReport(opts.report, renderCompareHtml(cmp, before, after));
  if (opts.json) writeOut(JSON.stringify(cmp, null, 2));
  else writeOut(renderCompare(cmp, { color: useColor(process.stdout) }));
}
