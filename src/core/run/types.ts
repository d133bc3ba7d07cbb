/**
 * The RunResult: what a measured run produced, as plain serialisable data (docs/architecture.md,
 * "The shape"). Saved with `--out run.json`; `recommend`, `check`, `compare` and the
 * report read it back with no database. Histograms are stored encoded (HDR compressed
 * base64), so a run file stays small however long the run.
 *
 * Declared once, as schemas (src/core/saved.ts): each type below is read from its schema, and
 * the run file's reader (file.ts) is the same schema. A field added later is `v.optional` (files
 * saved before it still read); every number is bounded where it enters.
 */
import * as v from 'valibot';
import { isPoolName, SETTING_KEYS, type PoolName, type PoolSettings } from '../config/pools.js';
import type { WorkloadSpec } from '../advisor/workload.js';
import { BOUNDS, LIMITS, type Range } from '../limits.js';
import { checkEncoded, type EncodedHistogram } from './histogram.js';
import { arr, bool, count, describe, isObj, rangeRefusal, FORMAT_VERSION, kept, num, numbers, obj, oneOf, refuseAt, str, type AddIssue } from '../saved.js';

/** Version of the run file format. */
export const RUN_SCHEMA_VERSION = FORMAT_VERSION.run;

/**
 * A bounded distribution keeps every level below this one by one. A pool's own gauges (in use,
 * idle, open) never reach it in practice; a queue of callers can (an open load far beyond the
 * pool's capacity queues up to the generator's in-flight limit).
 */
export const EXACT_LEVELS = 256;

export type { EncodedHistogram };

/** How an acquire was served. */
export type AcquirePath = 'idle' | 'new' | 'queued';

/** Why a connection closed. */
export type CloseReason = 'expired' | 'idle' | 'error' | 'shutdown';

/** A pool name of Tasker's. */
export const poolName = () => v.custom<PoolName>((x) => typeof x === 'string' && isPoolName(x), (i) => (typeof i.input === 'string' ? `unknown pool '${i.input}'` : `expected a string, got ${describe(i.input)}`));

/** A pool size: what PostgreSQL itself allows as max_connections. */
const POOL_SIZE: Range = BOUNDS.poolSize;

/**
 * A pool's settings: every key present, each a whole number in range, sizes within PostgreSQL's
 * ceiling (a pool setting of a run: `--set` allows up to {@link LIMITS.setValue}). A measured pool
 * had at least one connection; a config snapshot of a pool Tasker does not build may say 0.
 */
export const poolSettings = (measured: boolean) =>
  obj(Object.fromEntries(SETTING_KEYS.map((k) => [k, num(k === 'max_connections' ? { ...POOL_SIZE, min: measured ? 1 : 0 } : k === 'min_connections' ? POOL_SIZE : LIMITS.setValue)])) as Record<keyof PoolSettings, ReturnType<typeof num>>);

/** Cumulative counters of one pool. */
const poolCounters = obj({
  /** Acquires that returned a connection or failed (timeouts and errors included). */
  acquires: count(),
  /** Acquires by path. */
  byPath: obj({ idle: count(), new: count(), queued: count() }),
  /** Acquires that had to wait: served by a new connection or queued (not handed an idle one). */
  waited: count(),
  /** Acquires that failed with pg's "timeout exceeded when trying to connect". */
  timeouts: count(),
  /** Acquires that failed otherwise (connection refused, authentication, terminated...). */
  errors: count(),
  /** Acquires slower than the slow threshold. */
  slow: count(),
  /** Slow-acquire log lines suppressed by the rate limit. */
  slowSuppressed: count(),
  /** Connections opened. */
  created: count(),
  /** Connection attempts that failed. */
  createErrors: count(),
  /** Connections closed, by reason. */
  closed: obj({ expired: count(), idle: count(), error: count(), shutdown: count() }),
  /** Releases (the end of a hold). */
  releases: count(),
});
export type PoolCounters = v.InferOutput<typeof poolCounters>;

