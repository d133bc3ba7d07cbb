/**
 * `pool-advisor check`: the CI gate. The static checks of the config (lint and the connection
 * budget), then thresholds on a run: one measured now with analyze's flags, or one saved with
 * `--from`; exit codes and CI output. Thresholds and flags are validated before anything runs.
 */

import { CommandOutcome, ExitCode, NoDataError, UsageError } from '../../core/errors.js';
import { formatIssue, validateModel } from '../../core/config/validate.js';
import type { AdvisorConfig, TopologySpec } from '../../core/advisor/types.js';
import { dict } from '../../core/dict.js';
import { type RunFile } from '../../core/run/types.js';
import type { EvidenceFile } from '../../core/evidence/types.js';
import { evidenceFromRun } from '../../core/evidence/fromRun.js';
import { parseThresholds, type Threshold } from '../../core/thresholds/parse.js';
import { evaluateThresholds, selectEnvironments } from '../../core/thresholds/evaluate.js';
import { hasSamples, poolHasSamples } from '../../core/evidence/samples.js';
import { invalidRunError } from '../../core/analysis/validity.js';
import { checkStatic, type StaticResult } from '../../core/check/static.js';
import { observedReplicas, readingOf } from '../../core/budget/inputs.js';
import { checkOutcome, type CheckReport } from '../../core/check/report.js';
import { CHECK_FORMAT_NAMES, CHECK_FORMATS, type CheckFormat } from '../../core/check/formats/index.js';
import { loadConfig, resolveConfigDir, EXAMPLE_CONFIG_DIR } from '../configDir.js';
import { loadAdvisorConfig, resolveAdvisorConfig, SHIPPED_ADVISOR_CONFIG } from '../advisorConfig.js';
import { checkEnvs } from '../validConfig.js';
import type { AnalyzeFlags } from '../measure.js';
import { readEvidenceFile, saveRun } from '../runFile.js';
import { assertOutputsApart, assertReportPath } from '../report.js';
import { addSecret, writeErr, writeOut } from '../output.js';
import { useColor } from '../tty.js';

/** check's own flags, beside analyze's (which it passes on when it runs analyze first). */
interface CheckOptions extends AnalyzeFlags {
  from?: string;
  static?: boolean;
  threshold?: string[];
  format: CheckFormat;
}

/** Flags that only mean something when `check` runs analyze, with their option names. */
const ANALYZE_ONLY: ReadonlyArray<[keyof AnalyzeFlags, string]> = [
  ['pool', '--pool'],
  ['rate', '--rate'],
  ['concurrency', '--concurrency'],
  ['hold', '--hold'],
  ['duration', '--duration'],
  ['fixedDuration', '--fixed-duration'],
  ['warmup', '--warmup'],
  ['seed', '--seed'],
  ['databaseUrl', '--database-url'],
  ['pgmqDatabaseUrl', '--pgmq-database-url'],
  ['yes', '--yes'],
  ['out', '--out'],
  ['metricsPort', '--metrics-port'],
  ['metricsHost', '--metrics-host'],
];

/** The config dir `check --from` lints: the flag, else ./config/tasker when present, else none (a saved run may come from elsewhere). */
function configDirForRun(flag: string | undefined): string | undefined {
  const dir = resolveConfigDir(flag);
  return flag === undefined && dir === EXAMPLE_CONFIG_DIR ? undefined : dir;
}

/** The advisor config in effect, and whether it is the one shipped with the package. */
interface Advisor {
  config: AdvisorConfig;
  shipped: boolean;
}

/**
 * The static checks. The budget uses the topologies of an advisor config the user gave; the
 * shipped advisor config describes the example fleet, so its topologies apply only to the
 * shipped example config dir.
 */
