/**
 * Turning the answers of the planned queries into figures per pool per replica, a roll-up per
 * pool across the fleet (the budget they add up to is src/core/budget/fleet.ts). Pure: the shell
 * runs the queries and hands in the answers.
 */
import { isPoolName, type PoolName } from '../config/pools.js';
import { notCarried, poolOf, type CloseReason, type FamilyMatch, type FoundTime, type PrometheusSpec } from '../metrics-catalogue/families.js';
import type { FleetWindow, PlannedQuery, QueryPart } from './plan.js';
import { BOUNDS, outside, rangeText, type Range } from '../limits.js';

/** One element of an instant vector: its labels and its value. */
export interface VectorSample {
  metric: Record<string, string>;
  value: number;
}

/** Acquire-wait buckets: upper bounds (s, ascending, Infinity last) and non-cumulative counts. */
export interface WaitBuckets {
  upperS: number[];
  counts: number[];
}

/** What one replica's pool showed over the window. Absent fields are figures its family does not carry. */
export interface ReplicaFigures {
  family: string;
  env: string;
  /** A Tasker pool name when `mapped`, else the pool label's value. */
  pool: string;
  mapped: boolean;
  /** The pool label's value as exposed. */
  seriesPool: string;
  /** The replica label's value; '' when the series have none. */
  replica: string;
  /** The span the rates are over (s): the series' own covered span (the window when it covers it, or when unknown). */
  windowS: number;
  /**
   * When the series covered only part of the window (a replica started or stopped inside it, a
   * Prometheus that just started): its span, ms since the epoch, and the share of the window.
   */
  partial?: { fromMs: number; toMs: number; share: number };
  /** Completed acquires in the window, and per second. */
  acquires?: number;
  arrivalRate?: number;
  wait?: { count: number; meanS: number | null; buckets?: WaitBuckets; p50S?: number; p95S?: number; p99S?: number };
  /** Only the acquires that waited (Go's database/sql): how many, and their mean wait. */
  waited?: { count: number; meanS: number | null; perSecond: number };
  /** Use time: holds completed, their mean, and the mean number in use (use-time sum over the window, Little's law). */
  use?: { count: number; meanS: number | null; meanInUse: number };
  create?: { count: number; meanS: number | null };
  timeouts?: number;
  errors?: number;
  created?: number;
  closed?: Partial<Record<CloseReason, number>>;
  /** Gauges over the window (sampled at scrape time). */
  max?: number;
  min?: number;
  inUseMean?: number;
  inUseMax?: number;
  idleMean?: number;
  openMean?: number;
  pendingMean?: number;
  pendingMax?: number;
  /** What this family cannot show, said plainly. */
  notCarried: string[];
}

/** One pool across the fleet. */
export interface FleetPool {
  family: string;
  env: string;
  pool: string;
  mapped: boolean;
  replicas: number;
  arrivalRate?: number;
  meanInUse?: number;
  /** P99 wait of all replicas together (`histogram_quantile` over `sum by (pool, le)`), seconds. */
  fleetP99S?: number;
  /** The sum of the replicas' pool sizes: what the fleet may open. */
  maxTotal?: number;
}

/** Everything read from Prometheus over a window. */
export interface FleetReading {
  window: FleetWindow;
  families: Array<{ id: string; title: string; notCarried: string[]; absent: string[]; units?: string[] }>;
  replicas: ReplicaFigures[];
  pools: FleetPool[];
  queries: number;
  /**
   * Samples and figures that cannot be (a negative count, a pool of 2.5 connections, a rate beyond
   * any load), each left out and said here; absent when there were none.
   */
  refused?: string[];
}

/** Most refusals listed one by one; the rest are counted. */
const MAX_REFUSALS_LISTED = 20;

/** Longest wait, hold or creation believed, seconds (24 h). */
const MAX_SPAN_S = BOUNDS.spanUs.max / 1e6;

/** The range a sample of a part must be in (after its unit's scale): the bounds saved observations are read with. */
function sampleRange(part: QueryPart): Range {
  if (part === 'max' || part === 'min') return BOUNDS.poolSize;
  if (part === 'in_use_avg' || part === 'in_use_max' || part === 'idle_avg' || part === 'open_avg' || part === 'pending_avg' || part === 'pending_max') return BOUNDS.level;
  if (part === 'wait_fleet_p99') return { min: 0, max: MAX_SPAN_S };
  if (part.endsWith('_sum')) return BOUNDS.total;
  return BOUNDS.count;
}