/**
 * One row of a {@link LevelTimes}: [level, microseconds at it], or in a bounded distribution's
 * tail a bucket [lowest level, microseconds in the bucket, highest level].
 */
export type LevelRow = [number, number] | [number, number, number];

const isRow = (r: unknown, lengths: number[]): r is number[] => Array.isArray(r) && lengths.includes(r.length) && r.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0);

/** Time-weighted distribution of a gauge: for each level, the microseconds spent at it. */
export const levelTimes = v.pipe(
  obj({
    /** Rows ascending by level: exact [level, µs], then (when `exact` is set) buckets [low, µs, high]. */
    levels: v.custom<LevelRow[]>(Array.isArray, (i) => (i.input === undefined ? 'missing' : `expected an array, got ${describe(i.input)}`)),
    /** Highest level seen. */
    max: num(BOUNDS.level),
    /** Level at the end of the window. */
    last: num(BOUNDS.level),
    /**
     * Set when a long queue's levels were bucketed to bound the run file (see `boundLevels` in
     * occupancy.ts): the figures read from the exact levels before bucketing, so a bounded
     * distribution reports the same total, mean and kept percentiles as the exact one. Absent in
     * runs whose levels are all exact (every run saved before bounding existed).
     */
    exact: v.optional(
      obj({
        /** Time covered, µs (the sum over the exact levels in level order). */
        totalUs: num(),
        /** Level x µs summed over the exact levels in level order (the mean is this / totalUs). */
        areaUs: num(),
        /** [percentile, level] for the time-weighted percentiles kept exact. */
        percentiles: v.custom<Array<[number, number]>>(Array.isArray, 'expected an array of [percentile 0-100, level from 0]'),
      }),
    ),
  }),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const t = dataset.value;
    // A bounded distribution (a long queue, see boundLevels) has buckets [low, µs, high] in its tail and its exact figures beside them.
    const bounded = t.exact !== undefined;
    t.levels.forEach((row: unknown, i: number) => {
      const bucket = bounded && Array.isArray(row) && row.length === 3;
      if (!isRow(row, bucket ? [3] : [2])) return refuseAt(addIssue as AddIssue, t, ['levels', i], bounded ? 'expected [level, µs] or a bucket [low level, µs, high level], numbers from 0' : 'expected [level, µs], both numbers from 0');
      const top = bucket ? row[2]! : row[0]!;
      if (top > BOUNDS.level.max) return refuseAt(addIssue as AddIssue, t, ['levels', i], `level ${top} is out of range (at most ${BOUNDS.level.max})`);
      if (bucket && (row[0]! < EXACT_LEVELS || row[2]! < row[0]!)) return refuseAt(addIssue as AddIssue, t, ['levels', i], `a bucket spans levels from ${EXACT_LEVELS} up, low to high`);
    });
    t.exact?.percentiles.forEach((row: unknown, i: number) => {
      if (!isRow(row, [2]) || row[0]! > 100) refuseAt(addIssue as AddIssue, t, ['exact', 'percentiles', i], 'expected [percentile 0-100, level from 0]');
    });
  }),
);
export type LevelTimes = v.InferOutput<typeof levelTimes>;

/** Exact occupancy of a pool over the measured window. */
const occupancy = obj({ inUse: levelTimes, idle: levelTimes, waiting: levelTimes, total: levelTimes });
export type Occupancy = v.InferOutput<typeof occupancy>;

/** One acquire's wait, one hold, µs: at most 24 h. */
const SPAN: Range = BOUNDS.spanUs;
const LEVEL: Range = BOUNDS.level;
/**
 * One interval of the bounded timeline: each figure and its bound. The one declaration of a
 * timeline point: its type and its check ({@link timeline}) are read from it.
 */
