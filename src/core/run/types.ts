/**
 * The RunResult: what a measured run produced, as plain serialisable data (docs/architecture.md,
 * "The shape"). Saved with `--out run.json`; `recommend`, `check`, `compare` and the
 * report read it back with no database. Histograms are stored encoded (HDR compressed
 * base64), so a run file stays small however long the run.
 */
import type { PoolName, PoolSettings } from '../config/pools.js';
import type { WorkloadSpec } from '../advisor/workload.js';

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

/**
 * One row of a {@link LevelTimes}: [level, microseconds at it], or in a bounded distribution's
 * tail a bucket [lowest level, microseconds in the bucket, highest level].
 */
export type LevelRow = [number, number] | [number, number, number];

/** Time-weighted distribution of a gauge: for each level, the microseconds spent at it. */
export interface LevelTimes {
  /** Rows ascending by level: exact [level, µs], then (when `exact` is set) buckets [low, µs, high]. */
  levels: LevelRow[];
  /** Highest level seen. */
  max: number;
  /** Level at the end of the window. */
  last: number;
  /**
   * Set when a long queue's levels were bucketed to bound the run file (see `boundLevels` in
   * occupancy.ts): the figures read from the exact levels before bucketing, so a bounded
   * distribution reports the same total, mean and kept percentiles as the exact one. Absent in
   * runs whose levels are all exact (every run saved before bounding existed).
   */
  exact?: {
    /** Time covered, µs (the sum over the exact levels in level order). */
    totalUs: number;
    /** Level x µs summed over the exact levels in level order (the mean is this / totalUs). */
    areaUs: number;
    /** [percentile, level] for the time-weighted percentiles kept exact. */
    percentiles: Array<[number, number]>;
  };
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
  /** Whether the wrapper emulated sqlx (pre-open min, replace below min, ping before handing out an idle connection, FIFO idle reuse, lifetime checked in the acquire). */
  emulateSqlx: boolean;
  /** What the sqlx emulation did, in words (absent when off, and in runs saved before it was recorded). */
  sqlxBehaviour?: string[];
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
  /**
   * The same split by the window's first and second half (by release time), so a trend can be
   * checked to hold across the run (absent in runs saved before it was recorded).
   */
  holdByInUseHalves?: [HoldByInUse, HoldByInUse];
  timeline: { intervalMs: number; points: TimelinePoint[] };
  /** Times of lifetime expiries, ms since the window start (bounded; `expiryTimesTruncated` says when). */
  expiryTimes: number[];
  expiryTimesTruncated: boolean;
  /** Lifetimes of connections that closed by idle timeout, seconds (bounded), to see open-close churn. */
  idleClosedAges: number[];
}

export type { ArrivalSpec, BurstSpec, HoldSpec, WorkloadSpec } from '../advisor/workload.js';

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
  /**
   * The generator could not keep its schedule. Set by the generator only when it dropped requests
   * (too many in flight); a lag that matters is decided by the analysis from `lag`, so saved runs
   * are judged the same way (runs saved before that also set it from the lag P99).
   */
  behind: boolean;
  behindReason?: string;
  /** Requests not sent because too many were in flight (absent in runs saved before it was recorded). */
  dropped?: number;
  /** Requests whose SQL failed after they got a connection (acquire failures are not counted here). */
  sqlFailed?: number;
  /** The first SQL error of the window, as the driver gave it (secrets are scrubbed when the run is saved or printed). */
  firstSqlError?: string;
}

/**
 * The uncontended hold: the workload's hold run back to back on one connection before the
 * warm-up, so the hold under load can be compared with what the server gives one caller.
 */
export interface CalibrationStats {
  /** Connections used (1). */
  connections: number;
  holds: number;
  meanUs: number;
  p50Us: number;
  /** Holds that failed (their SQL errored). */
  failed: number;
  /**
   * Sleep holds: the mean of the sleeps the calibration asked for, and the mean of the hold's
   * distribution, µs. The uncontended hold is then the distribution's mean plus the measured
   * overhead (meanUs - requestedMeanUs), free of the sampling noise of a few dozen random sleeps.
   */
  requestedMeanUs?: number;
  specMeanUs?: number;
}

/** One workload's run: which pool it went through and what the generator saw. */
export interface WorkloadRun {
  workload: WorkloadSpec;
  /** The pool that served it (`database` when PGMQ shares the main pool). */
  through: PoolName;
  generator: GeneratorStats;
  /** The calibration phase (absent in runs saved before it existed, and when it could not run). */
  calibration?: CalibrationStats;
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
  /** The measured window as planned (the longest workload's duration), ms. Absent in older runs. */
  plannedDurationMs?: number;
  /** Wall-clock length of the measured window (Date.now), ms. Absent in older runs. */
  wallDurationMs?: number;
  /** Event-loop delay of the pool-advisor process over the measured window, ms (perf_hooks). Absent in older runs. */
  eventLoop?: { p99Ms: number; maxMs: number };
  /** How the window ended when it stopped as soon as its answer was settled (`analyze` without `--fixed-duration`). Absent in fixed-length and older runs. */
  settle?: SettleRecord;
}

/** The stopping rule's record of one environment (src/core/rules/settled.ts). */
export interface SettleRecord {
  /** Whether the answer was settled when the window stopped. */
  settled: boolean;
  /** The measured window when it stopped, s. */
  afterS: number;
  /** The longest the window could run (`--duration`), s. */
  maxS: number;
  /** Looks taken (of the fixed schedule). */
  looks: number;
  /** The error rate spent over the looks. */
  alpha: number;
  /** Not settled: what differed at the last look (e.g. `database.max_connections is 8 or 9`). */
  unsettled?: string;
}

/** Where the run was measured: a throwaway server pool-advisor started, a server on this machine, or another machine. */
export type TargetKind = 'throwaway' | 'local' | 'remote';

/** A saved run: everything later commands need, with no database. */
export interface RunFile {
  schemaVersion: typeof RUN_SCHEMA_VERSION;
  tool: { name: 'pool-advisor'; version: string };
  createdAt: string;
  /** Connection target, password removed. */
  target: string;
  /** The kind of target (absent in runs saved before it was recorded: the analysis infers it from `target` and says so). */
  targetKind?: TargetKind;
  server?: { version: string; maxConnections: number; superuserReserved: number; reservedConnections?: number };
  configDir: string;
  seed: number;
  environments: EnvironmentRun[];
  /** True when the run was interrupted or failed part-way; what is here is still valid. */
  partial: boolean;
  error?: string;
}
