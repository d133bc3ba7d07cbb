/**
 * The metric families `alerts` translates thresholds to: where each figure a threshold names lives
 * in that family's Prometheus series, or why the family cannot say it. Exact names from docs/facts.md
 * ("Pool metrics in the wild") and, for pool-advisor's own, docs/metrics.md.
 *
 * Every expression here reads one pool of one scraped target: the label sets of a family's series
 * for the same pool are assumed equal apart from the family's state label, which is what these
 * exporters produce.
 */
import type { PoolName } from '../config/pools.js';

/** A family's name, as `--family` takes it. */
export type FamilyName = 'pool-advisor' | 'otel' | 'hikaricp' | 'go-sql' | 'tasker';

/** Every family, in the order help and docs list them. */
export const FAMILY_NAMES: readonly FamilyName[] = ['otel', 'pool-advisor', 'hikaricp', 'go-sql', 'tasker'];

/** Why a family cannot express a figure. */
export interface Unexpressible {
  reason: string;
}

/** A latency (a timer or histogram of seconds): which of its parts the family exports. */
export interface LatencySeries {
  /** The name without `_bucket`, `_sum`, `_count`. */
  base: string;
  /** Whether `_bucket` series exist (percentiles need them); else why not. */
  buckets: true | Unexpressible;
  /** A gauge of the longest recent value (Micrometer's `_max`), when there is one. */
  max?: string;
}

/** The counters a threshold can name, plus `failures` (every failed acquire, timeouts included) for the default set. */
export type CounterFigure = 'timeouts' | 'expired' | 'idle_closed' | 'created' | 'errors' | 'slow' | 'failures';

/** One family of pool metrics. */
export interface Family {
  name: FamilyName;
  /** One line for help and docs. */
  title: string;
  /** The label that names the pool. */
  poolLabel: string;
  /** The label value for one of pool-advisor's pools (the same name unless the family names pools itself). */
  poolValue(pool: PoolName): string | Unexpressible;
  latency: Record<'acquire' | 'hold' | 'create', LatencySeries | Unexpressible>;
  /** Per-second rate of a counter over a range `[w]`, as PromQL. */
  counterRate: Record<CounterFigure, ((w: string) => string) | Unexpressible>;
  /** Set when `failures` counts only part of the failed acquires: what it leaves out. */
  failuresCaveat?: string;
  /** Instant gauges, as selectors. */
  gauges: Record<'in_use' | 'idle' | 'waiting' | 'max', string | Unexpressible>;
  /** The label that tells `in_use` from `idle` when both are one metric, ignored when dividing by `max`. */
  stateLabel?: string;
  /** Whether `max` can be 0 for "no limit" (database/sql), so a division must skip it. */
  maxZeroMeansUnlimited?: boolean;
  /** The mean number of connections in use over `[w]`, exactly (Little's law on the hold-time sum), when the family has one. */
  inUseMean?: (w: string) => string;
  /** Per-second rate of acquires over `[w]`, when the family counts every acquire. */
  acquireRate: ((w: string) => string) | Unexpressible;
}

const no = (reason: string): Unexpressible => ({ reason });

/** Whether a lookup gave a reason rather than a value. */
export function isUnexpressible(x: unknown): x is Unexpressible {
  return typeof x === 'object' && x !== null && 'reason' in x && Object.keys(x).length === 1;
}

const rate = (metric: string) => (w: string) => `rate(${metric}[${w}])`;
const samePool = (pool: PoolName) => pool;

/** OpenTelemetry's pool histograms, in seconds: pool-advisor's own /metrics uses the same names. */
const OTEL_LATENCY: Family['latency'] = {
  acquire: { base: 'db_client_connection_wait_time_seconds', buckets: true },
  hold: { base: 'db_client_connection_use_time_seconds', buckets: true },
  create: { base: 'db_client_connection_create_time_seconds', buckets: true },
};