const POINT_FIGURES = {
  /** Start of the interval, ms since the start of the window. */
  t: BOUNDS.total,
  /** Length of the interval, ms (grows when the timeline downsamples itself). */
  dt: BOUNDS.total,
  acquires: BOUNDS.count,
  waited: BOUNDS.count,
  timeouts: BOUNDS.count,
  errors: BOUNDS.count,
  created: BOUNDS.count,
  expired: BOUNDS.count,
  idleClosed: BOUNDS.count,
  /** P99 and max acquire wait in the interval, µs (after downsampling: the max of the merged intervals' P99s). */
  waitP99Us: SPAN,
  waitMaxUs: SPAN,
  /** Time-weighted mean and the max of the gauges in the interval. */
  inUseMean: LEVEL,
  inUseMax: LEVEL,
  idleMean: LEVEL,
  waitingMean: LEVEL,
  waitingMax: LEVEL,
  totalMax: LEVEL,
  /** Age of the oldest waiter when the interval closed, ms. */
  oldestWaiterMs: { min: 0, max: SPAN.max / 1000 },
} as const satisfies Record<string, Range>;
export type TimelinePoint = { [K in keyof typeof POINT_FIGURES]: number };
const POINT_ENTRIES = Object.entries(POINT_FIGURES);

/** The figures a timeline point had from the start: runs saved before the others were recorded lack them (read as saved). */
export const FIRST_POINT_FIGURES: ReadonlyArray<keyof TimelinePoint> = ['t', 'created', 'expired', 'idleClosed'];

/**
 * The bounded timeline of one pool or replica, its points each with every figure of
 * {@link POINT_FIGURES} but those `optional` lists. Hundreds of points: each is checked in place,
 * figure by figure (a refusal names the point and the figure, as a schema's would).
 */
export const timeline = (optional: ReadonlyArray<keyof TimelinePoint> = []) =>
  obj({
    intervalMs: num({ min: 1, max: Number.MAX_VALUE }),
    points: v.pipe(
      v.custom<TimelinePoint[]>(Array.isArray, (i) => (i.input === undefined ? 'missing' : `expected an array, got ${describe(i.input)}`)),
      v.rawCheck(({ dataset, addIssue }) => {
        if (!dataset.typed) return;
        const points = dataset.value as unknown[];
        for (let i = 0; i < points.length; i++) {
          const pt = points[i];
          if (!isObj(pt)) return refuseAt(addIssue as AddIssue, points, [i], `expected an object, got ${describe(pt)}`);
          for (const [k, range] of POINT_ENTRIES) {
            const x = Object.hasOwn(pt, k) ? pt[k] : undefined;
            if (x === undefined && (optional as readonly string[]).includes(k)) continue;
            const why = x === undefined ? 'missing' : typeof x !== 'number' ? `expected a number, got ${describe(x)}` : rangeRefusal(x, range);
            if (why !== undefined) return refuseAt(addIssue as AddIssue, points, [i, k], why);
          }
        }
      }),
    ),
  });

/** Hold time by the number of connections in use when the hold began. */
export const holdByInUse = v.pipe(
  obj({
    /** in-use level (1-based: this connection included) -> [count, sum µs, sum of squares µs²]. */
    levels: v.custom<Array<[number, number, number, number]>>(Array.isArray, (i) => (i.input === undefined ? 'missing' : `expected an array, got ${describe(i.input)}`)),
  }),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    dataset.value.levels.forEach((row: unknown, i: number) => {
      if (!isRow(row, [4])) return refuseAt(addIssue as AddIssue, dataset.value, ['levels', i], 'expected [level, count, sum µs, sum of squares], numbers from 0');
      if (row[0]! > POOL_SIZE.max) refuseAt(addIssue as AddIssue, dataset.value, ['levels', i], `level ${row[0]} is out of range (at most ${POOL_SIZE.max})`);
    });
  }),
);
export type HoldByInUse = v.InferOutput<typeof holdByInUse>;

/** An encoded histogram, checked to decode. */
export const encoded = v.pipe(
    str(),
    v.check((e) => {
      try {
        checkEncoded(e);
        return true;
      } catch {
        return false;
      }
    }, 'not an encoded HDR histogram'),
  );

