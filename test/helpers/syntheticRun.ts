/**
 * Synthetic runs for the analysis, model and rule tests: a discrete-event simulation of a pool
 * (sqlx-like: min connections open at the start, new ones opened on demand up to max, FIFO
 * waiters, lifetime and idle timeouts, acquire timeouts) driving the real Recorder on a synthetic
 * clock, so histograms are recorded with recordUs and occupancy with LevelIntegrator exactly as in
 * a measured run. Seeded: the same scenario gives the same run.
 */
import type { PoolName, PoolSettings } from '../../src/core/config/pools.js';
import { POOLS } from '../../src/core/config/pools.js';
import { encode, newHistogram, recordUs } from '../../src/core/run/histogram.js';
import { Recorder } from '../../src/core/run/recorder.js';
import type { BurstSpec, EnvironmentRun, PoolConfigSnapshot, PoolRun, RunFile, WorkloadRun, WorkloadSpec } from '../../src/core/run/types.js';
import { prng } from '../../src/core/load/schedule.js';

/** Tasker's base values for the database pool (the example config's). */
export const BASE_SETTINGS: PoolSettings = {
  max_connections: 25,
  min_connections: 5,
  acquire_timeout_seconds: 10,
  idle_timeout_seconds: 300,
  max_lifetime_seconds: 1800,
  slow_acquire_threshold_ms: 100,
};

/** What the hold time is. */
export type HoldModel =
  | { dist: 'exponential'; meanMs: number; /** stratified exponential quantiles rescaled to this exact mean */ exact?: boolean }
  | { dist: 'constant'; ms: number }
  /** Any function of the connections in use when the hold begins (this one included). */
  | { dist: 'fn'; fn: (inUse: number, rnd: () => number) => number };

/** How acquires arrive. */
export type ArrivalSim =
  | { kind: 'poisson'; rate: number; /** exactly rate × duration arrivals, uniformly placed */ exact?: boolean; burst?: BurstSpec }
  | { kind: 'constant'; rate: number }
  | { kind: 'closed'; callers: number; thinkMs: number };

/** A scenario to simulate. */
export interface Scenario {
  env?: string;
  pool?: PoolName;
  settings?: Partial<PoolSettings>;
  durationS: number;
  arrivals: ArrivalSim;
  hold: HoldModel;
  /** Extra acquires (e.g. a batch job that pins connections): at these times, with these holds. */
  extra?: Array<{ atMs: number; holdMs: number }>;
  /** Connection open time, ms (default 2). */
  createMs?: number;
  /** Age of the connections open at the start, s (default 0: opened together just before the window). */
  initialAgeS?: number;
  seed?: number;
  emulateSqlx?: boolean;
  /** Mark the generator as behind its schedule. */
  behind?: boolean;
}

/** mulberry32, the load generator's own seeded PRNG, so synthetic runs are reproducible. */
export const rng = prng;

interface Conn {
  id: number;
  createdUs: number;
  idleSinceUs: number | null;
  open: boolean;
}

interface Waiter {
  id: number;
  arrivedUs: number;
  holdMs: number | null;
  caller: number | null;
  done: boolean;
}

type Ev =
  | { t: number; seq: number; kind: 'arrive'; holdMs: number | null; caller: number | null }
  | { t: number; seq: number; kind: 'release'; conn: Conn; startUs: number; level: number; caller: number | null }
  | { t: number; seq: number; kind: 'created'; conn: Conn; forWaiter: Waiter | null }
  | { t: number; seq: number; kind: 'timeout'; waiter: Waiter }
  | { t: number; seq: number; kind: 'idleCheck'; conn: Conn; since: number }
  | { t: number; seq: number; kind: 'expire'; conn: Conn }
  | { t: number; seq: number; kind: 'tick' };

/** An event before the heap numbers it. */
type EvInput = Ev extends infer E ? (E extends Ev ? Omit<E, 'seq'> : never) : never;

