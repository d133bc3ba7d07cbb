/**
 * The figures alert rules compare, each recorded once per pool and target by a recording rule
 * under a name that does not depend on the family (`pool_advisor:acquire_wait_seconds:p99_5m`), so
 * alerts, dashboards and a future `observe --prometheus` read the same cheap series whatever the
 * service exports. This module names a figure and writes its PromQL for a family, or says why the
 * family cannot. Pure.
 */
import { FAMILIES, isUnexpressible, type CounterFigure, type Family, type FamilyName, type Unexpressible } from './families.js';
import { eachName, operand, overRange, promDuration, promNumber } from '../metrics-catalogue/promql.js';

export { promDuration, promNumber } from '../metrics-catalogue/promql.js';

/** A latency's aggregation. */
export type LatencyAgg = { name: 'p'; q: number } | { name: 'avg' | 'max' | 'min' };
/** A gauge's aggregation over the window (`value` is the instant value). */
export type GaugeAgg = { name: 'p'; q: number } | { name: 'value' | 'mean' | 'max' };

/** A figure a rule computes per pool and target, over a window of `window` seconds. */
export type Figure =
  | { kind: 'latency'; metric: 'acquire' | 'hold' | 'create'; agg: LatencyAgg; window: number }
  | { kind: 'counter'; metric: CounterFigure; window: number }
  | { kind: 'ratio'; metric: 'waited' | 'slow_share'; window: number }
  | { kind: 'gauge'; metric: 'in_use' | 'idle' | 'waiting' | 'utilization'; agg: GaugeAgg; window: number }
  | { kind: 'acquires'; window: number };

/** The unit of a figure's value: seconds, events per second, a fraction 0-1, or connections. */
export type FigureUnit = 'seconds' | 'per_second' | 'fraction' | 'connections';

const LATENCY_NAME = { acquire: 'acquire_wait_seconds', hold: 'hold_seconds', create: 'create_seconds' } as const;
const COUNTER_NAME: Record<CounterFigure, string> = {
  timeouts: 'acquire_timeouts',
  expired: 'connections_expired',
  idle_closed: 'connections_idle_closed',
  created: 'connections_created',
  errors: 'acquire_errors',
  slow: 'slow_acquires',
  failures: 'acquire_failures',
};
const GAUGE_NAME = { in_use: 'connections_in_use', idle: 'connections_idle', waiting: 'pending_acquires', utilization: 'utilization' } as const;

/** `p(99.9)` -> `p99_9`. */
function pName(q: number): string {
  return `p${promNumber(q).replace('.', '_')}`;
}

/** The name a figure is recorded under. */
export function recordName(f: Figure): string {
  const w = promDuration(f.window);
  switch (f.kind) {
    case 'latency':
      return `pool_advisor:${LATENCY_NAME[f.metric]}:${f.agg.name === 'p' ? pName(f.agg.q) : f.agg.name === 'avg' ? 'mean' : f.agg.name}_${w}`;
    case 'counter':
      return `pool_advisor:${COUNTER_NAME[f.metric]}:rate_${w}`;
    case 'ratio':
      return `pool_advisor:${f.metric === 'waited' ? 'waited_share' : 'slow_share'}:ratio_${w}`;
    case 'gauge':
      if (f.agg.name === 'value') return f.metric === 'utilization' ? 'pool_advisor:utilization:ratio' : `pool_advisor:${GAUGE_NAME[f.metric]}`;
      return `pool_advisor:${GAUGE_NAME[f.metric]}:${f.agg.name === 'p' ? pName(f.agg.q) : f.agg.name}_${w}`;
    case 'acquires':
      return `pool_advisor:acquires:rate_${w}`;
  }
}

/** The unit of a figure's value. */
export function figureUnit(f: Figure): FigureUnit {
  switch (f.kind) {
    case 'latency':
      return 'seconds';
    case 'counter':
    case 'acquires':
      return 'per_second';
    case 'ratio':
      return 'fraction';
    case 'gauge':
      return f.metric === 'utilization' ? 'fraction' : 'connections';
  }
}

/** What a figure is, in words, for annotations and docs ("the P99 acquire wait over 5m"). */
export function describeFigure(f: Figure): string {
  const w = promDuration(f.window);
  switch (f.kind) {
    case 'latency': {
      const what = { acquire: 'acquire wait', hold: 'hold time', create: 'connection-open time' }[f.metric];
      const agg = f.agg.name === 'p' ? `P${promNumber(f.agg.q)}` : f.agg.name === 'avg' ? 'mean' : f.agg.name === 'max' ? 'longest' : 'shortest';
      return `${agg} ${what} over ${w}`;
    }
    case 'counter': {
      const what = {
        timeouts: 'acquires that timed out',
        expired: 'connections closed at max lifetime',
        idle_closed: 'connections closed by the idle timeout',
        created: 'connections opened',
        errors: 'acquires that failed other than by timeout',
        slow: 'slow acquires',
        failures: 'failed acquires (timeouts included)',
      }[f.metric];
      return `${what} over ${w}`;
    }
    case 'ratio':
      return `share of acquires that ${f.metric === 'waited' ? 'waited' : 'were slow'} over ${w}`;
    case 'gauge': {
      const what = { in_use: 'connections in use', idle: 'idle connections', waiting: 'acquires waiting', utilization: 'utilisation (in use / max)' }[f.metric];
      if (f.agg.name === 'value') return what;
      const agg = f.agg.name === 'p' ? `P${promNumber(f.agg.q)} of` : f.agg.name;
      return `${agg} ${what} over ${w}`;
    }
    case 'acquires':
      return `acquires per second over ${w}`;
  }
}

