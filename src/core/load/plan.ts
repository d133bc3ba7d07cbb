/**
 * The plan of a measurement, before anything connects: which workloads each environment drives
 * (the advisor config's, after the flags and `--pool`), which pool each goes through, each pool's
 * settings after `--set`, and the most connections the session holds at once. Pure: `analyze`'s
 * planning makes the plan once ({@link planMeasurement}); the probe's count and the session read it.
 */
import type { ConfigModel, EffectivePool, EnvironmentConfig } from '../config/model.js';
import type { PoolConfigSnapshot } from '../run/types.js';
import { DRIVABLE_POOLS, withKey, type PoolName, type PoolSettings } from '../config/pools.js';
import type { AdvisorConfig } from '../advisor/types.js';
import { environmentSpec } from '../advisor/parse.js';
import type { HoldSpec, WorkloadSpec } from '../advisor/workload.js';
import { UsageError } from '../errors.js';

/** A `--set ENV.POOL.KEY=VALUE` override for one run. */
export interface SetOverride {
  env: string;
  pool: PoolName;
  key: string;
  value: number;
}

/** Flag overrides of the workloads. */
export interface WorkloadFlags {
  rate?: number;
  concurrency?: number;
  hold?: HoldSpec;
  durationS?: number;
  warmupS?: number;
}

/** What a measurement is asked to do: the config, the environments, `--pool`, the workload flags and `--set`. */
export interface MeasureRequest {
  model: ConfigModel;
  advisor: AdvisorConfig;
  envs: string[];
  pools?: PoolName[];
  flags: WorkloadFlags;
  sets: SetOverride[];
}

/** One environment of a measurement and the workloads it drives, after the flags and `--pool`. */
export interface PlannedEnvironment {
  env: EnvironmentConfig;
  workloads: WorkloadSpec[];
}

/** A measurement planned: the request, and what it drives, computed once ({@link planMeasurement}). */
export interface MeasurePlan extends MeasureRequest {
  /** The environments of `envs`, in the config's order, each with its workloads (possibly none). */
  planned: PlannedEnvironment[];
}

/** Plan a measurement: the one place the workloads are computed from the request. */
export function planMeasurement(r: MeasureRequest): MeasurePlan {
  return { ...r, planned: r.model.environments.filter((e) => r.envs.includes(e.name)).map((env) => ({ env, workloads: plannedWorkloads(env, r.advisor, r) })) };
}

/** The workloads an environment drives, after flags and `--pool`. */
export function plannedWorkloads(env: EnvironmentConfig, advisor: AdvisorConfig, opts: Pick<MeasureRequest, 'pools' | 'flags'>): WorkloadSpec[] {
  const spec = environmentSpec(advisor, env.name);
  const out: WorkloadSpec[] = [];
  for (const pool of DRIVABLE_POOLS) {
    const w = spec.workloads[pool];
    if (!w) continue;
    if (opts.pools && !opts.pools.includes(pool)) continue;
    const f = opts.flags;
    let arrival = w.arrival;
    if (f.concurrency !== undefined) arrival = { mode: 'closed', concurrency: f.concurrency, thinkMs: arrival.mode === 'closed' ? arrival.thinkMs : 0 };
    else if (f.rate !== undefined) arrival = { mode: 'open', process: arrival.mode === 'open' ? arrival.process : 'poisson', rate: f.rate };
    out.push({
      ...w,
      arrival,
      hold: f.hold && w.hold.kind !== 'queue' ? f.hold : w.hold,
      durationS: f.durationS ?? w.durationS,
      warmupS: f.warmupS ?? w.warmupS,
    });
  }
  return out;
}

/** Whether PGMQ's work goes through the database pool in an environment (Tasker's default). */
export function pgmqSharesDatabasePool(env: EnvironmentConfig): boolean {
  return env.pools.pgmq.sharesDatabasePool !== false;
}

/** The pool a workload goes through: PGMQ's own only when it does not share the database pool. */
export function poolThrough(workload: WorkloadSpec, env: EnvironmentConfig): PoolName {
  return workload.pool === 'pgmq' && !pgmqSharesDatabasePool(env) ? 'pgmq' : 'database';
}

/** Settings of a pool after `--set` overrides for this run. */
export function settingsWithOverrides(env: EnvironmentConfig, pool: PoolName, sets: readonly SetOverride[]): PoolSettings {
  let s = { ...env.pools[pool].settings };
  for (const o of sets) if (o.env === env.name && o.pool === pool) s = withKey(pool, s, o.key, o.value);
  return s;
}

