/**
 * Evidence: what any source saw of a pool, per environment, pool and replica, as plain
 * serialisable data (docs/architecture.md, "The evidence contract"). A measured run (analyze) fills every
 * part; a source that sees less (the server's view of a service, a fleet's Prometheus metrics,
 * Tasker's health endpoint) fills fewer, and the analysis judges only what the parts allow.
 * Nothing here is a Map: a saved observation file is this data as JSON.
 *
 * Declared once, as schemas (src/core/saved.ts): each type is read from its schema, and the
 * reader of observations (read.ts) is the same schema. Adding an optional part is one entry in
 * {@link poolEvidence} (or {@link environmentEvidenceEntries}): `name: v.optional(schema)`.
 */
import * as v from 'valibot';
import { isPoolName, SETTING_KEYS, type PoolName, type SettingKey } from '../config/pools.js';
import { BOUNDS, LIMITS, type Range } from '../limits.js';
import { decode } from '../run/histogram.js';
import { environmentBase, levelTimes, poolSettings, savedHeader, settleEntries, timeline, TARGET_KINDS, workloadRun, type HoldByInUse, type TargetKind, type WorkloadRun } from '../run/types.js';
import { arr, bool, count, describe, FORMAT_VERSION, isObj, kept, num, numbers, obj, oneOf, rangeRefusal, refuseAt, str, type AddIssue } from '../saved.js';

/** Where the evidence was taken: a throwaway server pool-advisor started, a server on this machine, or another machine. */
export type EvidenceTargetKind = TargetKind;

/** The schema version of an observation file (its evidence part and its source's parts: one file kind, one version). */
export const EVIDENCE_SCHEMA_VERSION = FORMAT_VERSION.observation;

/** What a saved evidence file holds. */
export type EvidenceKind = 'run' | 'observation';

/** Every source kind, strongest first: the one list the type below is read from. */
export const SOURCE_KINDS = ['measured-run', 'server-sampling', 'prometheus', 'tasker-health'] as const;

/** Where a piece of evidence came from. */
export type EvidenceSourceKind = (typeof SOURCE_KINDS)[number];

/** One acquire's wait, one hold, one creation, µs: at most 24 h (what a replay may drive). */
const SPAN: Range = BOUNDS.spanUs;
const nullOr = <S extends v.GenericSchema>(s: S) => v.nullable(s);

/** A source and its window. */
const evidenceSource = obj({
  kind: oneOf(SOURCE_KINDS, `one of ${SOURCE_KINDS.join(', ')}`),
  /** For people, password-free: "analyze on throwaway PostgreSQL 15.18", "pg_stat_activity every 200 ms (1,500 samples)". */
  detail: str(),
  /** Start of the window (ms since the epoch) and its length (ms). */
  startedAt: num(),
  durationMs: num(),
});
export type EvidenceSource = v.InferOutput<typeof evidenceSource>;