/** A binary min-heap on (t, seq). */
class Heap {
  private a: Ev[] = [];
  push(e: Ev): void {
    const a = this.a;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(a[p]!, a[i]!)) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }
  pop(): Ev | undefined {
    const a = this.a;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l]!, a[m]!)) m = l;
        if (r < a.length && less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }
}

function less(x: Ev, y: Ev): boolean {
  return x.t < y.t || (x.t === y.t && x.seq < y.seq);
}

/** Arrival times (µs) of an open workload. */
function arrivalTimes(a: ArrivalSim, durationS: number, rnd: () => number): number[] {
  const end = durationS * 1e6;
  if (a.kind === 'constant') return Array.from({ length: Math.floor(a.rate * durationS) }, (_, i) => (i * 1e6) / a.rate);
  if (a.kind !== 'poisson') return [];
  if (a.exact) return Array.from({ length: Math.round(a.rate * durationS) }, () => rnd() * end).sort((x, y) => x - y);
  const out: number[] = [];
  const peak = a.burst ? a.rate * Math.max(1, a.burst.factor) : a.rate;
  const rateAt = (tUs: number): number => {
    if (!a.burst) return a.rate;
    const period = (a.burst.onS + a.burst.offS) * 1e6;
    return tUs % period < a.burst.onS * 1e6 ? a.rate * a.burst.factor : a.rate;
  };
  let t = 0;
  for (;;) {
    t += (-Math.log(1 - rnd()) / peak) * 1e6;
    if (t >= end) break;
    if (rnd() * peak < rateAt(t)) out.push(t);
  }
  return out;
}

/** The config snapshot of a pool as a run records it, every key from `base/common.toml` (or the web file). */
export function configSnapshot(pool: PoolName, settings: PoolSettings, opts: { active?: boolean; sharesDatabasePool?: boolean } = {}): PoolConfigSnapshot {
  const def = POOLS[pool];
  const file = `config/tasker/base/${def.context}.toml`;
  const firstLine = pool === 'pgmq' ? 28 : 11;
  const keys: PoolConfigSnapshot['keys'] = {};
  def.keys.forEach((k, i) => {
    if (!k.setting) return;
    const v = k.key === 'web_api_pool_size' ? settings.min_connections * 2 : settings[k.setting];
    keys[k.key] = { value: v, overridden: false, file, line: firstLine + i };
  });
  return {
    table: def.table.join('.'),
    context: def.context,
    active: opts.active ?? true,
    ...(opts.sharesDatabasePool !== undefined ? { sharesDatabasePool: opts.sharesDatabasePool } : {}),
    settings,
    keys,
  };
}

/** The workload spec matching a scenario (for the model's arrival assumptions and the overrides header). */
function workloadSpec(s: Scenario, pool: PoolName): WorkloadSpec {
  const a = s.arrivals;
  const arrival: WorkloadSpec['arrival'] =
    a.kind === 'closed' ? { mode: 'closed', concurrency: a.callers, thinkMs: a.thinkMs } : { mode: 'open', process: a.kind === 'constant' ? 'constant' : 'poisson', rate: a.rate };
  const h = s.hold;
  const hold: WorkloadSpec['hold'] =
    h.dist === 'exponential' ? { kind: 'sleep', dist: 'exponential', meanMs: h.meanMs } : h.dist === 'constant' ? { kind: 'sleep', dist: 'constant', ms: h.ms } : { kind: 'sql', sql: 'SELECT pg_sleep(...)', source: 'synthetic' };
  return { pool, arrival, hold, warmupS: 0, rampS: 0, durationS: s.durationS, ...(a.kind === 'poisson' && a.burst ? { burst: a.burst } : {}) };
}