function runStatic(dir: string, advisor: Advisor, envs: string[] | undefined, run: EvidenceFile | undefined): StaticResult {
  const model = loadConfig(dir);
  for (const e of model.environments) for (const p of Object.values(e.pools)) addSecret(p.url);
  checkEnvs(model, envs);
  const useTopology = !advisor.shipped || dir === EXAMPLE_CONFIG_DIR;
  const server = readingOf(run);
  const topologies = useTopology ? dict(Object.entries(advisor.config.environments).map(([name, spec]) => [name, spec.topology])) : dict<TopologySpec | undefined>();
  return checkStatic({
    model,
    topologies,
    ...(envs ? { envs } : {}),
    advisorSource: advisor.config.source,
    ...(server ? { server } : {}),
    ...(run?.kind === 'observation' ? { observed: Object.fromEntries(run.environments.map((e) => [e.env, observedReplicas(e.pools)])) } : {}),
    ...(run?.pgbouncerSettings ? { pgbouncer: run.pgbouncerSettings } : {}),
  });
}

/**
 * Parse every threshold (the advisor config's, then `--threshold`'s), failing on the first
 * invalid one. Annotations point at the user's advisor config, never at the shipped one.
 */
function collectThresholds(advisor: Advisor, flags: readonly string[]): Threshold[] {
  const { source } = advisor.config;
  return parseThresholds([
    ...advisor.config.thresholds.map((text) => ({ text, source: advisor.shipped ? { label: source } : { label: source, file: source } })),
    ...flags.map((text) => ({ text, source: { label: '--threshold' } })),
  ]);
}

/** Refuse analyze's flags with --from or --static, where they would be silently ignored. */
function refuseAnalyzeFlags(opts: CheckOptions, mode: '--from' | '--static'): void {
  for (const [key, flag] of ANALYZE_ONLY) {
    const v = opts[key];
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) {
      throw new UsageError(`${flag} has no effect with ${mode}: it applies when check runs analyze first`, `drop ${flag}, or drop ${mode} to measure a new run`);
    }
  }
  if ((opts.set ?? []).length > 0) throw new UsageError(`--set has no effect with ${mode}: it applies when check runs analyze first`, `drop --set, or drop ${mode} to measure a new run`);
}

/**
 * Run analyze with check's flags (its static checks have passed, so the config is valid),
 * saving the run with --out. Ctrl-C stops the load and returns the partial run.
 */
async function measure(opts: CheckOptions): Promise<{ run: RunFile; interrupted: boolean }> {
  if (opts.out) assertReportPath('--out', opts.out);
  // Loaded here, not at startup: only a check that measures needs pg, the generator and /metrics.
  const { planAnalyze, planInputs, measureInterruptibly } = await import('../measure.js');
  const plan = planAnalyze(opts);
  assertOutputsApart([['--out', opts.out]], planInputs(plan, opts));
  // The config's own warnings are in the report already; only the run's (e.g. --set) go to stderr.
  const reported = new Set(validateModel(plan.model).map(formatIssue));
  for (const w of plan.warnings) if (!reported.has(w)) writeErr(`warning: ${w}`);
  const measured = await measureInterruptibly({
    plan,
    flags: opts,
    stopping: 'checking the partial run.',
    onPartial: (partial) => {
      if (opts.out) saveRun(opts.out, partial);
    },
  });
  if (opts.out) saveRun(opts.out, measured.run);
  return measured;
}

