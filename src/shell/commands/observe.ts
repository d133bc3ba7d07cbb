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
import { CommandOutcome, ExitCode, InterruptedError, NoDataError, UsageError } from '../../core/errors.js';
import { parseDurationFlag, parseReadLimits } from '../../core/flags.js';
import { parseDurationMs } from '../../core/advisor/parse.js';
import { matchGroup, parseGroupBy, parseMapFlag, type MapRule } from '../../core/observe/map.js';
import type { GroupSettings } from '../../core/observe/summary.js';
import { OBSERVATION_SCHEMA_VERSION, type ObservationFile } from '../../core/observe/file.js';
import { renderObservation } from '../../core/observe/render.js';
import type { MappedEnvironment } from '../../core/observe/evidence.js';
import { fleetEvidence } from '../../core/fleet/evidence.js';
import { fleetWindow } from '../../core/fleet/window.js';
import { renderFleet } from '../../core/fleet/render.js';
import { mergeSources } from '../../core/evidence/merge.js';
import type { EvidenceFile } from '../../core/evidence/types.js';
import { adviseEvidence } from '../../core/rules/index.js';
import { renderAdvice, adviceData } from '../../core/render/recommendations.js';
import { renderHtmlReport } from '../../core/render/html.js';
import { poolConfigSnapshot } from '../../core/load/plan.js';
import type { ConfigModel } from '../../core/config/model.js';
import { POOL_NAMES } from '../../core/config/pools.js';
import { loadAdvisorConfig } from '../advisorConfig.js';
import type { AdvisorConfig } from '../../core/advisor/types.js';
import { assertOutputsApart, writeReport } from '../report.js';
import { prometheusClient, readPrometheus, type PrometheusFlags, type PrometheusReading } from '../prometheus/read.js';
import { writeFileAtomic } from '../atomicWrite.js';
import { addSecret, clean, writeErr, writeOut } from '../output.js';
import { assertReportPath } from '../report.js';
import { withInterrupt } from '../signals.js';
import { showProgress, useColor } from '../tty.js';
import { startHeartbeat } from '../heartbeat.js';
import { connectionConfig, isLocalHost, resolveTarget } from '../target.js';
import { loadValidConfig } from '../validConfig.js';
import { observeServer } from '../observe/run.js';
import { parseServerCores, resolveServerCores } from '../observe/cores.js';
import { parseTaskerUrl } from '../observe/tasker.js';
import { parsePgBouncerUrl } from '../observe/pgbouncer.js';
import { version } from '../version.js';

