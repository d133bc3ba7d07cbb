/**
 * The queue model of a connection pool (docs/facts.md, "Queue model"): c connections are c servers,
 * acquires are arrivals, holds are services. Erlang C (M/M/c) for open arrivals, with the
 * Allen-Cunneen correction when arrivals or holds are far from exponential, a quasi-static
 * mixture for on/off bursts, and the finite-source model M/M/c//N for closed workloads
 * (N callers that each wait for their previous request).
 *
 * Units: rates per second, times in seconds. Pure: no clock, no I/O.
 */

/** A squared coefficient of variation this far from 1 (either way) counts as "far from exponential". */
export const CV2_TOLERANCE = 0.25;

/** Largest pool size the model searches (Tasker's max_connections limit). */
export const MAX_CONNECTIONS = 1000;

/**
 * The most servers the recursions below step through: PostgreSQL's own ceiling on connections
 * (max_connections at most 262,143). Bounds their time by construction, whatever the values that
 * came in (a pool size of 1e300 from a broken endpoint takes no longer than one of 262,143).
 */
export const MAX_SERVERS = 262_143;

/** The most callers the finite-source model steps through (the bound of a closed workload's concurrency). */
export const MAX_CALLERS = 10_000;

/**
 * Erlang B (blocking probability) by the recursion B0 = 1, Bk = A·B(k-1) / (k + A·B(k-1)).
 * Every step stays in [0, 1], so it is stable for c in the thousands. At most {@link MAX_SERVERS}
 * steps: past it a pool is computed as that ceiling (B only falls with c, so the answer is an
 * upper bound); the recursion also stops once B has underflowed to 0.
 */
export function erlangB(c: number, offeredLoad: number): number {
  if (!(offeredLoad > 0)) return c === 0 ? 1 : 0;
  const n = Math.min(c, MAX_SERVERS);
  let b = 1;
  for (let k = 1; k <= n && b > 0; k++) b = (offeredLoad * b) / (k + offeredLoad * b);
  return b;
}

/** Erlang C: the probability an arrival waits, C = c·B / (c − A·(1 − B)); 1 when the load is at or over capacity. */
export function erlangC(c: number, offeredLoad: number): number {
  if (c <= 0 || offeredLoad >= c) return 1;
  if (!(offeredLoad > 0)) return 0;
  const b = erlangB(c, offeredLoad);
  const p = (c * b) / (c - offeredLoad * (1 - b));
  return Number.isFinite(p) ? Math.min(1, Math.max(0, p)) : 1;
}

/**
 * The q-quantile (0 < q < 1) of the M/M/c wait: 0 when q ≤ 1 − C, else ln(C / (1 − q)) / (cμ − λ).
 * Infinity when the load is at or over capacity.
 */
export function mmcWaitQuantile(c: number, lambda: number, meanHoldS: number, q: number): number {
  if (lambda <= 0 || meanHoldS <= 0) return 0;
  const mu = 1 / meanHoldS;
  const rate = c * mu - lambda;
  if (rate <= 0) return Infinity;
  const pw = erlangC(c, lambda * meanHoldS);
  if (q <= 1 - pw) return 0;
  return Math.log(pw / (1 - q)) / rate;
}

/** Mean M/M/c wait C / (cμ − λ); Infinity at or over capacity. */
export function mmcMeanWait(c: number, lambda: number, meanHoldS: number): number {
  if (lambda <= 0 || meanHoldS <= 0) return 0;
  const rate = c / meanHoldS - lambda;
  if (rate <= 0) return Infinity;
  return erlangC(c, lambda * meanHoldS) / rate;
}

/** One phase of a quasi-static arrival mixture: the rate during the phase and its share of all arrivals. */
export interface ArrivalPhase {
  rate: number;
  weight: number;
}

/** How acquires arrive. */
export type ArrivalModel =
  /** Open: arrivals at `lambda` per second whatever the pool does; ca2 = squared CV of inter-arrival times (1 for Poisson, 0 for a fixed schedule); `phases` for on/off bursts. */
  | { kind: 'open'; lambda: number; ca2: number; phases?: ArrivalPhase[] }
  /** Closed: `callers` callers that each think `thinkS` seconds between a release and their next acquire. */
  | { kind: 'closed'; callers: number; thinkS: number };

/** Everything the model needs about a pool's workload. */
export interface ModelInput {
  arrivals: ArrivalModel;
  /** Mean hold time, seconds. */
  meanHoldS: number;
  /** Squared coefficient of variation of hold times (1 for exponential). */
  cs2: number;
}

