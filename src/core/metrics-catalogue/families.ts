/**
 * The one catalogue of connection-pool metric families found in Prometheus (docs/facts.md, "Pool
 * metrics in the wild"; pool-advisor's own in docs/metrics.md), each declaring its metric names and
 * what it carries, and their recognition from the metric names a server holds. `fleet` and
 * `observe --prometheus` read with it (core/fleet/plan.ts), `alerts` writes rules in its names
 * (core/alerts/families.ts), both through the PromQL builder beside it (promql.ts). A user's own
 * names come in through the advisor config's `[prometheus]` table ({@link PrometheusSpec}) in the
 * same shape as the built-in families, for all three. Pure data and functions.
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
  /** The name says no unit: `unit` is the family's convention, checked against the bucket bounds. */
  unitAssumed?: boolean;
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
  /** The shorter name `alerts --family` knows it by, when not its id. */
  alias?: string;
  title: string;
  /** The label naming the pool. */
  poolLabel: string;
  /**
   * Other spellings of the family's labels (the pool label and those its selectors match on), each a
   * renaming from the family's own: OpenTelemetry's instrumentations wrote `pool.name` and `state`
   * before `db.client.connection.pool.name` and `db.client.connection.state`. Every query reads each
   * spelling (`or`), so the number of queries does not grow.
   */
  labelSpellings?: ReadonlyArray<Readonly<Record<string, string>>>;
  /** Only the signature names make a pool this family's (its time metrics share names with another family's). */
  anchorOnSignature?: boolean;
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
  /** Failed acquires. */
  errors?: string;
  /** `errors` counts the timeouts too (Tasker's acquire_errors). */
  errorsCountTimeouts?: boolean;
  /** Acquires that waited at least the slow-acquire threshold. */
  slow?: string;
  created?: string;
  /** Closes by reason; of the `idle` ones, the first is the idle timeout's. */
  closes?: CloseSpec;
  /** Each time metric also has `<base>_max`, the longest recent value (Micrometer's timers). */
  timerMax?: boolean;
  max?: Selector;
  /** `max` is 0 for "no limit" (database/sql's MaxOpenConns). */
  maxZeroMeansUnlimited?: boolean;
  min?: Selector;
  inUse?: Selector;
  idle?: Selector;
  /** All open connections (in use and idle). */
  open?: Selector;
  pending?: Selector;
  /** Pool label values that name a Tasker pool in this family's own terms. */
  poolNames?: ReadonlyArray<readonly [string, PoolName]>;
}

/**
 * OpenTelemetry's names of a time instrument as Prometheus holds them: without a unit suffix (the
 * official Prometheus exporter of the JS SDK), with `_seconds` (the Collector's exporter,
 * Prometheus's OTLP receiver) or `_milliseconds` (older instrumentations). Without a suffix the unit
 * is the convention's (`s` now, `ms` in the older names), checked against the bucket bounds.
 */
const otelTimes = (stem: string, convention: TimeUnit): TimeCandidate[] => [
  { base: stem, unit: convention, unitAssumed: true },
  { base: `${stem}_seconds`, unit: 'seconds' },
  { base: `${stem}_milliseconds`, unit: 'milliseconds' },
];

/** The two spellings of OpenTelemetry's pool labels: the current semantic conventions', and the older `pool_name`/`state`. */
const OTEL_CURRENT_LABELS = { pool: 'db_client_connection_pool_name', state: 'db_client_connection_state' };
const OTEL_LEGACY_LABELS = { pool: 'pool_name', state: 'state' };
const spell = (from: { pool: string; state: string }, to: { pool: string; state: string }): Record<string, string> => ({ [from.pool]: to.pool, [from.state]: to.state });

