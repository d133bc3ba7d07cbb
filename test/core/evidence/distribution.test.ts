/** Summaries of a distribution in each form a source may have it. */
import { describe, expect, it } from 'vitest';
import { summarizeDistribution } from '../../../src/core/evidence/distribution.js';
import { decode, encode, newHistogram, recordUs, summarize } from '../../../src/core/run/histogram.js';

describe('summarizeDistribution', () => {
  it('an HDR histogram gives what the histogram module gives', () => {
    const h = newHistogram();
    for (let i = 1; i <= 1000; i++) recordUs(h, i * 10);
    const s = summarize(decode(encode(h)));
    expect(summarizeDistribution({ form: 'hdr', encoded: encode(h) })).toEqual({ count: 1000, meanUs: s.mean, stddevUs: s.stddev, p50Us: s.p50, p95Us: s.p95, p99Us: s.p99, p999Us: s.p999, maxUs: s.max });
  });

  it('buckets interpolate inside the bucket holding the rank, as histogram_quantile does', () => {
    const s = summarizeDistribution({ form: 'buckets', upperUs: [1000, 10_000, 100_000], counts: [50, 40, 10], sumUs: 500_000 });
    expect(s.count).toBe(100);
    expect(s.meanUs).toBe(5000);
    expect(s.p50Us).toBe(1000);
    expect(s.p95Us).toBe(10_000 + 90_000 * 0.5);
    expect(s.p99Us).toBeCloseTo(10_000 + 90_000 * 0.9, 6);
    expect(s.maxUs).toBe(100_000);
    expect(s.stddevUs).toBeNull();
  });

  it('a rank beyond the last finite bound answers that bound', () => {
    expect(summarizeDistribution({ form: 'buckets', upperUs: [1000, null], counts: [1, 99] }).p99Us).toBe(1000);
  });

  it('a mean only tells the mean (and the spread when given), no percentile', () => {
    expect(summarizeDistribution({ form: 'mean', count: null, meanUs: 2000, cv: 0.5 })).toEqual({ count: 0, meanUs: 2000, stddevUs: 1000, p50Us: null, p95Us: null, p99Us: null, p999Us: null, maxUs: null });
  });

  it('empty buckets give zeros, not NaN', () => {
    const s = summarizeDistribution({ form: 'buckets', upperUs: [1000], counts: [0] });
    expect([s.count, s.meanUs, s.p99Us, s.maxUs]).toEqual([0, 0, 0, 0]);
  });
});