/** Simulate a scenario and return the pool's run (and the workload's). */
export function simulatePool(s: Scenario): { pool: PoolRun; workload: WorkloadRun } {
  const poolName = s.pool ?? 'database';
  const settings: PoolSettings = { ...BASE_SETTINGS, ...s.settings };
  const rnd = rng(s.seed ?? 1);
  const createUs = (s.createMs ?? 2) * 1000;
  const endUs = s.durationS * 1e6;
  const rec = new Recorder({ pool: poolName, settings, emulateSqlx: s.emulateSqlx ?? true }, 0, 1_700_000_000_000);
  const heap = new Heap();
  let seq = 0;
  const push = (e: EvInput): void => heap.push({ ...e, seq: seq++ } as Ev);

  const conns = new Set<Conn>();
  const idle: Conn[] = [];
  const queue: Waiter[] = [];
  let pendingCreates = 0;
  let pendingNewWaiters = 0;
  let inUse = 0;
  let nextId = 0;
  const lifetimeUs = settings.max_lifetime_seconds * 1e6;
  const idleUs = settings.idle_timeout_seconds * 1e6;
  const timeoutUs = settings.acquire_timeout_seconds * 1e6;

  // Holds: stratified exponential quantiles in random order, rescaled to the exact mean.
  let exactHolds: number[] | null = null;
  if (s.hold.dist === 'exponential' && s.hold.exact) {
    const n = s.arrivals.kind === 'closed' ? 200_000 : Math.round(s.arrivals.rate * s.durationS) + 10;
    const hs = Array.from({ length: n }, (_, i) => -Math.log(1 - (i + 0.5) / n));
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [hs[i], hs[j]] = [hs[j]!, hs[i]!];
    }
    const mean = hs.reduce((a, b) => a + b, 0) / n;
    exactHolds = hs.map((h) => (h / mean) * (s.hold as { meanMs: number }).meanMs);
  }
  let holdIndex = 0;
  const drawHold = (level: number): number => {
    const h = s.hold;
    if (exactHolds) return exactHolds[holdIndex++ % exactHolds.length]!;
    if (h.dist === 'exponential') return -Math.log(1 - rnd()) * h.meanMs;
    if (h.dist === 'constant') return h.ms;
    return h.fn(level, rnd);
  };

  const gauges = (t: number): void => rec.gauges({ inUse, idle: idle.length, waiting: queue.length + pendingNewWaiters, total: conns.size }, t);

  const openConn = (t: number, forWaiter: Waiter | null): void => {
    pendingCreates++;
    if (forWaiter) pendingNewWaiters++;
    const conn: Conn = { id: nextId++, createdUs: t + createUs, idleSinceUs: null, open: true };
    push({ t: t + createUs, kind: 'created', conn, forWaiter });
  };

  const startHold = (t: number, conn: Conn, holdMs: number | null, caller: number | null): void => {
    inUse++;
    conn.idleSinceUs = null;
    const level = inUse;
    const ms = holdMs ?? drawHold(level);
    push({ t: t + ms * 1000, kind: 'release', conn, startUs: t, level, caller });
  };

  const closeConn = (t: number, conn: Conn, reason: 'expired' | 'idle'): void => {
    conn.open = false;
    conns.delete(conn);
    const i = idle.indexOf(conn);
    if (i >= 0) idle.splice(i, 1);
    rec.closed(reason, (t - conn.createdUs) / 1e6, t);
    // sqlx keeps min_connections open: replace in the background.
    if ((s.emulateSqlx ?? true) && conns.size + pendingCreates < settings.min_connections) openConn(t, null);
  };

  const makeIdle = (t: number, conn: Conn): void => {
    const w = queue.find((x) => !x.done);
    if (w) {
      queue.splice(queue.indexOf(w), 1);
      w.done = true;
      rec.acquired('queued', t - w.arrivedUs, 'ok');
      startHold(t, conn, w.holdMs, w.caller);
      return;
    }
    conn.idleSinceUs = t;
    idle.push(conn);
    push({ t: t + idleUs, kind: 'idleCheck', conn, since: t });
  };

  const acquire = (t: number, holdMs: number | null, caller: number | null): void => {
    while (idle.length > 0) {
      const conn = idle.pop()!;
      if (t - conn.createdUs >= lifetimeUs) {
        closeConn(t, conn, 'expired');
        continue;
      }
      rec.acquired('idle', 1, 'ok');
      startHold(t, conn, holdMs, caller);
      return;
    }
    const w: Waiter = { id: nextId++, arrivedUs: t, holdMs, caller, done: false };
    if (conns.size + pendingCreates < settings.max_connections) {
      openConn(t, w);
      return;
    }
    queue.push(w);
    push({ t: t + timeoutUs, kind: 'timeout', waiter: w });
  };

  // The connections open at the start, opened together before the window.
  const age = (s.initialAgeS ?? 0) * 1e6;
  for (let i = 0; i < settings.min_connections; i++) {
    const conn: Conn = { id: nextId++, createdUs: -age, idleSinceUs: 0, open: true };
    conns.add(conn);
    idle.push(conn);
    push({ t: idleUs, kind: 'idleCheck', conn, since: 0 });
    if (lifetimeUs - age > 0) push({ t: lifetimeUs - age, kind: 'expire', conn });
  }
  gauges(0);

  const a = s.arrivals;
  let requests = 0;
  if (a.kind === 'closed') {
    for (let i = 0; i < a.callers; i++) push({ t: rnd() * a.thinkMs * 1000, kind: 'arrive', holdMs: null, caller: i });
  } else {
    for (const t of arrivalTimes(a, s.durationS, rnd)) {
      push({ t, kind: 'arrive', holdMs: null, caller: null });
      requests++;
    }
  }
  for (const x of s.extra ?? []) {
    push({ t: x.atMs * 1000, kind: 'arrive', holdMs: x.holdMs, caller: null });
    requests++;
  }
  for (let t = 1e6; t <= endUs; t += 1e6) push({ t, kind: 'tick' });

  const nextCall = (t: number, caller: number | null): void => {
    if (caller === null || a.kind !== 'closed') return;
    push({ t: t + a.thinkMs * 1000, kind: 'arrive', holdMs: null, caller });
  };

  for (let e = heap.pop(); e && e.t <= endUs; e = heap.pop()) {
    const t = e.t;
    switch (e.kind) {
      case 'arrive':
        acquire(t, e.holdMs, e.caller);
        break;
      case 'release': {
        inUse--;
        rec.released(t - e.startUs, e.level, t);
        if (t - e.conn.createdUs >= lifetimeUs) {
          closeConn(t, e.conn, 'expired');
          // The head waiter needs a connection: open one on its behalf.
          const w = queue.find((x) => !x.done);
          if (w && conns.size + pendingCreates < settings.max_connections) {
            queue.splice(queue.indexOf(w), 1);
            pendingNewWaiters--;
            openConn(t, w);
          }
        } else makeIdle(t, e.conn);
        nextCall(t, e.caller);
        break;
      }
      case 'created': {
        pendingCreates--;
        rec.opened(createUs);
        conns.add(e.conn);
        if (lifetimeUs > 0) push({ t: t + lifetimeUs, kind: 'expire', conn: e.conn });
        if (e.forWaiter) {
          pendingNewWaiters--;
          const w = e.forWaiter;
          w.done = true;
          rec.acquired('new', t - w.arrivedUs, 'ok');
          startHold(t, e.conn, w.holdMs, w.caller);
        } else makeIdle(t, e.conn);
        break;
      }
      case 'timeout': {
        const w = e.waiter;
        if (w.done) break;
        w.done = true;
        queue.splice(queue.indexOf(w), 1);
        rec.acquired('queued', timeoutUs, 'timeout');
        nextCall(t, w.caller);
        break;
      }
      case 'idleCheck':
        if (e.conn.open && e.conn.idleSinceUs === e.since && conns.size > settings.min_connections) closeConn(t, e.conn, 'idle');
        break;
      case 'expire':
        if (e.conn.open && e.conn.idleSinceUs !== null) closeConn(t, e.conn, 'expired');
        break;
      case 'tick': {
        const oldest = queue.find((x) => !x.done);
        rec.tick(t, oldest ? (t - oldest.arrivedUs) / 1000 : 0);
        break;
      }
    }
    gauges(t);
  }
  const pool = rec.snapshot(endUs);

  // The generator's lag: 50 µs for every request; when behind, a tenth of them 400 ms late
  // (the analysis decides "behind" from this histogram, as it does for a saved run).
  const lag = newHistogram();
  for (let i = 0; i < requests; i++) recordUs(lag, s.behind && i % 10 === 0 ? 400_000 : 50);
  const spec = workloadSpec(s, poolName);
  const completed = pool.counters.acquires - pool.counters.timeouts - pool.counters.errors;
  const workload: WorkloadRun = {
    workload: spec,
    through: poolName,
    generator: {
      mode: a.kind === 'closed' ? 'closed' : 'open',
      requests: a.kind === 'closed' ? pool.counters.acquires : requests,
      completed,
      failed: pool.counters.timeouts + pool.counters.errors,
      ...(a.kind !== 'closed' ? { targetRate: a.rate, lag: encode(lag), scheduleLatency: pool.histograms.wait } : {}),
      achievedRate: pool.counters.acquires / s.durationS,
      behind: false,
      dropped: 0,
      sqlFailed: 0,
    },
  };
  return { pool, workload };
}

