/**
 * The queue model on occupancy alone, for evidence that sees connections but not acquires (the
 * server's view of a service): the mean number busy is the offered load (Little's law: arrival
 * rate times mean hold), which is all Erlang C needs for the probability that an acquire waits.
 * Wait *times* need the hold, which this evidence lacks, so sizes are for P(wait) at most 1% - the
 * size at which the P99 wait is zero, whatever the hold - a size that meets any P99 target.
 *
 * When busy sits at the pool's size for a large share of the window, demand is censored: it was at
 * least the size, and how much more cannot be seen from the mean. The share itself still speaks:
 * in M/M/c the share of time every server is busy is the probability of waiting, so the offered
 * load is the one whose Erlang C at the usable size equals that share - an estimate, said as one.
 *
 * With a lower bound on the hold (the mean statement time of the pool's own role, from
 * pg_stat_statements: a checkout runs at least one statement, and holds it at least as long), the
 * waits at the current size follow (Erlang C, M/M/c): with the offered load fixed, the wait scales
 * with the hold, and it grows with the load, so lower bounds of both give a lower bound of the wait.
 * Erlang C takes the busy count for an open load: callers arriving at random (Poisson), so the
 * number busy is Poisson too, its variance equal to its mean (an index of dispersion of 1), whatever
 * the holds. A closed loop (N workers, each acquiring again as soon as it released) is smoother: at
 * most N are ever busy, and a loop busy most of the time sits near N with little spread. Read as an
 * open load its mean asks for several connections more than N could ever use. So when the busy
 * count's time-weighted variance is well under its mean - under {@link SMOOTH_DISPERSION} times it
 * with three standard errors of the variance to spare (a sample variance over n independent looks
 * has a relative standard error of about sqrt(2/n); the looks are the variance over the squared
 * batch-means standard error of the mean) and at least {@link MIN_INDEPENDENT_LOOKS} looks (a
 * window short beside the holds under-states the variance, and then gives few looks) - the size
 * from occupancy is the most seen busy at once, not Erlang C's. Busy on the server is a thinning of checked out, and thinning moves the index towards
 * 1, so a server-side index under the bound means checked out was smoother still.
 *
 * Pure.
 */
import { shareAtLeast } from '../observe/reconstruct.js';
import { CENSORED_SHARE, HELD_OPEN_SHARE } from '../observe/summary.js';

export { HELD_OPEN_SHARE };
import type { OccupancyEvidence } from '../evidence/types.js';
import type { LevelTimes } from '../run/types.js';
import { erlangC, MAX_CONNECTIONS, mmcMeanWait, mmcWaitQuantile } from '../model/queue.js';
import { meanLevel, totalTime } from '../run/occupancy.js';

/** P(wait) a size from occupancy alone keeps to: at or under it the P99 wait is zero. */
export const NO_WAIT_PROBABILITY = 0.01;
/** Index of dispersion (variance over mean of the busy count) under which the load is read as a closed loop, not Poisson. */
export const SMOOTH_DISPERSION = 0.5;
/** Fewest independent looks at the busy count (variance over squared standard error) for the dispersion to be read at all. */
export const MIN_INDEPENDENT_LOOKS = 20;

/** The index's upper bound: three relative standard errors of a sample variance over `looks` independent looks above it. */
export function dispersionUpperBound(index: number, looks: number): number {
  return looks > 0 ? index * (1 + 3 * Math.sqrt(2 / looks)) : Infinity;
}

/** How spread the busy count was, against Poisson's variance equal to the mean. */
export interface Dispersion {
  /** Time-weighted variance over mean of the busy count. */
  index: number;
  /** Variance over the squared batch-means standard error of the mean: the window's independent looks at the count. */
  independentLooks: number;
  /** Its upper bound ({@link dispersionUpperBound}) under {@link SMOOTH_DISPERSION}, over at least {@link MIN_INDEPENDENT_LOOKS} looks: smoother than an open load. */
  smooth: boolean;
}

