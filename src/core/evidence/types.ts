/**
 * Evidence: what any source saw of a pool, per environment, pool and replica, as plain
 * serialisable data (docs/architecture.md, "The evidence contract"). A measured run (analyze) fills every
 * part; a source that sees less (the server's view of a service, a fleet's Prometheus metrics,
 * Tasker's health endpoint) fills fewer, and the analysis judges only what the parts allow.
 * Nothing here is a Map: a saved observation file is this data as JSON.
 */
import type { PoolName, PoolSettings, SettingKey } from '../config/pools.js';
import type { HoldByInUse, LevelTimes, PoolConfigSnapshot, TimelinePoint, WorkloadRun } from '../run/types.js';

/** Where the evidence was taken: a throwaway server pool-advisor started, a server on this machine, or another machine. */
export type EvidenceTargetKind = 'throwaway' | 'local' | 'remote';

/** The schema version of an observation file's evidence part this pool-advisor reads (run files keep theirs, RUN_SCHEMA_VERSION). */
export const EVIDENCE_SCHEMA_VERSION = 1;

/** What a saved evidence file holds. */
export type EvidenceKind = 'run' | 'observation';

/** Every source kind, strongest first: the one list the type below is read from. */
export const SOURCE_KINDS = ['measured-run', 'server-sampling', 'prometheus', 'tasker-health'] as const;

/** Where a piece of evidence came from. */
export type EvidenceSourceKind = (typeof SOURCE_KINDS)[number];

/** A source and its window. */
export interface EvidenceSource {
  kind: EvidenceSourceKind;
  /** For people, password-free: "analyze on throwaway PostgreSQL 15.18", "pg_stat_activity every 200 ms (1,500 samples)". */
  detail: string;
  /** Start of the window (ms since the epoch) and its length (ms). */
  startedAt: number;
  durationMs: number;
}

/** A distribution of microseconds, in whatever form the source has it. */
export type Distribution =
  /** An HDR histogram, compressed and base64-encoded (measured runs). */
  | { form: 'hdr'; encoded: string }
  /** Non-cumulative counts per bucket; `upperUs` ascending, the last bound may be null (+Inf). */
  | { form: 'buckets'; upperUs: Array<number | null>; counts: number[]; sumUs?: number }
  /** Only a mean (a sum and a count): no percentiles. */
  | { form: 'mean'; count: number | null; meanUs: number; cv?: number };

/** The validity verdict on the evidence of one window. */
export interface Validity {
  valid: boolean;
  /** Why not, one sentence each (empty when valid). */
  reasons: string[];
}

/** Acquire waits. */
export interface WaitEvidence {
  all: Distribution;
  byPath?: { idle: Distribution; new: Distribution; queued: Distribution };
  /** Acquires in the window (timeouts and errors included). */
  count: number;
  /** Acquires that waited (opened a connection or queued). */
  waited?: number;
  /** Acquires by how they were served. */
  countByPath?: { idle: number; new: number; queued: number };
}

/** Occupancy: time-weighted levels of the pool's gauges. */
export interface OccupancyEvidence {
  /** True when every change was recorded (a measured run); false when sampled. */
  exact: boolean;
  samples?: number;
  intervalMs?: number;
  inUse?: LevelTimes;
  /** Server sampling sees busy backends: a lower bound of connections checked out. */
  inUseIsLowerBound?: boolean;
  /**
   * Sampled sources: the standard error of the mean in use by batch means, and the number of
   * batches it came from (how independent the samples were: see the occupancy model's dispersion).
   */
  inUseMeanStdErr?: number;
  inUseBatches?: number;
  /** Open connections (in use + idle). */
  open?: LevelTimes;
  idle?: LevelTimes;
  waiting?: LevelTimes;
  /** Connections held for good (pgmq's LISTEN). */
  reserved?: number;
}

