/**
 * The figures the charts and the terminal histogram draw, computed once here so that renderers
 * only place them: the acquire-wait percentile spectrum, the share of acquires per decade of
 * wait, and the queue model's P99 wait at every pool size the what-if chart can show. Pure.
 */
import { percentilesOf, recordedValuesOf, summaryOf } from '../run/histogram.js';
import type { EncodedHistogram } from '../run/types.js';
import type { Distribution } from '../evidence/types.js';
import { MAX_CONNECTIONS, predict, type ModelInput } from '../model/queue.js';

/** The acquire-wait spectrum of a distribution with percentiles from every sample (HDR). */
export interface WaitSpectrum {
  count: number;
  /** (x = log10(1 / (1 − q)), wait µs ≥ 1), from 0% up to the last recorded value; empty when nothing was recorded. */
  points: Array<[number, number]>;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
}

/** Points of a spectrum: (x = log10(1 / (1 − q)), wait µs), from 0% up to the last recorded value. */
function spectrumPoints(e: EncodedHistogram, count: number, max: number, steps = 200): Array<[number, number]> {
  if (count === 0) return [];
  // The tail shown ends where one sample is left: 1 − 1/count, at most six nines.
  const xMax = Math.min(6, Math.log10(Math.max(10, count)));
  const xs = Array.from({ length: steps + 1 }, (_, i) => (i / steps) * xMax);
  // Every percentile from one walk over the counts (the library's getValueAtPercentile walks them each time).
  const values = percentilesOf(e, xs.map((x) => 100 - 100 / 10 ** x));
  const out: Array<[number, number]> = xs.map((x, i) => [x, Math.max(1, values[i]!)]);
  out.push([xMax, Math.max(1, max)]);
  return out;
}

/** The spectrum of a wait distribution; null unless it is an HDR histogram (buckets and means have no spectrum). */
export function waitSpectrum(d: Distribution | undefined): WaitSpectrum | null {
  if (d?.form !== 'hdr') return null;
  const s = summaryOf(d.encoded);
  return { count: s.count, points: spectrumPoints(d.encoded, s.count, s.max), p50Us: s.p50, p99Us: s.p99, p999Us: s.p999, maxUs: s.max };
}

/** Upper bounds (µs) of the decades of the terminal wait histogram; the last decade is open-ended. */
const DECADE_BOUNDS_US = [10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000];
const DECADE_LABELS = ['≤10 µs', '10-100 µs', '0.1-1 ms', '1-10 ms', '10-100 ms', '0.1-1 s', '1-10 s', '>10 s'];

/** The share of acquires whose wait fell in each decade (≤10 µs, 10-100 µs, ... >10 s); empty decades left out, nothing unless HDR. */
export function waitDecades(d: Distribution | undefined): Array<{ label: string; share: number }> {
  if (d?.form !== 'hdr') return [];
  const total = summaryOf(d.encoded).count;
  if (total === 0) return [];
  const counts = new Array<number>(DECADE_LABELS.length).fill(0);
  for (const v of recordedValuesOf(d.encoded)) {
    const i = DECADE_BOUNDS_US.findIndex((b) => v.value <= b);
    counts[i < 0 ? DECADE_LABELS.length - 1 : i]! += v.count;
  }
  return counts.flatMap((n, i) => (n > 0 ? [{ label: DECADE_LABELS[i]!, share: n / total }] : []));
}

/** The model's P99 wait by pool size, for the what-if chart. */
export interface WhatIfCurve {
  /** The first stable size: one more than the offered load (open arrivals), else 1. */
  from: number;
  /**
   * The predicted P99 wait (µs) at every size from `from` to the chart's top: 1.4 x the larger of
   * the current size and the need, plus 2 (at least `from` + 8, at most 1000; 1000 when no size
   * meets the target). Every size a rule can recommend is in it (they recommend at most the need,
   * or 1000 when there is none).
   */
  points: Array<{ c: number; p99WaitUs: number }>;
}

/** The what-if curve of a fitted model; `current` is the pool's max_connections, `need` the smallest size meeting the target. */
export function whatIfCurve(input: ModelInput, current: number, need: number | null): WhatIfCurve {
  const load = input.arrivals.kind === 'open' ? input.arrivals.lambda * input.meanHoldS : 0;
  const from = Math.max(1, Math.floor(load) + 1);
  const top = Math.min(MAX_CONNECTIONS, Math.max(from + 8, Math.ceil(Math.max(current, need ?? MAX_CONNECTIONS) * 1.4) + 2));
  const points: WhatIfCurve['points'] = [];
  for (let c = from; c <= top; c++) points.push({ c, p99WaitUs: predict(input, c).p99WaitS * 1e6 });
  return { from, points };
}
