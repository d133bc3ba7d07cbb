/**
 * The families of connection-pool metrics found in Prometheus (docs/facts.md, "Pool metrics in
 * the wild"), each declaring what it carries, and their recognition from the metric names a server
 * holds. A user's own names come in through the advisor config's `[prometheus]` table
 * ({@link PrometheusSpec}) in the same shape as the built-in families. Pure data and functions.
 */
import type { PoolName } from '../config/pools.js';

/** The unit of a time metric as exposed. */
export type TimeUnit = 'seconds' | 'milliseconds' | 'microseconds' | 'nanoseconds';

/** Seconds per unit. */
export const SECONDS_PER: Readonly<Record<TimeUnit, number>> = { seconds: 1, milliseconds: 1e-3, microseconds: 1e-6, nanoseconds: 1e-9 };

/** One series selector: a metric name and label values it must have. */
export interface Selector {
  metric: string;
  match?: ReadonlyArray<readonly [string, string]>;
}

/**
 * A time metric (histogram, summary or Micrometer timer): `<base>_count`, `<base>_sum`, and
 * `<base>_bucket` when it is a histogram. Candidates name the same figure in different units
 * (OpenTelemetry instrumentations emit seconds or milliseconds); recognition keeps the present one.
 */
export interface TimeCandidate {
  base: string;
  unit: TimeUnit;
}

/** Why a connection was closed, in the evidence's terms. */
export type CloseReason = 'lifetime' | 'idle' | 'error' | 'shutdown';

/** Closes by reason: one counter with a reason label, or one counter per reason. */
export type CloseSpec =
  | { kind: 'label'; metric: string; label: string; reasons: ReadonlyArray<readonly [string, CloseReason]> }
  | { kind: 'metrics'; metrics: ReadonlyArray<readonly [string, CloseReason]> };

/** A family of pool metrics: its names, its pool label, and so what it carries. */
export interface FamilyDef {
  id: string;
  title: string;
  /** The label naming the pool. */
  poolLabel: string;
  /** Metric names whose presence means the family is there. */
  signature: readonly string[];
  /** Acquire wait: a time metric whose `_count` is the number of acquires. */
  wait?: readonly TimeCandidate[];
  /** Only the acquires that had to wait: a counter of them and a counter of their total wait (Go's database/sql). */
  waited?: { count: string; sum: TimeCandidate };
  /** Use (hold) time: `_sum` over the window is the connection-seconds in use (Little's law). */
  use?: readonly TimeCandidate[];
  create?: readonly TimeCandidate[];
  timeouts?: string;
  errors?: string;
  created?: string;
  closes?: CloseSpec;
  max?: Selector;
  min?: Selector;
  inUse?: Selector;
  idle?: Selector;
  /** All open connections (in use and idle). */
  open?: Selector;
  pending?: Selector;
  /** Pool label values that name a Tasker pool in this family's own terms. */
  poolNames?: ReadonlyArray<readonly [string, PoolName]>;
}

const secAndMs = (stem: string): TimeCandidate[] => [
  { base: `${stem}_seconds`, unit: 'seconds' },
  { base: `${stem}_milliseconds`, unit: 'milliseconds' },
];