const labelsText = (m: Record<string, string>): string => `{${Object.entries(m).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;

function replicaOf(labels: Record<string, string>, spec: PrometheusSpec): string {
  for (const l of spec.replicaLabels) if (labels[l]) return labels[l]!;
  return '';
}

/** Which environment and pool a series is: the first matching mapping, then the family's own names, then Tasker's pool names. */
export function identify(labels: Record<string, string>, m: FamilyMatch, spec: PrometheusSpec): { env: string; pool: string; mapped: boolean } {
  const seriesPool = poolOf(labels, m.def);
  const envFromLabel = spec.envLabel ? labels[spec.envLabel] : undefined;
  const env = envFromLabel || spec.environment || '';
  for (const p of spec.pools) {
    if (p.family && p.family !== m.def.id) continue;
    if (p.match.every(([k, v]) => labels[k] === v)) return { env: p.env ?? env, pool: p.pool, mapped: true };
  }
  const own = m.def.poolNames?.find(([v]) => v === seriesPool)?.[1];
  if (own) return { env, pool: own, mapped: true };
  if (isPoolName(seriesPool)) return { env, pool: seriesPool as PoolName, mapped: true };
  return { env, pool: seriesPool, mapped: false };
}

/**
 * Prometheus's histogram_quantile over non-cumulative counts: linear inside the bucket that holds
 * the rank, the first bucket starting at 0, the highest finite bound when the rank is in +Inf.
 */
export function bucketQuantile(q: number, b: WaitBuckets): number | undefined {
  const total = b.counts.reduce((a, c) => a + c, 0);
  if (!(total > 0)) return undefined;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < b.counts.length; i++) {
    const c = b.counts[i]!;
    if (below + c >= rank && c > 0) {
      const hi = b.upperS[i]!;
      if (hi === Infinity) return i > 0 ? b.upperS[i - 1]! : undefined;
      const lo = i === 0 ? 0 : b.upperS[i - 1]!;
      return lo + (hi - lo) * ((rank - below) / c);
    }
    below += c;
  }
  return undefined;
}

/**
 * The unit a time metric was read in when its name does not say, checked against its bucket bounds:
 * wait and use times in seconds have bounds up to seconds (OpenTelemetry's advice: 0.001 to 10), in
 * milliseconds up to thousands. Bounds that read as the other unit (an SDK's default bounds,
 * 0 to 10000, under a seconds instrument) are said: their percentiles are coarse, or the unit is
 * wrong; `[prometheus] units` sets it.
 */
export function unitNote(part: 'wait' | 'use' | 'create', t: FoundTime, les: readonly number[] | undefined): string {
  const what = `${t.base} (${part === 'wait' ? 'acquire wait' : part === 'use' ? 'use time' : 'connect time'})`;
  const from = t.unitFrom === 'config' ? "the [prometheus] table's units" : 'the semantic conventions (the name has no unit suffix)';
  const top = les && les.length ? les[les.length - 1]! : null;
  const head = `${what}: read in ${t.unit}, from ${from}`;
  if (top === null) return `${head}; no bucket bounds to check it against`;
  const looksMs = top >= 1000;
  const looksS = top <= 60;
  if ((t.unit === 'seconds' && looksMs) || (t.unit === 'milliseconds' && looksS)) {
    return `${head}; but its bucket bounds go up to ${top}, which reads as ${t.unit === 'seconds' ? 'milliseconds' : 'seconds'} (an SDK's default bounds?): the percentiles from them are coarse, or the unit is wrong - give the instrument explicit bucket boundaries, or set [prometheus] units = { ${t.base} = "${t.unit === 'seconds' ? 'milliseconds' : 'seconds'}" }`;
  }
  return `${head}; its bucket bounds (up to ${top}) agree`;
}

/** Share of the window under which a series' coverage is called partial. */
export const FULL_COVERAGE = 0.98;

/**
 * The span a series' increase() covers, in seconds, from its first and last sample in the window
 * and their count: as Prometheus extrapolates, from the window's start when the first sample is
 * within 1.1 average intervals of it, else from half an interval before it; the same at the end.
 * Its increase over this span is its rate over its own samples (to within half an interval when a
 * counter starts at zero, where Prometheus stops at the zero). The window when the samples are not
 * known. `partial` when the span is under {@link FULL_COVERAGE} of the window.
 */