/** The OpenTelemetry family of one generation of names, in one label spelling (the other read too). */
function otelFamily(id: string, title: string, stem: string, countGauge: string, convention: TimeUnit, labels: { pool: string; state: string }, other: { pool: string; state: string }): FamilyDef {
  return {
    id,
    title,
    poolLabel: labels.pool,
    labelSpellings: [spell(labels, other)],
    anchorOnSignature: true,
    signature: [countGauge],
    wait: otelTimes(`${stem}_wait_time`, convention),
    use: otelTimes(`${stem}_use_time`, convention),
    create: otelTimes(`${stem}_create_time`, convention),
    timeouts: `${stem}_timeouts_total`,
    max: { metric: `${stem}_max` },
    min: { metric: `${stem}_idle_min` },
    inUse: { metric: countGauge, match: [[labels.state, 'used']] },
    idle: { metric: countGauge, match: [[labels.state, 'idle']] },
    open: { metric: countGauge },
    pending: { metric: `${stem}_pending_requests` },
  };
}

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
    errorsCountTimeouts: true,
    slow: 'pool_advisor_slow_acquires_total',
    created: 'pool_advisor_connections_created_total',
    closes: { kind: 'label', metric: 'pool_advisor_connections_closed_total', label: 'reason', reasons: [['expired', 'lifetime'], ['idle', 'idle'], ['error', 'error'], ['shutdown', 'shutdown']] },
    max: { metric: 'db_client_connection_max' },
    min: { metric: 'db_client_connection_idle_min' },
    inUse: { metric: 'db_client_connections', match: [['state', 'used']] },
    idle: { metric: 'db_client_connections', match: [['state', 'idle']] },
    open: { metric: 'db_client_connections' },
    pending: { metric: 'db_client_connection_pending_requests' },
  },
  otelFamily('otel', 'OpenTelemetry (db.client.connection.*)', 'db_client_connection', 'db_client_connection_count', 'seconds', OTEL_CURRENT_LABELS, OTEL_LEGACY_LABELS),
  otelFamily('otel-legacy', 'OpenTelemetry, older names (db.client.connections.*)', 'db_client_connections', 'db_client_connections_usage', 'milliseconds', OTEL_LEGACY_LABELS, OTEL_CURRENT_LABELS),
  {
    id: 'hikari-micrometer',
    alias: 'hikaricp',
    title: 'HikariCP through Micrometer (hikaricp_connections_*)',
    poolLabel: 'pool',
    signature: ['hikaricp_connections_active', 'hikaricp_connections_acquire_seconds_count'],
    wait: [{ base: 'hikaricp_connections_acquire_seconds', unit: 'seconds' }],
    use: [{ base: 'hikaricp_connections_usage_seconds', unit: 'seconds' }],
    create: [{ base: 'hikaricp_connections_creation_seconds', unit: 'seconds' }],
    timeouts: 'hikaricp_connections_timeout_total',
    timerMax: true,
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
    maxZeroMeansUnlimited: true,
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
  /** The unit is the family's convention (the name has none) or the [prometheus] table's `units`: checked against the bucket bounds. */
  unitFrom?: 'convention' | 'config';
}

/** Every label naming the pool in a family: its own, then its other spellings'. */
export function poolLabels(def: FamilyDef): string[] {
  return [def.poolLabel, ...(def.labelSpellings ?? []).map((r) => r[def.poolLabel] ?? def.poolLabel)].filter((l, i, a) => a.indexOf(l) === i);
}

/** The pool a series is, under whichever spelling it has. */
export function poolOf(labels: Record<string, string>, def: FamilyDef): string {
  for (const l of poolLabels(def)) if (labels[l]) return labels[l]!;
  return '';
}

/** A family found on the server, with the names it actually has there. */
export interface FamilyMatch {
  def: FamilyDef;
  /** A signature name the server has: its samples tell each series' covered span. */
  anchor?: string;
  wait?: FoundTime;
  use?: FoundTime;
  create?: FoundTime;
  /** Parts the family declares but the server does not have (names missing). */
  absent: string[];
  /** Other names of the same part the server has too (one service exposes `_seconds`, another none): each is read, and a replica's figures add up. */
  also?: { wait: FoundTime[]; use: FoundTime[]; create: FoundTime[] };
}