/** A distribution of microseconds, in whatever form the source has it. */
const distributionForms = v.variant('form', [
  /** An HDR histogram, compressed and base64-encoded (measured runs). */
  v.object({
    form: v.literal('hdr'),
    encoded: v.pipe(
      str(),
      v.rawCheck(({ dataset, addIssue }) => {
        if (!dataset.typed) return;
        let max: number;
        try {
          max = decode(dataset.value).maxValue;
        } catch {
          return addIssue({ message: 'not an encoded HDR histogram' });
        }
        if (rangeRefusal(max, SPAN) !== undefined) addIssue({ message: `its largest value ${max} µs is beyond ${SPAN.max} µs (24 h)` });
      }),
    ),
  }),
  /** Non-cumulative counts per bucket; `upperUs` ascending, the last bound may be null (+Inf). */
  v.pipe(
    v.object({
      form: v.literal('buckets'),
      upperUs: v.pipe(
        arr(v.unknown()),
        v.check((upper) => upper.every((x, i) => (x === null && i === upper.length - 1) || (typeof x === 'number' && rangeRefusal(x, SPAN) === undefined)), `expected ascending bounds in µs from 0 to ${SPAN.max} (the last may be null for +Inf)`),
        v.check((upper) => !upper.some((x, i) => i > 0 && x !== null && (x as number) <= (upper[i - 1] as number)), 'bounds must ascend'),
        v.transform((x) => x as Array<number | null>),
      ),
      counts: v.pipe(
        arr(v.custom<number>((x) => typeof x === 'number' && Number.isFinite(x), 'expected numbers')),
        v.check((xs) => xs.every((x) => rangeRefusal(x, BOUNDS.count) === undefined), `expected counts from 0 to ${BOUNDS.count.max}`),
      ),
      sumUs: v.optional(num()),
    }),
    v.rawCheck(({ dataset, addIssue }) => {
      if (dataset.typed && dataset.value.counts.length !== dataset.value.upperUs.length) refuseAt(addIssue as AddIssue, dataset.value, ['counts'], `expected ${dataset.value.upperUs.length} counts, one per bound`);
    }),
  ),
  /** Only a mean (a sum and a count): no percentiles. */
  v.object({ form: v.literal('mean'), count: nullOr(num(BOUNDS.count)), meanUs: num(SPAN), cv: v.optional(num()) }),
]);
export type Distribution = v.InferOutput<typeof distributionForms>;
const distribution = v.pipe(
  // The form first, then the form's own entries (a loose object: the check below reads them all).
  v.custom<Record<string, unknown>>(isObj, (i) => (i.input === undefined ? 'missing' : `expected an object, got ${describe(i.input)}`)),
  v.looseObject({ form: oneOf(['hdr', 'buckets', 'mean'], "'hdr', 'buckets' or 'mean'") }),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const r = v.safeParse(distributionForms, dataset.value, { abortEarly: true });
    if (!r.success) refuseAt(addIssue as AddIssue, dataset.value, (r.issues[0].path ?? []).map((p) => p.key as string), r.issues[0].message);
  }),
) as unknown as v.GenericSchema<unknown, Distribution>;

/** The validity verdict on the evidence of one window. */
const validity = obj({
  valid: bool(),
  /** Why not, one sentence each (empty when valid). */
  reasons: v.pipe(arr(v.unknown()), v.check((xs) => xs.every((x) => typeof x === 'string'), 'expected sentences'), v.transform((xs) => xs as string[])),
});
export type Validity = v.InferOutput<typeof validity>;

const byPath = <S extends v.GenericSchema>(s: S) => obj({ idle: s, new: s, queued: s });

/** Acquire waits. */
const waitEvidence = obj({
  all: distribution,
  byPath: v.optional(byPath(distribution)),
  /** Acquires in the window (timeouts and errors included). */
  count: num(BOUNDS.count),
  /** Acquires that waited (opened a connection or queued). */
  waited: v.optional(num(BOUNDS.count)),
  /** Acquires by how they were served. */
  countByPath: v.optional(byPath(num(BOUNDS.count))),
});
export type WaitEvidence = v.InferOutput<typeof waitEvidence>;

/** Occupancy: time-weighted levels of the pool's gauges. */
const occupancyEvidence = obj({
  /** True when every change was recorded (a measured run); false when sampled. */
  exact: bool(),
  samples: v.optional(num()),
  intervalMs: v.optional(num()),
  inUse: v.optional(levelTimes),
  /** Server sampling sees busy backends: a lower bound of connections checked out. */
  inUseIsLowerBound: v.optional(bool()),
  /**
   * Sampled sources: the standard error of the mean in use by batch means, and the number of
   * batches it came from (how independent the samples were: see the occupancy model's dispersion).
   */
  inUseMeanStdErr: v.optional(num(BOUNDS.level)),
  inUseBatches: v.optional(num(BOUNDS.count)),
  /** Open connections (in use + idle). */
  open: v.optional(levelTimes),
  idle: v.optional(levelTimes),
  waiting: v.optional(levelTimes),
  /** Connections held for good (pgmq's LISTEN). */
  reserved: v.optional(num(BOUNDS.poolSize)),
});
export type OccupancyEvidence = v.InferOutput<typeof occupancyEvidence>;

