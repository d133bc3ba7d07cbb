/**
 * The load generator's arithmetic: a seeded PRNG, arrival times (Poisson or constant, with ramp
 * and on/off bursts) and hold-time samples. Pure and reproducible: the same seed gives the same
 * arrivals and holds.
 */
import type { ArrivalSpec, BurstSpec, HoldSpec } from '../run/types.js';

/** mulberry32: small, fast, good enough for load shapes; returns [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed derived from a base seed and a label, so each workload gets its own stream. */
export function deriveSeed(seed: number, label: string): number {
  let h = seed ^ 0x9e3779b9;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The z-score of the 99th percentile of a standard normal. */
const Z99 = 2.3263478740408408;

/** A standard normal sample (Box-Muller). */
function normal(rand: () => number): number {
  const u = 1 - rand();
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Lognormal parameters from its median and 99th percentile. */
export function lognormalParams(p50: number, p99: number): { mu: number; sigma: number } {
  return { mu: Math.log(p50), sigma: (Math.log(p99) - Math.log(p50)) / Z99 };
}

/** The mean of a sleep hold's distribution, ms (undefined for SQL and queue holds, whose time is the server's). */
export function holdSpecMeanMs(h: HoldSpec): number | undefined {
  if (h.kind !== 'sleep') return undefined;
  if (h.dist === 'constant') return h.ms;
  if (h.dist === 'exponential') return h.meanMs;
  const { mu, sigma } = lognormalParams(h.p50Ms, h.p99Ms);
  return Math.exp(mu + (sigma * sigma) / 2);
}

/** A sampler of hold times in ms for a sleep hold (0 for SQL and queue holds). */
export function holdSampler(h: HoldSpec, rand: () => number): () => number {
  if (h.kind !== 'sleep') return () => 0;
  switch (h.dist) {
    case 'constant':
      return () => h.ms;
    case 'exponential':
      return () => -h.meanMs * Math.log(1 - rand());
    default: {
      const { mu, sigma } = lognormalParams(h.p50Ms, h.p99Ms);
      return () => Math.exp(mu + sigma * normal(rand));
    }
  }
}

/** The rate multiplier at time t (s since the start of the run): ramp, then bursts. */
export function rateFactor(tS: number, rampS: number, burst?: BurstSpec): number {
  let f = rampS > 0 && tS < rampS ? Math.max(0.05, tS / rampS) : 1;
  if (burst && burst.onS + burst.offS > 0) {
    const phase = tS % (burst.onS + burst.offS);
    if (phase < burst.onS) f *= burst.factor;
  }
  return f;
}

/**
 * Arrival times of an open workload: call `next()` for the next arrival, µs after the start.
 * Poisson gaps are exponential at the current rate; constant gaps are 1/rate.
 */
export function arrivals(a: Extract<ArrivalSpec, { mode: 'open' }>, rampS: number, burst: BurstSpec | undefined, rand: () => number): { next(): number } {
  let t = 0;
  return {
    next(): number {
      const rate = a.rate * rateFactor(t / 1e6, rampS, burst);
      const gapS = a.process === 'constant' ? 1 / rate : -Math.log(1 - rand()) / rate;
      t += gapS * 1e6;
      return t;
    },
  };
}
