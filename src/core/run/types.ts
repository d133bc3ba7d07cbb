/**
 * The RunResult: what a measured run produced, as plain serialisable data (DESIGN.md, "Data
 * flows one way"). Saved with `--out run.json`; `recommend`, `check`, `compare` and the
 * report read it back with no database. Histograms are stored encoded (HDR compressed
 * base64), so a run file stays small however long the run.
 */
import type { PoolName, PoolSettings } from '../config/pools.js';

/** Version of the run file format. */
export const RUN_SCHEMA_VERSION = 1;

/** An HDR histogram of microseconds, compressed and base64-encoded (hdr-histogram-js). */
export type EncodedHistogram = string;

/** How an acquire was served. */
export type AcquirePath = 'idle' | 'new' | 'queued';

/** Why a connection closed. */
export type CloseReason = 'expired' | 'idle' | 'error' | 'shutdown';

/** Cumulative counters of one pool. */
export interface PoolCounters {
  /** Acquires that returned a connection or failed (timeouts and errors included). */
  acquires: number;
  /** Acquires by path. */
  byPath: Record<AcquirePath, number>;
  /** Acquires that had to wait: served by a new connection or queued (not handed an idle one). */
  waited: number;
  /** Acquires that failed with pg's "timeout exceeded when trying to connect". */
  timeouts: number;
  /** Acquires that failed otherwise (connection refused, authentication, terminated...). */
  errors: number;
  /** Acquires slower than the slow threshold. */
  slow: number;
  /** Slow-acquire log lines suppressed by the rate limit. */
  slowSuppressed: number;
  /** Connections opened. */
  created: number;
  /** Connection attempts that failed. */
  createErrors: number;
  /** Connections closed, by reason. */
  closed: Record<CloseReason, number>;
  /** Releases (the end of a hold). */
  releases: number;
}

/** Time-weighted distribution of a gauge: for each level, the microseconds spent at it. */
export interface LevelTimes {
  /** Pairs of [level, microseconds], ascending by level. */
  levels: Array<[number, number]>;
  /** Highest level seen. */
  max: number;
  /** Level at the end of the window. */
  last: number;
}

/** Exact occupancy of a pool over the measured window. */
export interface Occupancy {
  inUse: LevelTimes;
  idle: LevelTimes;
  waiting: LevelTimes;
  total: LevelTimes;
}

/** One interval of the bounded timeline. */
export interface TimelinePoint {
  /** Start of the interval, ms since the start of the window. */
  t: number;
  /** Length of the interval, ms (grows when the timeline downsamples itself). */
  dt: number;
  acquires: number;
  waited: number;
  timeouts: number;
  errors: number;
  created: number;
  expired: number;
  idleClosed: number;
  /** P99 and max acquire wait in the interval, µs (after downsampling: the max of the merged intervals' P99s). */
  waitP99Us: number;
  waitMaxUs: number;
  /** Time-weighted mean and the max of the gauges in the interval. */
  inUseMean: number;
  inUseMax: number;
  idleMean: number;
  waitingMean: number;
  waitingMax: number;
  totalMax: number;
  /** Age of the oldest waiter when the interval closed, ms. */
  oldestWaiterMs: number;
}

/** Hold time by the number of connections in use when the hold began. */
export interface HoldByInUse {
  /** in-use level (1-based: this connection included) -> [count, sum µs, sum of squares µs²]. */
  levels: Array<[number, number, number, number]>;
}

/** Everything recorded for one pool in one window. */
export interface PoolRun {
  pool: PoolName;
  /** The settings the pool ran with (sqlx view). */
  settings: PoolSettings;
  /** Whether the wrapper emulated sqlx (pre-open min, replace below min). */
  emulateSqlx: boolean;
  /** Start of the measured window, ms since the epoch, and its length in ms. */
  startedAt: number;
  durationMs: number;
  counters: PoolCounters;
  histograms: {
    /** Acquire wait, µs, all acquires (timeouts included). */
    wait: EncodedHistogram;
    waitByPath: Record<AcquirePath, EncodedHistogram>;
    /** Hold (use) time, µs. */
    hold: EncodedHistogram;
    /** Connection create time, µs. */
    create: EncodedHistogram;
  };
  occupancy: Occupancy;
  holdByInUse: HoldByInUse;
  timeline: { intervalMs: number; points: TimelinePoint[] };
  /** Times of lifetime expiries, ms since the window start (bounded; `expiryTimesTruncated` says when). */
  expiryTimes: number[];
  expiryTimesTruncated: boolean;
  /** Lifetimes of connections that closed by idle timeout, seconds (bounded), to see open-close churn. */
  idleClosedAges: number[];
}