/** Times in ms since a window's start: finite, and before the start for a connection opened before it. */
const times = () => v.optional(numbers(false));

/** Connections opened and closed. */
const churnEvidence = obj({
  opened: num(BOUNDS.count),
  closed: obj({ lifetime: num(BOUNDS.count), idle: num(BOUNDS.count), error: num(BOUNDS.count), shutdown: num(BOUNDS.count), unattributed: num(BOUNDS.count) }),
  /** Times of lifetime expiries, ms since the window start (bounded; `expiryTimesTruncated` says when). */
  expiryTimesMs: times(),
  expiryTimesTruncated: v.optional(bool()),
  /** Ages of connections closed by idle timeout, seconds (bounded). */
  idleClosedAgesS: times(),
  /**
   * Sources without a timeline (the server's view): when each idle close was first seen gone and
   * when each connection opened (its backend's start), ms since the window start, so closes
   * reopened soon after can be paired.
   */
  idleClosedAtMs: times(),
  openedAtMs: times(),
});
export type ChurnEvidence = v.InferOutput<typeof churnEvidence>;

/** Failed and slow acquires. */
const failureEvidence = obj({
  timeouts: num(BOUNDS.count),
  errors: num(BOUNDS.count),
  /** Acquires slower than the pool's slow threshold. */
  slow: v.optional(num(BOUNDS.count)),
  slowSuppressed: v.optional(num(BOUNDS.count)),
  /** Connection attempts that failed. */
  createErrors: v.optional(num(BOUNDS.count)),
});
export type FailureEvidence = v.InferOutput<typeof failureEvidence>;

/** What a measured run alone records (never in an observation: see {@link observedPool}). */
export interface MeasuredEvidence {
  /** Whether the wrapper emulated sqlx. */
  emulateSqlx: boolean;
  sqlxBehaviour?: string[];
  /** Hold time by the connections in use when the hold began (the database-saturation trend). */
  holdByInUse: HoldByInUse;
  /** The same in the window's first and second half (absent in runs saved before it was recorded). */
  holdByInUseHalves?: [HoldByInUse, HoldByInUse];
  /** Releases (ends of holds). */
  releases: number;
}

/** The wait classes a load is split into; `CPU` is an active backend with no wait event. */
export const LOAD_CLASSES = ['CPU', 'Lock', 'LWLock', 'BufferPin', 'IO', 'IPC', 'Client', 'Timeout', 'Extension'] as const;
export type LoadClass = (typeof LOAD_CLASSES)[number];

/** A mean with its standard error (null with too few samples for batch means). */
const meanEntries = { mean: num(), stdErr: nullOr(num()) };
const meanWithError = obj(meanEntries);
export type MeanWithError = v.InferOutput<typeof meanWithError>;

/** The load of one group, or of the server: average active sessions, by class and by wait event. */
const loadProfile = obj({
  /** Average active sessions (all classes). */
  aas: meanWithError,
  /** By class, only classes seen, most load first. */
  byClass: arr(obj({ class: oneOf(LOAD_CLASSES, `one of ${LOAD_CLASSES.join(', ')}`), ...meanEntries })),
  /** The top wait events (`type:event`), most load first. */
  topEvents: arr(obj({ type: str(), event: str(), ...meanEntries })),
});
export type LoadProfile = v.InferOutput<typeof loadProfile>;

/** The load of an observation (in the observation's own part, observe/types.ts: not read back by `--from`). */
export interface ObservedLoad {
  /** Every backend that counts (client backends, their parallel workers, background processes). */
  server: LoadProfile;
  /** Client backends and their parallel workers only (what pg_stat_statements times). */
  clients: LoadProfile;
  /** Background processes only (autovacuum, walsender, ...). */
  background: LoadProfile;
  /** Per group id (the groups of the observation). */
  groups: Record<string, LoadProfile>;
  /** Samples the profiles are over. */
  samples: number;
}

