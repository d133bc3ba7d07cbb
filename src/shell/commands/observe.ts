/**
 * `pool-advisor observe`: advice for a running service nobody instrumented. With `--database-url`
 * it samples what the PostgreSQL server sees of the service's connections (nothing added to the
 * service) and reconstructs each pool of each replica; with `--prometheus` it reads the pool
 * metrics the fleet already keeps; with both, the sampling window is the Prometheus window and the
 * two sources fill each other's gaps (where they disagree, that is a finding). Either way the
 * figures become evidence (src/core/evidence), judged by the same rules as a measured run, and
 * saved with `--out` for `recommend`, `check`, `compare` and `generate --from`. Everything is
 * validated before a connection opens.
 */
import { UsageError } from '../../core/errors.js';
import { parseDurationFlag, parseReadLimits } from '../../core/flags.js';
import { SETTLE_ALPHA } from '../../core/analysis/settle.js';
import { parseDurationMs } from '../../core/advisor/parse.js';
import { parseGroupBy, parseMapFlag, type MapRule } from '../../core/observe/map.js';
import { renderObservation } from '../../core/render/observation.js';
import { fleetWindow } from '../../core/fleet/window.js';
import { renderFleet } from '../../core/render/fleet.js';
import { adviseEvidence, environmentBudget } from '../../core/rules/index.js';
import { budgetData, renderBudgets, type NamedBudget } from '../../core/render/budget.js';
import { renderAdvice, adviceData } from '../../core/render/recommendations.js';
import { renderHtmlReport } from '../../core/render/html.js';
import type { ConfigModel } from '../../core/config/model.js';
import { loadAdvisorConfig } from '../advisorConfig.js';
import type { AdvisorConfig } from '../../core/advisor/types.js';
import { assertOutputsApart, writeReport } from '../report.js';
import { prometheusClient, type PrometheusFlags } from '../prometheus/read.js';
import { writeFileAtomic } from '../atomicWrite.js';
import { addSecret, clean, writeErr, writeOut } from '../output.js';
import { assertReportPath } from '../report.js';
import { showProgress, useColor } from '../tty.js';
import { isLocalHost, resolveTarget } from '../target.js';
import { loadValidConfig } from '../validConfig.js';
import { observeMetrics, observeSampled, type Observed } from '../observe/service.js';
import { parseServerCores } from '../observe/cores.js';
import { parseTaskerUrl } from '../observe/tasker.js';
import { parsePgBouncerUrl } from '../observe/pgbouncer.js';

interface ObserveFlags extends PrometheusFlags {
  databaseUrl?: string;
  since?: string;
  start?: string;
  end?: string;
  advisorConfig?: string;
  report?: string;
  duration?: string;
  interval?: string;
  untilSettled?: string | boolean;
  groupBy?: string[];
  map?: string[];
  configDir?: string;
  taskerUrl?: string[];
  pgbouncerUrl?: string;
  serverCores?: string;
  out?: string;
  json?: boolean;
  progress?: boolean;
  readTimeout?: string;
  readLimit?: string;
}

/** Flags that only mean something when sampling the server. */
const SAMPLING_FLAGS = [
  ['--duration', 'duration'],
  ['--interval', 'interval'],
  ['--until-settled', 'untilSettled'],
  ['--group-by', 'groupBy'],
  ['--map', 'map'],
  ['--tasker-url', 'taskerUrl'],
  ['--pgbouncer-url', 'pgbouncerUrl'],
  ['--server-cores', 'serverCores'],
] as const;

/**
 * No output may land on a local input: by now every one is read (the Tasker config, the advisor
 * config and its sql_file, the CA file, the TLS files of the URLs). Checked before any connection.
 */
function outputsApart(f: ObserveFlags): void {
  assertOutputsApart([['--out', f.out], ['--report', f.report]], f.advisorConfig ? [['--advisor-config', f.advisorConfig]] : []);
}

