/**
 * The statistics of the stopping rule ("answer as soon as the answer is settled", docs/cli.md,
 * `analyze`): batch means over a run's timeline give the standard errors of the four inputs the
 * advice reads (acquire rate, mean hold, P99 wait, mean occupancy); a fixed schedule of looks
 * spends the error rate across them (alpha_k = 6 alpha / (pi^2 k^2) at look k, which sums to alpha
 * over every look however many there are), and each look's joint box is Bonferroni over the four
 * inputs. Whether the answer is the same at every corner of the box is judged by the caller
 * (src/core/rules/settled.ts). Pure: no clock, no I/O.
 */
import type { TimelinePoint } from '../run/types.js';

/** The inputs the advice reads, in one place. */
export const SETTLE_INPUTS = ['rate', 'hold', 'p99', 'occupancy'] as const;
export type SettleInput = (typeof SETTLE_INPUTS)[number];

/** A value of each input. */
export type InputPoint = Record<SettleInput, number>;

/** The least number of batches the standard errors are taken over. */
export const MIN_BATCHES = 10;

/** The default error rate spent over all the looks. */
export const SETTLE_ALPHA = 0.05;

/** One batch's figures. */
export interface BatchFigures {
  durationS: number;
  acquires: number;
  /** Acquires per second. */
  rate: number;
  /** Mean hold (µs) by Little's law: mean in use / rate. */
  holdUs: number;
  /** The batch's P99 acquire wait (µs). */
  p99Us: number;
  /** Time-weighted mean connections in use. */
  occupancy: number;
}

/**
 * Split a timeline into `n` batches of consecutive points, as equal in length as the points allow
 * (the last batches take one point more). Fewer points than `n` give no batches.
 */
export function batchesOf(points: readonly TimelinePoint[], n = MIN_BATCHES): BatchFigures[] {
  if (n < 1 || points.length < n) return [];
  const out: BatchFigures[] = [];
  const base = Math.floor(points.length / n);
  const extra = points.length % n;
  let i = 0;
  for (let b = 0; b < n; b++) {
    const size = base + (b >= n - extra ? 1 : 0);
    const group = points.slice(i, i + size);
    i += size;
    const dtMs = group.reduce((s, p) => s + p.dt, 0);
    const durationS = dtMs / 1000;
    const acquires = group.reduce((s, p) => s + p.acquires, 0);
    const occupancy = dtMs > 0 ? group.reduce((s, p) => s + p.inUseMean * p.dt, 0) / dtMs : 0;
    const rate = durationS > 0 ? acquires / durationS : 0;
    // The P99 of the batch: the most of its points' P99s when it spans several (as the timeline's own downsampling does).
    const p99Us = group.reduce((m, p) => Math.max(m, p.waitP99Us), 0);
    out.push({ durationS, acquires, rate, holdUs: rate > 0 ? (occupancy / rate) * 1e6 : 0, p99Us, occupancy });
  }
  return out;
}

/** The mean of values and the standard error of that mean (sd / sqrt(n)); zero error with fewer than two. */
export function meanAndError(values: readonly number[]): { mean: number; se: number } {
  const n = values.length;
  if (n === 0) return { mean: 0, se: 0 };
  const mean = values.reduce((s, v) => s + v, 0) / n;
  if (n < 2) return { mean, se: 0 };
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
  return { mean, se: Math.sqrt(variance / n) };
}

/** The standard error of each input from batch means (at least {@link MIN_BATCHES} batches), or null when the timeline is too short. */
export function inputErrors(points: readonly TimelinePoint[], n = MIN_BATCHES): InputPoint | null {
  const batches = batchesOf(points, Math.max(MIN_BATCHES, n));
  if (batches.length < MIN_BATCHES) return null;
  return {
    rate: meanAndError(batches.map((b) => b.rate)).se,
    hold: meanAndError(batches.filter((b) => b.acquires > 0).map((b) => b.holdUs)).se,
    p99: meanAndError(batches.map((b) => b.p99Us)).se,
    occupancy: meanAndError(batches.map((b) => b.occupancy)).se,
  };
}

/** The error rate spent at look k (1-based): 6 alpha / (pi^2 k^2); the sum over every k is alpha. */
export function lookAlpha(alpha: number, k: number): number {
  if (!(k >= 1)) throw new RangeError(`look ${k}: looks count from 1`);
  return (6 * alpha) / (Math.PI ** 2 * k * k);
}

/**
 * The inverse of the standard normal distribution function (Acklam's rational approximation,
 * relative error under 1.2e-9 over (0, 1)).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile(${p}): p must be in (0, 1)`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/**
 * The half-width multiplier of look k's joint box: each of `inputs` two-sided at alpha_k / inputs
 * (Bonferroni), so the box holds every true value at once with probability at least 1 - alpha_k.
 */
export function lookZ(alpha: number, k: number, inputs: number = SETTLE_INPUTS.length): number {
  return normalQuantile(1 - lookAlpha(alpha, k) / (2 * inputs));
}

/**
 * The fixed schedule of looks: the first at `minS`, then every `stepS` up to and including `maxS`
 * (a look at `maxS` closes the run whatever it shows). Fixed before any data is seen, so the error
 * spent at each look is known in advance.
 */
export function lookSchedule(minS: number, maxS: number, stepS: number): number[] {
  if (!(stepS > 0)) throw new RangeError('the step between looks must be positive');
  const out: number[] = [];
  for (let t = Math.min(minS, maxS); t < maxS - 1e-9; t += stepS) out.push(Math.round(t * 1000) / 1000);
  out.push(maxS);
  return out;
}

/** The corners of the box centre ± z·se over every input (2^4 = 16), each input clamped at zero. */
export function boxCorners(centre: InputPoint, se: InputPoint, z: number): InputPoint[] {
  const corners: InputPoint[] = [];
  for (let mask = 0; mask < 1 << SETTLE_INPUTS.length; mask++) {
    const p = { ...centre };
    SETTLE_INPUTS.forEach((k, i) => {
      p[k] = Math.max(0, centre[k] + ((mask >> i) & 1 ? 1 : -1) * z * se[k]);
    });
    corners.push(p);
  }
  return corners;
}

/** What a look decided: settled (one answer at every corner), or the answers the corners gave. */
export type LookVerdict<A> = { settled: true; answer: A } | { settled: false; answers: A[] };

/**
 * Judge one look: the answer at the centre and at every corner of the joint box; settled when
 * every corner gives the centre's answer (compared by `key`).
 */
export function judgeLook<A>(centre: InputPoint, se: InputPoint, z: number, answerAt: (p: InputPoint) => A, key: (a: A) => string): LookVerdict<A> {
  const at = answerAt(centre);
  const k0 = key(at);
  const seen = new Map<string, A>([[k0, at]]);
  for (const c of boxCorners(centre, se, z)) {
    const a = answerAt(c);
    const k = key(a);
    if (!seen.has(k)) seen.set(k, a);
  }
  return seen.size === 1 ? { settled: true, answer: at } : { settled: false, answers: [...seen.values()] };
}
