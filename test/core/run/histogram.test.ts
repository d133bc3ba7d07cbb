import { createRequire } from 'node:module';
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

describe("hdr-histogram-js's internals (pinned in package.json)", () => {
  // histogram.ts imports dist/ modules (not the index, whose import is slow) and walks the typed
  // counts array; an upgrade that moves or renames them must fail here, not slow or break a run.
  const { version } = createRequire(import.meta.url)('hdr-histogram-js/package.json') as { version: string };

  it('the installed version is the one histogram.ts was written against (3.0.1)', () => {
    expect(version, `hdr-histogram-js ${version} is installed: re-read dist/HistogramBuilder.js, dist/encoding.js and JsHistogram's fields, then update the pin`).toBe('3.0.1');
  });

  it('new and decoded histograms carry the fields the one-pass walk reads, and _counts is the array getCountAtIndex reads', () => {
    const recorded = newHistogram();
    for (const v of [1, 17, 900, 12_345, 7e6]) recordUs(recorded, v);
    for (const h of [recorded, decode(encode(recorded))]) {
      const x = h as unknown as { countsArrayLength: unknown; unitMagnitude: unknown; subBucketHalfCount: unknown; getCountAtIndex: unknown; _counts?: ArrayLike<number> };
      expect([typeof x.countsArrayLength, typeof x.unitMagnitude, typeof x.subBucketHalfCount, typeof x.getCountAtIndex], `hdr-histogram-js ${version} changed JsHistogram's layout`).toEqual(['number', 'number', 'number', 'function']);
      expect(x._counts?.length, `hdr-histogram-js ${version} no longer keeps _counts`).toBe(x.countsArrayLength);
      const getCount = (x.getCountAtIndex as (i: number) => number).bind(h);
      const nonZero = Array.from({ length: x.countsArrayLength as number }, (_, i) => i).filter((i) => x._counts![i] !== 0);
      expect(nonZero.map((i) => x._counts![i])).toEqual(nonZero.map(getCount));
      expect(nonZero.length).toBe(5);
    }
  });
});
