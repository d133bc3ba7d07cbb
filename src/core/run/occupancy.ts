/**
 * Exact time integration of a gauge (connections in use, idle, waiting, total). The level is
 * set at every event that changes it; the time spent at each level accumulates, so the mean and
 * time-weighted percentiles hold even for a 10-second run. Pure: the caller passes the clock.
 */
import type { LevelTimes } from './types.js';

/** A gauge integrated over time. */
export class LevelIntegrator {
  private readonly times = new Map<number, number>();
  private level = 0;
  private since: number;
  private maxSeen = 0;

  /** @param nowUs the start of the window, µs on the caller's clock. */
  constructor(nowUs: number, initialLevel = 0) {
    this.since = nowUs;
    this.level = initialLevel;
    this.maxSeen = initialLevel;
  }

  /** The current level. */
  get current(): number {
    return this.level;
  }

  /** Set the level at time `nowUs`. */
  set(level: number, nowUs: number): void {
    if (level === this.level) return;
    const dt = nowUs - this.since;
    if (dt > 0) this.times.set(this.level, (this.times.get(this.level) ?? 0) + dt);
    this.since = nowUs;
    this.level = level;
    if (level > this.maxSeen) this.maxSeen = level;
  }

  /** Restart the window at `nowUs`, keeping the current level. */
  reset(nowUs: number): void {
    this.times.clear();
    this.since = nowUs;
    this.maxSeen = this.level;
  }

  /** The distribution up to `nowUs` (does not change the integrator). */
  snapshot(nowUs: number): LevelTimes {
    const m = new Map(this.times);
    const dt = nowUs - this.since;
    if (dt > 0) m.set(this.level, (m.get(this.level) ?? 0) + dt);
    return { levels: [...m.entries()].sort((a, b) => a[0] - b[0]), max: this.maxSeen, last: this.level };
  }
}

/** Total time covered by a distribution, µs. */
export function totalTime(t: LevelTimes): number {
  return t.levels.reduce((s, [, us]) => s + us, 0);
}

/** Time-weighted mean level; 0 for an empty window. */
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

/** Share of time (0-1) the gauge was at or above a level. */
export function shareAtOrAbove(t: LevelTimes, level: number): number {
  const total = totalTime(t);
  if (total <= 0) return 0;
  return t.levels.filter(([lv]) => lv >= level).reduce((s, [, us]) => s + us, 0) / total;
}

/** Add two distributions (two windows of the same gauge). */
export function mergeLevels(a: LevelTimes, b: LevelTimes): LevelTimes {
  const m = new Map<number, number>(a.levels);
  for (const [lv, us] of b.levels) m.set(lv, (m.get(lv) ?? 0) + us);
  return { levels: [...m.entries()].sort((x, y) => x[0] - y[0]), max: Math.max(a.max, b.max), last: b.last };
}
