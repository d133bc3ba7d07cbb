import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decode, encode, newHistogram, percentilesOf, recordUs, recordedValues, summarize } from '../../../src/core/run/histogram.js';

describe('summarize', () => {
  it('gives the same mean, standard deviation and percentiles, to the bit, as hdr-histogram-js computes them', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 3) as fc.Arbitrary<1 | 2 | 3>, fc.array(fc.double({ min: 0, max: 7e8, noNaN: true }), { minLength: 1, maxLength: 400 }), (digits, values) => {
        const recorded = newHistogram(digits);
        for (const v of values) recordUs(recorded, v);
        // As the commands see it: decoded from a run file.
        const h = decode(encode(recorded));
        const s = summarize(h);
        expect(s.mean).toBe(h.mean);
        expect(s.stddev).toBe(h.stdDeviation);
        expect([s.p50, s.p90, s.p95, s.p99, s.p999]).toEqual([50, 90, 95, 99, 99.9].map((p) => h.getValueAtPercentile(p)));
        expect([s.min, s.max]).toEqual([h.minNonZeroValue, h.maxValue]);
        expect(s.count).toBe(values.length);
      }),
      { numRuns: 300 },
    );
  });

  it('is all zeros for an empty histogram', () => {
    expect(summarize(newHistogram())).toEqual({ count: 0, min: 0, mean: 0, stddev: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 });
  });
});

describe('recordedValues', () => {
  it("lists what hdr-histogram-js's recorded-values iterator yields, in order", () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 3) as fc.Arbitrary<1 | 2 | 3>, fc.array(fc.double({ min: 0, max: 7e8, noNaN: true }), { maxLength: 300 }), (digits, values) => {
        const h = newHistogram(digits);
        for (const v of values) recordUs(h, v);
        const it = (h as unknown as { recordedValuesIterator: { reset(): void; hasNext(): boolean; next(): { valueIteratedTo: number; countAtValueIteratedTo: number } } }).recordedValuesIterator;
        const expected: Array<{ value: number; count: number }> = [];
        it.reset();
        while (it.hasNext()) {
          const v = it.next();
          expected.push({ value: v.valueIteratedTo, count: v.countAtValueIteratedTo });
        }
        expect(recordedValues(h)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });
});

describe('percentilesOf', () => {
  it("gives hdr-histogram-js's getValueAtPercentile at every percentile, 0 and 100 included", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 7e8, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.array(fc.oneof(fc.constantFrom(0, 50, 99.9, 100), fc.double({ min: 0, max: 100, noNaN: true })), { minLength: 1, maxLength: 40 }),
        (values, ps) => {
          const recorded = newHistogram();
          for (const v of values) recordUs(recorded, v);
          const e = encode(recorded);
          const h = decode(e);
          expect(percentilesOf(e, ps)).toEqual(ps.map((p) => h.getValueAtPercentile(p)));
        },
      ),
      { numRuns: 200 },
    );
  });
});