/** Options for wrapping simulated pools into an environment and a run file. */
export interface RunOptions {
  env?: string;
  pgmqShared?: boolean;
  /** Extra config snapshots (e.g. an inert pgmq table). */
  config?: EnvironmentRun['config'];
  /** The server the run probed; null for none (no connection budget unless a topology gives one). */
  server?: RunFile['server'] | null;
  /** The kind of target (default remote: findings about the server may change keys). */
  targetKind?: RunFile['targetKind'];
}

/** An environment run holding the given scenarios' pools. */
export function syntheticEnvironment(scenarios: Scenario[], opts: RunOptions = {}): EnvironmentRun {
  const sims = scenarios.map(simulatePool);
  const config: EnvironmentRun['config'] = {};
  for (const sim of sims) config[sim.pool.pool] = configSnapshot(sim.pool.pool, sim.pool.settings);
  Object.assign(config, opts.config ?? {});
  return {
    env: opts.env ?? scenarios[0]?.env ?? 'test',
    warmupMs: 0,
    durationMs: Math.max(...scenarios.map((s) => s.durationS)) * 1000,
    pgmqShared: opts.pgmqShared ?? true,
    plannedDurationMs: Math.max(...scenarios.map((s) => s.durationS)) * 1000,
    wallDurationMs: Math.max(...scenarios.map((s) => s.durationS)) * 1000,
    eventLoop: { p99Ms: 12, maxMs: 30 },
    pools: sims.map((x) => x.pool),
    workloads: sims.map((x) => x.workload),
    config,
    overrides: [],
  };
}

