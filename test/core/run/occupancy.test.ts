import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { boundLevels, EXACT_LEVELS, EXACT_PERCENTILES, LevelIntegrator, levelPercentile, meanLevel, mergeLevels, totalTime } from '../../../src/core/run/occupancy.js';
import { Recorder } from '../../../src/core/run/recorder.js';
import type { LevelTimes, RunFile } from '../../../src/core/run/types.js';
import { parseRunFile } from '../../../src/core/run/file.js';
import { parseEvidenceFile } from '../../../src/core/evidence/read.js';
import { UsageError } from '../../../src/core/errors.js';
import { HEALTHY, syntheticRun } from '../../helpers/syntheticRun.js';

/** A queue's levels as an integrator records them: a random walk with fractional µs steps, as hrtime gives. */
function walk(steps: Array<[number, number]>, start: number): LevelTimes {
  const g = new LevelIntegrator(0, start);
  let t = 0;
  let lv = start;
  for (const [jump, dt] of steps) {
    t += dt;
    lv = Math.max(0, lv + jump);
    g.set(lv, t);
  }
  return g.snapshot(t + 1.5);
}

const queue = fc
  .tuple(fc.array(fc.tuple(fc.integer({ min: -400, max: 600 }), fc.double({ min: 0.001, max: 5000, noNaN: true })), { minLength: 1, maxLength: 400 }), fc.integer({ min: 0, max: 40_000 }))
  .map(([steps, start]) => walk(steps, start));

describe('boundLevels', () => {
  it('keeps the total, the mean and the kept percentiles to the bit, and others within their bucket', () => {
    fc.assert(
      fc.property(queue, fc.double({ min: 0, max: 100, noNaN: true }), (t, p) => {
        const b = boundLevels(t);
        expect(totalTime(b)).toBe(totalTime(t));
        expect(meanLevel(b)).toBe(meanLevel(t));
        for (const q of EXACT_PERCENTILES) expect(levelPercentile(b, q)).toBe(levelPercentile(t, q));
        expect([b.max, b.last]).toEqual([t.max, t.last]);
        // Any other percentile: never below the exact one, and within its bucket (at most 1/64 of the level) above it.
        const exact = levelPercentile(t, p);
        const read = levelPercentile(b, p);
        expect(read).toBeGreaterThanOrEqual(exact);
        expect(read - exact).toBeLessThanOrEqual(exact < EXACT_LEVELS ? 0 : Math.ceil(read / 64));
        expect(read).toBeLessThanOrEqual(t.max);
      }),
      { numRuns: 300 },
    );
  });

  it('leaves a distribution below the bound as it is', () => {
    const t: LevelTimes = { levels: [[0, 10.5], [3, 2.25], [EXACT_LEVELS - 1, 1]], max: EXACT_LEVELS - 1, last: 3 };
    expect(boundLevels(t)).toBe(t);
  });

  it('takes a few thousand rows at most whatever the queue reached', () => {
    // Every level up to the largest a run file may hold, each for a while.
    const levels: Array<[number, number]> = [];
    for (let lv = 0; lv <= 524_286; lv++) levels.push([lv, 1 + (lv % 7) * 0.125]);
    const b = boundLevels({ levels, max: 524_286, last: 0 });
    expect(b.levels.length).toBeLessThan(1_100);
    expect(b.levels.slice(0, EXACT_LEVELS)).toEqual(levels.slice(0, EXACT_LEVELS));
    expect(b.levels.at(-1)).toEqual([expect.any(Number), expect.any(Number), 524_286]);
    expect(Buffer.byteLength(JSON.stringify(b))).toBeLessThan(40 * 1024);
  });

  it('is applied by the recorder to the waiting queue only, so analyze and --from read the same figures', () => {
    const settings = { max_connections: 2000, min_connections: 0, acquire_timeout_seconds: 30, idle_timeout_seconds: 300, max_lifetime_seconds: 1800, slow_acquire_threshold_ms: 100 };
    const r = new Recorder({ pool: 'database', settings, emulateSqlx: false }, 0, 0);
    const exactWaiting = new LevelIntegrator(0);
    for (let i = 1; i <= 3000; i++) {
      r.setGauges(Math.min(i, 1500), 0, i, Math.min(i, 1500), i * 1000.25);
      exactWaiting.set(i, i * 1000.25);
    }
    const s = r.snapshot(3_001_000);
    const exact = exactWaiting.snapshot(3_001_000);
    expect(s.occupancy.waiting.exact).toBeDefined();
    expect(s.occupancy.waiting.levels.length).toBeLessThan(exact.levels.length);
    expect(meanLevel(s.occupancy.waiting)).toBe(meanLevel(exact));
    expect(levelPercentile(s.occupancy.waiting, 99)).toBe(levelPercentile(exact, 99));
    // In use reached 1,500 too, but a pool's own gauges stay exact.
    expect(s.occupancy.inUse.exact).toBeUndefined();
    expect(s.occupancy.inUse.levels.length).toBe(1501); // 0 to 1,500
  });
});

describe('mergeLevels', () => {
  it('adds bounded distributions with their total and mean', () => {
    fc.assert(
      fc.property(queue, queue, (a, b) => {
        const m = mergeLevels(boundLevels(a), b);
        const exact = mergeLevels(a, b);
        expect(totalTime(m)).toBeCloseTo(totalTime(exact), 3);
        expect(meanLevel(m)).toBeCloseTo(meanLevel(exact), 6);
        expect(m.max).toBe(exact.max);
        const p = levelPercentile(m, 99);
        const q = levelPercentile(exact, 99);
        expect(p).toBeGreaterThanOrEqual(q);
        expect(p - q).toBeLessThanOrEqual(q < EXACT_LEVELS ? 0 : Math.ceil(p / 64));
      }),
      { numRuns: 100 },
    );
  });
});

describe('run files with a bounded queue', () => {
  const withWaiting = (waiting: unknown): string => {
    const run = syntheticRun([HEALTHY]) as RunFile;
    (run.environments[0]!.pools[0]!.occupancy as { waiting: unknown }).waiting = waiting;
    return JSON.stringify(run);
  };
  const bounded = boundLevels(walk([[3000, 10.5], [-1000, 20.25], [900, 7], [-2800, 3]], 0));

  it('read, with the same figures', () => {
    const read = parseRunFile(withWaiting(bounded), 'run.json').environments[0]!.pools[0]!.occupancy.waiting;
    expect(read).toEqual(bounded);
    expect(meanLevel(read)).toBe(meanLevel(bounded));
    // The analysis reads runs as evidence: the bounded queue passes through unchanged.
    expect(parseEvidenceFile(withWaiting(bounded), 'run.json').environments[0]!.pools[0]!.occupancy?.waiting).toEqual(bounded);
  });

  it('refuse a bucket below the bound, upside down, or without the exact figures, in one line naming the row', () => {
    const bad = [
      { ...bounded, levels: [...bounded.levels, [5, 1, 9]] },
      { ...bounded, levels: [...bounded.levels, [5000, 1, 4000]] },
      { ...bounded, exact: undefined },
      { ...bounded, exact: { ...bounded.exact, percentiles: [[101, 3]] } },
    ];
    for (const w of bad) {
      expect(() => parseRunFile(withWaiting(w), 'run.json')).toThrow(UsageError);
      expect(() => parseRunFile(withWaiting(w), 'run.json')).toThrow(/run\.json: environments\.0\.pools\.0\.occupancy\.waiting\./);
    }
  });
});
