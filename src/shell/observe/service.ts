/**
 * Observing a running service, as a shell service (beside `src/shell/measure.ts`, analyze's): the
 * command parses and checks its flags into a plan, this runs it and hands back the evidence with
 * what each source saw, and the command renders it. Two ways:
 * - {@link observeMetrics}: the pool metrics of a window of Prometheus alone;
 * - {@link observeSampled}: the server sampled now ({@link observeServer}), stoppable by a signal,
 *   with the same window read from Prometheus too when given (the two merged, `mergeSources`).
 * Either way the observation is the evidence of `src/core/evidence/types.ts` plus, when
 * Prometheus was read, its reading (`prometheus`, kept in `--out` and `--json`).
 */
import { CommandOutcome, ExitCode, InterruptedError, NoDataError } from '../../core/errors.js';
import type { ReadLimits } from '../../core/flags.js';
import { matchGroup, type MapRule } from '../../core/observe/map.js';
import type { GroupSettings } from '../../core/observe/summary.js';
import { OBSERVATION_SCHEMA_VERSION, type ObservationFile } from '../../core/observe/file.js';
import type { MappedEnvironment } from '../../core/observe/evidence.js';
import type { GroupField } from '../../core/observe/types.js';
import { fleetEvidence } from '../../core/fleet/evidence.js';
import type { FleetWindow } from '../../core/fleet/plan.js';
import { mergeSources } from '../../core/evidence/merge.js';
import type { EvidenceFile } from '../../core/evidence/types.js';
import { poolConfigSnapshot } from '../../core/load/plan.js';
import type { ConfigModel } from '../../core/config/model.js';
import { POOL_NAMES } from '../../core/config/pools.js';
import type { AdvisorConfig } from '../../core/advisor/types.js';
import { readPrometheus, type PrometheusReading } from '../prometheus/read.js';
import type { PrometheusClient } from '../prometheus/client.js';
import { startHeartbeat } from '../heartbeat.js';
import { clean, writeErr } from '../output.js';
import { withInterrupt } from '../signals.js';
import { connectionConfig, type Target } from '../target.js';
import { observeServer } from './run.js';
import { judgeObservation } from '../../core/rules/settled.js';
import { formatNum } from '../../core/units.js';
import { resolveServerCores } from './cores.js';
import { version } from '../version.js';

/** What Prometheus gave an observation, saved beside its evidence (`--json` and `--out`). */
export interface PrometheusPart {
  /** The server read, credentials removed. */
  source: string;
  reading: PrometheusReading['reading'];
  budgets: PrometheusReading['budgets'];
}

/** An observation: the evidence, with Prometheus's reading when it was read. */
export type ObservedEvidence = EvidenceFile & { prometheus?: PrometheusPart };

/** What `observe` prints and saves: the evidence, and what each source saw (printed first). */
export interface Observed {
  evidence: ObservedEvidence;
  shown: { observation?: ObservationFile; fleet?: PrometheusReading };
}

/** What every observation needs, checked by the command before any read. */
interface ObservePlanBase {
  advisor: AdvisorConfig;
  /** The Tasker config, loaded when a mapping or Prometheus needs it. */
  model?: ConfigModel;
  /** `--show-queries`: print each PromQL query. */
  showQueries?: boolean;
}

/** `observe --prometheus` alone: a window of the pool metrics. */
export interface MetricsPlan extends ObservePlanBase {
  client: PrometheusClient;
  window: FleetWindow;
}

