/**
 * `pool-advisor check`: the CI gate. Thresholds on a saved run's figures, and the static
 * checks of the config (lint and the connection budget), with exit codes and CI output.
 * Everything is parsed and validated before anything else is read.
 */
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { NoDataError, UsageError } from '../../core/errors.js';
import { isPoolName } from '../../core/config/pools.js';
import type { AdvisorConfig } from '../../core/advisor/types.js';
import { decode } from '../../core/run/histogram.js';
import { RUN_SCHEMA_VERSION, type RunFile } from '../../core/run/types.js';
import { parseThresholds, type Threshold } from '../../core/thresholds/parse.js';
import { evaluateThresholds, hasSamples } from '../../core/thresholds/evaluate.js';
import { checkStatic, type StaticResult } from '../../core/check/static.js';
import { CHECK_RENDERERS, checkOutcome, type CheckFormat, type CheckReport } from '../../core/check/render.js';
import { loadConfig, resolveConfigDir, EXAMPLE_CONFIG_DIR } from '../configDir.js';
import { loadAdvisorConfig, resolveAdvisorConfig, SHIPPED_ADVISOR_CONFIG } from '../advisorConfig.js';
import { checkEnvs } from './config.js';
import { addSecret, writeOut } from '../output.js';
import { useColor } from '../tty.js';

interface CheckOptions {
  from?: string;
  static?: boolean;
  configDir?: string;
  advisorConfig?: string;
  threshold: string[];
  env?: string[];
  format: CheckFormat;
}