/** What the model says from occupancy alone. */
export interface OccupancyModel {
  /** Mean connections busy: the offered load (a lower bound when the source sees busy as a lower bound of checked out). */
  offeredLoad: number;
  offeredLoadIsLowerBound: boolean;
  /** Connections held for good (LISTEN), not in the offered load. */
  reserved: number;
  /** max_connections less the reserved ones. */
  usable: number;
  /** Share of the window every usable connection was busy. */
  allBusyShare: number;
  /** Busy sat at the size often enough ({@link CENSORED_SHARE}) that demand is only known to be at least the size. */
  censored: boolean;
  /** Erlang C at the current size and the offered load. */
  pWaitAtCurrent: number;
  /** Smallest size (reserved included) with P(wait) at most {@link NO_WAIT_PROBABILITY} at the offered load. */
  needNoWait: number | null;
  /** When censored: the offered load whose Erlang C at the usable size is the share of time all were busy, and the size that load needs. */
  estimatedLoad: number | null;
  estimatedNeed: number | null;
  /** Most connections seen open at once. */
  maxOpenSeen: number;
  /**
   * The pool kept its size open ({@link HELD_OPEN_SHARE} of the window at the size or above, no idle
   * close): a fixed pool, whose open count says nothing of its need. False for a pool that opens on
   * demand, whose most seen open is a floor of its need.
   */
  openHeld: boolean;
  /** Most connections seen busy at once. */
  maxBusySeen: number;
  /** For an open load: the most busy likely reached between samples ({@link peakBetweenSamples}); null without looks or for a smooth count. */
  peakEstimate: number | null;
  /** The busy count's dispersion; null without a standard error of its mean (a source without batches) or with no load. */
  dispersion: Dispersion | null;
  /**
   * Waits at the current size from a lower bound of the hold (µs), each a lower bound; null without
   * one, or when the mean busy count fills the usable connections (the wait is then unbounded).
   */
  waitsAtLeast: { holdUs: number; holdFrom: string; meanUs: number; p99Us: number } | null;
  /**
   * For the report: P(wait) by pool size (reserved connections included) at the load the sizing
   * reads (the estimate when censored, else the mean busy count), from the first stable size to
   * past the current size and the need; at most {@link CURVE_POINTS} sizes.
   */
  pWaitBySize: Array<[size: number, pWait: number]>;
  /** For the report: the share of the window at each busy level, ascending (a bucket of levels counts at its low end). */
  busyShares: Array<[level: number, share: number]>;
}

/** At most this many sizes on the P(wait) curve. */
export const CURVE_POINTS = 120;

/** P(wait) by size at load `a`, `reserved` added to each size. */
function pWaitCurve(a: number, reserved: number, upTo: number): Array<[number, number]> {
  const from = Math.max(1, Math.floor(a) + 1);
  const top = Math.min(MAX_CONNECTIONS, Math.max(from + 4, upTo));
  const step = Math.max(1, Math.ceil((top - from) / CURVE_POINTS));
  const out: Array<[number, number]> = [];
  for (let c = from; c <= top; c += step) out.push([c + reserved, erlangC(c, a)]);
  return out;
}

/** The share of the window at each level of `t` (bucketed levels at their low end). */
function levelShares(t: LevelTimes): Array<[number, number]> {
  const total = totalTime(t);
  if (!(total > 0)) return [];
  const by = new Map<number, number>();
  for (const row of t.levels) by.set(row[0], (by.get(row[0]) ?? 0) + row[1]);
  return [...by].sort((x, y) => x[0] - y[0]).map(([level, us]) => [level, us / total]);
}

/** Waits (µs) at `usable` connections for offered load `a` and a mean hold of `holdUs` (M/M/c); null at or over capacity. */
export function waitsAt(usable: number, a: number, holdUs: number): { meanUs: number; p99Us: number } | null {
  if (!(holdUs > 0) || !(a > 0) || a >= usable) return null;
  const holdS = holdUs / 1e6;
  const lambda = a / holdS;
  return { meanUs: mmcMeanWait(usable, lambda, holdS) * 1e6, p99Us: mmcWaitQuantile(usable, lambda, holdS, 0.99) * 1e6 };
}

/** Smallest c with Erlang C at or under `p` for offered load `a`; null past the model's range. */
export function smallestNoWait(a: number, p = NO_WAIT_PROBABILITY): number | null {
  for (let c = Math.max(1, Math.floor(a) + 1); c <= MAX_CONNECTIONS; c++) if (erlangC(c, a) <= p) return c;
  return null;
}