/** The largest number of connections the session will hold at once (for the probe). */
export function plannedConnections(plan: MeasurePlan): { total: number; detail: string } {
  let best = { total: 0, detail: '' };
  for (const { env, workloads: w } of plan.planned) {
    const shared = pgmqSharesDatabasePool(env);
    let total = 0;
    const parts: string[] = [];
    if (w.length > 0 && (w.some((x) => x.pool === 'database') || shared)) {
      const m = settingsWithOverrides(env, 'database', plan.sets).max_connections;
      total += m;
      parts.push(`${env.name}.database ${m}`);
    }
    if (!shared && w.some((x) => x.pool === 'pgmq')) {
      const m = settingsWithOverrides(env, 'pgmq', plan.sets).max_connections;
      total += m;
      parts.push(`${env.name}.pgmq ${m}`);
    }
    // The session's own admin connection (scratch schema).
    total += 1;
    if (total > best.total) best = { total, detail: parts.join(' + ') };
  }
  return best;
}

/** A pool whose min_connections (after `--set`) is above its max could never fill: refuse it before connecting. */
export function refuseMinAboveMax(model: ConfigModel, envs: readonly string[], sets: readonly SetOverride[]): void {
  for (const env of model.environments.filter((e) => envs.includes(e.name))) {
    for (const pool of DRIVABLE_POOLS) {
      if (!sets.some((s) => s.env === env.name && s.pool === pool)) continue;
      const s = settingsWithOverrides(env, pool, sets);
      if (s.min_connections > s.max_connections) {
        throw new UsageError(`--set: ${env.name}.${pool} min_connections ${s.min_connections} is above max_connections ${s.max_connections}; the pool could never open its minimum`, `set min_connections at most ${s.max_connections}, or raise max_connections with another --set`);
      }
    }
  }
}

/**
 * A pool's configuration as data (config show --json, and saved in run files). `--set` overrides
 * for a run replace the value, with `file: '--set'`.
 */
export function poolConfigSnapshot(p: EffectivePool, sets: ReadonlyArray<{ key: string; value: number }> = []): PoolConfigSnapshot {
  // Keyed by the names written in the config file: no prototype a name like __proto__ could reach.
  const keys = Object.create(null) as PoolConfigSnapshot['keys'];
  for (const [k, sv] of Object.entries(p.raw)) keys[k] = { value: sv.value, overridden: sv.overridden, file: sv.origin?.file ?? null, line: sv.origin?.line ?? null };
  let settings = { ...p.settings };
  for (const o of sets) {
    keys[o.key] = { value: o.value, overridden: true, file: '--set', line: null };
    settings = withKey(p.pool, settings, o.key, o.value);
  }
  return {
    table: p.table.join('.'),
    context: p.context,
    active: p.active,
    ...(p.sharesDatabasePool !== undefined ? { sharesDatabasePool: p.sharesDatabasePool } : {}),
    settings,
    keys,
  };
}

/** A sleep hold's typical length (ms) for the plan-time check: the constant, the exponential mean, the lognormal P99; undefined for SQL and queue holds. */
function holdTypicalMs(h: HoldSpec): { ms: number; what: string } | undefined {
  if (h.kind !== 'sleep') return undefined;
  if (h.dist === 'constant') return { ms: h.ms, what: `a constant hold of ${h.ms} ms` };
  if (h.dist === 'exponential') return { ms: h.meanMs, what: `an exponential hold of mean ${h.meanMs} ms` };
  return { ms: h.p99Ms, what: `a lognormal hold of P99 ${h.p99Ms} ms` };
}

/**
 * A hold longer than the measuring window is refused before any connection (exit 2): no hold of
 * it would finish inside the window, and the run would only wait on the server. The decision
 * (docs/reliability.md, "Network and servers"): refused at plan time when the constant, the
 * exponential mean or the lognormal P99 is longer than the window; a hold drawn from a tail that
 * still outlives the window is cut at its end (after the drain its connection is closed, and the
 * server ends the statement within about a second).
 */
export function refuseHoldsPastWindow(planned: readonly PlannedEnvironment[], holdFlag: boolean): void {
  for (const { env, workloads } of planned) {
    for (const spec of workloads) {
      const t = holdTypicalMs(spec.hold);
      if (!t || t.ms <= spec.durationS * 1000) continue;
      throw new UsageError(
        `${env.name}.${spec.pool}: ${t.what} is longer than the measuring window (${spec.durationS} s): no hold would finish inside it`,
        holdFlag ? 'shorten --hold, or measure for longer with --duration (a window of many holds)' : 'shorten the hold of the workload, or measure for longer (--duration)',
      );
    }
  }
}
