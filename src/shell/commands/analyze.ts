/**
 * `pool-advisor analyze`: drive a real, instrumented pool with each environment's workload, and
 * print what it measured and what to change. Everything is validated before a connection opens.
 */
import { CommandOutcome, ExitCode, NoDataError } from '../../core/errors.js';
import type { AdvisorConfig } from '../../core/advisor/types.js';
import type { RunFile } from '../../core/run/types.js';
import { renderReport } from '../../core/render/report.js';
import { invalidRunError } from '../../core/analysis/validity.js';
import { renderHtmlReport } from '../../core/render/html.js';
import { adviseEvidence } from '../../core/rules/index.js';
import { evidenceFromRun } from '../../core/evidence/fromRun.js';
import { hasSamples } from '../../core/evidence/samples.js';
import { adviceData } from '../../core/render/recommendations.js';
import { measureInterruptibly, planAnalyze, planInputs, type AnalyzeFlags } from '../measure.js';
import { writeErr, writeOut } from '../output.js';
import { assertOutputsApart, assertReportPath, writeReport } from '../report.js';
import { saveRun } from '../runFile.js';
import { useColor } from '../tty.js';
import { FORMAT_VERSION } from '../../core/saved.js';

/** Print and save a finished (or partial) run with its analysis and advice. */
export function emitRun(run: RunFile, f: AnalyzeFlags, advisor: AdvisorConfig): void {
  if (f.out) saveRun(f.out, run);
  const evidence = evidenceFromRun(run);
  const { analysis, advice } = adviseEvidence(evidence, advisor);
  if (f.report) writeReport(f.report, renderHtmlReport(evidence, analysis, advice));
  if (f.json) writeOut(JSON.stringify({ schemaVersion: FORMAT_VERSION.analyzeJson, run, advice: adviceData(analysis, advice) }, null, 2));
  else writeOut(renderReport(evidence, analysis, advice, { color: useColor(process.stdout) }));
}

/** Run `analyze` with its parsed flags. */
export async function analyzeCommand(f: AnalyzeFlags): Promise<void> {
  if (f.out) assertReportPath('--out', f.out);
  if (f.report) assertReportPath('--report', f.report);
  const plan = planAnalyze(f);
  assertOutputsApart([['--out', f.out], ['--report', f.report]], [...planInputs(plan, f), ...(f.workloadFrom ? [['--workload-from', f.workloadFrom] as [string, string]] : [])]);
  for (const w of plan.warnings) writeErr(`warning: ${w}`);
  for (const n of plan.notes) writeErr(n);
  const { run, interrupted } = await measureInterruptibly({ plan, flags: f, stopping: 'the partial result follows.', onPartial: (partial) => emitRun(partial, f, plan.advisor) });
  emitRun(run, f, plan.advisor);
  if (interrupted) throw new CommandOutcome(ExitCode.Interrupted);
  if (!hasSamples(evidenceFromRun(run))) throw new NoDataError('the run recorded no acquires', 'run longer (--duration) or with a higher --rate');
  const invalid = invalidRunError(evidenceFromRun(run), 'this run');
  if (invalid) throw invalid;
}