interface ObserveFlags extends PrometheusFlags {
  databaseUrl?: string;
  since?: string;
  start?: string;
  end?: string;
  advisorConfig?: string;
  report?: string;
  duration?: string;
  interval?: string;
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

/** Settings of the Tasker pool a group maps to (size from Tasker's live answer when it has one). */
function settingsFor(model: ConfigModel, rules: readonly MapRule[], matched: Set<MapRule>) {
  return (g: Parameters<typeof matchGroup>[0], tasker: ReadonlyArray<{ pools: Array<{ pool: string; maxConnections: number | null }> }>): GroupSettings | null => {
    const r = matchGroup(g, rules);
    if (!r) return null;
    matched.add(r);
    const env = model.environments.find((e) => e.name === r.env)!;
    const s = env.pools[r.pool].settings;
    const live = tasker.flatMap((h) => h.pools).find((p) => p.pool === r.pool && p.maxConnections !== null);
    return {
      env: r.env,
      pool: r.pool,
      map: r.text,
      maxConnections: live?.maxConnections ?? s.max_connections,
      sizeSource: live ? 'tasker' : 'config',
      lifetimeS: s.max_lifetime_seconds > 0 ? s.max_lifetime_seconds : null,
      idleTimeoutS: s.idle_timeout_seconds > 0 ? s.idle_timeout_seconds : null,
    };
  };
}

/** Every environment of the config, with what the evidence needs of it. */
function mappedEnvironments(model: ConfigModel): MappedEnvironment[] {
  return model.environments.map((e) => ({
    env: e.name,
    pgmqShared: e.pools.pgmq.sharesDatabasePool !== false,
    config: Object.fromEntries(POOL_NAMES.map((name) => [name, poolConfigSnapshot(e.pools[name])])),
  }));
}

/** Flags that only mean something when sampling the server. */
const SAMPLING_FLAGS = [
  ['--duration', 'duration'],
  ['--interval', 'interval'],
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
  const envs = model ? mappedEnvironments(model) : [];
  if (!sample) {
    outputsApart(f);
    const window = fleetWindow(f, Date.now());
    const pr = await readPrometheus(client!, advisor, window, { showQueries: f.showQueries });
    const evidence: EvidenceFile & { prometheus: Omit<PrometheusReading, 'display'> & { source: string } } = {
      kind: 'observation',
      schemaVersion: OBSERVATION_SCHEMA_VERSION,
      tool: { name: 'pool-advisor', version: version() },
      createdAt: new Date().toISOString(),
      target: pr.display,
      configDir: model?.dir ?? null,
      seed: null,
      environments: fleetEvidence(pr.reading, envs, pr.display),
      partial: false,
      prometheus: { source: pr.display, reading: pr.reading, budgets: pr.budgets },
    };
    emit(evidence, f, advisor, { fleet: pr });
    return;
  }
  const durationMs = f.duration !== undefined ? parseDurationFlag('--duration', f.duration) * 1000 : 600_000;
  const intervalMs = f.interval !== undefined ? parseDurationMs(f.interval) : 200;
  if (intervalMs === undefined || intervalMs < 10) throw new UsageError(`--interval '${f.interval}': expected a duration of at least 10ms`, 'write e.g. --interval 200ms');
  if (intervalMs > durationMs) throw new UsageError(`--interval ${f.interval ?? '200ms (the default)'} is longer than --duration ${f.duration ?? '10m'}`, 'sample more often than once per observation: a longer --duration or a shorter --interval');
  const groupBy = parseGroupBy(f.groupBy);
  const taskerUrls = (f.taskerUrl ?? []).map(parseTaskerUrl);
  const pgbouncer = f.pgbouncerUrl !== undefined ? parsePgBouncerUrl(f.pgbouncerUrl) : undefined;
  const coresFlag = f.serverCores !== undefined ? parseServerCores(f.serverCores) : undefined;
  const rules: MapRule[] = model && f.map?.length ? f.map.map((m) => parseMapFlag(m, model!.environments.map((e) => e.name), groupBy)) : [];
  const target = resolveTarget(f.databaseUrl);
  if (!target) throw new UsageError('observe needs a server to observe', 'pass --database-url postgresql://monitor@host:5432/db (or set DATABASE_URL / PG* variables), or --prometheus URL');
  outputsApart(f);
  const targetKind = isLocalHost(target.host) ? 'local' : 'remote';
  let signalled = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (signalled) return;
    signalled = true;
    writeErr(`\n${sig}: stopping; the partial observation follows.`);
    ac.abort();
  };
  const progress = showProgress(Boolean(f.json)) && f.progress !== false;
  let seen: { elapsedMs: number; samples: number; connections: number } | undefined;
  const stopHeartbeat = startHeartbeat(() => (seen ? `[observe] ${Math.floor(seen.elapsedMs / 1000)}s, ${Math.max(0, Math.ceil((durationMs - seen.elapsedMs) / 1000))}s left  ${seen.samples} samples, ${seen.connections} connections now` : '[observe] starting'), { progress: f.progress, machineOutput: Boolean(f.json) });
  const matched = new Set<MapRule>();
  await withInterrupt(onSignal, async () => {
    const cores = await resolveServerCores({ flag: coresFlag, prometheus: client, instance: advisor.prometheus?.databaseInstance, targetKind });
    const { file, error } = await observeServer({
      cores,
      config: connectionConfig(target),
      display: `${target.display} (from ${target.source})`,
      targetKind,
      intervalMs,
      durationMs,
      groupBy,
      maps: f.map ?? [],
      settingsFor: model && rules.length ? settingsFor(model, rules, matched) : undefined,
      environments: envs,
      configDir: model?.dir ?? null,
      taskerUrls,
      ...(pgbouncer ? { pgbouncer } : {}),
      toolVersion: version(),
      read,
      signal: ac.signal,
      status: (l) => writeErr(l),
      onProgress: (p) => {
        seen = p;
        if (progress) process.stderr.write(clean(`\r\x1b[K[observe] ${Math.floor(p.elapsedMs / 1000)}s, ${Math.max(0, Math.ceil((durationMs - p.elapsedMs) / 1000))}s left  ${p.samples} samples, ${p.connections} connections now`));
      },
    }).finally(stopHeartbeat);
    if (progress) process.stderr.write('\r\x1b[K');
    if (file.observation.samples > 0) {
      for (const r of rules) {
        if (matched.has(r)) continue;
        const seen = file.observation.groups.map((g) => g.id).slice(0, 5);
        writeErr(`warning: --map '${r.text}' matched no group of connections seen (${seen.length ? `groups: ${seen.join(', ')}${file.observation.groups.length > 5 ? ', ...' : ''}` : 'none seen'}); its pool ${r.env}.${r.pool} has no evidence from the server`);
      }
    }
    for (const t of file.tasker) for (const why of t.health?.refused ?? []) writeErr(`warning: Tasker's ${t.url}: ${why}`);
    for (const why of file.pgbouncer?.refused ?? []) writeErr(`warning: PgBouncer's console at ${file.pgbouncer!.console}: ${why}`);
    let pr: PrometheusReading | undefined;
    let out: EvidenceFile = file;
    if (client && file.observation.samples > 0 && !signalled) {
      // The same window from the pool metrics: they fill the server's gaps (waits, holds, the rate).
      // Interrupted meanwhile, the server's observation is printed and saved alone.
      try {
        pr = await readPrometheus(client, advisor, { startMs: file.observation.startedAt, endMs: file.observation.startedAt + file.observation.durationMs }, { showQueries: f.showQueries, live: { ...file.server, reservedConnections: file.server.reservedConnections ?? 0 } });
        out = { ...file, environments: mergeSources(fleetEvidence(pr.reading, envs, pr.display), file.environments), prometheus: { source: pr.display, reading: pr.reading, budgets: pr.budgets } } as EvidenceFile;
      } catch (e) {
        if (!(e instanceof InterruptedError)) throw e;
        file.partial = true;
      }
    }
    emit(out, f, advisor, { observation: file, ...(pr ? { fleet: pr } : {}) });
    if (error !== undefined) throw error;
    if (file.observation.samples === 0) throw new NoDataError('no sample of pg_stat_activity was taken', 'observe for longer (--duration)');
    if (signalled) throw new CommandOutcome(ExitCode.Interrupted);
  });
}

