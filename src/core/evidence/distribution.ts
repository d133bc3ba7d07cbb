/**
 * Summaries of a {@link Distribution}, whatever its form: an HDR histogram gives exact
 * percentiles (the library's own arithmetic), Prometheus-style buckets give percentiles
 * interpolated inside a bucket as `histogram_quantile` does, a mean gives a mean only.
 */
import { summaryOf } from '../run/histogram.js';
import type { Distribution } from './types.js';

/** Percentiles of a distribution of µs (null where the form cannot tell). */
export interface DistributionSummary {
  count: number;
  meanUs: number;
  stddevUs: number | null;
  p50Us: number | null;
  p95Us: number | null;
  p99Us: number | null;
  p999Us: number | null;
  maxUs: number | null;
}

/** Whether the distribution has percentiles (not a mean only). */
export function hasPercentiles(d: Distribution): boolean {
  return d.form !== 'mean';
}

function bucketQuantile(upper: Array<number | null>, counts: number[], q: number): number {
  const total = counts.reduce((s, x) => s + x, 0);
  if (total === 0) return 0;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const n = counts[i]!;
    const lo = i === 0 ? 0 : (upper[i - 1] ?? 0);
    const hi = upper[i];
    if (seen + n >= rank && n > 0) {
      // Beyond the last finite bound: the bound itself, as histogram_quantile answers.
      if (hi === null || hi === undefined) return lo;
      return lo + (hi - lo) * ((rank - seen) / n);
    }
    seen += n;
  }
  return upper.filter((x): x is number => x !== null).at(-1) ?? 0;
}

/** The q-quantile (0-1) of Prometheus-style buckets, interpolated as `histogram_quantile` does. */
export function bucketsQuantile(d: Extract<Distribution, { form: 'buckets' }>, q: number): number {
  return bucketQuantile(d.upperUs, d.counts, q);
}

/** Summarise a distribution. */
export function summarizeDistribution(d: Distribution): DistributionSummary {
  if (d.form === 'hdr') {
    const s = summaryOf(d.encoded);
    return { count: s.count, meanUs: s.mean, stddevUs: s.stddev, p50Us: s.p50, p95Us: s.p95, p99Us: s.p99, p999Us: s.p999, maxUs: s.max };
  }
  if (d.form === 'buckets') {
    const count = d.counts.reduce((s, x) => s + x, 0);
    const q = (x: number): number => bucketQuantile(d.upperUs, d.counts, x);
    const meanUs = d.sumUs !== undefined && count > 0 ? d.sumUs / count : 0;
    let last = -1;
    for (let i = 0; i < d.counts.length; i++) if (d.counts[i]! > 0) last = i;
    const maxUs = last < 0 ? 0 : (d.upperUs[last] ?? d.upperUs[last - 1] ?? null);
    return { count, meanUs, stddevUs: null, p50Us: q(0.5), p95Us: q(0.95), p99Us: q(0.99), p999Us: q(0.999), maxUs };
  }
  return { count: d.count ?? 0, meanUs: d.meanUs, stddevUs: d.cv !== undefined ? d.cv * d.meanUs : null, p50Us: null, p95Us: null, p99Us: null, p999Us: null, maxUs: null };
}