/** The families pool-advisor knows, in the order they are tried. */
export const FAMILIES: readonly FamilyDef[] = [
  {
    id: 'pool-advisor',
    title: "pool-advisor's /metrics (docs/metrics.md)",
    poolLabel: 'pool_name',
    signature: ['db_client_connections', 'pool_advisor_connections_created_total'],
    wait: [{ base: 'db_client_connection_wait_time_seconds', unit: 'seconds' }],
    use: [{ base: 'db_client_connection_use_time_seconds', unit: 'seconds' }],
    create: [{ base: 'db_client_connection_create_time_seconds', unit: 'seconds' }],
    timeouts: 'db_client_connection_timeouts_total',
    errors: 'pool_advisor_acquire_errors_total',
    created: 'pool_advisor_connections_created_total',
    closes: { kind: 'label', metric: 'pool_advisor_connections_closed_total', label: 'reason', reasons: [['expired', 'lifetime'], ['idle', 'idle'], ['error', 'error'], ['shutdown', 'shutdown']] },
    max: { metric: 'db_client_connection_max' },
    min: { metric: 'db_client_connection_idle_min' },
    inUse: { metric: 'db_client_connections', match: [['state', 'used']] },
    idle: { metric: 'db_client_connections', match: [['state', 'idle']] },
    open: { metric: 'db_client_connections' },
    pending: { metric: 'db_client_connection_pending_requests' },
  },
  {
    id: 'otel',
    title: 'OpenTelemetry (db.client.connection.*)',
    poolLabel: 'db_client_connection_pool_name',
    signature: ['db_client_connection_count'],
    wait: secAndMs('db_client_connection_wait_time'),
    use: secAndMs('db_client_connection_use_time'),
    create: secAndMs('db_client_connection_create_time'),
    timeouts: 'db_client_connection_timeouts_total',
    max: { metric: 'db_client_connection_max' },
    min: { metric: 'db_client_connection_idle_min' },
    inUse: { metric: 'db_client_connection_count', match: [['db_client_connection_state', 'used']] },
    idle: { metric: 'db_client_connection_count', match: [['db_client_connection_state', 'idle']] },
    open: { metric: 'db_client_connection_count' },
    pending: { metric: 'db_client_connection_pending_requests' },
  },
  {
    id: 'otel-legacy',
    title: 'OpenTelemetry, older names (db.client.connections.*)',
    poolLabel: 'pool_name',
    signature: ['db_client_connections_usage'],
    wait: [{ base: 'db_client_connections_wait_time_milliseconds', unit: 'milliseconds' }, { base: 'db_client_connections_wait_time_seconds', unit: 'seconds' }],
    use: [{ base: 'db_client_connections_use_time_milliseconds', unit: 'milliseconds' }, { base: 'db_client_connections_use_time_seconds', unit: 'seconds' }],
    create: [{ base: 'db_client_connections_create_time_milliseconds', unit: 'milliseconds' }, { base: 'db_client_connections_create_time_seconds', unit: 'seconds' }],
    timeouts: 'db_client_connections_timeouts_total',
    max: { metric: 'db_client_connections_max' },
    min: { metric: 'db_client_connections_idle_min' },
    inUse: { metric: 'db_client_connections_usage', match: [['state', 'used']] },
    idle: { metric: 'db_client_connections_usage', match: [['state', 'idle']] },
    open: { metric: 'db_client_connections_usage' },
    pending: { metric: 'db_client_connections_pending_requests' },
  },
  {
    id: 'hikari-micrometer',
    title: 'HikariCP through Micrometer (hikaricp_connections_*)',
    poolLabel: 'pool',
    signature: ['hikaricp_connections_active', 'hikaricp_connections_acquire_seconds_count'],
    wait: [{ base: 'hikaricp_connections_acquire_seconds', unit: 'seconds' }],
    use: [{ base: 'hikaricp_connections_usage_seconds', unit: 'seconds' }],
    create: [{ base: 'hikaricp_connections_creation_seconds', unit: 'seconds' }],
    timeouts: 'hikaricp_connections_timeout_total',
    max: { metric: 'hikaricp_connections_max' },
    min: { metric: 'hikaricp_connections_min' },
    inUse: { metric: 'hikaricp_connections_active' },
    idle: { metric: 'hikaricp_connections_idle' },
    open: { metric: 'hikaricp_connections' },
    pending: { metric: 'hikaricp_connections_pending' },
  },
  {
    id: 'hikari-tracker',
    title: "HikariCP's own Prometheus tracker (hikaricp_*_connections)",
    poolLabel: 'pool',
    signature: ['hikaricp_active_connections', 'hikaricp_connection_acquired_nanos_count'],
    wait: [{ base: 'hikaricp_connection_acquired_nanos', unit: 'nanoseconds' }],
    use: [{ base: 'hikaricp_connection_usage_millis', unit: 'milliseconds' }],
    create: [{ base: 'hikaricp_connection_creation_millis', unit: 'milliseconds' }],
    timeouts: 'hikaricp_connection_timeout_total',
    max: { metric: 'hikaricp_max_connections' },
    min: { metric: 'hikaricp_min_connections' },
    inUse: { metric: 'hikaricp_active_connections' },
    idle: { metric: 'hikaricp_idle_connections' },
    // Its `hikaricp_connections` shares Micrometer's name: open is in use + idle instead.
    pending: { metric: 'hikaricp_pending_threads' },
  },
  {
    id: 'go-sql',
    title: "Go database/sql (client_golang's DBStatsCollector)",
    poolLabel: 'db_name',
    signature: ['go_sql_open_connections', 'go_sql_in_use_connections'],
    waited: { count: 'go_sql_wait_count_total', sum: { base: 'go_sql_wait_duration_seconds_total', unit: 'seconds' } },
    closes: { kind: 'metrics', metrics: [['go_sql_max_lifetime_closed_total', 'lifetime'], ['go_sql_max_idle_time_closed_total', 'idle'], ['go_sql_max_idle_closed_total', 'idle']] },
    max: { metric: 'go_sql_max_open_connections' },
    inUse: { metric: 'go_sql_in_use_connections' },
    idle: { metric: 'go_sql_idle_connections' },
    open: { metric: 'go_sql_open_connections' },
  },
  {
    id: 'tasker',
    title: "Tasker's own gauges (tasker_db_pool_connections)",
    poolLabel: 'pool',
    signature: ['tasker_db_pool_connections'],
    inUse: { metric: 'tasker_db_pool_connections', match: [['state', 'active']] },
    idle: { metric: 'tasker_db_pool_connections', match: [['state', 'idle']] },
    open: { metric: 'tasker_db_pool_connections' },
    poolNames: [['tasker', 'database'], ['pgmq', 'pgmq']],
  },
];

