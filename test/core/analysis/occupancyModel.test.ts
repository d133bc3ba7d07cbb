import { describe, expect, it } from 'vitest';
import { busyDispersion, dispersionUpperBound, levelVariance, loadForWaitShare, MIN_INDEPENDENT_LOOKS, occupancyModel, smallestNoWait, SMOOTH_DISPERSION, waitsAt } from '../../../src/core/analysis/occupancyModel.js';
import type { LevelTimes } from '../../../src/core/run/types.js';
import { erlangC } from '../../../src/core/model/queue.js';

describe('the queue model on occupancy alone', () => {
  it('smallestNoWait is the first size whose Erlang C is at or under 1%', () => {
    for (const a of [0.3, 1, 2.5, 5.1, 12, 40]) {
      const c = smallestNoWait(a)!;
      expect(erlangC(c, a)).toBeLessThanOrEqual(0.01);
      expect(erlangC(c - 1, a)).toBeGreaterThan(0.01);
    }
  });

  it('loadForWaitShare inverts Erlang C at a size', () => {
    for (const [c, share] of [[4, 0.05], [8, 0.4], [20, 0.9]] as const) {
      expect(erlangC(c, loadForWaitShare(c, share))).toBeCloseTo(share, 6);
    }
  });

  it('a level distribution gives its time-weighted mean as the offered load; reserved connections are left out of the usable size', () => {
    const m = occupancyModel({ exact: false, inUse: { levels: [[1, 1e6], [3, 3e6]], max: 3, last: 3 }, open: { levels: [[5, 4e6]], max: 5, last: 5 }, reserved: 1, inUseIsLowerBound: true }, 4)!;
    expect(m.offeredLoad).toBeCloseTo(2.5, 12);
    expect(m.usable).toBe(3);
    expect(m.allBusyShare).toBeCloseTo(0.75, 12);
    expect(m.censored).toBe(true);
    expect(m.needNoWait).toBe(smallestNoWait(2.5)! + 1);
    expect(m.maxOpenSeen).toBe(5);
  });

  it('no occupancy, or an empty window: no model', () => {
    expect(occupancyModel(undefined, 10)).toBeNull();
    expect(occupancyModel({ exact: false, inUse: { levels: [], max: 0, last: 0 }, open: { levels: [], max: 0, last: 0 } }, 10)).toBeNull();
  });

  it('waitsAt: M/M/c waits from the offered load and the hold (2 connections, load 1, 10 ms holds: C = 1/3, mean 3.33 ms, P99 35.07 ms)', () => {
    // λ = 1 / 0.01 s = 100/s; cμ − λ = 200 − 100 = 100/s; mean = C / 100 s; P99 = ln(C / 0.01) / 100 s.
    const w = waitsAt(2, 1, 10_000)!;
    expect(w.meanUs).toBeCloseTo(((1 / 3) / 100) * 1e6, 6);
    expect(w.p99Us).toBeCloseTo((Math.log(100 / 3) / 100) * 1e6, 6);
    // Twice the hold, twice the wait (the load fixed): a lower bound of the hold gives one of the wait.
    expect(waitsAt(2, 1, 20_000)!.p99Us).toBeCloseTo(2 * w.p99Us, 6);
    // At capacity, or without a hold: no figure.
    expect(waitsAt(2, 2, 10_000)).toBeNull();
    expect(waitsAt(2, 1, 0)).toBeNull();
  });

  it('with a lower bound of the hold, the model gives the waits at the current size; without one, none', () => {
    const occ = { exact: false, inUse: { levels: [[0, 1e6], [2, 1e6]] as Array<[number, number]>, max: 2, last: 2 }, open: { levels: [[2, 2e6]] as Array<[number, number]>, max: 2, last: 2 }, inUseIsLowerBound: true };
    const m = occupancyModel(occ, 2, { us: 10_000, from: "role svc's mean statement time" })!;
    expect(m.waitsAtLeast).toEqual({ holdUs: 10_000, holdFrom: "role svc's mean statement time", ...waitsAt(2, 1, 10_000)! });
    expect(occupancyModel(occ, 2)!.waitsAtLeast).toBeNull();
  });

  describe('the busy count\'s dispersion: an open load (Poisson, variance equal to the mean) against a closed loop', () => {
    // Poisson(4) over levels 0..20, weighted by its pmf: variance 4, index 1 (to the truncation).
    const pmf = (k: number) => Math.exp(-4) * 4 ** k / Array.from({ length: k }, (_, i) => i + 1).reduce((a, x) => a * x, 1);
    const poisson: LevelTimes = { levels: Array.from({ length: 21 }, (_, k) => [k, pmf(k) * 1e9] as [number, number]), max: 20, last: 4 };
    // Four workers busy 95% of the time: 4 busy for 80% of the window, 3 for 20% (mean 3.8, variance 0.16).
    const loop: LevelTimes = { levels: [[3, 0.2e9], [4, 0.8e9]], max: 4, last: 4 };
    const open: LevelTimes = { levels: [[4, 1e9]], max: 4, last: 4 };
    // A standard error giving `looks` independent looks at a count of variance `v`.
    const se = (v: number, looks: number) => Math.sqrt(v / looks);

    it('levelVariance is the time-weighted variance', () => {
      expect(levelVariance(poisson)).toBeCloseTo(4, 5);
      expect(levelVariance(loop)).toBeCloseTo(0.16, 12);
      expect(levelVariance(open)).toBe(0);
    });

    it('Poisson reads as an open load: index 1, not smooth, however many looks', () => {
      const d = busyDispersion({ exact: false, inUse: poisson, inUseMeanStdErr: se(4, 400), samples: 400 })!;
      expect(d.index).toBeCloseTo(1, 5);
      expect(d.independentLooks).toBeCloseTo(400, 3);
      expect(d.smooth).toBe(false);
    });

    it('a closed loop reads as smooth with enough looks, not with too few (a window short beside the holds)', () => {
      const d = busyDispersion({ exact: false, inUse: loop, inUseMeanStdErr: se(0.16, 400), samples: 400 })!;
      expect(d.index).toBeCloseTo(0.16 / 3.8, 12);
      expect(d.index).toBeLessThan(SMOOTH_DISPERSION);
      expect(d.smooth).toBe(true);
      expect(busyDispersion({ exact: false, inUse: loop, inUseMeanStdErr: se(0.16, MIN_INDEPENDENT_LOOKS - 1), samples: 400 })!.smooth).toBe(false);
      expect(busyDispersion({ exact: false, inUse: loop, inUseMeanStdErr: se(0.16, MIN_INDEPENDENT_LOOKS), samples: 400 })!.smooth).toBe(true);
    });

    it('an index near the bound needs the looks to keep three standard errors of the variance under it', () => {
      // 0.3 with 100 looks: 0.3 x (1 + 3 sqrt(0.02)) = 0.427, under 0.5; 0.4: 0.570, over; 0.4 with 800 looks: 0.460, under.
      expect(dispersionUpperBound(0.3, 100)).toBeCloseTo(0.3 * (1 + 3 * Math.sqrt(0.02)), 12);
      // Levels 0 and 2, a share q at 2: mean 2q, variance 4q(1 - q), index 2(1 - q).
      const at = (q: number): LevelTimes => ({ levels: [[0, (1 - q) * 1e9], [2, q * 1e9]], max: 2, last: 2 });
      const d = (q: number, looks: number) => busyDispersion({ exact: false, inUse: at(q), inUseMeanStdErr: se(4 * q * (1 - q), looks), samples: 4000 })!;
      expect(d(0.85, 100).index).toBeCloseTo(0.3, 9);
      expect(d(0.85, 100).smooth).toBe(true);
      expect(d(0.8, 100).index).toBeCloseTo(0.4, 9);
      expect(d(0.8, 100).smooth).toBe(false);
      expect(d(0.8, 800).smooth).toBe(true);
      expect(d(0.8, 800).independentLooks).toBeCloseTo(800, 6);
    });

    it('a count that never moved: every sample is a look; without a standard error or a load, no dispersion', () => {
      expect(busyDispersion({ exact: false, inUse: open, inUseMeanStdErr: 0, samples: 300 })).toEqual({ index: 0, independentLooks: 300, smooth: true });
      expect(busyDispersion({ exact: false, inUse: open, inUseMeanStdErr: 0, samples: MIN_INDEPENDENT_LOOKS - 1 })!.smooth).toBe(false);
      expect(busyDispersion({ exact: false, inUse: loop })).toBeNull();
      expect(busyDispersion({ exact: false, inUse: { levels: [[0, 1e9]], max: 0, last: 0 }, inUseMeanStdErr: 0, samples: 300 })).toBeNull();
    });

    it('the model carries the dispersion and the most seen busy', () => {
      const m = occupancyModel({ exact: false, inUse: loop, open, inUseMeanStdErr: se(0.16, 400), samples: 400, inUseIsLowerBound: true }, 20)!;
      expect(m.maxBusySeen).toBe(4);
      expect(m.dispersion!.smooth).toBe(true);
      expect(occupancyModel({ exact: false, inUse: loop, open }, 20)!.dispersion).toBeNull();
    });
  });
});
