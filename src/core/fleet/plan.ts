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
import type { CloseReason, FamilyDef, FamilyMatch, FoundTime, PrometheusSpec, Selector } from '../families/catalogue.js';
import { poolLabels, SECONDS_PER } from '../families/catalogue.js';

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

function quote(v: string): string {
  return JSON.stringify(v);
}

/** `metric{pool!="",k="v"}`: the family's pool label must be set, so families sharing a name stay apart. */
export function selectorText(sel: Selector, poolLabel: string, extra: ReadonlyArray<readonly [string, string]> = []): string {
  const matchers = [`${poolLabel}!=""`, ...[...(sel.match ?? []), ...extra].map(([k, v]) => `${k}=${quote(v)}`)];
  return `${sel.metric}{${matchers.join(',')}}`;
}

/**
 * `inner(selector)` for each spelling of the family's labels, joined with `or` (one query still):
 * the selector of the family's own spelling first, then each other's with its labels renamed.
 */
export function spelled(def: FamilyDef, sel: Selector, inner: (selector: string) => string, extra: ReadonlyArray<readonly [string, string]> = [], ctx?: { by: readonly string[]; range: string }): string {
  const out = [inner(selectorText(sel, def.poolLabel, extra))];
  for (const r of def.labelSpellings ?? []) {
    const rn = (k: string) => r[k] ?? k;
    const renamed: Selector = { metric: sel.metric, ...(sel.match ? { match: sel.match.map(([k, v]) => [rn(k), v] as const) } : {}) };
    const text = inner(selectorText(renamed, rn(def.poolLabel), extra.map(([k, v]) => [rn(k), v] as const)));
    // Another family may use this spelling for the same names (pool-advisor's own pool_name on the
    // time metrics OpenTelemetry's share): only series of a pool and replica that has the family's
    // signature in this spelling are this family's.
    const sig = def.signature[0];
    if (def.anchorOnSignature && ctx && sig && sel.metric !== sig) {
      const on = ctx.by.filter((l) => l !== 'le').map(rn);
      out.push(`(${text} and on (${[...new Set(on)].join(', ')}) count_over_time(${selectorText({ metric: sig }, rn(def.poolLabel))}[${ctx.range}]))`);
    } else out.push(text);
  }
  return out.join(' or ');
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
  const q = (part: QueryPart, promql: string, scale = 1, extra: Partial<PlannedQuery> = {}) => {
    const metric = /\(([a-zA-Z_:][a-zA-Z0-9_:]*)\{/.exec(promql)?.[1] ?? '';
    const timeAnchor = !def.anchorOnSignature && (part === 'wait_count' || part === 'use_count' || part === 'waited_count');
    out.push({ family: def.id, part, promql, scale, anchor: own.has(metric) || timeAnchor, ...extra });
  };
  const on = { by: groupLabels(m, spec), range: R };
  const inc = (metric: string, extra: ReadonlyArray<readonly [string, string]> = []) => `sum by (${by}) (${spelled(def, { metric }, (x) => `increase(${x}[${R}])`, extra, on)})`;
  const time = (t: FoundTime | undefined, name: 'wait' | 'use' | 'create') => {
    if (!t) return;
    const s = SECONDS_PER[t.unit];
    q(`${name}_count`, inc(`${t.base}_count`));
    q(`${name}_sum`, inc(`${t.base}_sum`), s);
    if (name === 'wait' && t.buckets) {
      q('wait_bucket', `sum by (${by}, le) (${spelled(def, { metric: `${t.base}_bucket` }, (x) => `increase(${x}[${R}])`, [], on)})`, s);
      const fleetBy = [...poolLabels(def), ...(spec.envLabel ? [spec.envLabel] : []), 'le'].join(', ');
      q('wait_fleet_p99', `histogram_quantile(0.99, sum by (${fleetBy}) (${spelled(def, { metric: `${t.base}_bucket` }, (x) => `increase(${x}[${R}])`, [], on)}))`, s);
    }
    // The bucket bounds, once for the fleet, to check a unit the name does not state against.
    if (t.buckets && t.unitFrom) q(`${name}_bounds`, `count by (le) (${spelled(def, { metric: `${t.base}_bucket` }, (x) => `count_over_time(${x}[${R}])`, [], on)})`, s, { base: t.base });
  };
  // Each series' covered span, from the family's anchor name (Prometheus 2.42 has no
  // first_over_time: the first and last sample times come from timestamp() over a subquery), and
  // its sample count, for rates over the series' own span rather than the window's.
  if (m.anchor) {
    const step = `${spanStepMs(w)}ms`;
    const ts = (x: string) => `timestamp(${x})`;
    q('span_first', `min by (${by}) (min_over_time((${spelled(def, { metric: m.anchor }, ts)})[${R}:${step}]))`);
    q('span_last', `max by (${by}) (max_over_time((${spelled(def, { metric: m.anchor }, ts)})[${R}:${step}]))`);
    q('span_samples', `max by (${by}) (${spelled(def, { metric: m.anchor }, (x) => `count_over_time(${x}[${R}])`)})`);
  }
  for (const t of [m.wait, ...(m.also?.wait ?? [])]) time(t, 'wait');
  if (def.waited) {
    q('waited_count', inc(def.waited.count));
    q('waited_sum', inc(def.waited.sum.base), SECONDS_PER[def.waited.sum.unit]);
  }
  for (const t of [m.use, ...(m.also?.use ?? [])]) time(t, 'use');
  for (const t of [m.create, ...(m.also?.create ?? [])]) time(t, 'create');
  if (def.timeouts) q('timeouts', inc(def.timeouts));
  if (def.errors) q('errors', inc(def.errors));
  if (def.created) q('created', inc(def.created));
  if (def.closes?.kind === 'label') {
    const c = def.closes;
    q('closes', `sum by (${by}, ${c.label}) (${spelled(def, { metric: c.metric }, (x) => `increase(${x}[${R}])`, [], on)})`, 1, { reasonLabel: c.label, reasons: c.reasons });
  } else if (def.closes?.kind === 'metrics') {
    for (const [metric, reason] of def.closes.metrics) q('closes', inc(metric), 1, { reason });
  }
  const gauge = (part: QueryPart, sel: Selector | undefined, fn: 'avg_over_time' | 'max_over_time', agg: 'sum' | 'max' = 'sum') => {
    if (sel) q(part, `${agg} by (${by}) (${spelled(def, sel, (x) => `${fn}(${x}[${R}])`, [], on)})`);
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