export function coveredSpan(w: FleetWindow, firstMs: number | undefined, lastMs: number | undefined, samples: number | undefined): { seconds: number; partial?: { fromMs: number; toMs: number; share: number } } {
  const windowMs = w.endMs - w.startMs;
  if (firstMs === undefined || lastMs === undefined || samples === undefined || !Number.isFinite(firstMs) || !Number.isFinite(lastMs) || samples < 2 || !(lastMs > firstMs)) return { seconds: windowMs / 1000 };
  const avg = (lastMs - firstMs) / (samples - 1);
  const toStart = firstMs - w.startMs;
  const toEnd = w.endMs - lastMs;
  const fromMs = toStart < 1.1 * avg ? w.startMs : firstMs - avg / 2;
  const toMs = toEnd < 1.1 * avg ? w.endMs : lastMs + avg / 2;
  const coveredMs = Math.min(windowMs, Math.max(0, toMs - fromMs));
  const share = coveredMs / windowMs;
  return share < FULL_COVERAGE ? { seconds: coveredMs / 1000, partial: { fromMs, toMs, share } } : { seconds: coveredMs / 1000 };
}

const ratio = (a: number | undefined, b: number | undefined): number | null => (a !== undefined && b !== undefined && b > 0 ? a / b : null);

/**
 * Assemble the answers (`answers[i]` answers `plan[i]`) into figures per replica and per pool.
 * A replica appears once any query of its family returns a sample for it.
 */
