/**
 * A bounded timeline: one point per interval until it holds `capacity` points, then adjacent
 * pairs merge (the interval doubles), so memory stays flat however long the run. Pure.
 */
import type { TimelinePoint } from './types.js';

/** The default number of points kept. */
export const TIMELINE_CAPACITY = 300;

/** Round to 3 decimals: means of small integer gauges need no more, and run files stay small. */
export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Two records' counts added field by field, for the fields named (in their order). */
export function addCounts<K extends string>(a: Readonly<Record<K, number>>, b: Readonly<Record<K, number>>, keys: readonly K[]): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const k of keys) out[k] = a[k] + b[k];
  return out;
}

/** Merge two adjacent points into one covering both. */
export function mergePoints(a: TimelinePoint, b: TimelinePoint): TimelinePoint {
  const dt = a.dt + b.dt;
  const w = (x: number, y: number): number => round3(dt > 0 ? (x * a.dt + y * b.dt) / dt : (x + y) / 2);
  return {
    t: a.t,
    dt,
    ...addCounts(a, b, ['acquires', 'waited', 'timeouts', 'errors', 'created', 'expired', 'idleClosed']),
    waitP99Us: Math.max(a.waitP99Us, b.waitP99Us),
    waitMaxUs: Math.max(a.waitMaxUs, b.waitMaxUs),
    inUseMean: w(a.inUseMean, b.inUseMean),
    inUseMax: Math.max(a.inUseMax, b.inUseMax),
    idleMean: w(a.idleMean, b.idleMean),
    waitingMean: w(a.waitingMean, b.waitingMean),
    waitingMax: Math.max(a.waitingMax, b.waitingMax),
    totalMax: Math.max(a.totalMax, b.totalMax),
    oldestWaiterMs: Math.max(a.oldestWaiterMs, b.oldestWaiterMs),
  };
}

/** Merge adjacent pairs of points: half as many, each twice as long. */
export function halve(points: readonly TimelinePoint[]): TimelinePoint[] {
  const merged: TimelinePoint[] = [];
  for (let i = 0; i + 1 < points.length; i += 2) merged.push(mergePoints(points[i]!, points[i + 1]!));
  if (points.length % 2 === 1) merged.push(points[points.length - 1]!);
  return merged;
}

/** A timeline that downsamples itself. */
export class BoundedTimeline {
  private points: TimelinePoint[] = [];
  private interval: number;
  /** A point not yet paired after a downsampling (kept separate so pairs stay aligned). */
  private pending: TimelinePoint | undefined;

  constructor(
    intervalMs: number,
    private readonly capacity = TIMELINE_CAPACITY,
  ) {
    this.interval = intervalMs;
  }

  /** Current interval length, ms. */
  get intervalMs(): number {
    return this.interval;
  }

  /** Add the point of one base interval. */
  push(p: TimelinePoint): void {
    // After k downsamplings, each stored point covers 2^k base intervals: accumulate until one is
    // full. Timers fire a little early or late, so "full" allows for jitter: a base interval of
    // 999.6 ms is full, and half a doubled interval is not.
    const acc = this.pending ? mergePoints(this.pending, p) : p;
    if (acc.dt < this.interval * 0.75) {
      this.pending = acc;
      return;
    }
    this.pending = undefined;
    this.points.push(acc);
    if (this.points.length >= this.capacity) {
      this.points = halve(this.points);
      this.interval *= 2;
    }
  }

  /** The points so far (plus a partial last one). */
  snapshot(): { intervalMs: number; points: TimelinePoint[] } {
    return { intervalMs: this.interval, points: this.pending ? [...this.points, this.pending] : [...this.points] };
  }

  /** Drop everything (end of warm-up). */
  reset(intervalMs: number): void {
    this.points = [];
    this.pending = undefined;
    this.interval = intervalMs;
  }
}