/** Run `check` with parsed options: validate, check, render, set the exit code. */
export async function runCheck(opts: CheckOptions): Promise<void> {
  if (opts.from !== undefined && opts.static) throw new UsageError('--from and --static cannot be used together: --static checks the config without any run', 'drop one of them');
  if (opts.json) opts.format = 'json';
  const mode = opts.from !== undefined ? 'from' : opts.static ? 'static' : 'measure';
  if (mode !== 'measure') refuseAnalyzeFlags(opts, mode === 'from' ? '--from' : '--static');
  const advisor: Advisor = { config: loadAdvisorConfig(opts.advisorConfig), shipped: resolveAdvisorConfig(opts.advisorConfig) === SHIPPED_ADVISOR_CONFIG };
  const thresholds = collectThresholds(advisor, opts.threshold ?? []);
  const envs = opts.env && opts.env.length > 0 ? opts.env : undefined;

  let run: EvidenceFile | undefined;
  if (opts.from !== undefined) {
    run = readEvidenceFile(opts.from);
    addSecret(run.target);
    const names = run.environments.map((e) => e.env);
    for (const e of envs ?? []) {
      if (!names.includes(e)) throw new UsageError(`--env '${e}': not in the run ${opts.from}`, `choose one of: ${names.join(', ') || '(the run has no environments)'}`);
    }
  }

  // Static checks come first; when they fail, no load is driven against a config known to be wrong.
  const dir = mode === 'from' ? configDirForRun(opts.configDir) : resolveConfigDir(opts.configDir);
  const staticResult = dir !== undefined ? runStatic(dir, advisor, envs, run) : undefined;
  const staticFailed = (staticResult?.issues ?? []).some((i) => i.severity === 'error');
  let interrupted = false;
  let runLabel = opts.from;
  if (mode === 'measure' && !staticFailed) {
    const measured = await measure(opts);
    run = evidenceFromRun(measured.run);
    interrupted = measured.interrupted;
    runLabel = opts.out ?? 'this run';
  }

  const results = run ? evaluateThresholds(thresholds, run, envs) : [];
  const report: CheckReport = {
    ...(run && runLabel
      ? { run: { path: runLabel, createdAt: run.createdAt, target: run.target, partial: run.partial, environments: run.environments.map((e) => e.env).filter((e) => !envs || envs.includes(e)) } }
      : {}),
    thresholds,
    results,
    evaluated: run !== undefined,
    ...(mode === 'measure' && staticFailed ? { notEvaluatedReason: 'the static checks failed, so no load was run' } : {}),
    ...(staticResult ? { static: staticResult } : { staticSkipped: 'no --config-dir and no ./config/tasker here' }),
    // What a threshold can judge: samples of Tasker pools (the pools of hasSamples less the unmapped and the proxy's).
    noSamples: run ? !selectEnvironments(run, envs).some((e) => e.pools.some(poolHasSamples)) : false,
  };
  writeOut(CHECK_FORMATS[opts.format](report, { color: useColor(process.stdout) }));
  const outcome = checkOutcome(report);
  if (interrupted) throw new CommandOutcome(ExitCode.Interrupted);
  const invalid = run ? invalidRunError(run, runLabel ?? 'this run', envs) : null;
  if (invalid) throw invalid;
  if (outcome.exitCode === ExitCode.NoData && !report.noSamples) {
    const blind = report.results.filter((x) => x.unseen);
    throw new NoDataError(`${runLabel}: ${blind.length} threshold${blind.length === 1 ? '' : 's'} cannot be judged on this evidence: ${blind[0]!.expression}: ${blind[0]!.reason}`, 'judge it on a source that sees it (observe --prometheus, or a measured run), or leave it out for this one');
  }
  if (outcome.exitCode === ExitCode.NoData && run && hasSamples(run, envs)) {
    // Samples (hasSamples), but only of pools that map to no Tasker pool or of a proxy's own: no threshold is about them.
    throw new NoDataError(`${runLabel}: no threshold can be judged: the evidence saw only pools that map to no Tasker pool${envs ? ` in ${envs.join(', ')}` : ''}`, "tie a group to a Tasker pool (observe --map SELECTOR=ENV.POOL) and observe again; 'recommend --from' advises on them in generic terms");
  }
  if (outcome.exitCode === ExitCode.NoData) {
    throw new NoDataError(`${runLabel}: the run holds no samples${envs ? ` in ${envs.join(', ')}` : ''}, so no threshold can be judged`, 'run analyze again with a workload that reaches the pool');
  }
  if (outcome.exitCode !== ExitCode.Ok) throw new CommandOutcome(outcome.exitCode);
}