const HISTOGRAM_NO_MAX = 'a histogram keeps counts per bucket, not the longest value: write a high percentile instead, e.g. p(99.9)';
const NO_MIN = 'no family exports the shortest value, and a histogram bounds it only by its lowest bucket';

/** What a figure may need beyond the family's series. */
export interface FigureContext {
  /**
   * `max_connections` per pool-label value, from the service's own config, for a family that
   * exports no maximum (Tasker's): utilisation then divides by these constants.
   */
  maxConnections?: ReadonlyMap<string, number>;
}

/** A selector with one more label matcher (`m{a="b"}` + c=d -> `m{a="b",c="d"}`). */
function withMatcher(selector: string, label: string, value: string): string {
  const matcher = `${label}=${JSON.stringify(value)}`;
  return selector.endsWith('}') ? `${selector.slice(0, -1)},${matcher}}` : `${selector}{${matcher}}`;
}

/** The PromQL of a figure in a family (a built-in's name, or the family), or why the family cannot compute it. */
export function figureExpr(f: Figure, family: FamilyName | Family, ctx: FigureContext = {}): string | Unexpressible {
  const fam = typeof family === 'string' ? FAMILIES.get(family)! : family;
  const w = promDuration(f.window);
  switch (f.kind) {
    case 'latency': {
      const s = fam.latency[f.metric];
      if (isUnexpressible(s)) return s;
      if (f.agg.name === 'p') {
        if (s.buckets !== true) return s.buckets;
        const q = promNumber(f.agg.q / 100);
        return eachName(s.names, (b) => `histogram_quantile(${q}, ${overRange('rate', `${b}_bucket`, w)})`, true);
      }
      if (f.agg.name === 'avg') return eachName(s.names, (b) => `${overRange('rate', `${b}_sum`, w)} / ${overRange('rate', `${b}_count`, w)}`, true);
      if (f.agg.name === 'max') return s.max ? eachName(s.names, (b) => overRange('max_over_time', `${b}_max`, w), true) : { reason: HISTOGRAM_NO_MAX };
      return { reason: NO_MIN };
    }
    case 'counter': {
      const r = fam.counterRate[f.metric];
      return isUnexpressible(r) ? r : r(w);
    }
    case 'ratio': {
      if (f.metric === 'waited') return { reason: waitedReason(fam) };
      const slow = fam.counterRate.slow;
      if (isUnexpressible(slow)) return slow;
      if (isUnexpressible(fam.acquireRate)) return fam.acquireRate;
      return `${operand(slow(w))} / ${operand(fam.acquireRate(w))}`;
    }
    case 'gauge':
      return gaugeExpr(fam, f.metric, f.agg, w, ctx);
    case 'acquires':
      return isUnexpressible(fam.acquireRate) ? fam.acquireRate : fam.acquireRate(w);
  }
}

function waitedReason(fam: Family): string {
  if (fam.name === 'go-sql') return 'database/sql counts the acquires that waited but not all acquires, so their share cannot be formed';
  if (fam.name === 'tasker') return "Tasker's /metrics has gauges of open connections only, no acquire counters";
  return `${fam.name === 'pool-advisor' ? "pool-advisor's /metrics" : `the ${fam.name} family`} has no counter of acquires that waited (were not handed an idle connection)`;
}

function overTime(agg: GaugeAgg, sel: string, w: string): string {
  if (agg.name === 'mean') return `avg_over_time(${sel}[${w}])`;
  if (agg.name === 'max') return `max_over_time(${sel}[${w}])`;
  if (agg.name === 'p') return `quantile_over_time(${promNumber(agg.q / 100)}, ${sel}[${w}])`;
  return sel;
}

function gaugeExpr(fam: Family, metric: 'in_use' | 'idle' | 'waiting' | 'utilization', agg: GaugeAgg, w: string, ctx: FigureContext): string | Unexpressible {
  const inUse = fam.gauges.in_use;
  if (metric !== 'utilization') {
    const g = fam.gauges[metric];
    if (isUnexpressible(g)) return g;
    // The mean in use from the hold-time sum is exact; a gauge's is sampled at scrape times.
    if (metric === 'in_use' && agg.name === 'mean' && fam.inUseMean) return fam.inUseMean(w);
    // One series per pool either way; dropping the state label gives every figure the same labels.
    return fam.stateLabel && metric !== 'waiting' ? `max without (${fam.stateLabel}) (${overTime(agg, g, w)})` : overTime(agg, g, w);
  }
  if (isUnexpressible(inUse)) return inUse;
  const max = fam.gauges.max;
  if (isUnexpressible(max)) {
    if (!ctx.maxConnections || ctx.maxConnections.size === 0) return { reason: `${max.reason}; pass --env ENV (and --config-dir) to divide by that environment's max_connections` };
    // One branch per pool, each divided by its own max_connections (a constant from the config).
    const strip = (e: string) => (fam.stateLabel ? `max without (${fam.stateLabel}) (${e})` : e);
    return [...ctx.maxConnections]
      .map(([pool, n]) => `${strip(overTime(agg, withMatcher(inUse, fam.poolLabel, pool), w))} / ${promNumber(n)}`)
      .join(' or ');
  }
  const divisor = fam.maxZeroMeansUnlimited ? `(${max} > 0)` : max;
  if (agg.name === 'mean' && fam.inUseMean) return `${operand(fam.inUseMean(w))} / ${divisor}`;
  const on = fam.stateLabel ? ` ignoring(${fam.stateLabel})` : '';
  return `${overTime(agg, inUse, w)} /${on} ${divisor}`;
}
