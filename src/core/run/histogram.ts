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

/** An HDR histogram of microseconds, compressed and base64-encoded (hdr-histogram-js). */
export type EncodedHistogram = string;

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

/** The layout of hdr-histogram-js's JsHistogram that its own index arithmetic uses. */
interface Indexed {
  countsArrayLength: number;
  unitMagnitude: number;
  subBucketHalfCount: number;
  getCountAtIndex(i: number): number;
  /** The counts of a typed-array histogram (what getCountAtIndex reads), for the walk. */
  _counts?: ArrayLike<number>;
}

/** The non-empty buckets of a histogram, ascending: each one's highest and median equivalent values, and its count. */
interface Buckets {
  lowest: number[];
  highest: number[];
  median: number[];
  count: number[];
}

/**
 * Walk the counts once. A bucket's values are hdr-histogram-js's `valueFromIndex`,
 * `highestEquivalentValue` and `medianEquivalentValue`, computed here with its own integer
 * arithmetic (exact in doubles) rather than through its chain of calls per bucket.
 */
function buckets(h: Histogram): Buckets {
  const x = h as unknown as Indexed;
  const out: Buckets = { lowest: [], highest: [], median: [], count: [] };
  const total = h.totalCount;
  const half = x.subBucketHalfCount;
  let seen = 0;
  // The typed array itself when there is one: a method call per slot (tens of thousands of slots,
  // mostly empty) was most of the walk in a short-lived command, where it runs unoptimised.
  const counts = x._counts !== undefined && x._counts.length === x.countsArrayLength ? x._counts : undefined;
  for (let i = 0; i < x.countsArrayLength && seen < total; i++) {
    const count = counts ? counts[i]! : x.getCountAtIndex(i);
    if (count === 0) continue;
    seen += count;
    let bucket = Math.floor(i / half) - 1;
    let sub = (i % half) + half;
    if (bucket < 0) {
      sub -= half;
      bucket = 0;
    }
    const size = Math.pow(2, bucket + x.unitMagnitude);
    const lowest = sub * size;
    out.lowest.push(lowest);
    out.highest.push(lowest + size - 1);
    out.median.push(lowest + Math.floor(size / 2));
    out.count.push(count);
  }
  return out;
}


/** hdr-histogram-js's ulp (dist/ulp.js): the unit in the last place of a double. */
const ulp = (x: number): number => Math.pow(2, Math.floor(Math.log2(x)) - 52);

/**
 * Mean, standard deviation and percentiles exactly as hdr-histogram-js's `mean`, `stdDeviation`
 * and `getValueAtPercentile` compute them (the same terms, added in the same order, so the same
 * doubles), from one walk over the counts instead of eight: its iterator and percentile loops were
 * most of `recommend --from`'s time on a long run. test/core/run/histogram.test.ts holds it to the library.
 */
function figures(h: Histogram, percentiles: readonly number[]): { mean: number; stddev: number; at: number[] } {
  const total = h.totalCount;
  const { highest, median, count } = buckets(h);
  let totalValue = 0;
  for (let k = 0; k < count.length; k++) totalValue += median[k]! * count[k]!;
  const mean = totalValue / total;
  let deviationTotal = 0;
  for (let k = 0; k < count.length; k++) {
    const d = median[k]! - mean;
    deviationTotal += d * d * count[k]!;
  }
  // The value at a percentile is the first bucket whose running count reaches the percentile's
  // count, rounded up as the library rounds it (its ulp guard included).
  const at = percentiles.map((p) => {
    const fp = (Math.min(p, 100) / 100) * total;
    const needed = Math.max(Math.ceil(fp - ulp(fp)), 1);
    let running = 0;
    for (let k = 0; k < count.length; k++) {
      running += count[k]!;
      if (running >= needed) return highest[k]!;
    }
    return 0;
  });
  return { mean, stddev: Math.sqrt(deviationTotal / total), at };
}

/**
 * Decoded histograms kept for reading only, by encoded string: a saved run's histograms are checked
 * (decoded) when the file is read, then summarised by the analysis and the renderers; each is
 * decoded once. Never handed out: a caller that adds to a histogram decodes its own.
 */
const decodedForReading = new Map<EncodedHistogram, Histogram>();
/** Summaries already computed, by encoded histogram. */
const summaries = new Map<EncodedHistogram, Readonly<Summary>>();
/** Entries kept (a run file holds 6 histograms per pool and 2 per workload); a decoded one can take a few hundred KB. */
const KEPT = { decoded: 32, summaries: 256 };

function keep<V>(m: Map<EncodedHistogram, V>, e: EncodedHistogram, v: V, max: number): V {
  if (m.size >= max) m.delete(m.keys().next().value!);
  m.set(e, v);
  return v;
}

function readable(e: EncodedHistogram): Histogram {
  return decodedForReading.get(e) ?? keep(decodedForReading, e, decode(e), KEPT.decoded);
}

/** Check that a string is an encoded histogram (throws as {@link decode} does); a later {@link summaryOf} reuses the work. */
export function checkEncoded(e: EncodedHistogram): void {
  readable(e);
}

/**
 * {@link summarize} of an encoded histogram, decoded and walked once per process: every caller
 * that asks for the same histogram gets the same (frozen) figures. Throws as {@link decode} does.
 */
export function summaryOf(e: EncodedHistogram): Readonly<Summary> {
  const s = summaries.get(e);
  if (s !== undefined) return s;
  return keep(summaries, e, Object.freeze(summarize(readable(e))), KEPT.summaries);
}

/**
 * hdr-histogram-js's `getValueAtPercentile` at each of `percentiles` (0-100), from one walk over
 * the counts of the decode kept for reading (the library walks them once per percentile): the same
 * running count, the same ulp guard, the lowest equivalent value at 0 and the highest above it.
 */
export function percentilesOf(e: EncodedHistogram, percentiles: readonly number[]): number[] {
  const h = readable(e);
  const total = h.totalCount;
  const { lowest, highest, count } = buckets(h);
  return percentiles.map((p) => {
    const fp = (Math.min(p, 100) / 100) * total;
    const needed = Math.max(Math.ceil(fp - ulp(fp)), 1);
    let running = 0;
    for (let k = 0; k < count.length; k++) {
      running += count[k]!;
      if (running >= needed) return p === 0 ? lowest[k]! : highest[k]!;
    }
    return 0;
  });
}

/** {@link recordedValues} of an encoded histogram, from the decode kept for reading. */
export function recordedValuesOf(e: EncodedHistogram): Array<{ value: number; count: number }> {
  return recordedValues(readable(e));
}

/** Summarise a histogram (µs). */
export function summarize(h: Histogram): Summary {
  const count = h.totalCount;
  if (count === 0) return { count: 0, min: 0, mean: 0, stddev: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 };
  const { mean, stddev, at } = figures(h, [50, 90, 95, 99, 99.9]);
  return { count, min: h.minNonZeroValue, mean, stddev, p50: at[0]!, p90: at[1]!, p95: at[2]!, p99: at[3]!, p999: at[4]!, max: h.maxValue };
}

/** The distinct recorded values (bucket upper bounds equivalent) with their counts, ascending. */
export function recordedValues(h: Histogram): Array<{ value: number; count: number }> {
  if (h.totalCount === 0) return [];
  // What hdr-histogram-js's recordedValuesIterator yields (value: the highest equivalent value of
  // each non-empty bucket), without its iterator, which allocates and re-checks at every step.
  const { highest, count } = buckets(h);
  return highest.map((value, k) => ({ value, count: count[k]! }));
}
