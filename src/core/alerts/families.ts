/**
 * The metric families `alerts` translates thresholds to: where each figure a threshold names lives
 * in that family's Prometheus series, or why the family cannot say it. The names are the one
 * catalogue's (core/metrics-catalogue/families.ts), the built-in families' and the advisor config's
 * `[[prometheus.families]]`; this module adds only what alerts say about a family: its title in the
 * rules file, and the reason for each figure it lacks.
 *
 * Every expression here reads one pool of one scraped target: the label sets of a family's series
 * for the same pool are assumed equal apart from the family's state label, which is what these
 * exporters produce.
 */
import type { PoolName } from '../config/pools.js';
import { FAMILIES as CATALOGUE, type FamilyDef, type PrometheusSpec, type TimeCandidate, type TimeUnit } from '../metrics-catalogue/families.js';
import { eachName, overRange, plainSelector, type TimeName } from '../metrics-catalogue/promql.js';

/** A family's name, as `--family` takes it. */
export type FamilyName = 'pool-advisor' | 'otel' | 'hikaricp' | 'go-sql' | 'tasker';

/** Every family, in the order help and docs list them. */
export const FAMILY_NAMES: readonly FamilyName[] = ['otel', 'pool-advisor', 'hikaricp', 'go-sql', 'tasker'];

/** Why a family cannot express a figure. */
export interface Unexpressible {
  reason: string;
}

/** A latency (a timer or histogram): which of its parts the family exports. */
export interface LatencySeries {
  /** Every name it may have (without `_bucket`, `_sum`, `_count`) and its unit, in the catalogue's order. */
  names: readonly TimeName[];
  /** Whether `_bucket` series exist (percentiles need them); else why not. */
  buckets: true | Unexpressible;
  /** Whether each name also has a gauge of the longest recent value (Micrometer's `<base>_max`). */
  max?: boolean;
}

/** The counters a threshold can name, plus `failures` (every failed acquire, timeouts included) for the default set. */
export type CounterFigure = 'timeouts' | 'expired' | 'idle_closed' | 'created' | 'errors' | 'slow' | 'failures';