/** The offered load at which Erlang C at `c` is `share` (bisection: C grows with the load). */
export function loadForWaitShare(c: number, share: number): number {
  let lo = 0;
  let hi = c;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (erlangC(c, mid) < share) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * The most an open load's busy count likely reached between samples over the window: samples a few
 * times a second miss the short peaks of holds of milliseconds. For a Poisson busy count at load
 * `a` whose window held `looks` independent looks (variance over the squared standard error of the
 * mean: T / 2h for holds of mean h, whose count decorrelates over h), level k is reached from below
 * about (T / h) a P(N = k - 1) times; the estimate is the smallest k past which that is under
 * {@link PEAK_EXCEEDED}. Null without looks.
 */
export function peakBetweenSamples(a: number, looks: number): number | null {
  if (!(a > 0) || !(looks > 0)) return null;
  const holdsInWindow = 2 * looks;
  let pmf = Math.exp(-a); // P(N = 0)
  for (let k = 0; k <= MAX_CONNECTIONS; k++) {
    // Upcrossings of k + 1 come from k: (T/h) a P(N = k).
    if (holdsInWindow * a * pmf <= PEAK_EXCEEDED) return k;
    pmf = (pmf * a) / (k + 1);
  }
  return null;
}

/** Expected crossings above the peak estimate over the window: about the chance the true peak was higher. */
export const PEAK_EXCEEDED = 0.1;

/** Time-weighted variance of a level distribution. */
export function levelVariance(t: LevelTimes): number {
  const total = totalTime(t);
  if (total <= 0) return 0;
  const m = meanLevel(t);
  return t.levels.reduce((acc, [lv, us]) => acc + (lv - m) ** 2 * us, 0) / total;
}

/** The busy count's dispersion from its distribution and the standard error of its mean; null without them. */
export function busyDispersion(occ: OccupancyEvidence): Dispersion | null {
  if (!occ.inUse || occ.inUseMeanStdErr === undefined) return null;
  const mean = meanLevel(occ.inUse);
  if (!(mean > 0)) return null;
  const variance = levelVariance(occ.inUse);
  const se2 = occ.inUseMeanStdErr ** 2;
  // Batch means that agree exactly (a count that never moved) leave nothing to measure the
  // dependence by: every sample is then a look at it.
  const independentLooks = se2 > 0 ? variance / se2 : (occ.samples ?? 0);
  const index = variance / mean;
  return { index, independentLooks, smooth: independentLooks >= MIN_INDEPENDENT_LOOKS && dispersionUpperBound(index, independentLooks) < SMOOTH_DISPERSION };
}

/**
 * The model on occupancy alone; null when the occupancy lacks what it needs. `holdAtLeast`: a lower
 * bound of the mean hold (µs) and where it came from, when a source has one. `load`: the mean busy
 * to judge at instead of the measured one (a corner of the stopping rule's box, src/core/rules/settled.ts).
 */
export function occupancyModel(occ: OccupancyEvidence | undefined, maxConnections: number, holdAtLeast?: { us: number; from: string }, idleCloses = 0, load?: number): OccupancyModel | null {
  if (!occ?.inUse || !occ.open || maxConnections <= 0) return null;
  if (!(totalTime(occ.inUse) > 0)) return null;
  const offeredLoad = load ?? meanLevel(occ.inUse);
  const reserved = occ.reserved ?? 0;
  const usable = Math.max(1, maxConnections - reserved);
  const allBusyShare = shareAtLeast(occ.inUse, usable);
  const censored = allBusyShare >= CENSORED_SHARE;
  const need = smallestNoWait(offeredLoad);
  const dispersion = busyDispersion(occ);
  let estimatedLoad: number | null = null;
  let estimatedNeed: number | null = null;
  if (censored && allBusyShare < 1) {
    estimatedLoad = Math.max(offeredLoad, loadForWaitShare(usable, allBusyShare));
    const n = smallestNoWait(estimatedLoad);
    estimatedNeed = n === null ? null : n + reserved;
  }
  return {
    offeredLoad,
    offeredLoadIsLowerBound: occ.inUseIsLowerBound ?? false,
    reserved,
    usable,
    allBusyShare,
    censored,
    pWaitAtCurrent: erlangC(usable, offeredLoad),
    needNoWait: need === null ? null : need + reserved,
    estimatedLoad,
    estimatedNeed,
    maxOpenSeen: occ.open.max,
    openHeld: idleCloses === 0 && shareAtLeast(occ.open, maxConnections) >= HELD_OPEN_SHARE,
    maxBusySeen: occ.inUse.max,
    dispersion,
    peakEstimate: dispersion && !dispersion.smooth ? peakBetweenSamples(offeredLoad, dispersion.independentLooks) : null,
    waitsAtLeast: waitsAtLeast(usable, offeredLoad, holdAtLeast),
    pWaitBySize: pWaitCurve(estimatedLoad ?? offeredLoad, reserved, Math.ceil(Math.max(maxConnections, estimatedNeed ?? 0, need === null ? 0 : need + reserved) * 1.3) - reserved),
    busyShares: levelShares(occ.inUse),
  };
}

function waitsAtLeast(usable: number, a: number, hold: { us: number; from: string } | undefined): OccupancyModel['waitsAtLeast'] {
  if (hold === undefined) return null;
  const w = waitsAt(usable, a, hold.us);
  return w ? { holdUs: hold.us, holdFrom: hold.from, ...w } : null;
}