/** A whole run file around one environment. */
export function syntheticRun(scenarios: Scenario[], opts: RunOptions = {}): RunFile {
  return {
    schemaVersion: 1,
    tool: { name: 'pool-advisor', version: '0.1.0' },
    createdAt: '2026-01-02T03:04:05.000Z',
    target: 'postgresql://tasker@localhost:5432/tasker_test',
    targetKind: opts.targetKind ?? 'remote',
    ...(opts.server === null ? {} : { server: opts.server ?? { version: '15.8', maxConnections: 100, superuserReserved: 3 } }),
    configDir: 'config/tasker',
    seed: 1,
    environments: [syntheticEnvironment(scenarios, opts)],
    partial: false,
  };
}

const exp20: HoldModel = { dist: 'exponential', meanMs: 20 };
const poisson200: ArrivalSim = { kind: 'poisson', rate: 200 };

/**
 * The worked example of docs/facts.md ("Queue model") as an exact run: 200 acquires/s (exactly 12 000 in 60 s, Poisson
 * placed), exponential holds with a mean of exactly 20 ms, on a pool of 5.
 */
export const WORKED_EXAMPLE: Scenario = {
  durationS: 60,
  arrivals: { kind: 'poisson', rate: 200, exact: true },
  hold: { dist: 'exponential', meanMs: 20, exact: true },
  settings: { max_connections: 5, min_connections: 2 },
};

