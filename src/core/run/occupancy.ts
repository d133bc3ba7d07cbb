/**
 * Exact time integration of a gauge (connections in use, idle, waiting, total). The level is
 * set at every event that changes it; the time spent at each level accumulates, so the mean and
 * time-weighted percentiles hold even for a 10-second run. Pure: the caller passes the clock.
 */
import { EXACT_LEVELS, type LevelRow, type LevelTimes } from './types.js';

export { EXACT_LEVELS };
/** Buckets per power of two above {@link EXACT_LEVELS}: each spans at most 1/64 (1.6%) of its levels. */
const SUB_BUCKETS = 64;
/**
 * Time-weighted percentiles a bounded distribution keeps exact: the ones the analysis reports
 * (95, 99, 99.9) and the ones thresholds most often ask (50, 90). Any other percentile that falls
 * in the bucketed tail reads as the highest level of its bucket (at most 1.6% above the exact one).
 */
export const EXACT_PERCENTILES: readonly number[] = [50, 90, 95, 99, 99.9];

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
    const levels: LevelRow[] = [];
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
  return t.exact?.totalUs ?? t.levels.reduce((s, [, us]) => s + us, 0);
}

/** Time-weighted mean level; the last level for an empty window. */
export function meanLevel(t: LevelTimes): number {
  const total = totalTime(t);
  if (total <= 0) return t.last;
  return (t.exact?.areaUs ?? t.levels.reduce((s, [lv, us]) => s + lv * us, 0)) / total;
}

/**
 * Time-weighted percentile (0-100): the lowest level at or below which the gauge spent p% of the
 * time. In a bounded distribution a kept percentile is read as kept; another one that falls in a
 * bucket is the bucket's highest level.
 */
export function levelPercentile(t: LevelTimes, p: number): number {
  const total = totalTime(t);
  if (total <= 0) return t.last;
  const q = Math.min(100, Math.max(0, p));
  const kept = t.exact?.percentiles.find(([x]) => x === q);
  if (kept) return kept[1];
  const want = (q / 100) * total;
  let acc = 0;
  for (const row of t.levels) {
    acc += row[1];
    if (acc >= want - 1e-9) return row[2] ?? row[0];
  }
  const lastRow = t.levels[t.levels.length - 1];
  return lastRow ? (lastRow[2] ?? lastRow[0]) : t.last;
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

/** The lowest level of the tail bucket holding `level` (a level itself below {@link EXACT_LEVELS}). */
function bucketLow(level: number): number {
  if (level < EXACT_LEVELS) return level;
  const width = 2 ** (31 - Math.clz32(level) - Math.log2(SUB_BUCKETS));
  return Math.floor(level / width) * width;
}

/**
 * Bound a distribution whose levels reach {@link EXACT_LEVELS}: levels below it stay one row each,
 * the tail is grouped into buckets at most 1.6% wide, so a queue of any length takes about a
 * thousand rows at most (a saturated 10-minute run wrote ~20,000). The total, the mean and the
 * {@link EXACT_PERCENTILES} are read from the exact levels first and kept beside the rows. A
 * distribution below the bound (or bounded already) comes back unchanged.
 */
export function boundLevels(t: LevelTimes): LevelTimes {
  if (t.exact || !t.levels.some(([lv]) => lv >= EXACT_LEVELS)) return t;
  const exact = {
    totalUs: totalTime(t),
    areaUs: t.levels.reduce((s, [lv, us]) => s + lv * us, 0),
    percentiles: EXACT_PERCENTILES.map((p): [number, number] => [p, levelPercentile(t, p)]),
  };
  return { levels: bucketRows(t.levels), max: t.max, last: t.last, exact };
}

/** Rows below {@link EXACT_LEVELS} as they are; the rest (exact rows or buckets) added up per bucket. */
function bucketRows(rows: readonly LevelRow[]): LevelRow[] {
  const out: LevelRow[] = [];
  const tail = new Map<number, [number, number, number]>();
  for (const [lv, us, hi = lv] of rows) {
    if (lv < EXACT_LEVELS) {
      out.push([lv, us]);
      continue;
    }
    const key = bucketLow(lv);
    const b = tail.get(key);
    if (b) {
      b[0] = Math.min(b[0], lv);
      b[1] += us;
      b[2] = Math.max(b[2], hi);
    } else tail.set(key, [lv, us, hi]);
  }
  for (const key of [...tail.keys()].sort((a, b) => a - b)) out.push(tail.get(key)!);
  return out;
}

/** Add two distributions (two windows of the same gauge). Bounded ones add bucket by bucket, keeping total and mean. */
export function mergeLevels(a: LevelTimes, b: LevelTimes): LevelTimes {
  if (a.exact || b.exact) {
    const m = new Map<number, number>();
    const head = [...a.levels, ...b.levels].filter(([lv]) => lv < EXACT_LEVELS);
    for (const [lv, us] of head) m.set(lv, (m.get(lv) ?? 0) + us);
    const rows: LevelRow[] = [...m.entries()].sort((x, y) => x[0] - y[0]);
    const sorted = [...a.levels, ...b.levels].filter(([lv]) => lv >= EXACT_LEVELS).sort((x, y) => x[0] - y[0]);
    const area = (t: LevelTimes): number => t.exact?.areaUs ?? t.levels.reduce((s, [lv, us]) => s + lv * us, 0);
    return {
      levels: [...rows, ...bucketRows(sorted)],
      max: Math.max(a.max, b.max),
      last: b.last,
      exact: { totalUs: totalTime(a) + totalTime(b), areaUs: area(a) + area(b), percentiles: [] },
    };
  }
  const m = new Map<number, number>(a.levels as Array<[number, number]>);
  for (const [lv, us] of b.levels) m.set(lv, (m.get(lv) ?? 0) + us);
  return { levels: [...m.entries()].sort((x, y) => x[0] - y[0]), max: Math.max(a.max, b.max), last: b.last };
}