/** Connections opened and closed. */
export interface ChurnEvidence {
  opened: number;
  closed: { lifetime: number; idle: number; error: number; shutdown: number; unattributed: number };
  /** Times of lifetime expiries, ms since the window start (bounded; `expiryTimesTruncated` says when). */
  expiryTimesMs?: number[];
  expiryTimesTruncated?: boolean;
  /** Ages of connections closed by idle timeout, seconds (bounded). */
  idleClosedAgesS?: number[];
  /**
   * Sources without a timeline (the server's view): when each idle close was first seen gone and
   * when each connection opened (its backend's start), ms since the window start, so closes
   * reopened soon after can be paired.
   */
  idleClosedAtMs?: number[];
  openedAtMs?: number[];
}

/** Failed and slow acquires. */
export interface FailureEvidence {
  timeouts: number;
  errors: number;
  /** Acquires slower than the pool's slow threshold. */
  slow?: number;
  slowSuppressed?: number;
  /** Connection attempts that failed. */
  createErrors?: number;
}

/** What a measured run alone records. */
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

/** What one source saw of one pool (one replica of it) over one window. */
/** The wait classes a load is split into; `CPU` is an active backend with no wait event. */
export const LOAD_CLASSES = ['CPU', 'Lock', 'LWLock', 'BufferPin', 'IO', 'IPC', 'Client', 'Timeout', 'Extension'] as const;
export type LoadClass = (typeof LOAD_CLASSES)[number];

/** A mean with its standard error (null with too few samples for batch means). */
export interface MeanWithError {
  mean: number;
  stdErr: number | null;
}

/** The load of one group, or of the server: average active sessions, by class and by wait event. */
export interface LoadProfile {
  /** Average active sessions (all classes). */
  aas: MeanWithError;
  /** By class, only classes seen, most load first. */
  byClass: Array<{ class: LoadClass } & MeanWithError>;
  /** The top wait events (`type:event`), most load first. */
  topEvents: Array<{ type: string; event: string } & MeanWithError>;
}

/** The load of an observation. */
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
export interface ServerLoadEvidence {
  /** The server's CPU count, null when unknown, and where it came from. */
  cores: number | null;
  coresSource: string;
  /** Every backend that counts. */
  server: LoadProfile;
  /** This group's own client backends (and their parallel workers). */
  pool: LoadProfile;
  samples: number;
  intervalMs: number;
}

export interface PoolEvidence {
  /** A Tasker pool name (or a group label when `mapped` is false). */
  pool: PoolName;
  /** Client address or instance label; null for a single measured pool. */
  replica: string | null;
  source: EvidenceSource;
  /** The settings the pool ran with (sqlx view). Unknown ones hold Tasker's default and are listed in `settingsAssumed`. */
  settings: PoolSettings;
  settingsAssumed?: SettingKey[];
  validity: Validity;
  wait?: WaitEvidence;
  /** Hold (use) time. */
  hold?: Distribution;
  /** Connection open time. */
  create?: Distribution;
  /** Acquires per second (`rate`) over `count` acquires. */
  arrival?: { rate: number; count: number };
  /**
   * The pool's role's statement counters (pg_stat_statements) over the window, when no other pool
   * seen used the role: a checkout runs at least one statement, so `calls` bounds the acquires from
   * above, and the mean statement time bounds the mean hold from below.
   */
  statements?: StatementBounds;
  occupancy?: OccupancyEvidence;
  churn?: ChurnEvidence;
  failures?: FailureEvidence;
  timeline?: { intervalMs: number; points: TimelinePoint[] };
  measured?: MeasuredEvidence;
  /** Where two sources of this pool (merge.ts) say different things, one sentence each. */
  disagreements?: string[];
  /**
   * The size the pool ran with, when a live source (Tasker's /health/detailed, the pool's max gauge)
   * says another than the config's. `settings` keep the config's (the size of record: what
   * `generate` edits, the `from` of a change); the model uses this one, the size the window was seen
   * at, and a warning names both.
   */
  liveSize?: { maxConnections: number; from: string };
  /**
   * The pool's own in-use figures read from gauges at scrape time (Prometheus), for a source without
   * occupancy over time: mean (the use-time sum over the window when the family has it), the most
   * at a scrape, and the mean idle and open.
   */
  gauges?: { inUseMean?: number; inUseMax?: number; idleMean?: number; openMean?: number; from: string };
  /** The server's load by wait class and this pool's share of it (observations with wait events). */
  serverLoad?: ServerLoadEvidence;
}