/** The server's load beside a pool's own (server sampling with wait events; docs/observe.md, "Server load"). */
const serverLoadEvidence = obj({
  /** The server's CPU count, null when unknown, and where it came from. */
  cores: nullOr(num()),
  coresSource: str(),
  /** Every backend that counts. */
  server: loadProfile,
  /** This group's own client backends (and their parallel workers). */
  pool: loadProfile,
  samples: num(),
  intervalMs: num(),
});
export type ServerLoadEvidence = v.InferOutput<typeof serverLoadEvidence>;

/** Statement counters of the one pool that used a role (pg_stat_statements), over `windowMs`. */
const statementBounds = obj({
  role: str(),
  /** Statements run: at least the acquires (a checkout runs at least one). */
  calls: num(BOUNDS.count),
  /** Mean execution time of a statement, µs: at most the mean hold. */
  meanUs: num(SPAN),
  windowMs: num(),
});
export type StatementBounds = v.InferOutput<typeof statementBounds>;

/** What one source saw of one pool (one replica of it) over one window. */
const poolEvidence = obj({
  /** A Tasker pool name (or a group label when `mapped` is false). */
  pool: v.custom<PoolName>((x) => typeof x === 'string' && isPoolName(x), (i) => `expected a Tasker pool name (database, pgmq, orchestration_web, worker_web), got ${describe(i.input)}; put a pool that maps to none under the environment's 'unmapped'`),
  /** Client address or instance label; null for a single measured pool. */
  replica: nullOr(str()),
  source: evidenceSource,
  /** The settings the pool ran with (sqlx view). Unknown ones hold Tasker's default and are listed in `settingsAssumed`. */
  settings: poolSettings(true),
  settingsAssumed: v.optional(v.pipe(arr(v.unknown()), v.check((xs) => xs.every((x) => typeof x === 'string' && (SETTING_KEYS as readonly string[]).includes(x)), `expected setting names (${SETTING_KEYS.join(', ')})`), v.transform((xs) => xs as SettingKey[]))),
  validity,
  wait: v.optional(waitEvidence),
  /** Hold (use) time. */
  hold: v.optional(distribution),
  /** Connection open time. */
  create: v.optional(distribution),
  /** Acquires per second (`rate`) over `count` acquires. */
  arrival: v.optional(obj({ rate: num(BOUNDS.rate), count: num(BOUNDS.count) })),
  /**
   * The pool's role's statement counters (pg_stat_statements) over the window, when no other pool
   * seen used the role: a checkout runs at least one statement, so `calls` bounds the acquires from
   * above, and the mean statement time bounds the mean hold from below.
   */
  statements: v.optional(statementBounds),
  occupancy: v.optional(occupancyEvidence),
  churn: v.optional(churnEvidence),
  failures: v.optional(failureEvidence),
  timeline: v.optional(timeline()),
  /** A measured run's own part (evidence/fromRun.ts); an observation cannot carry it. */
  measured: v.optional(kept<MeasuredEvidence>()),
  /** Where two sources of this pool (merge.ts) say different things, one sentence each. */
  disagreements: v.optional(arr(str())),
  /**
   * The size the pool ran with, when a live source (Tasker's /health/detailed, the pool's max gauge)
   * says another than the config's. `settings` keep the config's (the size of record: what
   * `generate` edits, the `from` of a change); the model uses this one, the size the window was seen
   * at, and a warning names both.
   */
  liveSize: v.optional(obj({ maxConnections: num({ ...BOUNDS.poolSize, min: 1 }), from: str() })),
  /**
   * The pool's own in-use figures read from gauges at scrape time (Prometheus), for a source without
   * occupancy over time: mean (the use-time sum over the window when the family has it), the most
   * at a scrape, and the mean idle and open.
   */
  gauges: v.optional(obj({ inUseMean: v.optional(num(BOUNDS.level)), inUseMax: v.optional(num(BOUNDS.level)), idleMean: v.optional(num(BOUNDS.level)), openMean: v.optional(num(BOUNDS.level)), from: str() })),
  /** The server's load by wait class and this pool's share of it (observations with wait events). */
  serverLoad: v.optional(serverLoadEvidence),
});
export type PoolEvidence = v.InferOutput<typeof poolEvidence>;

