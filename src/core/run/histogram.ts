/**
 * HDR histograms of microseconds (hdr-histogram-js): creation with the tool's fixed range,
 * encoding for run files, merging, and summaries. Pure: no clock, no I/O.
 */
import * as hdr from 'hdr-histogram-js';
import type { EncodedHistogram } from './types.js';

/** A histogram of microseconds. */
export type Histogram = hdr.Histogram;

/** 1 µs .. 10 minutes: wider than any acquire timeout Tasker accepts (300 s). */
export const HIGHEST_US = 600_000_000;

/** Create an empty histogram (3 significant digits, or fewer for small per-interval histograms). */
export function newHistogram(significantDigits: 1 | 2 | 3 = 3): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: significantDigits, bitBucketSize: 32 });
}

/** Record a value in µs, clamped to the histogram's range (a value past 10 minutes counts as 10 minutes). */
export function recordUs(h: Histogram, us: number): void {
  h.recordValue(us < 1 ? 1 : us > HIGHEST_US ? HIGHEST_US : Math.round(us));
}

/** Encode for a run file. */
export function encode(h: Histogram): EncodedHistogram {
  return hdr.encodeIntoCompressedBase64(h);
}

/** Decode from a run file. */
export function decode(e: EncodedHistogram): Histogram {
  return hdr.decodeFromCompressedBase64(e, 32);
}

/** Add encoded histograms together. */
export function mergeEncoded(...es: EncodedHistogram[]): EncodedHistogram {
  const out = newHistogram();
  for (const e of es) out.add(decode(e));
  return encode(out);
}

/** Percentiles and moments of a histogram; all zero when it is empty. */
export interface Summary {
  count: number;
  min: number;
  mean: number;
  stddev: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

/** Summarise a histogram (µs). */
export function summarize(h: Histogram): Summary {
  const count = h.totalCount;
  if (count === 0) return { count: 0, min: 0, mean: 0, stddev: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 };
  return {
    count,
    min: h.minNonZeroValue,
    mean: h.mean,
    stddev: h.stdDeviation,
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p95: h.getValueAtPercentile(95),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    max: h.maxValue,
  };
}

/** The distinct recorded values (bucket upper bounds equivalent) with their counts, ascending. */
export function recordedValues(h: Histogram): Array<{ value: number; count: number }> {
  const out: Array<{ value: number; count: number }> = [];
  if (h.totalCount === 0) return out;
  // hdr-histogram-js's JsHistogram exposes an iterator over recorded values.
  const it = (h as unknown as { recordedValuesIterator: { reset(): void; hasNext(): boolean; next(): { valueIteratedTo: number; countAtValueIteratedTo: number } } }).recordedValuesIterator;
  it.reset();
  while (it.hasNext()) {
    const v = it.next();
    out.push({ value: v.valueIteratedTo, count: v.countAtValueIteratedTo });
  }
  return out;
}