export function assembleFleet(matches: readonly FamilyMatch[], spec: PrometheusSpec, window: FleetWindow, plan: readonly PlannedQuery[], answers: ReadonlyArray<readonly VectorSample[]>): FleetReading {
  const windowS = (window.endMs - window.startMs) / 1000;
  const byFamily = new Map(matches.map((m) => [m.def.id, m]));
  const replicas = new Map<string, ReplicaFigures>();
  const raw = new Map<string, Map<string, number>>();
  const buckets = new Map<string, Map<number, number>>();
  const fleetP99 = new Map<string, number>();
  const anchored = new Set<string>();
  const keyOf = (family: string, id: { env: string; pool: string }, replica: string, seriesPool: string) => JSON.stringify([family, id.env, id.pool, replica, seriesPool]);
  const refusals: string[] = [];
  const refuse = (what: string, value: number, range: Range, why: string) => refusals.push(`${what} ${value} is not believed (${why}; expected ${range.integer ? 'an integer ' : ''}from ${rangeText(range)}); left out`);

  const bounds = new Map<string, number[]>();
  plan.forEach((pq, i) => {
    const m = byFamily.get(pq.family)!;
    if (pq.part.endsWith('_bounds')) {
      const les = (answers[i] ?? []).map((x) => Number(x.metric.le)).filter((x) => Number.isFinite(x));
      bounds.set(`${pq.family}:${pq.base ?? pq.part}`, les.sort((a, b) => a - b));
      return;
    }
    for (const s of answers[i] ?? []) {
      // histogram_quantile answers NaN where there is nothing to rank (and +Inf where the rank falls
      // in a lone +Inf bucket): no figure, not a hostile one.
      if (pq.part === 'wait_fleet_p99' && !Number.isFinite(s.value)) continue;
      const range = sampleRange(pq.part);
      const scaled = s.value * pq.scale;
      const why = outside(scaled, range);
      if (why !== undefined) {
        refuse(`${pq.family} ${pq.part} ${labelsText(s.metric)}`, s.value, range, why);
        continue;
      }
      const id = identify(s.metric, m, spec);
      if (pq.part === 'wait_fleet_p99') {
        fleetP99.set(JSON.stringify([pq.family, id.env, id.pool]), scaled);
        continue;
      }
      const replica = replicaOf(s.metric, spec);
      const seriesPool = poolOf(s.metric, m.def);
      const key = keyOf(pq.family, id, replica, seriesPool);
      if (!replicas.has(key)) {
        replicas.set(key, { family: pq.family, env: id.env, pool: id.pool, mapped: id.mapped, seriesPool, replica, windowS, notCarried: notCarried(m.def) });
        raw.set(key, new Map());
      }
      if (pq.anchor) anchored.add(key);
      const r = raw.get(key)!;
      const add = (name: string, v: number) => r.set(name, (r.get(name) ?? 0) + v);
      if (pq.part === 'wait_bucket') {
        const le = Number(s.metric.le === '+Inf' ? Infinity : s.metric.le);
        if (Number.isNaN(le)) continue;
        const bound = le === Infinity ? Infinity : le * pq.scale;
        // A bound below 0 or beyond 24 h is no wait: its cumulative count folds into the next bound.
        if (bound !== Infinity && outside(bound, { min: 0, max: MAX_SPAN_S }) !== undefined) {
          refuse(`${pq.family} wait bucket le=${JSON.stringify(s.metric.le)} ${labelsText(s.metric)}`, le, { min: 0, max: MAX_SPAN_S }, 'not a wait in seconds');
          continue;
        }
        const bm = buckets.get(key) ?? new Map<number, number>();
        bm.set(bound, (bm.get(bound) ?? 0) + s.value);
        buckets.set(key, bm);
      } else if (pq.part === 'closes') {
        const reason = pq.reason ?? pq.reasons?.find(([v]) => v === s.metric[pq.reasonLabel!])?.[1];
        if (reason) add(`closes:${reason}`, s.value);
      } else if (pq.part.endsWith('_sum')) {
        add(pq.part, s.value * pq.scale);
      } else if (pq.part === 'span_first') {
        r.set(pq.part, Math.min(r.get(pq.part) ?? Infinity, s.value * 1000));
      } else if (pq.part === 'span_last' || pq.part === 'span_samples') {
        r.set(pq.part, Math.max(r.get(pq.part) ?? -Infinity, pq.part === 'span_last' ? s.value * 1000 : s.value));
      } else if (pq.part === 'max' || pq.part === 'min' || pq.part.endsWith('_max')) {
        r.set(pq.part, Math.max(r.get(pq.part) ?? -Infinity, s.value));
      } else {
        add(pq.part, s.value);
      }
    }
  });

  for (const key of [...replicas.keys()]) if (!anchored.has(key)) replicas.delete(key);
  for (const [key, f] of replicas) {
    const r = raw.get(key)!;
    const g = (k: string) => r.get(k);
    // Rates and means over the series' own covered span (a replica started inside the window).
    const span = coveredSpan(window, g('span_first'), g('span_last'), g('span_samples'));
    const windowS = span.seconds;
    const who = `${f.family} ${f.env ? `${f.env}.` : ''}${f.pool}${f.replica ? ` of ${f.replica}` : ''}`;
    // Figures derived from several samples have their own bounds: a rate no load reaches, a mean
    // wait or hold beyond a day, a sum of gauges beyond any pool. The part is left out, said why.
    const checkDerived = (what: string, parts: string[], value: number | undefined, range: Range): void => {
      if (value === undefined) return;
      const why = outside(value, range);
      if (why === undefined) return;
      refuse(`${who}: ${what}`, value, range, why);
      for (const p of parts) r.delete(p);
    };
    checkDerived('acquires per second', ['wait_count', 'wait_sum'], windowS > 0 && r.has('wait_count') ? r.get('wait_count')! / windowS : undefined, BOUNDS.rate);
    for (const name of ['wait', 'waited', 'use', 'create'] as const) {
      const c = r.get(`${name}_count`);
      const sum = r.get(`${name}_sum`);
      checkDerived(`mean ${name} (s)`, [`${name}_sum`], c !== undefined && sum !== undefined && c > 0 ? sum / c : undefined, { min: 0, max: MAX_SPAN_S });
    }
    checkDerived('mean in use (use-time sum over the window)', ['use_sum'], windowS > 0 && r.has('use_sum') ? r.get('use_sum')! / windowS : undefined, BOUNDS.level);
    for (const part of ['in_use_avg', 'in_use_max', 'idle_avg', 'open_avg', 'pending_avg', 'pending_max', 'max', 'min'] as const) checkDerived(part, [part], r.get(part), sampleRange(part));
    if (!r.has('wait_count')) buckets.delete(key);
    f.windowS = windowS;
    if (span.partial) f.partial = span.partial;
    const waitCount = g('wait_count');
    if (waitCount !== undefined) {
      f.acquires = waitCount;
      f.arrivalRate = windowS > 0 ? waitCount / windowS : 0;
      f.wait = { count: waitCount, meanS: ratio(g('wait_sum'), waitCount) };
      const bm = buckets.get(key);
      if (bm && bm.size > 0) {
        // Cumulative counts by bound -> non-cumulative, ascending.
        const bounds = [...bm.keys()].sort((a, b) => a - b);
        let prev = 0;
        const counts = bounds.map((b) => {
          const c = Math.max(0, bm.get(b)! - prev);
          prev = Math.max(prev, bm.get(b)!);
          return c;
        });
        const wb = { upperS: bounds, counts };
        f.wait.buckets = wb;
        const p50 = bucketQuantile(0.5, wb);
        const p95 = bucketQuantile(0.95, wb);
        const p99 = bucketQuantile(0.99, wb);
        if (p50 !== undefined) f.wait.p50S = p50;
        if (p95 !== undefined) f.wait.p95S = p95;
        if (p99 !== undefined) f.wait.p99S = p99;
      }
    }
    if (g('waited_count') !== undefined) f.waited = { count: g('waited_count')!, meanS: ratio(g('waited_sum'), g('waited_count')), perSecond: windowS > 0 ? g('waited_count')! / windowS : 0 };
    if (g('use_count') !== undefined || g('use_sum') !== undefined) {
      f.use = { count: g('use_count') ?? 0, meanS: ratio(g('use_sum'), g('use_count')), meanInUse: windowS > 0 ? (g('use_sum') ?? 0) / windowS : 0 };
    }
    if (g('create_count') !== undefined) f.create = { count: g('create_count')!, meanS: ratio(g('create_sum'), g('create_count')) };
    for (const k of ['timeouts', 'errors', 'created'] as const) if (g(k) !== undefined) f[k] = g(k)!;
    const closes = [...r.keys()].filter((k) => k.startsWith('closes:'));
    if (closes.length > 0) f.closed = Object.fromEntries(closes.map((k) => [k.slice(7), r.get(k)!]));
    const gauges: Array<[keyof ReplicaFigures, string]> = [['max', 'max'], ['min', 'min'], ['inUseMean', 'in_use_avg'], ['inUseMax', 'in_use_max'], ['idleMean', 'idle_avg'], ['openMean', 'open_avg'], ['pendingMean', 'pending_avg'], ['pendingMax', 'pending_max']];
    for (const [field, part] of gauges) if (g(part) !== undefined) (f as unknown as Record<string, number>)[field] = g(part)!;
    if (f.openMean === undefined && f.inUseMean !== undefined && f.idleMean !== undefined) f.openMean = f.inUseMean + f.idleMean;
  }

  const list = [...replicas.values()].sort((a, b) => a.family.localeCompare(b.family) || a.env.localeCompare(b.env) || a.pool.localeCompare(b.pool) || a.replica.localeCompare(b.replica));
  const pools = new Map<string, FleetPool>();
  for (const f of list) {
    const k = JSON.stringify([f.family, f.env, f.pool]);
    const p = pools.get(k) ?? { family: f.family, env: f.env, pool: f.pool, mapped: f.mapped, replicas: 0 };
    p.replicas++;
    if (f.arrivalRate !== undefined) p.arrivalRate = (p.arrivalRate ?? 0) + f.arrivalRate;
    if (f.use) p.meanInUse = (p.meanInUse ?? 0) + f.use.meanInUse;
    if (f.max !== undefined) p.maxTotal = (p.maxTotal ?? 0) + f.max;
    const p99 = fleetP99.get(k);
    if (p99 !== undefined) p.fleetP99S = p99;
    pools.set(k, p);
  }
  return {
    window,
    families: matches.map((m) => {
      const units = (['wait', 'use', 'create'] as const).flatMap((part) =>
        [m[part], ...(m.also?.[part] ?? [])].flatMap((t) => (t?.unitFrom ? [unitNote(part, t, bounds.get(`${m.def.id}:${t.base}`))] : [])),
      );
      return { id: m.def.id, title: m.def.title, notCarried: notCarried(m.def), absent: m.absent, ...(units.length ? { units } : {}) };
    }),
    replicas: list,
    pools: [...pools.values()],
    queries: plan.length,
    ...(refusals.length
      ? { refused: refusals.length > MAX_REFUSALS_LISTED ? [...refusals.slice(0, MAX_REFUSALS_LISTED), `and ${refusals.length - MAX_REFUSALS_LISTED} more figures not believed`] : refusals }
      : {}),
  };
}