/** A pool of an observation: evidence without a measured run's own part. */
const observedPool = v.pipe(
  poolEvidence,
  v.rawCheck(({ dataset, addIssue }) => {
    if (dataset.typed && dataset.value.measured !== undefined) refuseAt(addIssue as AddIssue, dataset.value, ['measured'], 'only a measured run has this part; an observation cannot carry it');
  }),
);

/**
 * A proxy's own pool of server connections, as its console tells it (PgBouncer's, per database:
 * `SHOW DATABASES`, `SHOW STATS`, `SHOW POOLS`): the clients' transactions, the time each held a
 * server connection, and how long clients waited for one. Not a Tasker pool: its size is the
 * proxy's setting (PgBouncer's `pool_size`), so it is judged apart and no Tasker key is changed.
 */
const proxyPoolEvidence = obj({
  /** The proxy and its version, e.g. `PgBouncer 1.18.0`. */
  proxy: str(),
  /** Its console's address, password removed. */
  console: str(),
  database: str(),
  poolMode: str(),
  /** Pools (users) of the database in `SHOW POOLS`: the counts of `SHOW STATS` are the database's, all users together. */
  users: num(BOUNDS.count),
  /** Server connections per pool (`pool_size`), and the reserve added when clients wait long; null when not read. */
  size: nullOr(num(BOUNDS.poolSize)),
  reservePool: nullOr(num(BOUNDS.poolSize)),
  /** Over the window: transactions, their mean time on a server connection, and the clients' total wait for one. */
  xacts: num(BOUNDS.count),
  xactMeanUs: nullOr(num(SPAN)),
  waitTotalUs: num(),
  /** Mean clients waiting and the most at once over the `SHOW POOLS` reads; the longest wait seen, µs. */
  waitingMean: num(BOUNDS.level),
  waitingMax: num(BOUNDS.level),
  /** Most clients connected (active or waiting) at a read: at most this many less the size can wait inside the proxy. */
  clientsMax: v.optional(num(BOUNDS.level)),
  maxwaitUs: num(SPAN),
  startedAt: num(),
  windowMs: num(),
});
export type ProxyPoolEvidence = v.InferOutput<typeof proxyPoolEvidence>;

/** A pool a source saw but could not map to a Tasker pool (no key of the config can be advised for it). */
const unmappedPool = obj({
  /** The source's own name for it (a metric label, an application_name, a client address). */
  label: str(),
  replica: kept<string | null>(),
  source: kept<EvidenceSource>(),
  /** Why it could not be mapped, and how to map it. */
  reason: str(),
  /** What the source saw of it, for advice in generic terms (the pool library's own option names). */
  figures: v.optional(
    obj({
      meanBusy: num(BOUNDS.level),
      openMax: num(BOUNDS.level),
      reserved: num(BOUNDS.poolSize),
      maxConnections: nullOr(num(BOUNDS.poolSize)),
      /** Most seen busy at once (absent in files saved before it was kept). */
      busyMax: v.optional(num(BOUNDS.level)),
      /** It kept its most seen open the whole window but for replacements (a fixed pool, or one that never closes idle ones): its open count is then no need. */
      openHeld: v.optional(bool()),
    }),
  ),
  /** The source's own verdict when its figures cannot stand for a pool (a proxy's connections): no size is given from them. */
  validity: v.optional(obj({ valid: bool(), reasons: arr(v.unknown()) }) as unknown as typeof validity),
});
export type UnmappedPool = v.InferOutput<typeof unmappedPool>;