/**
 * A proxy's own pool of server connections, as its console tells it (PgBouncer's, per database:
 * `SHOW DATABASES`, `SHOW STATS`, `SHOW POOLS`): the clients' transactions, the time each held a
 * server connection, and how long clients waited for one. Not a Tasker pool: its size is the
 * proxy's setting (PgBouncer's `pool_size`), so it is judged apart and no Tasker key is changed.
 */
export interface ProxyPoolEvidence {
  /** The proxy and its version, e.g. `PgBouncer 1.18.0`. */
  proxy: string;
  /** Its console's address, password removed. */
  console: string;
  database: string;
  poolMode: string;
  /** Pools (users) of the database in `SHOW POOLS`: the counts of `SHOW STATS` are the database's, all users together. */
  users: number;
  /** Server connections per pool (`pool_size`), and the reserve added when clients wait long; null when not read. */
  size: number | null;
  reservePool: number | null;
  /** Over the window: transactions, their mean time on a server connection, and the clients' total wait for one. */
  xacts: number;
  xactMeanUs: number | null;
  waitTotalUs: number;
  /** Mean clients waiting and the most at once over the `SHOW POOLS` reads; the longest wait seen, µs. */
  waitingMean: number;
  waitingMax: number;
  /** Most clients connected (active or waiting) at a read: at most this many less the size can wait inside the proxy. */
  clientsMax?: number;
  maxwaitUs: number;
  startedAt: number;
  windowMs: number;
}

/** A pool a source saw but could not map to a Tasker pool (no key of the config can be advised for it). */
export interface UnmappedPool {
  /** The source's own name for it (a metric label, an application_name, a client address). */
  label: string;
  replica: string | null;
  source: EvidenceSource;
  /** Why it could not be mapped, and how to map it. */
  reason: string;
  /** What the source saw of it, for advice in generic terms (the pool library's own option names). */
  figures?: {
    meanBusy: number;
    openMax: number;
    reserved: number;
    maxConnections: number | null;
    /** Most seen busy at once (absent in files saved before it was kept). */
    busyMax?: number;
    /** It kept its most seen open the whole window but for replacements (a fixed pool, or one that never closes idle ones): its open count is then no need. */
    openHeld?: boolean;
  };
  /** The source's own verdict when its figures cannot stand for a pool (a proxy's connections): no size is given from them. */
  validity?: Validity;
}

/** Statement counters of the one pool that used a role (pg_stat_statements), over `windowMs`. */
export interface StatementBounds {
  role: string;
  /** Statements run: at least the acquires (a checkout runs at least one). */
  calls: number;
  /** Mean execution time of a statement, µs: at most the mean hold. */
  meanUs: number;
  windowMs: number;
}

/** One environment's evidence. */
export interface EnvironmentEvidence {
  env: string;
  /** The window of the evidence (the longest of its pools') and the warm-up before it, ms. */
  durationMs: number;
  warmupMs: number;
  /** Whether PGMQ's work went through the database pool. */
  pgmqShared: boolean;
  /** The window stopped early. */
  interrupted: boolean;
  /** Per pool per replica. */
  pools: PoolEvidence[];
  unmapped: UnmappedPool[];
  /** A proxy's own pools, from its console (absent for sources without one). */
  proxyPools?: ProxyPoolEvidence[];
  /** The workloads a measured run drove ([] for other sources). */
  workloads: WorkloadRun[];
  /** The config of every known pool in this environment, values with file and line. */
  config: Partial<Record<PoolName, PoolConfigSnapshot>>;
  /** `--set` overrides applied for this window only. */
  overrides: Array<{ pool: PoolName; key: string; value: number }>;
  /** A measured run's own checks of itself (the validity check reads them; absent for other sources and older runs). */
  plannedDurationMs?: number;
  wallDurationMs?: number;
  eventLoop?: { p99Ms: number; maxMs: number };
}