/** One family of pool metrics. */
export interface Family {
  /** Its `--family` name: a built-in's, or a `[[prometheus.families]]` name. */
  name: string;
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

/** What alerts say about a family beyond its names: its title, and why it lacks what it lacks. */
interface AlertWords {
  title: string;
  latency?: Partial<Record<'acquire' | 'hold' | 'create', string>>;
  /** Why its time metrics have no `_bucket` series. */
  buckets?: string;
  counter?: Partial<Record<CounterFigure, string>>;
  failuresCaveat?: string;
  gauges?: Partial<Record<'in_use' | 'idle' | 'waiting' | 'max', string>>;
  acquireRate?: string;
  /** Why a pool has no label value in the family. */
  pool?: (pool: PoolName) => string;
}

const OTEL_NO_COUNTER = (what: string) => `the OpenTelemetry conventions define no counter of ${what} (only timeouts)`;
const HIKARI_NO_COUNTER = (what: string) => `HikariCP's Micrometer metrics have no counter of ${what}`;
const GO_SQL_WAITS = 'database/sql counts only the acquires that had to wait (go_sql_wait_count_total, go_sql_wait_duration_seconds_total): no distribution and no count of all acquires';
const GO_SQL_NO = (what: string) => `database/sql's DBStats have no ${what}`;
const TASKER_GAUGES_ONLY = (what: string) => `Tasker's /metrics has gauges of open connections only (tasker_db_pool_connections{pool,state}), no ${what}`;

/** The built-in families `alerts` writes for, by catalogue id, in the order help and docs list them. */
const WORDS: ReadonlyMap<string, AlertWords> = new Map<string, AlertWords>([
  [
    'otel',
    {
      title: 'OpenTelemetry semantic conventions for DB connection pools (db_client_connection_*), label db_client_connection_pool_name',
      counter: {
        expired: OTEL_NO_COUNTER('connections closed at their maximum lifetime'),
        idle_closed: OTEL_NO_COUNTER('connections closed for being idle'),
        errors: OTEL_NO_COUNTER('acquires that failed other than by timeout'),
        slow: OTEL_NO_COUNTER('slow acquires'),
      },
      failuresCaveat: 'counts timeouts only: the OpenTelemetry conventions have no counter of other failed acquires',
    },
  ],
  ['pool-advisor', { title: "pool-advisor's own /metrics (instrumentPool, analyze --metrics-port): OpenTelemetry names plus pool_advisor_* counters, label pool_name" }],
  [
    'hikari-micrometer',
    {
      title: 'HikariCP through Micrometer (hikaricp_connections_*), label pool',
      buckets: 'Micrometer publishes HikariCP timers with _count, _sum and _max only, no _bucket series unless percentile histograms are turned on for them',
      counter: {
        expired: HIKARI_NO_COUNTER('connections retired at maxLifetime'),
        idle_closed: HIKARI_NO_COUNTER('connections retired by idleTimeout'),
        errors: HIKARI_NO_COUNTER('acquires that failed other than by timeout'),
        slow: HIKARI_NO_COUNTER('slow acquires'),
      },
      failuresCaveat: 'counts timeouts only: HikariCP counts no other failed acquire',
    },
  ],
  [
    'go-sql',
    {
      title: "Go database/sql through client_golang's NewDBStatsCollector (go_sql_*), label db_name",
      latency: { acquire: GO_SQL_WAITS, hold: GO_SQL_NO('timing of how long a connection is held'), create: GO_SQL_NO('timing of opening a connection') },
      counter: {
        timeouts: 'database/sql has no acquire timeout of its own: a context deadline fails the caller and is not counted',
        created: GO_SQL_NO('count of connections opened'),
        errors: GO_SQL_NO('count of failed acquires'),
        slow: GO_SQL_NO('count of slow acquires'),
        failures: GO_SQL_NO('count of failed acquires'),
      },
      gauges: { waiting: 'database/sql exports how many acquires waited in total (go_sql_wait_count_total), not how many wait now' },
      acquireRate: GO_SQL_WAITS,
    },
  ],
  [
    'tasker',
    {
      title: "Tasker's own /metrics (tasker_db_pool_connections{pool=\"tasker\"|\"pgmq\",state}), gauges only",
      latency: { acquire: TASKER_GAUGES_ONLY('acquire timing (its pool detail fields for it are always 0)'), hold: TASKER_GAUGES_ONLY('hold timing'), create: TASKER_GAUGES_ONLY('connection-open timing') },
      counter: {
        timeouts: TASKER_GAUGES_ONLY('counter of timeouts'),
        expired: TASKER_GAUGES_ONLY('counter of expired connections'),
        idle_closed: TASKER_GAUGES_ONLY('counter of idle-closed connections'),
        created: TASKER_GAUGES_ONLY('counter of connections opened'),
        errors: TASKER_GAUGES_ONLY('counter of failed acquires'),
        slow: TASKER_GAUGES_ONLY('counter of slow acquires'),
        failures: TASKER_GAUGES_ONLY('counter of failed acquires'),
      },
      gauges: { waiting: TASKER_GAUGES_ONLY('count of waiting acquires'), max: TASKER_GAUGES_ONLY("max_connections gauge (tasker_*_db_pool_size is sqlx's size(), the connections open now)") },
      acquireRate: TASKER_GAUGES_ONLY('count of acquires'),
      pool: (pool) => `Tasker's /metrics reports the tasker and pgmq pools only, not '${pool}'`,
    },
  ],
]);

/** The `[[prometheus.families]]` key that names a part, for a user family's reasons. */
const USER_KEY = { acquire: 'wait', hold: 'use', create: 'create', timeouts: 'timeouts', in_use: 'in_use', idle: 'idle', waiting: 'pending', max: 'max' } as const;

/** The family's figures in its names: see {@link Family}. `units` are the `[prometheus]` table's, by base name, over a name's own. */
export function alertFamily(def: FamilyDef, units: Readonly<Record<string, TimeUnit>> = {}): Family {
  const words = WORDS.get(def.id);
  const name = def.alias ?? def.id;
  // A built-in family says why in its own words; a user's family names the key it leaves out.
  const lacks = (said: string | undefined, what: string, key?: string): Unexpressible =>
    no(said ?? `the advisor config's family '${name}' ${key ? `names no ${what} (${key} in its [[prometheus.families]] entry)` : `has no ${what}`}`);
  const rate = (metric: string) => (w: string) => overRange('rate', metric, w);
  const times = (cands: readonly TimeCandidate[] | undefined): TimeName[] => (cands ?? []).map((c) => ({ base: c.base, unit: units[c.base] ?? c.unit }));
  const latency = (part: 'acquire' | 'hold' | 'create', cands: readonly TimeCandidate[] | undefined, what: string): LatencySeries | Unexpressible => {
    const names = times(cands);
    if (names.length === 0) return lacks(words?.latency?.[part], what, USER_KEY[part]);
    return { names, buckets: words?.buckets !== undefined ? no(words.buckets) : true, ...(def.timerMax ? { max: true } : {}) };
  };
  const wait = times(def.wait);
  const use = times(def.use);
  const create = times(def.create);
  const closeRate = (reason: 'lifetime' | 'idle', what: string): ((w: string) => string) | Unexpressible => {
    const c = def.closes;
    const said = words?.counter?.[reason === 'lifetime' ? 'expired' : 'idle_closed'];
    if (c?.kind === 'label') {
      const value = c.reasons.find(([, r]) => r === reason)?.[0];
      // The reason label is dropped so that every figure of a pool has the same labels.
      if (value !== undefined) return (w) => `sum without (${c.label}) (${overRange('rate', plainSelector({ metric: c.metric, match: [[c.label, value]] }), w)})`;
    } else if (c?.kind === 'metrics') {
      const metric = c.metrics.find(([, r]) => r === reason)?.[0];
      if (metric !== undefined) return rate(metric);
    }
    return lacks(said, `counter of ${what}`);
  };
  const counterRate: Family['counterRate'] = {
    timeouts: def.timeouts ? rate(def.timeouts) : lacks(words?.counter?.timeouts, 'counter of acquire timeouts', USER_KEY.timeouts),
    expired: closeRate('lifetime', 'connections closed at their maximum lifetime'),
    idle_closed: closeRate('idle', 'connections closed for being idle'),
    created: def.created ? rate(def.created) : create.length > 0 ? (w) => eachName(create, (b) => overRange('rate', `${b}_count`, w), false) : lacks(words?.counter?.created, 'counter of connections opened'),
    // A threshold's `errors` leaves the timeouts out.
    errors: def.errors
      ? def.errorsCountTimeouts && def.timeouts
        ? (w) => `${overRange('rate', def.errors!, w)} - ${overRange('rate', def.timeouts!, w)}`
        : rate(def.errors)
      : lacks(words?.counter?.errors, 'counter of acquires that failed other than by timeout'),
    slow: def.slow ? rate(def.slow) : lacks(words?.counter?.slow, 'counter of slow acquires'),
    failures: def.errors && (def.errorsCountTimeouts || !def.timeouts) ? rate(def.errors) : def.timeouts ? rate(def.timeouts) : lacks(words?.counter?.failures, 'counter of failed acquires'),
  };
  const partial = !def.errors && def.timeouts !== undefined;
  const gauge = (part: 'in_use' | 'idle' | 'waiting' | 'max', sel: FamilyDef['max'], what: string) => (sel ? plainSelector(sel) : lacks(words?.gauges?.[part], what, USER_KEY[part]));
  // The label that tells in use from idle: the one the in-use selector matches on.
  const stateLabel = def.inUse?.match?.find(([k]) => def.idle?.match?.some(([l]) => l === k))?.[0] ?? def.inUse?.match?.[0]?.[0];
  const poolNames = new Map((def.poolNames ?? []).map(([value, pool]) => [pool, value] as const));
  return {
    name,
    title: words?.title ?? `${def.title}, label ${def.poolLabel}`,
    poolLabel: def.poolLabel,
    poolValue: (pool) => (def.poolNames ? (poolNames.get(pool) ?? no(words?.pool?.(pool) ?? `the family '${name}' names no pool '${pool}'`)) : pool),
    latency: {
      acquire: latency('acquire', def.wait, 'acquire-wait histogram'),
      hold: latency('hold', def.use, 'use-time histogram'),
      create: latency('create', def.create, 'connection-open histogram'),
    },
    counterRate,
    ...(partial ? { failuresCaveat: words?.failuresCaveat ?? `counts timeouts only: the family '${name}' has no counter of other failed acquires` } : {}),
    gauges: {
      in_use: gauge('in_use', def.inUse, 'gauge of connections in use'),
      idle: gauge('idle', def.idle, 'gauge of idle connections'),
      waiting: gauge('waiting', def.pending, 'gauge of waiting acquires'),
      max: gauge('max', def.max, 'gauge of the pool size'),
    },
    ...(stateLabel ? { stateLabel } : {}),
    ...(def.maxZeroMeansUnlimited ? { maxZeroMeansUnlimited: true } : {}),
    ...(use.length > 0 ? { inUseMean: (w: string) => eachName(use, (b) => overRange('rate', `${b}_sum`, w), true) } : {}),
    acquireRate: wait.length > 0 ? (w) => eachName(wait, (b) => overRange('rate', `${b}_count`, w), false) : lacks(words?.acquireRate, 'count of every acquire', USER_KEY.acquire),
  };
}

/** The built-in families by `--family` name. */
export const FAMILIES: ReadonlyMap<FamilyName, Family> = new Map(
  FAMILY_NAMES.map((n) => [n, alertFamily(CATALOGUE.find((d) => (d.alias ?? d.id) === n)!)]),
);

/** Whether a string names a family. */
export function isFamilyName(s: string): s is FamilyName {
  return FAMILIES.has(s as FamilyName);
}

/** The family `--family` names: a built-in one, else one of the advisor config's `[[prometheus.families]]` (undefined when neither). */
export function familyNamed(name: string, spec: PrometheusSpec | undefined): Family | undefined {
  if (isFamilyName(name)) return spec?.units ? alertFamily(CATALOGUE.find((d) => (d.alias ?? d.id) === name)!, spec.units) : FAMILIES.get(name);
  const own = spec?.families.find((d) => d.id === name);
  return own ? alertFamily(own, spec?.units) : undefined;
}
