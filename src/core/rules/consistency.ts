/**
 * The final consistency pass over all changes of one pool, after every rule ran: whatever rules
 * combined, the settings written are a pool Tasker can build and that still serves the load.
 * - max_connections is never lowered below the floor: a working pool (2 connections, one more for
 *   the pool that carries PGMQ's LISTEN connection), the model's smallest size meeting the target
 *   and the P99 of connections in use (time-weighted, interpolated between levels, rounded to the
 *   nearest connection; left out when the generator's lag mattered, see busyMeasuresWorkload),
 *   whichever is largest; for a pool whose holds grow with occupancy (the
 *   server is the bottleneck) the model's need is not a size it can use, and database-saturation
 *   keeps its own floor above the working pool;
 * - min_connections <= max_connections: a min above the new max is lowered to it;
 * - every value inside Tasker's range for its key.
 */
import type { GaugeFigures, PoolAnalysis } from '../analysis/analyze.js';
import { formatUs } from '../units.js';
import type { PoolName, PoolSettings, SettingKey } from '../config/pools.js';

/** A setting after the pass: its value, and why the pass changed it (null when it did not). */
export interface Settled {
  to: number;
  why: string | null;
}

/**
 * The fewest connections a working pool has: one serving while another opens or is pinged
 * (sqlx's test_before_acquire) or replaced after a lifetime expiry, so one slow connection never
 * stalls every caller.
 */
export const WORKING_POOL_MIN = 2;

/**
 * Whether this pool carries PGMQ's LISTEN connection, which Tasker keeps checked out for good (its
 * event systems default to Hybrid: LISTEN/NOTIFY with a polling fallback): the database pool when
 * PGMQ shares it, else PGMQ's own pool.
 */
export function carriesPgmqListener(pool: PoolName, pgmqShared: boolean): boolean {
  return pgmqShared ? pool === 'database' : pool === 'pgmq';
}

/**
 * The connections in use 99% of the time, for the floor: the time-weighted P99 interpolated between
 * levels, rounded to the nearest connection. A step percentile's ceiling turned a 1.06% share of
 * time above a level (against 0.99%) into a whole connection, so identical runs disagreed by one.
 */
export function busyP99(inUse: Pick<GaugeFigures, 'p99Interpolated'>): number {
  return Math.round(inUse.p99Interpolated);
}

/** The smallest pool that still works: {@link WORKING_POOL_MIN}, plus PGMQ's LISTEN connection where this pool carries it. */
export function workingFloor(pool: PoolName, pgmqShared: boolean): number {
  return WORKING_POOL_MIN + (carriesPgmqListener(pool, pgmqShared) ? 1 : 0);
}

type FloorInput = Pick<PoolAnalysis, 'pool' | 'model' | 'inUse' | 'holdTrend' | 'server' | 'generator'>;

/**
 * Whether the P99 in use measures the workload: not when the generator's lag mattered (requests
 * due during a stall of the machine running the load went out together after it, and those
 * bunches, not the workload, set the occupancy's tail).
 */
export function busyMeasuresWorkload(p: Pick<PoolAnalysis, 'generator'>): boolean {
  return !(p.generator?.lagMatters ?? false);
}

/** The size max_connections is never lowered below. */
export function sizeFloor(p: FloorInput, pgmqShared: boolean): number {
  const working = workingFloor(p.pool, pgmqShared);
  if (p.holdTrend.growing || p.server.bound) return working;
  return Math.max(working, p.model.needForTarget ?? 0, busyMeasuresWorkload(p) ? busyP99(p.inUse) : 0);
}

/** The floor in words, for a rationale. */
export function describeFloor(p: FloorInput, pgmqShared: boolean): string {
  const working = workingFloor(p.pool, pgmqShared);
  const parts = [`a working pool needs ${working}${working > WORKING_POOL_MIN ? " (2, plus PGMQ's LISTEN connection)" : ''}`];
  if (!(p.holdTrend.growing || p.server.bound)) {
    if (p.model.needForTarget !== null) parts.push(`the model needs ${p.model.needForTarget}`);
    parts.push(
      busyMeasuresWorkload(p)
        ? `${busyP99(p.inUse)} were in use 99% of the time`
        : `the P99 in use (${busyP99(p.inUse)}) is left out: the generator started requests late (lag P99 ${formatUs(p.generator?.lagP99Us ?? 0)}) and sent the overdue ones together, so the occupancy's tail measures its bunches, not the workload`,
    );
  }
  return parts.join(', ');
}

/**
 * Settle one pool's wanted changes (normalised settings) against its current settings. `clamp`
 * brings a value into Tasker's range for the setting's key. Returns every setting that differs
 * from `wanted` or is in it, with its final value.
 */
export function settleChanges(current: PoolSettings, wanted: ReadonlyMap<SettingKey, number>, floor: number, clamp: (setting: SettingKey, value: number) => number, floorWhy = 'the size floor'): Map<SettingKey, Settled> {
  const out = new Map<SettingKey, Settled>();
  for (const [k, v] of wanted) {
    const c = clamp(k, v);
    out.set(k, { to: c, why: c !== v ? `${v} is outside Tasker's range: ${c}` : null });
  }
  const max = out.get('max_connections');
  if (max && max.to < current.max_connections && max.to < floor) {
    const to = clamp('max_connections', Math.min(current.max_connections, floor));
    out.set('max_connections', { to, why: `not below ${floor} (${floorWhy})` });
  }
  const finalMax = out.get('max_connections')?.to ?? current.max_connections;
  const min = out.get('min_connections');
  const finalMin = min?.to ?? current.min_connections;
  if (finalMin > finalMax) {
    const to = clamp('min_connections', finalMax);
    out.set('min_connections', { to, why: `min_connections may not be above max_connections ${finalMax}` });
  }
  return out;
}