/** One environment's evidence: the entries, for a source's file to build on. */
export const environmentEvidenceEntries = {
  ...environmentBase,
  /** The window stopped early. */
  interrupted: bool(),
  /** Per pool per replica. */
  pools: arr(poolEvidence),
  unmapped: arr(unmappedPool),
  /** A proxy's own pools, from its console (absent for sources without one). */
  proxyPools: v.optional(arr(proxyPoolEvidence)),
  /** The workloads a measured run drove ([] for other sources). */
  workloads: arr(workloadRun),
};
const environmentEvidence = obj(environmentEvidenceEntries);
export type EnvironmentEvidence = v.InferOutput<typeof environmentEvidence>;

/** An observation's environment: its pools are observed ones, and it drove no workload. */
const observedEnvironment = obj({
  ...environmentEvidenceEntries,
  pools: arr(observedPool),
  workloads: v.pipe(arr(v.unknown()), v.check((w) => w.length === 0, 'only a measured run drives workloads; an observation has none'), v.transform((w) => w as WorkloadRun[])),
});

/** PgBouncer's settings as its console shows them (one process; the topology gives the instances). */
const pgBouncerSettings = obj({
  maxClientConn: num(BOUNDS.poolSize),
  defaultPoolSize: num(BOUNDS.poolSize),
  reservePoolSize: num(BOUNDS.poolSize),
  maxDbConnections: num(BOUNDS.poolSize),
  maxUserConnections: num(BOUNDS.poolSize),
  poolMode: kept<string>(),
  /** SHOW DATABASES: each database's own pool_size, reserve_pool and max_connections (undefined: the global one). */
  databases: arr(obj({ name: str(), poolSize: v.optional(num(BOUNDS.poolSize)), reservePool: v.optional(num(BOUNDS.poolSize)), maxDbConnections: v.optional(num(BOUNDS.poolSize)) })),
  /** A `*` entry (auto-database): pools on demand. */
  wildcard: bool(),
});
export type PgBouncerSettings = v.InferOutput<typeof pgBouncerSettings>;

/** Most buckets an {@link ObservedTimeline} keeps: a 10-minute window at 200 ms is 120 buckets of 5 s. */
export const TIMELINE_MAX_BUCKETS = 150;

/** One value per bucket, each within `r`. */
const series = (r: Range) => arr(num(r));
const levelInt: Range = { ...BOUNDS.level, integer: true };

/**
 * What the server's view saw over time (`observe` from the server side; docs/observe.md, "The
 * report"): fixed buckets from the window's start, a series per pool and replica (open and busy
 * connections, opens and closes by reason), PgBouncer's clients waiting from its per-second
 * `SHOW POOLS`, and the server's load by wait class with the core count. Absent in observations
 * saved before it was kept and for sources without one (Prometheus is read as window figures).
 * Bounded: at most {@link TIMELINE_MAX_BUCKETS} buckets, whatever the window's length, and every
 * series one value per bucket.
 */
