/**
 * Exact time integration of a gauge (connections in use, idle, waiting, total). The level is
 * set at every event that changes it; the time spent at each level accumulates, so the mean and
 * time-weighted percentiles hold even for a 10-second run. Pure: the caller passes the clock.
 */
import type { LevelTimes } from './types.js';

/** A gauge integrated over time. Levels are small integers, so time per level lives in an array. */
export class LevelIntegrator {
  private times: number[] = [];
  private level = 0;
  private since: number;
  private maxSeen = 0;
  private area = 0;
  private intervalMax = 0;

  /** @param nowUs the start of the window, µs on the caller's clock. */
  constructor(nowUs: number, initialLevel = 0) {
    this.since = nowUs;
    this.level = initialLevel;
    this.maxSeen = initialLevel;
    this.intervalMax = initialLevel;
  }

  /** The current level. */
  get current(): number {
    return this.level;
  }

  /** Set the level at time `nowUs`. */
  set(level: number, nowUs: number): void {
    if (level === this.level) return;
    const dt = nowUs - this.since;
    if (dt > 0) {
      this.times[this.level] = (this.times[this.level] ?? 0) + dt;
      this.area += this.level * dt;
    }
    this.since = nowUs;
    this.level = level;
    if (level > this.maxSeen) this.maxSeen = level;
    if (level > this.intervalMax) this.intervalMax = level;
  }

  /** Cumulative level x time (µs) up to `nowUs`: the difference of two readings over their time gap is the mean. */
  areaAt(nowUs: number): number {
    return this.area + this.level * Math.max(0, nowUs - this.since);
  }

  /** The highest level since the last call (or since the start), then start a new interval. */
  takeIntervalMax(): number {
    const m = this.intervalMax;
    this.intervalMax = this.level;
    return m;
  }

  /** Restart the window at `nowUs`, keeping the current level. */
  reset(nowUs: number): void {
    this.times = [];
    this.since = nowUs;
    this.area = 0;
    this.maxSeen = this.level;
    this.intervalMax = this.level;
  }

  /** The distribution up to `nowUs` (does not change the integrator). */
  snapshot(nowUs: number): LevelTimes {
    const levels: Array<[number, number]> = [];
    const dt = Math.max(0, nowUs - this.since);
    const n = Math.max(this.times.length, this.level + 1);
    for (let lv = 0; lv < n; lv++) {
      const us = (this.times[lv] ?? 0) + (lv === this.level ? dt : 0);
      if (us > 0) levels.push([lv, us]);
    }
    return { levels, max: this.maxSeen, last: this.level };
  }
}

/** Total time covered by a distribution, µs. */
export function totalTime(t: LevelTimes): number {
  return t.levels.reduce((s, [, us]) => s + us, 0);
}

/** Time-weighted mean level; the last level for an empty window. */
export function meanLevel(t: LevelTimes): number {
  const total = totalTime(t);
  if (total <= 0) return t.last;
  return t.levels.reduce((s, [lv, us]) => s + lv * us, 0) / total;
}

/** Time-weighted percentile (0-100): the lowest level at or below which the gauge spent p% of the time. */
export function levelPercentile(t: LevelTimes, p: number): number {
  const total = totalTime(t);
  if (total <= 0) return t.last;
  const want = (Math.min(100, Math.max(0, p)) / 100) * total;
  let acc = 0;
  for (const [lv, us] of t.levels) {
    acc += us;
    if (acc >= want - 1e-9) return lv;
  }
  return t.levels[t.levels.length - 1]?.[0] ?? t.last;
}

/**
 * Time-weighted percentile (0-100) as a continuous level: the time at level L is spread evenly over
 * the step from L - 1 to L, so a percentile that falls just inside a level reads just above L - 1
 * instead of a whole L. A step percentile turns 1.06% of the time above a level against 0.99% into
 * a whole connection; this one moves by the share of time, as the underlying figure does.
 */
export function levelQuantile(t: LevelTimes, p: number): number {
  const total = totalTime(t);
  if (total <= 0) return t.last;
  const want = (Math.min(100, Math.max(0, p)) / 100) * total;
  let acc = 0;
  for (const [lv, us] of t.levels) {
    if (acc + us >= want - 1e-9) return lv === 0 ? 0 : lv - 1 + Math.min(1, Math.max(0, (want - acc) / us));
    acc += us;
  }
  return t.levels[t.levels.length - 1]?.[0] ?? t.last;
}

/** Add two distributions (two windows of the same gauge). */
export function mergeLevels(a: LevelTimes, b: LevelTimes): LevelTimes {
  const m = new Map<number, number>(a.levels);
  for (const [lv, us] of b.levels) m.set(lv, (m.get(lv) ?? 0) + us);
  return { levels: [...m.entries()].sort((x, y) => x[0] - y[0]), max: Math.max(a.max, b.max), last: b.last };
}
