import { describe, expect, it } from 'vitest';
import { busyMeasuresWorkload, busyP99, carriesPgmqListener, describeFloor, settleChanges, sizeFloor, WORKING_POOL_MIN, workingFloor } from '../../../src/core/rules/consistency.js';
import type { PoolSettings, SettingKey } from '../../../src/core/config/pools.js';
import type { PoolAnalysis } from '../../../src/core/analysis/analyze.js';
import { HEALTHY } from '../../helpers/syntheticRun.js';
import { analysedPool } from '../../helpers/ruleContext.js';

const base = analysedPool(HEALTHY).pool;

/** The healthy database pool with the model's need, the interpolated P99 in use and the flags given. */
function floorInput(o: { pool?: PoolAnalysis['pool']; need?: number | null; p99?: number; lagMatters?: boolean; growing?: boolean; bound?: boolean } = {}): PoolAnalysis {
  return {
    ...base,
    pool: o.pool ?? 'database',
    model: { ...base.model, needForTarget: o.need === undefined ? 8 : o.need },
    inUse: { ...base.inUse, p99Interpolated: o.p99 ?? 5.2 },
    generator: { ...base.generator!, lagMatters: o.lagMatters ?? false, lagP99Us: 40_000 },
    holdTrend: { ...base.holdTrend, growing: o.growing ?? false },
    server: { ...base.server, bound: o.bound ?? false },
  };
}

const CURRENT: PoolSettings = { max_connections: 40, min_connections: 20, acquire_timeout_seconds: 10, idle_timeout_seconds: 300, max_lifetime_seconds: 1800, slow_acquire_threshold_ms: 100 };
/** Tasker's range for these tests: 1-100 for every key. */
const clamp = (_: SettingKey, v: number): number => Math.min(100, Math.max(1, v));
const settle = (wanted: Array<[SettingKey, number]>, floor: number, current: PoolSettings = CURRENT) => Object.fromEntries(settleChanges(current, new Map(wanted), floor, clamp));

describe('the working pool', () => {
  it("is 2 connections, plus PGMQ's LISTEN connection on the pool that carries it: the database pool when PGMQ shares it, else PGMQ's own", () => {
    expect(WORKING_POOL_MIN).toBe(2);
    expect([carriesPgmqListener('database', true), carriesPgmqListener('pgmq', true), carriesPgmqListener('database', false), carriesPgmqListener('pgmq', false)]).toEqual([true, false, false, true]);
    expect([workingFloor('database', true), workingFloor('pgmq', true), workingFloor('database', false), workingFloor('pgmq', false), workingFloor('worker_web', true)]).toEqual([3, 2, 2, 3, 2]);
  });
});

describe('the P99 in use for the floor', () => {
  it('is the interpolated P99 rounded to the nearest connection (a half rounds up)', () => {
    expect([4.49, 4.5, 4.51, 5, 0.4].map((p99Interpolated) => busyP99({ p99Interpolated }))).toEqual([4, 5, 5, 5, 0]);
  });

  it("measures the workload unless the generator's lag mattered", () => {
    expect(busyMeasuresWorkload(floorInput())).toBe(true);
    expect(busyMeasuresWorkload(floorInput({ lagMatters: true }))).toBe(false);
    expect(busyMeasuresWorkload({ generator: null })).toBe(true);
  });
});

