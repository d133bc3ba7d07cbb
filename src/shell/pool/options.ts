/**
 * A pool's settings as pg-pool options and back: Tasker's keys become pg-pool's options for a
 * pool the advisor builds, and a pool built elsewhere reports its settings from its options.
 */
import type pg from 'pg';
import type { PoolName, PoolSettings } from '../../core/config/pools.js';

/** Options of an instrumented pool. */
export interface InstrumentOptions {
  /** The pool's name in every output (docs/architecture.md, "Pools it knows"). */
  name: PoolName | string;
  /** Settings to report and to use for the slow threshold (read from the pool when absent). */
  settings?: Partial<PoolSettings>;
  /** Emulate sqlx: open min up front, replace closed connections below min. Off by default. */
  emulateSqlx?: boolean;
  /** Receives one JSON line per slow acquire (rate-limited). Silent when absent. */
  logger?: (line: string) => void;
  /** Slow-acquire lines allowed per second (default 5). */
  slowLogPerSecond?: number;
  /** Timeline interval, ms (default 1000). */
  intervalMs?: number;
}

/** pg options for a pool's settings (Tasker key -> pg-pool option). */
export function pgOptionsFromSettings(s: Partial<PoolSettings>): pg.PoolConfig {
  if (s.max_connections !== undefined && s.max_connections < 1) {
    // pg-pool reads max with `||`, so 0 would silently become 10.
    throw new RangeError(`max_connections must be at least 1 (got ${s.max_connections})`);
  }
  return {
    ...(s.max_connections !== undefined ? { max: s.max_connections } : {}),
    ...(s.min_connections !== undefined ? { min: s.min_connections } : {}),
    ...(s.acquire_timeout_seconds !== undefined ? { connectionTimeoutMillis: Math.round(s.acquire_timeout_seconds * 1000) } : {}),
    ...(s.idle_timeout_seconds !== undefined ? { idleTimeoutMillis: Math.round(s.idle_timeout_seconds * 1000) } : {}),
    ...(s.max_lifetime_seconds !== undefined ? { maxLifetimeSeconds: s.max_lifetime_seconds } : {}),
  };
}

/** Settings as pg-pool sees them, for a pool built elsewhere. */
export function settingsFromPool(pool: pg.Pool, given: Partial<PoolSettings>): PoolSettings {
  const o = (pool as unknown as { options: Record<string, number | undefined> }).options;
  return {
    max_connections: given.max_connections ?? o.max ?? 10,
    min_connections: given.min_connections ?? o.min ?? 0,
    acquire_timeout_seconds: given.acquire_timeout_seconds ?? (o.connectionTimeoutMillis ?? 0) / 1000,
    idle_timeout_seconds: given.idle_timeout_seconds ?? (o.idleTimeoutMillis ?? 10000) / 1000,
    max_lifetime_seconds: given.max_lifetime_seconds ?? o.maxLifetimeSeconds ?? 0,
    slow_acquire_threshold_ms: given.slow_acquire_threshold_ms ?? 100,
  };
}