/** Which formula produced a prediction. */
export type ModelMethod = 'erlang-c' | 'allen-cunneen' | 'burst-mixture' | 'finite-source';

/** What the model predicts for one pool size. */
export interface Prediction {
  /** Pool size (max_connections). */
  c: number;
  /** Offered load A = λ × mean hold (Erlangs). */
  offeredLoad: number;
  /** A / c (for closed workloads: throughput × hold / c). */
  utilisation: number;
  /** False when the load is at or over capacity: waits grow without bound. */
  stable: boolean;
  /** Probability an acquire waits. */
  pWait: number;
  /** Wait, seconds (Infinity when unstable). */
  meanWaitS: number;
  p50WaitS: number;
  p95WaitS: number;
  p99WaitS: number;
  p999WaitS: number;
  /** Acquires per second the pool serves at this size. */
  throughput: number;
  method: ModelMethod;
  /** True when percentiles are approximations (Allen-Cunneen, bursts, non-exponential holds in a closed loop). */
  approximate: boolean;
}

/** Allen-Cunneen's factor (ca² + cs²) / 2, and whether it applies (either CV² far from 1). */
export function allenCunneen(ca2: number, cs2: number): { factor: number; applies: boolean } {
  const applies = Math.abs(ca2 - 1) > CV2_TOLERANCE || Math.abs(cs2 - 1) > CV2_TOLERANCE;
  return { factor: applies ? Math.max(0, (ca2 + cs2) / 2) : 1, applies };
}

/** A wait-time tail P(W > t) with its atom at zero, from which quantiles are solved. */
interface Tail {
  /** P(W > 0). */
  pWait: number;
  /** P(W > t) for t > 0. */
  at(t: number): number;
  meanS: number;
  /** Probability mass whose wait is unbounded (an unstable phase). */
  unbounded: number;
}