const h = encoded;
/** Everything recorded for one pool in one window. */
export const poolRun = obj({
    pool: poolName(),
    /** The settings the pool ran with (sqlx view). */
    settings: poolSettings(true),
    /** Whether the wrapper emulated sqlx (pre-open min, replace below min, ping before handing out an idle connection, FIFO idle reuse, lifetime checked in the acquire). */
    emulateSqlx: bool(),
    /** What the sqlx emulation did, in words (absent when off, and in runs saved before it was recorded). */
    sqlxBehaviour: v.optional(arr(str())),
    /** Start of the measured window, ms since the epoch, and its length in ms. */
    startedAt: num(),
    durationMs: num(),
    counters: poolCounters,
    histograms: obj({
      /** Acquire wait, µs, all acquires (timeouts included). */
      wait: h,
      waitByPath: obj({ idle: h, new: h, queued: h }),
      /** Hold (use) time, µs. */
      hold: h,
      /** Connection create time, µs. */
      create: h,
    }),
    occupancy,
    holdByInUse,
    /**
     * The same split by the window's first and second half (by release time), so a trend can be
     * checked to hold across the run (absent in runs saved before it was recorded).
     */
    holdByInUseHalves: v.optional(v.pipe(v.custom<unknown[]>((x) => Array.isArray(x) && x.length === 2, 'expected the two halves of the window, each {levels}'), v.tuple([holdByInUse, holdByInUse]))),
    timeline: timeline((Object.keys(POINT_FIGURES) as Array<keyof TimelinePoint>).filter((k) => !FIRST_POINT_FIGURES.includes(k))),
    /** Times of lifetime expiries, ms since the window start (bounded; `expiryTimesTruncated` says when). */
    expiryTimes: numbers(),
    expiryTimesTruncated: bool(),
    /** Lifetimes of connections that closed by idle timeout, seconds (bounded), to see open-close churn. */
    idleClosedAges: numbers(),
  });
export type PoolRun = v.InferOutput<typeof poolRun>;

export type { ArrivalSpec, BurstSpec, HoldSpec, WorkloadSpec } from '../advisor/workload.js';

/** A rate as saved: the workload's bounds, or 0 (a window where nothing was due). */
const RATE: Range = { min: 0, max: LIMITS.rate.max };
/** Seconds of a workload phase. */
const phaseS = () => v.optional(num({ min: 0, max: LIMITS.spanMs.max / 1000 }));
const spanMs = () => v.optional(num(LIMITS.spanMs));

/** A workload as saved: its arrival and hold within the advisor config's bounds (its type is the advisor config's, advisor/workload.ts). */
const savedWorkload = obj({
  arrival: v.variant(
    'mode',
    [v.object({ mode: v.literal('open'), rate: num(RATE) }), v.object({ mode: v.literal('closed'), concurrency: num(LIMITS.concurrency), thinkMs: spanMs() })],
    (i) => (isObjLike(i.input) && 'mode' in i.input ? `expected "open" or "closed", got ${JSON.stringify(i.input.mode)}` : i.input === undefined ? 'missing' : `expected an object, got ${describe(i.input)}`),
  ),
  hold: obj({ kind: oneOf(['sleep', 'sql', 'queue'], '"sleep", "sql" or "queue"'), ms: spanMs(), meanMs: spanMs(), p50Ms: spanMs(), p99Ms: spanMs(), batch: v.optional(num(LIMITS.batch)) }),
  warmupS: phaseS(),
  rampS: phaseS(),
  durationS: phaseS(),
}) as unknown as v.GenericSchema<unknown, WorkloadSpec>;
const isObjLike = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;

