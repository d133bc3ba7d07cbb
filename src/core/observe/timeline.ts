/**
 * The saved timeline of an observation from the server side (`observedTimeline` of the file,
 * docs/observe.md "The report"): the samples cut into fixed buckets from the window's start, so a
 * file stays small however long the window (at most TIMELINE_MAX_BUCKETS buckets: a 10-minute
 * window at 200 ms is 120 buckets of 5 s). Per pool and replica: the most open connections and the
 * mean and most busy at the samples of each bucket, and the connections opened and closed by reason
 * in it; PgBouncer's clients waiting from its `SHOW POOLS` reads; the server's average active
 * sessions by wait class with its core count. Pure.
 */
import type { PoolName } from '../config/pools.js';
import { BOUNDS, outside } from '../limits.js';
import { TIMELINE_MAX_BUCKETS, type ObservedTimeline } from '../evidence/types.js';
import type { PgBouncerReadings } from './pgbouncer.js';
import type { GroupSummary } from './summary.js';
import type { ObservedGroup } from './types.js';
import { attributeClose, type SampleSeries } from './reconstruct.js';
import type { MappedEnvironment, ServerCores } from './evidence.js';
import { UNMAPPED_ENV } from './evidence.js';

/** Bucket lengths tried, shortest first (s). */
const BUCKET_STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];

/** The bucket length for a window: the shortest step, no shorter than the interval, that keeps at most TIMELINE_MAX_BUCKETS buckets. */
export function bucketMsFor(durationMs: number, intervalMs: number): number {
  const fits = BUCKET_STEPS_S.map((s) => s * 1000).find((b) => b >= intervalMs && Math.ceil(durationMs / b) <= TIMELINE_MAX_BUCKETS);
  return fits ?? Math.ceil(durationMs / TIMELINE_MAX_BUCKETS / 3_600_000) * 3_600_000;
}

/** What the timeline is built from. */
export interface TimelineInputs {
  series: SampleSeries;
  durationMs: number;
  intervalMs: number;
  groups: readonly ObservedGroup[];
  summaries: readonly GroupSummary[];
  /** The environments a `--map` names (a group is a Tasker pool's when its environment's config has the pool). */
  envs: readonly MappedEnvironment[];
  /** PgBouncer's `SHOW POOLS` reads, their times on this machine's clock. */
  pgbouncer?: Pick<PgBouncerReadings, 'pools'>;
  /** The server's clock less this machine's (to place PgBouncer's reads among the samples). */
  clockOffsetMs?: number;
  cores?: ServerCores;
}

const round = (x: number, d = 2): number => {
  const f = 10 ** d;
  return Math.round(x * f) / f;
};

/** The observation's timeline, or undefined with no sample. */
export function observedTimeline(o: TimelineInputs): ObservedTimeline | undefined {
  const { times, weights } = o.series;
  if (times.length === 0) return undefined;
  const t0 = times[0]!;
  const bucketMs = bucketMsFor(Math.max(1, o.durationMs), Math.max(1, o.intervalMs));
  const buckets = Math.max(1, Math.min(TIMELINE_MAX_BUCKETS, Math.ceil(Math.max(1, o.durationMs) / bucketMs)));
  const at = (ms: number): number => Math.min(buckets - 1, Math.max(0, Math.floor((ms - t0) / bucketMs)));
  const bucketOf = times.map(at);
  const zeros = (): number[] => new Array<number>(buckets).fill(0);
  /** Time-weighted mean per bucket, and the most. */
  const perBucket = (values: readonly number[]): { mean: number[]; max: number[] } => {
    const sum = zeros();
    const w = zeros();
    const max = zeros();
    values.forEach((v, i) => {
      const b = bucketOf[i]!;
      sum[b]! += v * weights[i]!;
      w[b]! += weights[i]!;
      max[b] = Math.max(max[b]!, v);
    });
    return { mean: sum.map((s, b) => (w[b]! > 0 ? round(s / w[b]!) : 0)), max };
  };
  const byId = new Map(o.groups.map((g) => [g.id, g]));
  const pools: ObservedTimeline['pools'] = [];
  for (const s of o.summaries) {
    const g = byId.get(s.id);
    const ser = o.series.groups[s.id];
    if (!g || !ser) continue;
    const known = s.settings ? o.envs.find((e) => e.env === s.settings!.env && e.config[s.settings!.pool as PoolName]) : undefined;
    const open = perBucket(ser.open);
    const busy = perBucket(ser.busy);
    const opened = zeros();
    for (const ms of g.birthsAtMs ?? []) opened[at(ms)]!++;
    const closedLifetime = zeros();
    const closedIdle = zeros();
    const closedOther = zeros();
    const cs = s.settings ? { lifetimeS: s.settings.lifetimeS, idleTimeoutS: s.settings.idleTimeoutS } : { lifetimeS: null, idleTimeoutS: null };
    for (const c of g.closes) {
      if (c.goneAtMs === undefined) continue;
      const why = attributeClose(c, cs);
      (why === 'lifetime' ? closedLifetime : why === 'idle' ? closedIdle : closedOther)[at(c.goneAtMs)]!++;
    }
    pools.push({
      env: known ? known.env : UNMAPPED_ENV,
      pool: known ? s.settings!.pool : s.service || s.id,
      replica: g.replica,
      openMax: open.max,
      busyMean: busy.mean,
      busyMax: busy.max,
      opened,
      closedLifetime,
      closedIdle,
      closedOther,
    });
  }
  const out: ObservedTimeline = { bucketMs, buckets, pools };
  const reads = o.pgbouncer?.pools ?? [];
  if (reads.length > 0) {
    const offset = o.clockOffsetMs ?? 0;
    const byPool = new Map<string, { database: string; user: string; sum: number[]; n: number[]; max: number[] }>();
    for (const r of reads) {
      const b = at(r.atMs + offset);
      for (const row of r.rows) {
        // The admin console's own pool is not the service's; a count no PgBouncer gives is left out.
        if (row.database === 'pgbouncer' || outside(row.clWaiting, { ...BOUNDS.level, integer: true }) !== undefined) continue;
        const key = `${row.database}\u0000${row.user}`;
        let p = byPool.get(key);
        if (!p) byPool.set(key, (p = { database: row.database, user: row.user, sum: zeros(), n: zeros(), max: zeros() }));
        p.sum[b]! += row.clWaiting;
        p.n[b]!++;
        p.max[b] = Math.max(p.max[b]!, row.clWaiting);
      }
    }
    out.proxyWaiting = [...byPool.values()].map((p) => ({ database: p.database, user: p.user, waitingMean: p.sum.map((s, b) => (p.n[b]! > 0 ? round(s / p.n[b]!) : 0)), waitingMax: p.max }));
  }
  if (o.series.loadByClass.length > 0 || o.cores) {
    out.load = {
      cores: o.cores?.count ?? null,
      coresSource: o.cores?.source ?? 'not given',
      byClass: o.series.loadByClass.map((c) => ({ class: c.class, aas: perBucket(c.perSample).mean })),
    };
  }
  return out;
}
