/**
 * HDR histograms of microseconds (hdr-histogram-js): creation with the tool's fixed range,
 * encoding for run files, merging, and summaries. Pure: no clock, no I/O.
 */
// The modules this file uses, not the package index: the index also loads the histogram log
// reader and writer, whose module-level Intl.NumberFormat costs tens of ms at every start of the
// CLI (bench/run.mjs, "import cost").
import type * as hdr from 'hdr-histogram-js';
import { build } from 'hdr-histogram-js/dist/HistogramBuilder.js';
import { decodeFromCompressedBase64, encodeIntoCompressedBase64 } from 'hdr-histogram-js/dist/encoding.js';
import type { EncodedHistogram } from './types.js';

/** A histogram of microseconds. */
export type Histogram = hdr.Histogram;

/** 1 µs .. 10 minutes: wider than any acquire timeout Tasker accepts (300 s). */
export const HIGHEST_US = 600_000_000;

/** Create an empty histogram (3 significant digits, or fewer for small per-interval histograms). */
export function newHistogram(significantDigits: 1 | 2 | 3 = 3): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: significantDigits, bitBucketSize: 32 });
}

/** Record a value in µs, clamped to the histogram's range (a value past 10 minutes counts as 10 minutes). */
export function recordUs(h: Histogram, us: number): void {
  h.recordValue(us < 1 ? 1 : us > HIGHEST_US ? HIGHEST_US : Math.round(us));
}

/** Encode for a run file. */
export function encode(h: Histogram): EncodedHistogram {
  return encodeIntoCompressedBase64(h);
}

/** Decode from a run file. */
export function decode(e: EncodedHistogram): Histogram {
  return decodeFromCompressedBase64(e, 32);
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

/** The parts of hdr-histogram-js's JsHistogram that its own iterators use. */
interface Indexed {
  countsArrayLength: number;
  getCountAtIndex(i: number): number;
  valueFromIndex(i: number): number;
  highestEquivalentValue(v: number): number;
  medianEquivalentValue(v: number): number;
}

/**
 * The mean and standard deviation exactly as hdr-histogram-js's `mean` and `stdDeviation` compute
 * them (the same terms added in the same order, so the same doubles), in one walk over the counts
 * instead of three walks of its iterator, which were most of `recommend --from`'s time on a long run.
 */
function moments(h: Histogram): { mean: number; stddev: number } {
  const x = h as unknown as Indexed;
  const total = h.totalCount;
  const recorded = recordedValues(h);
  const medians = recorded.map((r) => x.medianEquivalentValue(r.value));
  let totalValue = 0;
  for (let k = 0; k < recorded.length; k++) totalValue += medians[k]! * recorded[k]!.count;
  const mean = totalValue / total;
  let deviationTotal = 0;
  for (let k = 0; k < recorded.length; k++) {
    const d = medians[k]! - mean;
    deviationTotal += d * d * recorded[k]!.count;
  }
  return { mean, stddev: Math.sqrt(deviationTotal / total) };
}

/** Summarise a histogram (µs). */
export function summarize(h: Histogram): Summary {
  const count = h.totalCount;
  if (count === 0) return { count: 0, min: 0, mean: 0, stddev: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 };
  const { mean, stddev } = moments(h);
  return {
    count,
    min: h.minNonZeroValue,
    mean,
    stddev,
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
  const total = h.totalCount;
  if (total === 0) return out;
  // What hdr-histogram-js's recordedValuesIterator yields (value: the highest equivalent value of
  // each non-empty bucket), walked over the counts directly: its iterator allocates and re-checks
  // at every step, which made it the slowest part of a saved run's analysis.
  const x = h as unknown as Indexed;
  let seen = 0;
  for (let i = 0; i < x.countsArrayLength && seen < total; i++) {
    const count = x.getCountAtIndex(i);
    if (count === 0) continue;
    seen += count;
    out.push({ value: x.highestEquivalentValue(x.valueFromIndex(i)), count });
  }
  return out;
}