const observedTimeline = v.pipe(
  obj({
    /** Length of a bucket, ms (the last bucket may be cut short by the window's end). */
    bucketMs: num({ min: 0, max: BOUNDS.spanUs.max / 1000, aboveMin: true }),
    /** Number of buckets (every series has this many values). */
    buckets: num({ min: 1, max: TIMELINE_MAX_BUCKETS, integer: true }),
    /** Per pool and replica: `env` and `pool` name the Tasker pool, or `env` is `unmapped` and `pool` the group's label. */
    pools: arr(
      obj({
        env: str(),
        pool: str(),
        replica: nullOr(str()),
        /** Most connections open at a sample of the bucket. */
        openMax: series(levelInt),
        /** Mean and most connections busy at the samples of the bucket. */
        busyMean: series(BOUNDS.level),
        busyMax: series(levelInt),
        /** Connections opened, and closed by reason, in the bucket. */
        opened: arr(count()),
        closedLifetime: arr(count()),
        closedIdle: arr(count()),
        closedOther: arr(count()),
      }),
    ),
    /** PgBouncer's clients waiting for a server connection (mean and most over the reads of each bucket), per database and user. */
    proxyWaiting: v.optional(arr(obj({ database: str(), user: str(), waitingMean: series(BOUNDS.level), waitingMax: series(levelInt) }))),
    /** The server's average active sessions per bucket by wait class (classes seen only), and its core count (null when unknown; as --server-cores accepts it). */
    load: v.optional(obj({ cores: nullOr(num({ min: 1, max: 4096, integer: true })), coresSource: str(), byClass: arr(obj({ class: oneOf(LOAD_CLASSES, `one of ${LOAD_CLASSES.join(', ')}`), aas: series(BOUNDS.level) })) })),
  }),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const t = dataset.value;
    const n = t.buckets;
    const check = (keys: Array<string | number>, xs: readonly number[]): void => {
      if (xs.length !== n) refuseAt(addIssue as AddIssue, t, keys, `expected ${n} values, one per bucket, got ${xs.length}`);
    };
    t.pools.forEach((p, i) => {
      for (const k of ['openMax', 'busyMean', 'busyMax', 'opened', 'closedLifetime', 'closedIdle', 'closedOther'] as const) check(['pools', i, k], p[k]);
    });
    t.proxyWaiting?.forEach((w, i) => {
      check(['proxyWaiting', i, 'waitingMean'], w.waitingMean);
      check(['proxyWaiting', i, 'waitingMax'], w.waitingMax);
    });
    t.load?.byClass.forEach((c, i) => check(['load', 'byClass', i, 'aas'], c.aas));
  }),
);
export type ObservedTimeline = v.InferOutput<typeof observedTimeline>;

/**
 * The evidence part of an observation file, as saved: the header every saved file has, and the
 * environments of evidence. observe/file.ts adds its source's parts to these entries.
 */
export const observationEvidenceEntries = {
  kind: v.literal('observation'),
  schemaVersion: v.literal(EVIDENCE_SCHEMA_VERSION),
  ...savedHeader,
  targetKind: v.optional(oneOf(TARGET_KINDS, 'throwaway, local or remote')),
  configDir: v.optional(nullOr(str())),
  /** PgBouncer's settings, read from its console (SHOW CONFIG, SHOW DATABASES) by observe --pgbouncer-url. */
  pgbouncerSettings: v.optional(pgBouncerSettings),
  /** What the server's view saw over time (observations sampled from the server; absent otherwise and in older files). */
  observedTimeline: v.optional(observedTimeline),
  /** How the window ended with `observe --until-settled` (the stopping rule's record, as a run's environment has it; `minS` the minimum asked). Absent otherwise and in older files. */
  settle: v.optional(obj({ ...settleEntries, minS: num({ min: 0, max: LIMITS.spanMs.max / 1000 }) })),
  /** Observations have no seed (runs do). */
  seed: v.optional(v.null()),
  environments: arr(observedEnvironment),
};
export const observationEvidence = obj(observationEvidenceEntries);

/** A saved evidence file, as every `--from` reads it (a run mapped by fromRun.ts, or an observation's evidence). */
export type EvidenceFile = Omit<v.InferOutput<typeof observationEvidence>, 'kind' | 'schemaVersion' | 'tool' | 'configDir' | 'seed' | 'environments'> & {
  /** A measured run (`analyze --out`) or an observation (`observe --out`). */
  kind: EvidenceKind;
  schemaVersion: number;
  tool: { name: 'pool-advisor'; version: string };
  configDir: string | null;
  /** The seed of a measured run's arrivals and holds; null for observations. */
  seed: number | null;
  environments: EnvironmentEvidence[];
};