/** Run `observe` with its parsed flags. */
export async function observeCommand(f: ObserveFlags): Promise<void> {
  addSecret(f.databaseUrl);
  addSecret(f.pgbouncerUrl);
  for (const u of f.taskerUrl ?? []) addSecret(u);
  if (f.out) assertReportPath('--out', f.out);
  if (f.report) assertReportPath('--report', f.report);
  const read = parseReadLimits(f);
  // Every wait is abortable: the first SIGINT, SIGTERM or SIGHUP aborts the read in flight.
  const ac = new AbortController();
  const client = f.prometheus !== undefined ? prometheusClient({ ...f, prometheus: f.prometheus }, { ...read, signal: ac.signal }) : undefined;
  // The server is sampled when asked for (--database-url), or when there is no other source.
  const sample = f.databaseUrl !== undefined || !client;
  const windowFlags = (['since', 'start', 'end'] as const).filter((k) => f[k] !== undefined).map((k) => `--${k}`);
  if (!sample) {
    const given = SAMPLING_FLAGS.filter(([, k]) => f[k] !== undefined);
    if (given.length > 0) throw new UsageError(`${given.map(([flag]) => flag).join(', ')}: only for sampling the server`, 'add --database-url to sample the server as well, or drop them');
  } else if (client && windowFlags.length > 0) {
    throw new UsageError('--since, --start and --end do not go with --database-url: the Prometheus window is the sampling window', 'drop them, and set the window with --duration');
  } else if (windowFlags.length > 0) {
    throw new UsageError(`${windowFlags.join(', ')}: only with --prometheus (a window of the pool metrics); sampling the server starts now`, 'drop them and set how long to sample with --duration, or add --prometheus URL');
  }
  const advisor = loadAdvisorConfig(f.advisorConfig);
  let model: ConfigModel | undefined;
  if (f.map?.length || client) model = loadValidConfig(f.configDir).model;
  if (!sample) {
    outputsApart(f);
    const window = fleetWindow(f, Date.now());
    emit(await observeMetrics({ advisor, model, client: client!, window, showQueries: f.showQueries }), f, advisor);
    return;
  }
  const durationMs = f.duration !== undefined ? parseDurationFlag('--duration', f.duration) * 1000 : 600_000;
  const intervalMs = f.interval !== undefined ? parseDurationMs(f.interval) : 200;
  if (intervalMs === undefined || intervalMs < 10) throw new UsageError(`--interval '${f.interval}': expected a duration of at least 10ms`, 'write e.g. --interval 200ms');
  if (intervalMs > durationMs) throw new UsageError(`--interval ${f.interval ?? '200ms (the default)'} is longer than --duration ${f.duration ?? '10m'}`, 'sample more often than once per observation: a longer --duration or a shorter --interval');
  const settleMinS = untilSettledMinimum(f.untilSettled, durationMs / 1000, f.duration);
  const groupBy = parseGroupBy(f.groupBy);
  const taskerUrls = (f.taskerUrl ?? []).map(parseTaskerUrl);
  const pgbouncer = f.pgbouncerUrl !== undefined ? parsePgBouncerUrl(f.pgbouncerUrl) : undefined;
  const cores = f.serverCores !== undefined ? parseServerCores(f.serverCores) : undefined;
  const rules: MapRule[] = model && f.map?.length ? f.map.map((m) => parseMapFlag(m, model!.environments.map((e) => e.name), groupBy)) : [];
  const target = resolveTarget(f.databaseUrl);
  if (!target) throw new UsageError('observe needs a server to observe', 'pass --database-url postgresql://monitor@host:5432/db (or set DATABASE_URL / PG* variables), or --prometheus URL');
  outputsApart(f);
  await observeSampled(
    {
      advisor,
      model,
      showQueries: f.showQueries,
      abort: ac,
      client,
      target,
      targetKind: isLocalHost(target.host) ? 'local' : 'remote',
      intervalMs,
      durationMs,
      ...(settleMinS !== undefined ? { settle: { minS: settleMinS, alpha: SETTLE_ALPHA } } : {}),
      groupBy,
      maps: f.map ?? [],
      rules,
      taskerUrls,
      ...(pgbouncer ? { pgbouncer } : {}),
      ...(cores !== undefined ? { cores } : {}),
      read,
      progress: showProgress(Boolean(f.json)) && f.progress !== false,
      heartbeat: { progress: f.progress, machineOutput: Boolean(f.json) },
    },
    (o) => emit(o, f, advisor),
  );
}

/** The default minimum window of `--until-settled` without a value, s. */
export const UNTIL_SETTLED_DEFAULT_S = 120;

/** `--until-settled [MIN]`: the minimum window (s), or undefined when not asked; refuses one longer than the window. */
function untilSettledMinimum(flag: string | boolean | undefined, durationS: number, durationText: string | undefined): number | undefined {
  if (flag === undefined || flag === false) return undefined;
  const minS = flag === true ? UNTIL_SETTLED_DEFAULT_S : parseDurationFlag('--until-settled', flag);
  if (minS > durationS) {
    const shown = flag === true ? `${UNTIL_SETTLED_DEFAULT_S / 60}m (the default minimum)` : flag;
    throw new UsageError(`--until-settled ${shown} is longer than --duration ${durationText ?? '10m (the default)'}`, 'give a minimum no longer than the window, e.g. --until-settled 1m, or a longer --duration');
  }
  return minS;
}

/** Print (and save) the evidence with its advice; `shown` is what each source saw, printed first. */
function emit({ evidence, shown }: Observed, f: ObserveFlags, advisor: AdvisorConfig): void {
  const { analysis, advice } = adviseEvidence(evidence, advisor);
  if (f.out) {
    writeFileAtomic(f.out, clean(`${JSON.stringify(evidence)}\n`), { display: f.out });
    writeErr(`Saved the observation to ${f.out}${evidence.partial ? ' (partial)' : ''}`);
  }
  if (f.report) writeReport(f.report, renderHtmlReport(evidence, analysis, advice));
  // The connection budget per layer the rules judged (the same model and inputs as their findings).
  const budgets: NamedBudget[] = [];
  for (const env of analysis.environments) {
    // Connections no map tied to a Tasker environment have no pool sizes to budget.
    if (Object.keys(env.config).length === 0) continue;
    const b = environmentBudget(env, advisor, evidence);
    if (b) budgets.push({ env: env.env, budget: b });
  }
  if (f.json) {
    writeOut(JSON.stringify({ ...evidence, advice: { ...(adviceData(analysis, advice) as object), connectionBudget: budgetData(budgets) } }, (_k, v: unknown) => (v === Infinity ? null : v), 2));
    return;
  }
  const color = useColor(process.stdout);
  const parts: string[] = [];
  if (shown.observation) parts.push(renderObservation(shown.observation, { color }).trimEnd());
  if (shown.fleet) parts.push(renderFleet(shown.fleet.reading, shown.fleet.display, shown.fleet.budgets, { color }).trimEnd());
  if (budgets.length > 0) parts.push(renderBudgets(budgets, { color }).trimEnd());
  if (analysis.environments.length > 0) parts.push(renderAdvice(analysis, advice, { color }).trimEnd());
  writeOut(`${parts.join('\n\n')}\n`);
}