/** How requests arrive. Open: on a schedule, whatever the pool does. Closed: N callers that each wait. */
export type ArrivalSpec =
  | { mode: 'open'; process: 'poisson' | 'constant'; rate: number }
  | { mode: 'closed'; concurrency: number; thinkMs: number };

/** How long a connection is held, and doing what. */
export type HoldSpec =
  | { kind: 'sleep'; dist: 'constant'; ms: number }
  | { kind: 'sleep'; dist: 'exponential'; meanMs: number }
  | { kind: 'sleep'; dist: 'lognormal'; p50Ms: number; p99Ms: number }
  | { kind: 'sql'; sql: string; source?: string }
  | { kind: 'queue'; batch: number };

/** On/off bursts: `factor` times the rate for `onS` seconds, then the base rate for `offS`. */
export interface BurstSpec {
  onS: number;
  offS: number;
  factor: number;
}

/** The workload driven through one pool. */
export interface WorkloadSpec {
  /** The pool the workload belongs to (`database` or `pgmq`). */
  pool: PoolName;
  arrival: ArrivalSpec;
  hold: HoldSpec;
  /** Seconds of warm-up (excluded from the figures), ramp (rate rises linearly) and measurement. */
  warmupS: number;
  rampS: number;
  durationS: number;
  burst?: BurstSpec;
}

/** What the load generator itself did, kept beside the pool's figures and never mixed into them. */
export interface GeneratorStats {
  mode: 'open' | 'closed';
  /** Requests due in the measured window (open) or issued (closed). */
  requests: number;
  completed: number;
  failed: number;
  /** Open mode: the rate asked for and the rate achieved, per second. */
  targetRate?: number;
  achievedRate: number;
  /** Open mode: latency from each request's scheduled start to getting a connection, µs (includes generator lag). */
  scheduleLatency?: EncodedHistogram;
  /** Open mode: how late the generator started requests, µs. */
  lag?: EncodedHistogram;
  /** The generator could not keep its schedule: figures are marked, and the pool is not blamed. */
  behind: boolean;
  behindReason?: string;
}

/** One workload's run: which pool it went through and what the generator saw. */
export interface WorkloadRun {
  workload: WorkloadSpec;
  /** The pool that served it (`database` when PGMQ shares the main pool). */
  through: PoolName;
  generator: GeneratorStats;
}

/** A pool's configuration as the run saw it: values with file and line, for recommendations. */
export interface PoolConfigSnapshot {
  table: string;
  context: string;
  active: boolean;
  sharesDatabasePool?: boolean;
  settings: PoolSettings;
  keys: Record<string, { value: unknown; overridden: boolean; file: string | null; line: number | null }>;
}

/** One environment's run. */
export interface EnvironmentRun {
  env: string;
  warmupMs: number;
  durationMs: number;
  /** Whether PGMQ's work went through the database pool. */
  pgmqShared: boolean;
  pools: PoolRun[];
  workloads: WorkloadRun[];
  /** The config of every known pool in this environment (after `--set`). */
  config: Partial<Record<PoolName, PoolConfigSnapshot>>;
  /** `--set` overrides applied for this run only. */
  overrides: Array<{ pool: PoolName; key: string; value: number }>;
  /** Set when the run of this environment stopped early. */
  interrupted?: boolean;
}

/** A saved run: everything later commands need, with no database. */
export interface RunFile {
  schemaVersion: typeof RUN_SCHEMA_VERSION;
  tool: { name: 'pool-advisor'; version: string };
  createdAt: string;
  /** Connection target, password removed. */
  target: string;
  server?: { version: string; maxConnections: number; superuserReserved: number };
  configDir: string;
  seed: number;
  environments: EnvironmentRun[];
  /** True when the run was interrupted or failed part-way; what is here is still valid. */
  partial: boolean;
  error?: string;
}