/** Print (and save) the evidence with its advice; `shown` is what each source saw, printed first. */
function emit(evidence: EvidenceFile, f: ObserveFlags, advisor: AdvisorConfig, shown: { observation?: ObservationFile; fleet?: PrometheusReading }): void {
  const { analysis, advice } = adviseEvidence(evidence, advisor);
  if (f.out) {
    writeFileAtomic(f.out, clean(`${JSON.stringify(evidence)}\n`), { display: f.out });
    writeErr(`Saved the observation to ${f.out}${evidence.partial ? ' (partial)' : ''}`);
  }
  if (f.report) writeReport(f.report, renderHtmlReport(evidence, analysis, advice));
  if (f.json) {
    writeOut(JSON.stringify({ ...evidence, advice: adviceData(analysis, advice) }, (_k, v: unknown) => (v === Infinity ? null : v), 2));
    return;
  }
  const color = useColor(process.stdout);
  const parts: string[] = [];
  if (shown.observation) parts.push(renderObservation(shown.observation, { color }).trimEnd());
  if (shown.fleet) parts.push(renderFleet(shown.fleet.reading, shown.fleet.display, shown.fleet.budgets, { color }).trimEnd());
  if (analysis.environments.length > 0) parts.push(renderAdvice(analysis, advice, { color }).trimEnd());
  writeOut(`${parts.join('\n\n')}\n`);
}