/** Read a saved run, refusing (exit 2) a file that is not one. */
export function readRunFile(path: string): RunFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`--from '${path}': cannot read: ${code === 'EISDIR' ? 'is a directory' : (code ?? (e as Error).message)}`, 'pass the path of a run saved with `pool-advisor analyze --out run.json`');
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--from '${path}': not valid JSON: ${(e as Error).message}`, 'pass the path of a run saved with `pool-advisor analyze --out run.json`');
  }
  const notRun = (what: string): never => {
    throw new UsageError(`--from '${path}': not a pool-advisor run file: ${what}`, 'pass the path of a run saved with `pool-advisor analyze --out run.json`');
  };
  const run = data as RunFile;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) notRun('expected a JSON object');
  if (run.schemaVersion !== RUN_SCHEMA_VERSION) {
    if (typeof run.schemaVersion !== 'number') notRun('no schemaVersion');
    throw new UsageError(`--from '${path}': run file schemaVersion ${run.schemaVersion} is not supported (this pool-advisor reads ${RUN_SCHEMA_VERSION})`, 'save the run again with this version of pool-advisor');
  }
  if (!Array.isArray(run.environments)) notRun('no environments array');
  for (const env of run.environments) {
    if (typeof env?.env !== 'string' || !Array.isArray(env.pools)) notRun('an environment without a name or pools');
    for (const p of env.pools) {
      if (!isPoolName(p?.pool as string) || typeof p.counters !== 'object' || typeof p.histograms !== 'object' || typeof p.occupancy !== 'object' || typeof p.settings !== 'object') {
        notRun(`environment '${env.env}' has a pool entry without pool, counters, histograms, occupancy or settings`);
      }
      for (const h of ['wait', 'hold', 'create'] as const) {
        try {
          decode(p.histograms[h]);
        } catch {
          throw new UsageError(`--from '${path}': environment '${env.env}', pool '${p.pool}': the ${h} histogram cannot be decoded`, 'the file is damaged; save the run again');
        }
      }
    }
  }
  return run;
}

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
function runStatic(dir: string, advisor: Advisor, envs: string[] | undefined, run: RunFile | undefined): StaticResult {
  const model = loadConfig(dir);
  for (const e of model.environments) for (const p of Object.values(e.pools)) addSecret(p.url);
  checkEnvs(model, envs);
  const useTopology = !advisor.shipped || dir === EXAMPLE_CONFIG_DIR;
  const topologies = useTopology ? Object.fromEntries(Object.entries(advisor.config.environments).map(([name, spec]) => [name, spec.topology])) : {};
  return checkStatic({
    model,
    topologies,
    ...(envs ? { envs } : {}),
    advisorSource: advisor.config.source,
    ...(run?.server ? { server: { maxConnections: run.server.maxConnections } } : {}),
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

/** Run `check` with parsed options: validate, check, render, set the exit code. */
export async function runCheck(opts: CheckOptions): Promise<void> {
  if (opts.from !== undefined && opts.static) throw new UsageError('--from and --static cannot be used together: --static checks the config without any run', 'drop one of them');
  const advisor: Advisor = { config: loadAdvisorConfig(opts.advisorConfig), shipped: resolveAdvisorConfig(opts.advisorConfig) === SHIPPED_ADVISOR_CONFIG };
  const thresholds = collectThresholds(advisor, opts.threshold);
  const envs = opts.env && opts.env.length > 0 ? opts.env : undefined;
  if (opts.from === undefined && !opts.static) {
    // Seam: `check` alone is to run `analyze` first with the same flags; that command is not wired in yet.
    throw new UsageError('check needs --from run.json or --static: running analyze first is not available in this build', 'save a run with `pool-advisor analyze --out run.json` and pass --from run.json, or pass --static to check the config only');
  }

  let run: RunFile | undefined;
  if (opts.from !== undefined) {
    run = readRunFile(opts.from);
    addSecret(run.target);
    const names = run.environments.map((e) => e.env);
    for (const e of envs ?? []) {
      if (!names.includes(e)) throw new UsageError(`--env '${e}': not in the run ${opts.from}`, `choose one of: ${names.join(', ') || '(the run has no environments)'}`);
    }
  }

  const dir = opts.static ? resolveConfigDir(opts.configDir) : configDirForRun(opts.configDir);
  const staticResult = dir !== undefined ? runStatic(dir, advisor, envs, run) : undefined;
  const results = run ? evaluateThresholds(thresholds, run, envs) : [];
  const report: CheckReport = {
    ...(run && opts.from
      ? { run: { path: opts.from, createdAt: run.createdAt, target: run.target, partial: run.partial, environments: run.environments.map((e) => e.env).filter((e) => !envs || envs.includes(e)) } }
      : {}),
    thresholds,
    results,
    evaluated: run !== undefined,
    ...(staticResult ? { static: staticResult } : { staticSkipped: 'no --config-dir and no ./config/tasker here' }),
    noSamples: run ? !hasSamples(run, envs) : false,
  };
  writeOut(CHECK_RENDERERS[opts.format](report, { color: useColor(process.stdout) }));
  const outcome = checkOutcome(report);
  if (outcome.exitCode === 4) {
    throw new NoDataError(`${opts.from}: the run holds no samples${envs ? ` in ${envs.join(', ')}` : ''}, so no threshold can be judged`, 'run analyze again with a workload that reaches the pool');
  }
  if (outcome.exitCode !== 0) process.exitCode = outcome.exitCode;
}

/** Register `check`. */
export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('CI gate: thresholds on a saved run and static checks of the config; exit 0 when all hold, 1 on a breach or a config error')
    .option('--from <run.json>', 'evaluate the thresholds on a run saved with `analyze --out` (no database needed)')
    .option('--static', 'only the static checks: config lint and the connection budget (no run, no database)')
    .option('--config-dir <dir>', 'Tasker config dir (default: ./config/tasker when it exists; with --static, else the shipped example)')
    .option('--advisor-config <file>', 'advisor config with thresholds and topology (default: ./pool-advisor.toml, else the shipped one)')
    .option('--threshold <expr>', "a threshold, 'POOL.METRIC: EXPR' (repeatable; added to the advisor config's)", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--env <env...>', 'only these environments')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'junit', 'github']).default('text'))
    .action(async (opts: CheckOptions) => runCheck(opts));
}