describe('sizeFloor', () => {
  it("is the largest of the working pool, the model's need and the P99 in use", () => {
    expect(sizeFloor(floorInput({ need: 8, p99: 5.2 }), true)).toBe(8);
    expect(sizeFloor(floorInput({ need: 8, p99: 11.5 }), true)).toBe(12);
    expect(sizeFloor(floorInput({ need: 1, p99: 0.4 }), true)).toBe(3);
    expect(sizeFloor(floorInput({ need: 1, p99: 0.4 }), false)).toBe(2);
  });

  it('leaves the P99 in use out when the lag mattered, and the model out when there is none (occupancy alone)', () => {
    expect(sizeFloor(floorInput({ need: 8, p99: 11.5, lagMatters: true }), true)).toBe(8);
    expect(sizeFloor(floorInput({ need: null, p99: 6.7 }), true)).toBe(7);
    expect(sizeFloor(floorInput({ need: null, p99: 1.2 }), true)).toBe(3);
  });

  it('is only the working pool where the server is the bottleneck (the model need is no size it can use)', () => {
    expect(sizeFloor(floorInput({ need: 8, p99: 11.5, growing: true }), true)).toBe(3);
    expect(sizeFloor(floorInput({ need: 8, p99: 11.5, bound: true }), false)).toBe(2);
  });

  it('says so in words', () => {
    expect(describeFloor(floorInput({ need: 8, p99: 5.2 }), true)).toBe("a working pool needs 3 (2, plus PGMQ's LISTEN connection), the model needs 8, 5 were in use 99% of the time");
    expect(describeFloor(floorInput({ need: null, p99: 5.2 }), false)).toBe('a working pool needs 2, 5 were in use 99% of the time');
    expect(describeFloor(floorInput({ need: 8, p99: 11.5, lagMatters: true }), false)).toBe(
      "a working pool needs 2, the model needs 8, the P99 in use (12) is left out: the generator started requests late (lag P99 40 ms) and sent the overdue ones together, so the occupancy's tail measures its bunches, not the workload",
    );
    expect(describeFloor(floorInput({ growing: true }), true)).toBe("a working pool needs 3 (2, plus PGMQ's LISTEN connection)");
  });
});

describe('settleChanges', () => {
  it('keeps changes that need no settling, with no reason', () => {
    expect(settle([['max_connections', 30], ['acquire_timeout_seconds', 20]], 8)).toEqual({ max_connections: { to: 30, why: null }, acquire_timeout_seconds: { to: 20, why: null } });
  });

  it('never lowers max_connections below the floor; at the floor exactly it stands', () => {
    expect(settle([['max_connections', 5]], 8, { ...CURRENT, min_connections: 2 })).toEqual({ max_connections: { to: 8, why: 'not below 8 (the size floor)' } });
    expect(settle([['max_connections', 8]], 8, { ...CURRENT, min_connections: 2 })).toEqual({ max_connections: { to: 8, why: null } });
    // A floor above the current size keeps the current size (the pass only stops a cut).
    expect(settle([['max_connections', 5]], 50, { ...CURRENT, min_connections: 2 })).toEqual({ max_connections: { to: 40, why: 'not below 50 (the size floor)' } });
    // A raise is never held down by the floor.
    expect(settle([['max_connections', 60]], 80)).toEqual({ max_connections: { to: 60, why: null } });
    // The reason names what the floor is made of.
    const named = settleChanges({ ...CURRENT, min_connections: 2 }, new Map([['max_connections', 5]]), 8, clamp, 'a working pool needs 3');
    expect(named.get('max_connections')).toEqual({ to: 8, why: 'not below 8 (a working pool needs 3)' });
  });

  it('lowers a min_connections left above the new max to it', () => {
    expect(settle([['max_connections', 10]], 8)).toEqual({ max_connections: { to: 10, why: null }, min_connections: { to: 10, why: 'min_connections may not be above max_connections 10' } });
    // A min raised above an unchanged max.
    expect(settle([['min_connections', 45]], 8)).toEqual({ min_connections: { to: 40, why: 'min_connections may not be above max_connections 40' } });
    // Equal is fine.
    expect(settle([['max_connections', 20]], 8)).toEqual({ max_connections: { to: 20, why: null } });
  });

  it("brings every value into Tasker's range, and says from what", () => {
    expect(settle([['max_connections', 500]], 8)).toEqual({ max_connections: { to: 100, why: "500 is outside Tasker's range: 100" } });
    expect(settle([['acquire_timeout_seconds', 0]], 8)).toEqual({ acquire_timeout_seconds: { to: 1, why: "0 is outside Tasker's range: 1" } });
  });
});
