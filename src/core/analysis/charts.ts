/**
 * The figures the charts and the terminal histogram draw, computed once here so that renderers
 * only place them: the acquire-wait percentile spectrum, the share of acquires per decade of
 * wait, and the queue model's P99 wait at every pool size the what-if chart can show. Pure.
 */
import { decode, recordedValuesOf, summaryOf, type Histogram } from '../run/histogram.js';
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
function spectrumPoints(h: Histogram, steps = 200): Array<[number, number]> {
  const count = h.totalCount;
  if (count === 0) return [];
  // The tail shown ends where one sample is left: 1 − 1/count, at most six nines.
  const xMax = Math.min(6, Math.log10(Math.max(10, count)));
  const out: Array<[number, number]> = [];
  for (let i = 0; i <= steps; i++) {
    const x = (i / steps) * xMax;
    const q = 100 - 100 / 10 ** x;
    out.push([x, Math.max(1, h.getValueAtPercentile(q))]);
  }
  out.push([xMax, Math.max(1, h.maxValue)]);
  return out;
}

/** The spectrum of a wait distribution; null unless it is an HDR histogram (buckets and means have no spectrum). */
export function waitSpectrum(d: Distribution | undefined): WaitSpectrum | null {
  if (d?.form !== 'hdr') return null;
  const h = decode(d.encoded);
  return { count: h.totalCount, points: spectrumPoints(h), p50Us: h.getValueAtPercentile(50), p99Us: h.getValueAtPercentile(99), p999Us: h.getValueAtPercentile(99.9), maxUs: h.maxValue };
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
