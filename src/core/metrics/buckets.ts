/**
 * Prometheus histogram buckets from an HDR histogram, computed at scrape time. The HDR histogram
 * keeps every value to 3 significant digits; Prometheus needs cumulative counts at fixed upper
 * bounds, so each scrape walks the recorded values once. Pure: no clock, no I/O.
 */
import { recordedValues, type Histogram } from '../run/histogram.js';

/**
 * Upper bounds, µs: a 1-2-5 series from 50 µs to 20 s, then 30 s. An acquire that needs no
 * queueing takes ~1 µs to ~1 ms here (docs/facts.md, "node-postgres pool"), so the first buckets separate "free connection"
 * from "opened a connection"; queued waits of a saturated pool land in the millisecond and second
 * buckets, not in +Inf (HikariCP's buckets stop near 1 ms).
 */
export const BUCKET_BOUNDS_US: readonly number[] = [
  50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000, 2_000_000, 5_000_000, 10_000_000,
  20_000_000, 30_000_000,
];

/** A histogram in Prometheus's form: cumulative counts at each upper bound (seconds), the count and the sum. */
export interface BucketedHistogram {
  /** One entry per finite bound, ascending; `count` is cumulative (values at or below `le`). */
  buckets: Array<{ le: number; count: number }>;
  /** Every value (the `+Inf` bucket and `_count`). */
  count: number;
  /** Sum of the values, seconds. */
  sumSeconds: number;
}

/**
 * Bucket an HDR histogram of µs. A value counts at or below a bound when its HDR bucket's highest
 * equivalent value is (the value the recorder's percentiles report), so a bucket boundary moves
 * by at most HDR's 0.1% resolution.
 */
export function toBuckets(h: Histogram, boundsUs: readonly number[] = BUCKET_BOUNDS_US): BucketedHistogram {
  const counts = new Array<number>(boundsUs.length).fill(0);
  let i = 0;
  let below = 0;
  for (const v of recordedValues(h)) {
    while (i < boundsUs.length && v.value > boundsUs[i]!) counts[i++] = below;
    below += v.count;
  }
  while (i < boundsUs.length) counts[i++] = below;
  const count = h.totalCount;
  return {
    buckets: boundsUs.map((b, k) => ({ le: b / 1e6, count: counts[k]! })),
    count,
    sumSeconds: count === 0 ? 0 : (h.mean * count) / 1e6,
  };
}