/** What the load generator itself did, kept beside the pool's figures and never mixed into them. */
const generatorStats = obj({
  mode: oneOf(['open', 'closed']),
  /** Requests due in the measured window (open) or issued (closed). */
  requests: count(),
  completed: count(),
  failed: count(),
  /** Open mode: the rate asked for and the rate achieved, per second. */
  targetRate: v.optional(num(RATE)),
  achievedRate: num(),
  /** Open mode: latency from each request's scheduled start to getting a connection, µs (includes generator lag). */
  scheduleLatency: v.optional(encoded),
  /** Open mode: how late the generator started requests, µs. */
  lag: v.optional(encoded),
  /**
   * The generator could not keep its schedule. Set by the generator only when it dropped requests
   * (too many in flight); a lag that matters is decided by the analysis from `lag`, so saved runs
   * are judged the same way (runs saved before that also set it from the lag P99).
   */
  behind: bool(),
  behindReason: v.optional(str()),
  /** Requests not sent because too many were in flight (absent in runs saved before it was recorded). */
  dropped: v.optional(count()),
  /** Requests whose SQL failed after they got a connection (acquire failures are not counted here). */
  sqlFailed: v.optional(count()),
  /** The first SQL error of the window, as the driver gave it (secrets are scrubbed when the run is saved or printed). */
  firstSqlError: v.optional(str()),
});
export type GeneratorStats = v.InferOutput<typeof generatorStats>;

/**
 * The uncontended hold: the workload's hold run back to back on one connection before the
 * warm-up, so the hold under load can be compared with what the server gives one caller.
 */
const calibrationStats = obj({
  /** Connections used (1). */
  connections: count(),
  holds: count(),
  meanUs: num(SPAN),
  p50Us: num(SPAN),
  /** Holds that failed (their SQL errored). */
  failed: count(),
  /**
   * Sleep holds: the mean of the sleeps the calibration asked for, and the mean of the hold's
   * distribution, µs. The uncontended hold is then the distribution's mean plus the measured
   * overhead (meanUs - requestedMeanUs), free of the sampling noise of a few dozen random sleeps.
   */
  requestedMeanUs: v.optional(num(SPAN)),
  specMeanUs: v.optional(num(SPAN)),
});
export type CalibrationStats = v.InferOutput<typeof calibrationStats>;

/** One workload's run: which pool it went through and what the generator saw. */
export const workloadRun = obj({
  workload: savedWorkload,
  /** The pool that served it (`database` when PGMQ shares the main pool). */
  through: poolName(),
  generator: generatorStats,
  /** The calibration phase (absent in runs saved before it existed, and when it could not run). */
  calibration: v.optional(calibrationStats),
});
export type WorkloadRun = v.InferOutput<typeof workloadRun>;

/** A pool's configuration as the run saw it: values with file and line, for recommendations. */
const poolConfigSnapshot = obj({
  table: kept<string>(),
  context: kept<string>(),
  active: kept<boolean>(),
  sharesDatabasePool: v.optional(kept<boolean>()),
  settings: poolSettings(false),
  keys: kept<Record<string, { value: unknown; overridden: boolean; file: string | null; line: number | null }>>(),
});
export type PoolConfigSnapshot = v.InferOutput<typeof poolConfigSnapshot>;

/** The config of every known pool in an environment: keys are Tasker pool names. */
export const poolConfigs = v.pipe(
  v.custom<Record<string, unknown>>(isObj, (i) => (i.input === undefined ? 'missing' : `expected an object, got ${describe(i.input)}`)),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    for (const [name, snapshot] of Object.entries(dataset.value)) {
      if (!isPoolName(name)) return refuseAt(addIssue as AddIssue, dataset.value, [name], `unknown pool '${name}'`);
      const r = v.safeParse(poolConfigSnapshot, snapshot, { abortEarly: true });
      if (!r.success) return refuseAt(addIssue as AddIssue, dataset.value, [name, ...(r.issues[0].path ?? []).map((p) => p.key as string)], r.issues[0].message);
    }
  }),
) as unknown as v.GenericSchema<unknown, Partial<Record<PoolName, PoolConfigSnapshot>>>;

/** `--set` overrides applied for one window only. */
export const overrides = arr(obj({ pool: poolName(), key: str(), value: num(LIMITS.setValue) }));

