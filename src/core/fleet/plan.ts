/**
 * The PromQL queries that read a window of a fleet's pool metrics, per family found. Each query is
 * an instant query at the window's end over a range as long as the window, grouped by the pool
 * label, the replica labels and any label the mapping needs, so one query answers for every pool of
 * every replica at once: the number of queries depends on the families, not on the fleet's size.
 *
 * - counters (acquires, use-time sums, timeouts, closes): `increase(...[W])`; rates are the increase
 *   over the window's length;
 * - the use-time sum's increase is the connection-seconds spent in use, so its rate is the mean
 *   number of connections in use (Little's law, exact up to holds in flight at the window's edges);
 * - histogram buckets per replica (`sum by (..., le)`), and the fleet's P99 with
 *   `histogram_quantile` over `sum by (pool, le)`: histograms add up across replicas, summary
 *   quantiles do not, so summaries give a mean only;
 * - gauges: `avg_over_time` / `max_over_time` (snapshots at scrape time, blind between scrapes).
 */
import type { CloseReason, FamilyMatch, FoundTime, PrometheusSpec, Selector } from '../metrics-catalogue/families.js';
import { poolLabels, SECONDS_PER } from '../metrics-catalogue/families.js';
import { overRange, spelled } from '../metrics-catalogue/promql.js';

export { selectorText, spelled } from '../metrics-catalogue/promql.js';

/** The window read: start and end, ms since the epoch. */
export interface FleetWindow {
  startMs: number;
  endMs: number;
}

/** What a query's answer is, for the assembler. */
export type QueryPart =
  | 'wait_count'
  | 'wait_sum'
  | 'wait_bucket'
  | 'wait_fleet_p99'
  | 'waited_count'
  | 'waited_sum'
  | 'use_count'
  | 'use_sum'
  | 'create_count'
  | 'create_sum'
  | 'timeouts'
  | 'errors'
  | 'created'
  | 'closes'
  | 'max'
  | 'min'
  | 'in_use_avg'
  | 'in_use_max'
  | 'idle_avg'
  | 'open_avg'
  | 'pending_avg'
  | 'pending_max'
  | 'span_first'
  | 'span_last'
  | 'span_samples'
  | 'wait_bounds'
  | 'use_bounds'
  | 'create_bounds';

/** One planned query. */
export interface PlannedQuery {
  family: string;
  part: QueryPart;
  promql: string;
  /** Seconds per unit of the answer, for time sums and buckets (1 otherwise). */
  scale: number;
  /**
   * Whether the metric is the family's own (a signature name or its acquire/use count). Families
   * share some names (HikariCP's two trackers both have `hikaricp_connections`), so a pool counts as
   * this family's only when one of these answers for it.
   */
  anchor: boolean;
  /** For the bucket bounds: the time metric's base name. */
  base?: string;
  /** For closes: the reason this query counts, or the label that carries it. */
  reason?: CloseReason;
  reasonLabel?: string;
  reasons?: ReadonlyArray<readonly [string, CloseReason]>;
}

/** The labels every query groups by for a family: pool, replica, environment, and those mappings match on. */
export function groupLabels(m: FamilyMatch, spec: PrometheusSpec): string[] {
  const labels = [...poolLabels(m.def), ...spec.replicaLabels];
  if (spec.envLabel) labels.push(spec.envLabel);
  for (const p of spec.pools) if (!p.family || p.family === m.def.id) for (const [k] of p.match) labels.push(k);
  return [...new Set(labels)];
}

/** The range of a window as PromQL writes it (whole milliseconds). */
export function rangeText(w: FleetWindow): string {
  return `${Math.max(1, Math.round(w.endMs - w.startMs))}ms`;
}

/**
 * The step of the subqueries that find each series' first and last sample: a thousandth of the
 * window (a series' span is known to that), at least 100 ms, at most 60 s (under Prometheus's
 * 5-minute lookback, so no sample falls between steps unseen).
 */
export function spanStepMs(w: FleetWindow): number {
  return Math.min(60_000, Math.max(100, Math.round((w.endMs - w.startMs) / 1000)));
}