/** `observe --database-url` (with `--prometheus` or not): the server sampled now. */
export interface SamplingPlan extends ObservePlanBase {
  /** Aborts every read in flight; the client (when given) was built with its signal. */
  abort: AbortController;
  client?: PrometheusClient;
  target: Target;
  targetKind: 'local' | 'remote';
  intervalMs: number;
  durationMs: number;
  /** `--until-settled`: stop once the advice is settled, after `minS` (src/core/rules/settled.ts). */
  settle?: { minS: number; alpha: number };
  groupBy: GroupField[];
  /** The `--map` texts (saved) and the rules parsed from them. */
  maps: string[];
  rules: MapRule[];
  taskerUrls: URL[];
  pgbouncer?: { url: string; display: string };
  /** `--server-cores`, parsed. */
  cores?: number;
  read: ReadLimits;
  /** Show the progress line on stderr. */
  progress: boolean;
  /** The heartbeat off a terminal (src/shell/heartbeat.ts): `--no-progress` (false) and whether stdout carries machine output. */
  heartbeat: { progress?: boolean; machineOutput: boolean };
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
function mappedEnvironments(model: ConfigModel | undefined): MappedEnvironment[] {
  if (!model) return [];
  return model.environments.map((e) => ({
    env: e.name,
    pgmqShared: e.pools.pgmq.sharesDatabasePool !== false,
    config: Object.fromEntries(POOL_NAMES.map((name) => [name, poolConfigSnapshot(e.pools[name])])),
  }));
}

/** "[observe] settled after 34 s (at least 30 s, at most 600 s)" or "[observe] not settled after 600 s: production.database.max_connections is 8 or 9; ...". */
export function settleLine(r: NonNullable<EvidenceFile['settle']>): string {
  const after = `${formatNum(r.afterS, 0)} s`;
  return r.settled
    ? `[observe] settled after ${after} (at least ${formatNum(r.minS, 0)} s, at most ${formatNum(r.maxS, 0)} s)`
    : `[observe] not settled after ${after}: ${r.unsettled ?? 'the advice still moves'}; observe longer (--duration) or accept either`;
}

/** Prometheus's part of an observation. */
function prometheusPart(pr: PrometheusReading): PrometheusPart {
  return { source: pr.display, reading: pr.reading, budgets: pr.budgets };
}

/** `observe --prometheus` alone: the window's pool metrics as evidence. */
export async function observeMetrics(p: MetricsPlan): Promise<Observed> {
  const pr = await readPrometheus(p.client, p.advisor, p.window, { showQueries: p.showQueries });
  const evidence: ObservedEvidence = {
    kind: 'observation',
    schemaVersion: OBSERVATION_SCHEMA_VERSION,
    tool: { name: 'pool-advisor', version: version() },
    createdAt: new Date().toISOString(),
    target: pr.display,
    configDir: p.model?.dir ?? null,
    seed: null,
    environments: fleetEvidence(pr.reading, mappedEnvironments(p.model), pr.display),
    partial: false,
    prometheus: prometheusPart(pr),
  };
  return { evidence, shown: { fleet: pr } };
}

/**
 * Sample the server for the plan's window, stoppable: the first SIGINT, SIGTERM or SIGHUP says
 * `\n<signal>: stopping; the partial observation follows.` and ends the window (what was sampled
 * is kept, marked partial). With a client, the same window is then read from Prometheus and merged
 * (not when interrupted: the server's observation goes alone). `emit` prints and saves the result
 * while further signals are still ignored; then the exit: the sampler's error (exit 3), no sample
 * (exit 4), or 130 when interrupted.
 */
export async function observeSampled(p: SamplingPlan, emit: (o: Observed) => void): Promise<void> {
  let signalled = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (signalled) return;
    signalled = true;
    writeErr(`\n${sig}: stopping; the partial observation follows.`);
    p.abort.abort();
  };
  const envs = mappedEnvironments(p.model);
  const matched = new Set<MapRule>();
  let seen: { elapsedMs: number; samples: number; connections: number } | undefined;
  const line = (q: { elapsedMs: number; samples: number; connections: number }): string => `[observe] ${Math.floor(q.elapsedMs / 1000)}s, ${Math.max(0, Math.ceil((p.durationMs - q.elapsedMs) / 1000))}s left  ${q.samples} samples, ${q.connections} connections now`;
  await withInterrupt(onSignal, async () => {
    const cores = await resolveServerCores({ flag: p.cores, prometheus: p.client, instance: p.advisor.prometheus?.databaseInstance, targetKind: p.targetKind });
    const stopHeartbeat = startHeartbeat(() => (seen ? line(seen) : '[observe] starting'), p.heartbeat);
    const { file, error } = await observeServer({
      cores,
      config: connectionConfig(p.target),
      display: `${p.target.display} (from ${p.target.source})`,
      targetKind: p.targetKind,
      intervalMs: p.intervalMs,
      durationMs: p.durationMs,
      ...(p.settle ? { settle: { ...p.settle, judge: (ev: EvidenceFile, look: number, elapsedS: number) => judgeObservation(ev, p.advisor, look, elapsedS, p.settle!.minS, { alpha: p.settle!.alpha }) } } : {}),
      groupBy: p.groupBy,
      maps: p.maps,
      settingsFor: p.model && p.rules.length ? settingsFor(p.model, p.rules, matched) : undefined,
      environments: envs,
      configDir: p.model?.dir ?? null,
      taskerUrls: p.taskerUrls,
      ...(p.pgbouncer ? { pgbouncer: p.pgbouncer } : {}),
      toolVersion: version(),
      read: p.read,
      signal: p.abort.signal,
      status: (l) => writeErr(l),
      onProgress: (q) => {
        seen = q;
        if (p.progress) process.stderr.write(clean(`\r\x1b[K${line(q)}`));
      },
    }).finally(stopHeartbeat);
    if (p.progress) process.stderr.write('\r\x1b[K');
    if (file.settle) writeErr(settleLine(file.settle));
    if (file.observation.samples > 0) {
      for (const r of p.rules) {
        if (matched.has(r)) continue;
        const seen = file.observation.groups.map((g) => g.id).slice(0, 5);
        writeErr(`warning: --map '${r.text}' matched no group of connections seen (${seen.length ? `groups: ${seen.join(', ')}${file.observation.groups.length > 5 ? ', ...' : ''}` : 'none seen'}); its pool ${r.env}.${r.pool} has no evidence from the server`);
      }
    }
    for (const t of file.tasker) for (const why of t.health?.refused ?? []) writeErr(`warning: Tasker's ${t.url}: ${why}`);
    for (const why of file.pgbouncer?.refused ?? []) writeErr(`warning: PgBouncer's console at ${file.pgbouncer!.console}: ${why}`);
    let pr: PrometheusReading | undefined;
    let evidence: ObservedEvidence = file;
    if (p.client && file.observation.samples > 0 && !signalled) {
      // The same window from the pool metrics: they fill the server's gaps (waits, holds, the rate).
      // Interrupted meanwhile, the server's observation is printed and saved alone.
      try {
        pr = await readPrometheus(p.client, p.advisor, { startMs: file.observation.startedAt, endMs: file.observation.startedAt + file.observation.durationMs }, { showQueries: p.showQueries, live: { ...file.server, reservedConnections: file.server.reservedConnections ?? 0 } });
        evidence = { ...file, environments: mergeSources(fleetEvidence(pr.reading, envs, pr.display), file.environments), prometheus: prometheusPart(pr) };
      } catch (e) {
        if (!(e instanceof InterruptedError)) throw e;
        file.partial = true;
      }
    }
    emit({ evidence, shown: { observation: file, ...(pr ? { fleet: pr } : {}) } });
    if (error !== undefined) throw error;
    if (file.observation.samples === 0) throw new NoDataError('no sample of pg_stat_activity was taken', 'observe for longer (--duration)');
    if (signalled) throw new CommandOutcome(ExitCode.Interrupted);
  });
}