const POOL_ADVISOR: Family = {
  name: 'pool-advisor',
  title: "pool-advisor's own /metrics (instrumentPool, analyze --metrics-port): OpenTelemetry names plus pool_advisor_* counters, label pool_name",
  poolLabel: 'pool_name',
  poolValue: samePool,
  latency: OTEL_LATENCY,
  counterRate: {
    timeouts: rate('db_client_connection_timeouts_total'),
    // The reason label is dropped so that every figure of a pool has the same labels.
    expired: (w) => `sum without (reason) (rate(pool_advisor_connections_closed_total{reason="expired"}[${w}]))`,
    idle_closed: (w) => `sum without (reason) (rate(pool_advisor_connections_closed_total{reason="idle"}[${w}]))`,
    created: rate('pool_advisor_connections_created_total'),
    // pool_advisor_acquire_errors_total counts timeouts too (Tasker's acquire_errors); a threshold's `errors` does not.
    errors: (w) => `rate(pool_advisor_acquire_errors_total[${w}]) - rate(db_client_connection_timeouts_total[${w}])`,
    slow: rate('pool_advisor_slow_acquires_total'),
    failures: rate('pool_advisor_acquire_errors_total'),
  },
  gauges: {
    in_use: 'db_client_connections{state="used"}',
    idle: 'db_client_connections{state="idle"}',
    waiting: 'db_client_connection_pending_requests',
    max: 'db_client_connection_max',
  },
  stateLabel: 'state',
  inUseMean: rate('db_client_connection_use_time_seconds_sum'),
  acquireRate: rate('db_client_connection_wait_time_seconds_count'),
};

const OTEL_NO_COUNTER = (what: string) => no(`the OpenTelemetry conventions define no counter of ${what} (only timeouts)`);

const OTEL: Family = {
  name: 'otel',
  title: 'OpenTelemetry semantic conventions for DB connection pools (db_client_connection_*), label db_client_connection_pool_name',
  poolLabel: 'db_client_connection_pool_name',
  poolValue: samePool,
  latency: OTEL_LATENCY,
  counterRate: {
    timeouts: rate('db_client_connection_timeouts_total'),
    expired: OTEL_NO_COUNTER('connections closed at their maximum lifetime'),
    idle_closed: OTEL_NO_COUNTER('connections closed for being idle'),
    created: rate('db_client_connection_create_time_seconds_count'),
    errors: OTEL_NO_COUNTER('acquires that failed other than by timeout'),
    slow: OTEL_NO_COUNTER('slow acquires'),
    failures: rate('db_client_connection_timeouts_total'),
  },
  failuresCaveat: 'counts timeouts only: the OpenTelemetry conventions have no counter of other failed acquires',
  gauges: {
    in_use: 'db_client_connection_count{db_client_connection_state="used"}',
    idle: 'db_client_connection_count{db_client_connection_state="idle"}',
    waiting: 'db_client_connection_pending_requests',
    max: 'db_client_connection_max',
  },
  stateLabel: 'db_client_connection_state',
  inUseMean: rate('db_client_connection_use_time_seconds_sum'),
  acquireRate: rate('db_client_connection_wait_time_seconds_count'),
};

const MICROMETER_NO_BUCKETS = no('Micrometer publishes HikariCP timers with _count, _sum and _max only, no _bucket series unless percentile histograms are turned on for them');
const HIKARI_NO_COUNTER = (what: string) => no(`HikariCP's Micrometer metrics have no counter of ${what}`);

const HIKARICP: Family = {
  name: 'hikaricp',
  title: 'HikariCP through Micrometer (hikaricp_connections_*), label pool',
  poolLabel: 'pool',
  poolValue: samePool,
  latency: {
    acquire: { base: 'hikaricp_connections_acquire_seconds', buckets: MICROMETER_NO_BUCKETS, max: 'hikaricp_connections_acquire_seconds_max' },
    hold: { base: 'hikaricp_connections_usage_seconds', buckets: MICROMETER_NO_BUCKETS, max: 'hikaricp_connections_usage_seconds_max' },
    create: { base: 'hikaricp_connections_creation_seconds', buckets: MICROMETER_NO_BUCKETS, max: 'hikaricp_connections_creation_seconds_max' },
  },
  counterRate: {
    timeouts: rate('hikaricp_connections_timeout_total'),
    expired: HIKARI_NO_COUNTER('connections retired at maxLifetime'),
    idle_closed: HIKARI_NO_COUNTER('connections retired by idleTimeout'),
    created: rate('hikaricp_connections_creation_seconds_count'),
    errors: HIKARI_NO_COUNTER('acquires that failed other than by timeout'),
    slow: HIKARI_NO_COUNTER('slow acquires'),
    failures: rate('hikaricp_connections_timeout_total'),
  },
  failuresCaveat: 'counts timeouts only: HikariCP counts no other failed acquire',
  gauges: {
    in_use: 'hikaricp_connections_active',
    idle: 'hikaricp_connections_idle',
    waiting: 'hikaricp_connections_pending',
    max: 'hikaricp_connections_max',
  },
  inUseMean: rate('hikaricp_connections_usage_seconds_sum'),
  acquireRate: rate('hikaricp_connections_acquire_seconds_count'),
};

