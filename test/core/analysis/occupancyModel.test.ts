import { describe, expect, it } from 'vitest';
import { loadForWaitShare, occupancyModel, smallestNoWait } from '../../../src/core/analysis/occupancyModel.js';
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
});