/** The parts of an environment every kind of evidence has (evidence/types.ts adds the evidence's own). */
export const environmentBase = {
  env: str(),
  /** The measured window and the warm-up before it, ms. */
  durationMs: num(),
  warmupMs: num(),
  /** Whether PGMQ's work went through the database pool. */
  pgmqShared: bool(),
  /** The config of every known pool in this environment (after `--set`). */
  config: poolConfigs,
  /** `--set` overrides applied for this run only. */
  overrides,
  // A measured run's own checks of itself (analysis/validity.ts reads them). Absent in older runs and other sources.
  /** The measured window as planned (the longest workload's duration), ms. */
  plannedDurationMs: v.optional(num()),
  /** Wall-clock length of the measured window (Date.now), ms. */
  wallDurationMs: v.optional(num()),
  /** Event-loop delay of the pool-advisor process over the measured window, ms (perf_hooks). */
  eventLoop: v.optional(obj({ p99Ms: num(), maxMs: num() })),
};

/** One environment's run. */
/** The stopping rule's record of one environment (src/core/rules/settled.ts); an observation's (`observe --until-settled`) has the same. */
export const settleEntries = {
  /** Whether the answer was settled when the window stopped. */
  settled: bool(),
  /** The measured window when it stopped, s. */
  afterS: num({ min: 0, max: LIMITS.spanMs.max / 1000 }),
  /** The longest the window could run (`--duration`), s. */
  maxS: num({ min: 0, max: LIMITS.spanMs.max / 1000 }),
  /** Looks taken (of the fixed schedule). */
  looks: num({ min: 0, max: 1_000_000, integer: true }),
  /** The error rate spent over the looks. */
  alpha: num({ min: 0, max: 1 }),
  /** Not settled: what differed at the last look (e.g. `database.max_connections is 8 or 9`). */
  unsettled: v.optional(str()),
};
const settleRecord = obj(settleEntries);
export type SettleRecord = v.InferOutput<typeof settleRecord>;

export const environmentRun = obj({
    ...environmentBase,
    pools: arr(poolRun),
    workloads: arr(workloadRun),
    /** Set when the run of this environment stopped early. */
    interrupted: v.optional(bool()),
    /** How the window ended when it stopped as soon as its answer was settled (`analyze` without `--fixed-duration`). Absent in fixed-length and older runs. */
    settle: v.optional(settleRecord),
  });
export type EnvironmentRun = v.InferOutput<typeof environmentRun>;

/** Where the run was measured: a throwaway server pool-advisor started, a server on this machine, or another machine. */
export const TARGET_KINDS = ['throwaway', 'local', 'remote'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/**
 * The header every saved evidence file has, a run's and an observation's: who wrote it, when,
 * against what. A run adds its environments (below); an observation its evidence and its source's
 * parts (observe/file.ts).
 */
export const savedHeader = {
  tool: v.optional(kept<{ name: 'pool-advisor'; version: string }>()),
  createdAt: str(),
  /** Connection target, password removed. */
  target: str(),
  /** The kind of target (absent in runs saved before it was recorded: the analysis infers it from `target` and says so). */
  targetKind: v.optional(oneOf(TARGET_KINDS, 'throwaway, local or remote')),
  server: v.optional(obj({ version: kept<string>(), maxConnections: num({ ...POOL_SIZE, min: 1 }), superuserReserved: num(POOL_SIZE), reservedConnections: v.optional(num(POOL_SIZE)) })),
  /** True when the window was interrupted or failed part-way; what is here is still valid. */
  partial: bool(),
  error: v.optional(kept<string>()),
};

/** A saved run: everything later commands need, with no database. */
export const runFile = obj({
    schemaVersion: v.literal(RUN_SCHEMA_VERSION),
    ...savedHeader,
    tool: kept<{ name: 'pool-advisor'; version: string }>(),
    configDir: kept<string>(),
    seed: num(LIMITS.seed),
    environments: arr(environmentRun),
  });
export type RunFile = v.InferOutput<typeof runFile>;