/** Every query for one family over a window. */
export function planFamily(m: FamilyMatch, spec: PrometheusSpec, w: FleetWindow): PlannedQuery[] {
  const def = m.def;
  const by = groupLabels(m, spec).join(', ');
  const R = rangeText(w);
  const out: PlannedQuery[] = [];
  const own = new Set(def.signature);
  /** One query of `part`, reading `metric` (which says whether it anchors a pool to the family). */
  const q = (part: QueryPart, metric: string, promql: string, scale = 1, extra: Partial<PlannedQuery> = {}) => {
    const timeAnchor = !def.anchorOnSignature && (part === 'wait_count' || part === 'use_count' || part === 'waited_count');
    out.push({ family: def.id, part, promql, scale, anchor: own.has(metric) || timeAnchor, ...extra });
  };
  const on = { by: groupLabels(m, spec), range: R };
  const inc = (metric: string, extra: ReadonlyArray<readonly [string, string]> = []) => `sum by (${by}) (${spelled(def, { metric }, (x) => overRange('increase', x, R), extra, on)})`;
  const time = (t: FoundTime | undefined, name: 'wait' | 'use' | 'create') => {
    if (!t) return;
    const s = SECONDS_PER[t.unit];
    q(`${name}_count`, `${t.base}_count`, inc(`${t.base}_count`));
    q(`${name}_sum`, `${t.base}_sum`, inc(`${t.base}_sum`), s);
    if (name === 'wait' && t.buckets) {
      q('wait_bucket', `${t.base}_bucket`, `sum by (${by}, le) (${spelled(def, { metric: `${t.base}_bucket` }, (x) => overRange('increase', x, R), [], on)})`, s);
      const fleetBy = [...poolLabels(def), ...(spec.envLabel ? [spec.envLabel] : []), 'le'].join(', ');
      q('wait_fleet_p99', `${t.base}_bucket`, `histogram_quantile(0.99, sum by (${fleetBy}) (${spelled(def, { metric: `${t.base}_bucket` }, (x) => overRange('increase', x, R), [], on)}))`, s);
    }
    // The bucket bounds, once for the fleet, to check a unit the name does not state against.
    if (t.buckets && t.unitFrom) q(`${name}_bounds`, `${t.base}_bucket`, `count by (le) (${spelled(def, { metric: `${t.base}_bucket` }, (x) => overRange('count_over_time', x, R), [], on)})`, s, { base: t.base });
  };
  // Each series' covered span, from the family's anchor name (Prometheus 2.42 has no
  // first_over_time: the first and last sample times come from timestamp() over a subquery), and
  // its sample count, for rates over the series' own span rather than the window's.
  if (m.anchor) {
    const step = `${spanStepMs(w)}ms`;
    const ts = (x: string) => `timestamp(${x})`;
    q('span_first', m.anchor, `min by (${by}) (min_over_time((${spelled(def, { metric: m.anchor }, ts)})[${R}:${step}]))`);
    q('span_last', m.anchor, `max by (${by}) (max_over_time((${spelled(def, { metric: m.anchor }, ts)})[${R}:${step}]))`);
    q('span_samples', m.anchor, `max by (${by}) (${spelled(def, { metric: m.anchor }, (x) => overRange('count_over_time', x, R))})`);
  }
  for (const t of [m.wait, ...(m.also?.wait ?? [])]) time(t, 'wait');
  if (def.waited) {
    q('waited_count', def.waited.count, inc(def.waited.count));
    q('waited_sum', def.waited.sum.base, inc(def.waited.sum.base), SECONDS_PER[def.waited.sum.unit]);
  }
  for (const t of [m.use, ...(m.also?.use ?? [])]) time(t, 'use');
  for (const t of [m.create, ...(m.also?.create ?? [])]) time(t, 'create');
  if (def.timeouts) q('timeouts', def.timeouts, inc(def.timeouts));
  if (def.errors) q('errors', def.errors, inc(def.errors));
  if (def.created) q('created', def.created, inc(def.created));
  if (def.closes?.kind === 'label') {
    const c = def.closes;
    q('closes', c.metric, `sum by (${by}, ${c.label}) (${spelled(def, { metric: c.metric }, (x) => overRange('increase', x, R), [], on)})`, 1, { reasonLabel: c.label, reasons: c.reasons });
  } else if (def.closes?.kind === 'metrics') {
    for (const [metric, reason] of def.closes.metrics) q('closes', metric, inc(metric), 1, { reason });
  }
  const gauge = (part: QueryPart, sel: Selector | undefined, fn: 'avg_over_time' | 'max_over_time', agg: 'sum' | 'max' = 'sum') => {
    if (sel) q(part, sel.metric, `${agg} by (${by}) (${spelled(def, sel, (x) => overRange(fn, x, R), [], on)})`);
  };
  gauge('max', def.max, 'max_over_time', 'max');
  gauge('min', def.min, 'max_over_time', 'max');
  gauge('in_use_avg', def.inUse, 'avg_over_time');
  gauge('in_use_max', def.inUse, 'max_over_time');
  gauge('idle_avg', def.idle, 'avg_over_time');
  gauge('open_avg', def.open, 'avg_over_time');
  gauge('pending_avg', def.pending, 'avg_over_time');
  gauge('pending_max', def.pending, 'max_over_time');
  return out;
}

/** Every query for every family found. */
export function planQueries(matches: readonly FamilyMatch[], spec: PrometheusSpec, w: FleetWindow): PlannedQuery[] {
  return matches.flatMap((m) => planFamily(m, spec, w));
}