/** PgBouncer's settings as its console shows them (one process; the topology gives the instances). */
export interface PgBouncerSettings {
  maxClientConn: number;
  defaultPoolSize: number;
  reservePoolSize: number;
  maxDbConnections: number;
  maxUserConnections: number;
  poolMode: string;
  /** SHOW DATABASES: each database's own pool_size, reserve_pool and max_connections (undefined: the global one). */
  databases: Array<{ name: string; poolSize?: number; reservePool?: number; maxDbConnections?: number }>;
  /** A `*` entry (auto-database): pools on demand. */
  wildcard: boolean;
}

/**
 * What the server's view saw over time (`observe` from the server side; docs/observe.md, "The
 * report"): fixed buckets from the window's start, a series per pool and replica (open and busy
 * connections, opens and closes by reason), PgBouncer's clients waiting from its per-second
 * `SHOW POOLS`, and the server's load by wait class with the core count. Absent in observations
 * saved before it was kept and for sources without one (Prometheus is read as window figures).
 * Bounded: at most {@link TIMELINE_MAX_BUCKETS} buckets, whatever the window's length.
 */
export interface ObservedTimeline {
  /** Length of a bucket, ms (the last bucket may be cut short by the window's end). */
  bucketMs: number;
  /** Number of buckets (every series has this many values). */
  buckets: number;
  /** Per pool and replica: `env` and `pool` name the Tasker pool, or `env` is `unmapped` and `pool` the group's label. */
  pools: Array<{
    env: string;
    pool: string;
    replica: string | null;
    /** Most connections open at a sample of the bucket. */
    openMax: number[];
    /** Mean and most connections busy at the samples of the bucket. */
    busyMean: number[];
    busyMax: number[];
    /** Connections opened, and closed by reason, in the bucket. */
    opened: number[];
    closedLifetime: number[];
    closedIdle: number[];
    closedOther: number[];
  }>;
  /** PgBouncer's clients waiting for a server connection (mean and most over the reads of each bucket), per database and user. */
  proxyWaiting?: Array<{ database: string; user: string; waitingMean: number[]; waitingMax: number[] }>;
  /** The server's average active sessions per bucket by wait class (classes seen only), and its core count (null when unknown). */
  load?: { cores: number | null; coresSource: string; byClass: Array<{ class: LoadClass; aas: number[] }> };
}

/** Most buckets an {@link ObservedTimeline} keeps: a 10-minute window at 200 ms is 120 buckets of 5 s. */
export const TIMELINE_MAX_BUCKETS = 150;

/** A saved evidence file, as every `--from` reads it. */
export interface EvidenceFile {
  /** A measured run (`analyze --out`) or an observation (`observe --out`). */
  kind: EvidenceKind;
  schemaVersion: number;
  tool: { name: 'pool-advisor'; version: string };
  createdAt: string;
  /** Password removed. */
  target: string;
  targetKind?: EvidenceTargetKind;
  server?: { version: string; maxConnections: number; superuserReserved: number; reservedConnections?: number };
  configDir: string | null;
  /** PgBouncer's settings, read from its console (SHOW CONFIG, SHOW DATABASES) by observe --pgbouncer-url. */
  pgbouncerSettings?: PgBouncerSettings;
  /** The seed of a measured run's arrivals and holds; null for observations. */
  seed: number | null;
  environments: EnvironmentEvidence[];
  /** What the server's view saw over time (observations sampled from the server; absent otherwise and in older files). */
  observedTimeline?: ObservedTimeline;
  partial: boolean;
  error?: string;
}
