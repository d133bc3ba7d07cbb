/**
 * `/health`: a pool's figures, its status and the JSON a health check reads. Field names follow
 * Tasker's pool detail where they overlap (active_connections, idle_connections, max_connections,
 * utilization_percent, total_acquires, slow_acquires, acquire_errors, average_acquire_time_ms,
 * max_acquire_time_ms), and so do the levels: degraded above 80% utilisation, unhealthy above 95%.
 * Pure: the caller passes the clock and the live gauges.
 */
import type { Recorder } from '../run/recorder.js';
import { dict } from '../dict.js';
import type { Summary } from '../run/histogram.js';
import { round3 } from '../run/timeline.js';

/** A pool's status. */
export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

/** Utilisation (percent) above which a pool is degraded (Tasker's level). */
export const DEGRADED_ABOVE_PERCENT = 80;
/** Utilisation (percent) above which a pool is unhealthy (Tasker's level). */
export const UNHEALTHY_ABOVE_PERCENT = 95;

/** Live gauges of a pool, read by the caller at the moment of the check. */
export interface LiveGauges {
  inUse: number;
  idle: number;
  waiting: number;
  total: number;
  oldestWaiterMs: number;
}

/** Everything `/health` and the scrape read of one pool at one moment. */
export interface PoolFigures {
  name: string;
  gauges: LiveGauges;
  maxConnections: number;
  minConnections: number;
  /** Counters since the window started (instrumentation, or the end of analyze's warm-up). */
  acquires: number;
  slow: number;
  errors: number;
  timeouts: number;
  /** Acquire wait since the window started, µs. */
  wait: Summary;
  /** The recent window (the last 45-60 s, or since the start). */
  recent: { durationUs: number; acquires: number; waitUs: Summary; inUseMean: number };
}

/** Read a pool's figures from its recorder at `nowUs` (on the recorder's clock). */
export function figuresOf(name: string, recorder: Recorder, gauges: LiveGauges, nowUs: number): PoolFigures {
  const c = recorder.counters;
  const r = recorder.recentWindow(nowUs);
  return {
    name,
    gauges,
    maxConnections: recorder.settings.max_connections,
    minConnections: recorder.settings.min_connections,
    acquires: c.acquires,
    slow: c.slow,
    errors: c.errors,
    timeouts: c.timeouts,
    wait: recorder.waitSummary(),
    recent: { durationUs: r.durationUs, acquires: r.acquires, waitUs: r.waitUs, inUseMean: r.inUseMean },
  };
}

/** One pool in the `/health` JSON. */
export interface PoolHealth {
  status: HealthStatus;
  active_connections: number;
  idle_connections: number;
  total_connections: number;
  max_connections: number;
  min_connections: number;
  waiting: number;
  oldest_waiter_ms: number;
  /** Time-weighted mean of the connections in use over the recent window, as a percentage of max. */
  utilization_percent: number;
  total_acquires: number;
  slow_acquires: number;
  /** Acquires that failed, timeouts included. */
  acquire_errors: number;
  acquire_timeouts: number;
  average_acquire_time_ms: number;
  max_acquire_time_ms: number;
  recent_window_seconds: number;
  recent_acquires: number;
  p50_acquire_time_ms: number;
  p95_acquire_time_ms: number;
  p99_acquire_time_ms: number;
}

/** The `/health` JSON. */
export interface HealthReport {
  /** The worst status of any pool; healthy when there is no pool to judge. */
  status: HealthStatus;
  checked_at: string;
  pools: Record<string, PoolHealth>;
}

/** The status for a utilisation percentage. */
export function statusOf(utilizationPercent: number): HealthStatus {
  if (utilizationPercent > UNHEALTHY_ABOVE_PERCENT) return 'unhealthy';
  if (utilizationPercent > DEGRADED_ABOVE_PERCENT) return 'degraded';
  return 'healthy';
}

const ms = (us: number): number => Math.round(us) / 1000;
const round1 = (x: number): number => Math.round(x * 10) / 10;
const RANK: Record<HealthStatus, number> = { healthy: 0, degraded: 1, unhealthy: 2 };

/** A pool's `/health` entry. The status is judged on the rounded percentage the JSON shows. */
export function poolHealth(f: PoolFigures): PoolHealth {
  const utilization = f.maxConnections > 0 ? round1((f.recent.inUseMean / f.maxConnections) * 100) : 0;
  return {
    status: statusOf(utilization),
    active_connections: f.gauges.inUse,
    idle_connections: f.gauges.idle,
    total_connections: f.gauges.total,
    max_connections: f.maxConnections,
    min_connections: f.minConnections,
    waiting: f.gauges.waiting,
    oldest_waiter_ms: round3(f.gauges.oldestWaiterMs),
    utilization_percent: utilization,
    total_acquires: f.acquires,
    slow_acquires: f.slow,
    acquire_errors: f.errors + f.timeouts,
    acquire_timeouts: f.timeouts,
    average_acquire_time_ms: ms(f.wait.mean),
    max_acquire_time_ms: ms(f.wait.max),
    recent_window_seconds: round1(f.recent.durationUs / 1e6),
    recent_acquires: f.recent.acquires,
    p50_acquire_time_ms: ms(f.recent.waitUs.p50),
    p95_acquire_time_ms: ms(f.recent.waitUs.p95),
    p99_acquire_time_ms: ms(f.recent.waitUs.p99),
  };
}

/** The `/health` report and its HTTP status: 200 for healthy and degraded, 503 for unhealthy. */
export function healthReport(figures: readonly PoolFigures[], nowEpochMs: number): { report: HealthReport; httpStatus: 200 | 503 } {
  // Pool names are the library user's: `__proto__` or `constructor` must be a pool like any other.
  const pools = dict<PoolHealth>();
  let status: HealthStatus = 'healthy';
  for (const f of figures) {
    const h = poolHealth(f);
    pools[f.name] = h;
    if (RANK[h.status] > RANK[status]) status = h.status;
  }
  return { report: { status, checked_at: new Date(nowEpochMs).toISOString(), pools }, httpStatus: status === 'unhealthy' ? 503 : 200 };
}