/** A time metric as found: which candidate, and whether it has buckets. */
export interface FoundTime {
  base: string;
  unit: TimeUnit;
  buckets: boolean;
}

/** A family found on the server, with the names it actually has there. */
export interface FamilyMatch {
  def: FamilyDef;
  wait?: FoundTime;
  use?: FoundTime;
  create?: FoundTime;
  /** Parts the family declares but the server does not have (names missing). */
  absent: string[];
}

function findTime(names: ReadonlySet<string>, candidates: readonly TimeCandidate[] | undefined): FoundTime | undefined {
  for (const c of candidates ?? []) {
    if (names.has(`${c.base}_count`)) return { ...c, buckets: names.has(`${c.base}_bucket`) };
  }
  return undefined;
}

/** The families present among `names` (the server's metric names), built-in first, then the user's. */
export function recognise(names: readonly string[], families: readonly FamilyDef[]): FamilyMatch[] {
  const set = new Set(names);
  const out: FamilyMatch[] = [];
  for (const def of families) {
    if (!def.signature.some((n) => set.has(n))) continue;
    const m: FamilyMatch = { def, absent: [] };
    const wait = findTime(set, def.wait);
    const use = findTime(set, def.use);
    const create = findTime(set, def.create);
    if (wait) m.wait = wait;
    else if (def.wait) m.absent.push(`${def.wait[0]!.base}_count`);
    if (use) m.use = use;
    else if (def.use) m.absent.push(`${def.use[0]!.base}_count`);
    if (create) m.create = create;
    for (const sel of [def.max, def.inUse, def.open]) if (sel && !set.has(sel.metric) && !m.absent.includes(sel.metric)) m.absent.push(sel.metric);
    out.push(m);
  }
  return out;
}

/** What a family can never give, in the evidence's terms (the evidence says so instead of guessing). */
export function notCarried(def: FamilyDef): string[] {
  const out: string[] = [];
  if (!def.wait) out.push(def.waited ? 'acquire count and arrival rate (it counts only the acquires that waited)' : 'acquire waits and arrival rate');
  if (!def.use) out.push('use time (mean in use only from gauges sampled at scrape time)');
  if (!def.closes) out.push('connection closes by reason');
  if (!def.timeouts) out.push('acquire timeouts');
  if (!def.max) out.push('pool size setting');
  return out;
}

/** Metric names that look like a connection pool's, for the message when no family matched. */
export function poolLikeNames(names: readonly string[]): string[] {
  return names.filter((n) => /pool|conn|hikari|_sql_|acquire|pgbouncer/i.test(n));
}

/** A `[prometheus.pools]` entry: series whose labels match are this Tasker pool (and environment). */
export interface PoolMapping {
  /** Only series of this family (its id, or a user family's name); any family when unset. */
  family?: string;
  /** Label values the series must have (the pool label's value among them, usually). */
  match: Array<[string, string]>;
  pool: PoolName;
  env?: string;
}

/** The advisor config's `[prometheus]` table, parsed (docs/fleet.md). */
export interface PrometheusSpec {
  /** The environment every series belongs to unless a mapping or `envLabel` says otherwise. */
  environment?: string;
  /** A label whose value is the environment (e.g. `env`, `namespace`). */
  envLabel?: string;
  /** Labels that tell replicas apart; the first one a series has wins. */
  replicaLabels: string[];
  pools: PoolMapping[];
  /** The user's own families, tried after the built-in ones. */
  families: FamilyDef[];
  /** The database host's node_exporter `instance` label: observe reads the server's core count from it. */
  databaseInstance?: string;
}

/** The labels that tell replicas apart when the config does not say: Kubernetes' pod, else the scrape target. */
export const DEFAULT_REPLICA_LABELS: readonly string[] = ['pod', 'instance'];

/** The `[prometheus]` spec when the config has none. */
export function defaultPrometheusSpec(): PrometheusSpec {
  return { replicaLabels: [...DEFAULT_REPLICA_LABELS], pools: [], families: [] };
}