/** The q-quantile of a tail by bisection on P(W > t) = 1 − q. */
function quantile(tail: Tail, q: number): number {
  const want = 1 - q;
  if (tail.pWait <= want) return 0;
  if (tail.unbounded >= want) return Infinity;
  let hi = 1e-3;
  while (tail.at(hi) > want) {
    hi *= 2;
    if (hi > 1e9) return Infinity;
  }
  let lo = 0;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2;
    if (tail.at(mid) > want) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Open arrivals (one phase or a mixture), with the Allen-Cunneen stretch of the wait. */
function openTail(c: number, phases: ArrivalPhase[], meanHoldS: number, stretch: number): Tail {
  const mu = 1 / meanHoldS;
  const parts = phases
    .filter((p) => p.weight > 0)
    .map((p) => {
      const rate = c * mu - p.rate;
      const stable = rate > 0;
      return { w: p.weight, stable, pw: stable ? erlangC(c, p.rate * meanHoldS) : 1, decay: stable ? rate / Math.max(stretch, 1e-12) : 0 };
    });
  const totalW = parts.reduce((s, p) => s + p.w, 0) || 1;
  const unbounded = parts.filter((p) => !p.stable).reduce((s, p) => s + p.w, 0) / totalW;
  return {
    pWait: parts.reduce((s, p) => s + p.w * p.pw, 0) / totalW,
    unbounded,
    meanS: unbounded > 0 ? Infinity : parts.reduce((s, p) => s + (p.w * p.pw) / p.decay, 0) / totalW,
    at: (t) => parts.reduce((s, p) => s + p.w * (p.stable ? p.pw * Math.exp(-p.decay * t) : 1), 0) / totalW,
  };
}

/** ln(k!) for k = 0..n. */
function logFactorials(n: number): Float64Array {
  const out = new Float64Array(n + 1);
  for (let k = 1; k <= n; k++) out[k] = out[k - 1]! + Math.log(k);
  return out;
}

/**
 * The finite-source queue M/M/c//N: N callers, each requesting at rate γ = 1/think while not in
 * the pool. Stationary p_n by the birth-death recursion (in logs, so N in the thousands is fine);
 * an arriving caller sees the others, π_n ∝ (N − n)·p_n (the arrival theorem); one that finds
 * n ≥ c waits for n − c + 1 releases at rate cμ, an Erlang(n − c + 1, cμ) time.
 */
function finiteSourceTail(c: number, callers: number, thinkS: number, meanHoldS: number, stretch: number): Tail & { throughput: number; busy: number } {
  // At most MAX_CALLERS callers, so the arrays and the loops below are bounded whatever a file or an
  // endpoint said. More callers are modelled as MAX_CALLERS each calling proportionally more often
  // (the think time scaled down): the same offered rate, and with that many callers the finite
  // source is already all but Poisson.
  const given = Math.max(0, Math.floor(Number.isFinite(callers) ? callers : 0));
  const n = Math.min(MAX_CALLERS, given);
  if (given > n) thinkS = (thinkS * n) / given;
  const mu = 1 / meanHoldS;
  const arrival = new Float64Array(n + 1);
  let throughput: number;
  let busy: number;
  if (n === 0) return { pWait: 0, at: () => 0, meanS: 0, unbounded: 0, throughput: 0, busy: 0 };
  if (thinkS <= 0) {
    // No think time: every caller is always in the pool, so an arriving caller sees the N − 1 others.
    arrival[n - 1] = 1;
    throughput = Math.min(n, c) * mu;
    busy = Math.min(n, c);
  } else {
    const gamma = 1 / thinkS;
    const logP = new Float64Array(n + 1);
    for (let k = 1; k <= n; k++) logP[k] = logP[k - 1]! + Math.log(((n - k + 1) * gamma) / (Math.min(k, c) * mu));
    const top = logP.reduce((m, x) => Math.max(m, x), -Infinity);
    const p = Array.from(logP, (l) => Math.exp(l - top));
    const z = p.reduce((s, x) => s + x, 0);
    for (let k = 0; k <= n; k++) p[k] = p[k]! / z;
    throughput = p.reduce((s, pk, k) => s + (n - k) * gamma * pk, 0);
    busy = p.reduce((s, pk, k) => s + Math.min(k, c) * pk, 0);
    let za = 0;
    for (let k = 0; k < n; k++) {
      arrival[k] = (n - k) * p[k]!;
      za += arrival[k]!;
    }
    for (let k = 0; k < n; k++) arrival[k] = arrival[k]! / (za || 1);
  }
  const rate = (c * mu) / Math.max(stretch, 1e-12);
  const lf = logFactorials(n + 1);
  let pWait = 0;
  let meanS = 0;
  for (let k = c; k < n; k++) {
    pWait += arrival[k]!;
    meanS += (arrival[k]! * (k - c + 1)) / rate;
  }
  const at = (t: number): number => {
    // P(Erlang(m, rate) > t) = P(Poisson(rate·t) < m), summed over what arrivals see.
    const x = rate * t;
    const lx = Math.log(x);
    let cdf = 0;
    let s = 0;
    for (let m = 1; m + c - 1 < n; m++) {
      cdf += Math.exp(-x + (m - 1) * lx - lf[m - 1]!);
      s += arrival[m + c - 1]! * Math.min(1, cdf);
    }
    return s;
  };
  return { pWait, at, meanS, unbounded: 0, throughput, busy };
}

/** The wait tail at pool size c, with what a prediction reports beside it. */
interface Modelled {
  tail: Tail;
  offeredLoad: number;
  utilisation: number;
  throughput: number;
  method: ModelMethod;
  approximate: boolean;
}

function model(input: ModelInput, c: number): Modelled | undefined {
  const { arrivals, meanHoldS, cs2 } = input;
  if (meanHoldS <= 0) return undefined;
  if (arrivals.kind === 'closed') {
    const ac = allenCunneen(1, cs2);
    // A closed loop's callers are not Poisson either way; only the hold variability stretches the wait.
    const stretch = ac.applies ? Math.max(0, (1 + cs2) / 2) : 1;
    const t = finiteSourceTail(c, arrivals.callers, arrivals.thinkS, meanHoldS, stretch);
    return { tail: t, offeredLoad: t.throughput * meanHoldS, utilisation: t.busy / c, throughput: t.throughput, method: 'finite-source', approximate: ac.applies };
  }
  const lambda = arrivals.lambda;
  if (lambda <= 0) return undefined;
  const phases = arrivals.phases && arrivals.phases.length > 0 ? arrivals.phases : [{ rate: lambda, weight: 1 }];
  const ac = allenCunneen(arrivals.ca2, cs2);
  const t = openTail(c, phases, meanHoldS, ac.factor);
  const a = lambda * meanHoldS;
  const bursty = phases.length > 1;
  return {
    tail: t,
    offeredLoad: a,
    utilisation: a / c,
    throughput: t.unbounded === 0 ? lambda : Math.min(lambda, c / meanHoldS),
    method: bursty ? 'burst-mixture' : ac.applies ? 'allen-cunneen' : 'erlang-c',
    approximate: bursty || ac.applies,
  };
}

/** The model's prediction for pool size `c`. */
export function predict(input: ModelInput, c: number): Prediction {
  const size = Math.max(1, Math.floor(c));
  const m = model(input, size);
  if (!m) return idlePrediction(size, input.arrivals.kind === 'open' ? Math.max(0, input.arrivals.lambda) : 0);
  const t = m.tail;
  return {
    c: size,
    offeredLoad: m.offeredLoad,
    utilisation: m.utilisation,
    stable: t.unbounded === 0,
    pWait: t.pWait,
    meanWaitS: t.meanS,
    p50WaitS: quantile(t, 0.5),
    p95WaitS: quantile(t, 0.95),
    p99WaitS: quantile(t, 0.99),
    p999WaitS: quantile(t, 0.999),
    throughput: m.throughput,
    method: m.method,
    approximate: m.approximate,
  };
}

function idlePrediction(c: number, lambda: number): Prediction {
  return { c, offeredLoad: 0, utilisation: 0, stable: true, pWait: 0, meanWaitS: 0, p50WaitS: 0, p95WaitS: 0, p99WaitS: 0, p999WaitS: 0, throughput: lambda, method: 'erlang-c', approximate: false };
}

/** The q-quantile (0 < q < 1) of the wait, seconds, that the model predicts at pool size c. */
export function waitQuantile(input: ModelInput, c: number, q: number): number {
  const m = model(input, Math.max(1, Math.floor(c)));
  return m ? quantile(m.tail, q) : 0;
}

/** The predicted P99 wait at pool size c, seconds. */
export function p99Wait(input: ModelInput, c: number): number {
  return waitQuantile(input, c, 0.99);
}

/**
 * The smallest pool size whose predicted P99 wait is at or under `targetS` seconds, with no
 * headroom added; undefined when no size up to `maxC` meets it.
 */
export function smallestMeeting(input: ModelInput, targetS: number, maxC = MAX_CONNECTIONS): number | undefined {
  // The P99 wait never grows with c, so a binary search finds the smallest size that meets the target.
  if (p99Wait(input, maxC) > targetS) return undefined;
  const a = input.arrivals.kind === 'open' ? input.arrivals.lambda * input.meanHoldS : 0;
  let lo = Math.max(1, Math.min(maxC, Math.floor(a)));
  if (p99Wait(input, lo) <= targetS) return lo;
  let hi = maxC;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (p99Wait(input, mid) <= targetS) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Variability of the workload: squared coefficients of variation of inter-arrival and hold times. */
export interface Variability {
  ca2: number;
  cs2: number;
}

/**
 * What-if for open arrivals: the predicted P(wait) and wait percentiles for each candidate
 * max_connections, given λ acquires per second and the mean hold in seconds.
 */
export function whatIf(lambda: number, meanHoldS: number, cvs: Variability, candidates: readonly number[]): Prediction[] {
  const input: ModelInput = { arrivals: { kind: 'open', lambda, ca2: cvs.ca2 }, meanHoldS, cs2: cvs.cs2 };
  return candidates.map((c) => predict(input, c));
}

/** Measured figures of a run, to compare the model with (seconds; pWait as a share). */
export interface MeasuredWaits {
  pWait: number;
  p50S: number;
  p95S: number;
  p99S: number;
}

/** How far the model's prediction at the run's own pool size is from what the run measured. */
export interface ModelError {
  c: number;
  predicted: MeasuredWaits;
  measured: MeasuredWaits;
  /** predicted − measured, seconds. */
  p50ErrorS: number;
  p95ErrorS: number;
  p99ErrorS: number;
  /** predicted − measured P(wait). */
  pWaitError: number;
  /**
   * |predicted − measured| P99 relative to the larger of the measured P99 and `floorS` (so
   * sub-millisecond noise around a zero prediction does not read as a 100% error).
   */
  p99RelativeError: number;
}

/** Compare the model at pool size c with the measured waits of the same run. */
export function modelError(input: ModelInput, c: number, measured: MeasuredWaits, floorS = 0.001): ModelError {
  const p = predict(input, c);
  const predicted: MeasuredWaits = { pWait: p.pWait, p50S: p.p50WaitS, p95S: p.p95WaitS, p99S: p.p99WaitS };
  const d = (x: number, y: number): number => (Number.isFinite(x) ? x - y : Infinity);
  return {
    c: p.c,
    predicted,
    measured,
    p50ErrorS: d(predicted.p50S, measured.p50S),
    p95ErrorS: d(predicted.p95S, measured.p95S),
    p99ErrorS: d(predicted.p99S, measured.p99S),
    pWaitError: predicted.pWait - measured.pWait,
    p99RelativeError: Number.isFinite(predicted.p99S) ? Math.abs(predicted.p99S - measured.p99S) / Math.max(measured.p99S, floorS) : Infinity,
  };
}
