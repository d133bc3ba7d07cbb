/**
 * The final consistency pass over all changes of one pool, after every rule ran: whatever rules
 * combined, the settings written are a pool Tasker can build and that still serves the load.
 * - max_connections is never lowered below the floor: the model's smallest size meeting the
 *   target and the P99 of connections in use (time-weighted), whichever is larger; for a pool
 *   whose holds grow with occupancy (the server is the bottleneck) the model's need is not a size
 *   it can use, and database-saturation keeps its own floor;
 * - min_connections <= max_connections: a min above the new max is lowered to it;
 * - every value inside Tasker's range for its key.
 */
import type { PoolAnalysis } from '../analysis/analyze.js';
import type { PoolSettings, SettingKey } from '../config/pools.js';

/** A setting after the pass: its value, and why the pass changed it (null when it did not). */
export interface Settled {
  to: number;
  why: string | null;
}

/** The size max_connections is never lowered below. */
export function sizeFloor(p: Pick<PoolAnalysis, 'model' | 'inUse' | 'holdTrend' | 'server'>): number {
  if (p.holdTrend.growing || p.server.bound) return 1;
  return Math.max(1, p.model.needForTarget ?? 0, Math.ceil(p.inUse.p99 - 1e-9));
}

/**
 * Settle one pool's wanted changes (normalised settings) against its current settings. `clamp`
 * brings a value into Tasker's range for the setting's key. Returns every setting that differs
 * from `wanted` or is in it, with its final value.
 */
export function settleChanges(current: PoolSettings, wanted: ReadonlyMap<SettingKey, number>, floor: number, clamp: (setting: SettingKey, value: number) => number): Map<SettingKey, Settled> {
  const out = new Map<SettingKey, Settled>();
  for (const [k, v] of wanted) {
    const c = clamp(k, v);
    out.set(k, { to: c, why: c !== v ? `${v} is outside Tasker's range: ${c}` : null });
  }
  const max = out.get('max_connections');
  if (max && max.to < current.max_connections && max.to < floor) {
    const to = clamp('max_connections', Math.min(current.max_connections, floor));
    out.set('max_connections', { to, why: `not below ${floor}, the larger of the model's need and the P99 of connections in use` });
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
