/**
 * Turning the answers of the planned queries into figures per pool per replica, a roll-up per
 * pool across the fleet (the budget they add up to is src/core/budget/fleet.ts). Pure: the shell
 * runs the queries and hands in the answers.
 */
import { isPoolName, type PoolName } from '../config/pools.js';
import { notCarried, type CloseReason, type FamilyMatch, type PrometheusSpec } from './families.js';
import type { FleetWindow, PlannedQuery } from './plan.js';

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
  windowS: number;
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
  families: Array<{ id: string; title: string; notCarried: string[]; absent: string[] }>;
  replicas: ReplicaFigures[];
  pools: FleetPool[];
  queries: number;
}

function replicaOf(labels: Record<string, string>, spec: PrometheusSpec): string {
  for (const l of spec.replicaLabels) if (labels[l]) return labels[l]!;
  return '';
}

/** Which environment and pool a series is: the first matching mapping, then the family's own names, then Tasker's pool names. */
export function identify(labels: Record<string, string>, m: FamilyMatch, spec: PrometheusSpec): { env: string; pool: string; mapped: boolean } {
  const seriesPool = labels[m.def.poolLabel] ?? '';
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

  plan.forEach((pq, i) => {
    const m = byFamily.get(pq.family)!;
    for (const s of answers[i] ?? []) {
      if (!Number.isFinite(s.value) && pq.part !== 'wait_fleet_p99') continue;
      const id = identify(s.metric, m, spec);
      if (pq.part === 'wait_fleet_p99') {
        if (Number.isFinite(s.value)) fleetP99.set(JSON.stringify([pq.family, id.env, id.pool]), s.value * pq.scale);
        continue;
      }
      const replica = replicaOf(s.metric, spec);
      const seriesPool = s.metric[m.def.poolLabel] ?? '';
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
        const bm = buckets.get(key) ?? new Map<number, number>();
        bm.set(bound, (bm.get(bound) ?? 0) + s.value);
        buckets.set(key, bm);
      } else if (pq.part === 'closes') {
        const reason = pq.reason ?? pq.reasons?.find(([v]) => v === s.metric[pq.reasonLabel!])?.[1];
        if (reason) add(`closes:${reason}`, s.value);
      } else if (pq.part.endsWith('_sum')) {
        add(pq.part, s.value * pq.scale);
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
    families: matches.map((m) => ({ id: m.def.id, title: m.def.title, notCarried: notCarried(m.def), absent: m.absent })),
    replicas: list,
    pools: [...pools.values()],
    queries: plan.length,
  };
}