/** Every candidate the server has, in the family's order (services of one fleet may expose different ones). */
function findTimes(names: ReadonlySet<string>, candidates: readonly TimeCandidate[] | undefined, units: Readonly<Record<string, TimeUnit>>): FoundTime[] {
  const out: FoundTime[] = [];
  for (const c of candidates ?? []) {
    if (!names.has(`${c.base}_count`)) continue;
    const buckets = names.has(`${c.base}_bucket`);
    const own = units[c.base];
    if (own) out.push({ base: c.base, unit: own, buckets, unitFrom: 'config' });
    else out.push({ base: c.base, unit: c.unit, buckets, ...(c.unitAssumed ? { unitFrom: 'convention' as const } : {}) });
  }
  return out;
}

/** Words that name each time part, for near misses. */
const PART_WORDS: Readonly<Record<'wait' | 'use', RegExp>> = { wait: /wait|acquire/i, use: /use|usage|hold/i };

/**
 * A part the family declares but the server lacks, said with every name looked for and the names
 * on the server that come near (same stem, or the part's word beside a pool's): what to map in
 * `[[prometheus.families]]` if they are it.
 */
function missing(part: 'wait' | 'use', candidates: readonly TimeCandidate[], names: readonly string[]): string {
  const looked = candidates.map((c) => `${c.base}_count`).join(', ');
  const stems = candidates.map((c) => c.base);
  const near = [...new Set(names.filter((n) => !/_(bucket|sum)$/.test(n)).filter((n) => stems.some((st) => n.startsWith(st.replace(/_(seconds|milliseconds)$/, ''))) || (PART_WORDS[part].test(n) && /conn|pool/i.test(n))))].slice(0, 6);
  return `${part === 'wait' ? 'acquire wait' : 'use time'}: looked for ${looked}${near.length ? `; near: ${near.join(', ')}` : '; nothing near'}`;
}

/**
 * The families present among `names` (the server's metric names), built-in first, then the user's.
 * `units` are the [prometheus] table's units by base name (over a name's convention).
 */
export function recognise(names: readonly string[], families: readonly FamilyDef[], units: Readonly<Record<string, TimeUnit>> = {}): FamilyMatch[] {
  const set = new Set(names);
  const out: FamilyMatch[] = [];
  for (const def of families) {
    if (!def.signature.some((n) => set.has(n))) continue;
    const m: FamilyMatch = { def, absent: [] };
    const anchor = def.signature.find((n) => set.has(n));
    if (anchor) m.anchor = anchor;
    const [wait, ...waitAlso] = findTimes(set, def.wait, units);
    const [use, ...useAlso] = findTimes(set, def.use, units);
    const [create, ...createAlso] = findTimes(set, def.create, units);
    if (waitAlso.length || useAlso.length || createAlso.length) m.also = { wait: waitAlso, use: useAlso, create: createAlso };
    if (wait) m.wait = wait;
    else if (def.wait) m.absent.push(missing('wait', def.wait, names));
    if (use) m.use = use;
    else if (def.use) m.absent.push(missing('use', def.use, names));
    if (create) m.create = create;
    for (const sel of [def.max, def.inUse, def.open]) if (sel && !set.has(sel.metric) && !m.absent.includes(sel.metric)) m.absent.push(sel.metric);
    // OpenTelemetry's pg instrumentation alone records the count, the pending requests and the
    // operation duration: no wait or use histograms.
    if (def.id.startsWith('otel') && !wait && !use && names.some((n) => n.startsWith('db_client_operation_duration'))) {
      m.absent.push("the acquire wait and use time are not recorded: @opentelemetry/instrumentation-pg (db.client.operation.duration beside the connection count) records neither; the pool itself must record db.client.connection.wait_time and use_time");
    }
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
  /** Units of time metrics by base name (`[prometheus] units`), over a name's convention: for names without a unit suffix. */
  units?: Record<string, TimeUnit>;
  /** The database host's node_exporter `instance` label: observe reads the server's core count from it. */
  databaseInstance?: string;
}

/** The labels that tell replicas apart when the config does not say: Kubernetes' pod, else the scrape target. */
export const DEFAULT_REPLICA_LABELS: readonly string[] = ['pod', 'instance'];

/** The `[prometheus]` spec when the config has none. */
export function defaultPrometheusSpec(): PrometheusSpec {
  return { replicaLabels: [...DEFAULT_REPLICA_LABELS], pools: [], families: [] };
}