/** 8 connections opened together expire together every minute (60 s lifetime, min 8, 200/s): bursts of expiries the sqlx pool replaces off the acquire path. */
export const EXPIRY_BURSTS: Scenario = { durationS: 300, arrivals: poisson200, hold: exp20, settings: { max_connections: 10, min_connections: 8, max_lifetime_seconds: 60 } };

/** A pool that is fine: 200/s x 20 ms on 10 connections, min 5. */
export const HEALTHY: Scenario = { durationS: 60, arrivals: poisson200, hold: exp20, settings: { max_connections: 10, min_connections: 5 } };

/** One scenario per rule, each built so that only its rule has something to say. */
export const RULE_SCENARIOS = {
  /** The worked example: waits common and long. */
  'pool-saturation': WORKED_EXAMPLE,
  /** Holds grow with occupancy: 10 ms up to 4 in use (the server's cores), proportionally longer above. */
  'database-saturation': {
    durationS: 60,
    arrivals: { kind: 'poisson', rate: 300 },
    hold: { dist: 'fn', fn: (n: number, r: () => number) => -Math.log(1 - r()) * 10 * Math.max(1, n / 4) },
    settings: { max_connections: 20, min_connections: 2 },
  },
  /**
   * A 60 s lifetime over 5 minutes at 50 acquires/s with min 0: every expired connection is
   * reopened by the acquire that needs it, a few acquires in every thousand.
   */
  'lifetime-churn': { durationS: 300, arrivals: { kind: 'poisson', rate: 50 }, hold: exp20, settings: { max_connections: 10, min_connections: 0, max_lifetime_seconds: 60 } },
  /** min_connections 15 where 7 are in use 95% of the time. */
  'idle-surplus': { durationS: 60, arrivals: poisson200, hold: exp20, settings: { max_connections: 20, min_connections: 15 } },
  /** Bursts every 2 minutes with a 20 s idle timeout: connections close in the lull and reopen at the next burst. */
  'idle-surplus (churn)': {
    durationS: 600,
    arrivals: { kind: 'poisson', rate: 50, burst: { onS: 30, offS: 90, factor: 8 } },
    hold: exp20,
    settings: { max_connections: 20, min_connections: 2, idle_timeout_seconds: 20 },
  },
  /** 50 connections where at most 13 were ever in use. */
  oversized: { durationS: 60, arrivals: poisson200, hold: exp20, settings: { max_connections: 50, min_connections: 2 } },
  /** Rare batch jobs pin all 10 connections for 1.5 s against a 1 s acquire timeout. */
  'acquire-timeout': {
    durationS: 600,
    arrivals: { kind: 'poisson', rate: 100 },
    hold: { dist: 'exponential', meanMs: 10 },
    settings: { max_connections: 10, min_connections: 2, acquire_timeout_seconds: 1 },
    extra: [150, 450].flatMap((s) => Array.from({ length: 10 }, () => ({ atMs: s * 1000, holdMs: 1500 }))),
  },
  /** A 10 ms slow threshold where the healthy P99 is ~26 ms (the advisor target is 50 ms here). */
  'slow-threshold': { durationS: 60, arrivals: poisson200, hold: exp20, settings: { max_connections: 6, min_connections: 2, slow_acquire_threshold_ms: 10 } },
  /** A slow threshold above the acquire timeout: never fires. */
  'slow-threshold (mute)': { ...HEALTHY, settings: { max_connections: 10, min_connections: 5, slow_acquire_threshold_ms: 20000 } },
} satisfies Record<string, Scenario>;