const GO_SQL_WAITS = no('database/sql counts only the acquires that had to wait (go_sql_wait_count_total, go_sql_wait_duration_seconds_total): no distribution and no count of all acquires');
const GO_SQL_NO = (what: string) => no(`database/sql's DBStats have no ${what}`);

const GO_SQL: Family = {
  name: 'go-sql',
  title: "Go database/sql through client_golang's NewDBStatsCollector (go_sql_*), label db_name",
  poolLabel: 'db_name',
  poolValue: samePool,
  latency: {
    acquire: GO_SQL_WAITS,
    hold: GO_SQL_NO('timing of how long a connection is held'),
    create: GO_SQL_NO('timing of opening a connection'),
  },
  counterRate: {
    timeouts: no('database/sql has no acquire timeout of its own: a context deadline fails the caller and is not counted'),
    expired: rate('go_sql_max_lifetime_closed_total'),
    idle_closed: rate('go_sql_max_idle_time_closed_total'),
    created: GO_SQL_NO('count of connections opened'),
    errors: GO_SQL_NO('count of failed acquires'),
    slow: GO_SQL_NO('count of slow acquires'),
    failures: GO_SQL_NO('count of failed acquires'),
  },
  gauges: {
    in_use: 'go_sql_in_use_connections',
    idle: 'go_sql_idle_connections',
    waiting: no('database/sql exports how many acquires waited in total (go_sql_wait_count_total), not how many wait now'),
    max: 'go_sql_max_open_connections',
  },
  maxZeroMeansUnlimited: true,
  acquireRate: GO_SQL_WAITS,
};

const TASKER_GAUGES_ONLY = (what: string) => no(`Tasker's /metrics has gauges of open connections only (tasker_db_pool_connections{pool,state}), no ${what}`);
const TASKER_POOLS: ReadonlyMap<PoolName, string> = new Map([
  ['database', 'tasker'],
  ['pgmq', 'pgmq'],
]);

const TASKER: Family = {
  name: 'tasker',
  title: "Tasker's own /metrics (tasker_db_pool_connections{pool=\"tasker\"|\"pgmq\",state}), gauges only",
  poolLabel: 'pool',
  poolValue: (pool) => TASKER_POOLS.get(pool) ?? no(`Tasker's /metrics reports the tasker and pgmq pools only, not '${pool}'`),
  latency: {
    acquire: TASKER_GAUGES_ONLY('acquire timing (its pool detail fields for it are always 0)'),
    hold: TASKER_GAUGES_ONLY('hold timing'),
    create: TASKER_GAUGES_ONLY('connection-open timing'),
  },
  counterRate: {
    timeouts: TASKER_GAUGES_ONLY('counter of timeouts'),
    expired: TASKER_GAUGES_ONLY('counter of expired connections'),
    idle_closed: TASKER_GAUGES_ONLY('counter of idle-closed connections'),
    created: TASKER_GAUGES_ONLY('counter of connections opened'),
    errors: TASKER_GAUGES_ONLY('counter of failed acquires'),
    slow: TASKER_GAUGES_ONLY('counter of slow acquires'),
    failures: TASKER_GAUGES_ONLY('counter of failed acquires'),
  },
  gauges: {
    in_use: 'tasker_db_pool_connections{state="active"}',
    idle: 'tasker_db_pool_connections{state="idle"}',
    waiting: TASKER_GAUGES_ONLY('count of waiting acquires'),
    max: TASKER_GAUGES_ONLY("max_connections gauge (tasker_*_db_pool_size is sqlx's size(), the connections open now)"),
  },
  stateLabel: 'state',
  acquireRate: TASKER_GAUGES_ONLY('count of acquires'),
};

/** The families by name. */
export const FAMILIES: ReadonlyMap<FamilyName, Family> = new Map(
  [OTEL, POOL_ADVISOR, HIKARICP, GO_SQL, TASKER].map((f) => [f.name, f]),
);

/** Whether a string names a family. */
export function isFamilyName(s: string): s is FamilyName {
  return FAMILIES.has(s as FamilyName);
}
