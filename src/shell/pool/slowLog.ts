/**
 * The slow-acquire log: one JSON line per acquire over the slow threshold, with the pool's gauges,
 * rate-limited (the lines it drops are counted, and the next line says how many).
 */
import type { PoolSettings } from '../../core/config/pools.js';
import { LogRateLimiter } from '../../core/run/rateLimit.js';
import type { Recorder } from '../../core/run/recorder.js';
import type { AcquirePath } from '../../core/run/types.js';

/** Log a slow acquire of `waitUs` at `t` (µs). */
export type SlowLog = (waitUs: number, path: AcquirePath, t: number) => void;

/** The slow log of a pool; silent without a logger. */
export function slowAcquireLog(o: {
  name: string;
  logger: ((line: string) => void) | undefined;
  perSecond: number;
  settings: PoolSettings;
  recorder: Recorder;
  gauges: () => { inUse: number; idle: number; waiting: number; total: number };
}): SlowLog {
  const limiter = new LogRateLimiter(o.perSecond);
  return (waitUs, path, t) => {
    if (!o.logger) return;
    const suppressed = limiter.take(t);
    if (suppressed < 0) {
      o.recorder.counters.slowSuppressed++;
      return;
    }
    const g = o.gauges();
    o.logger(
      JSON.stringify({
        level: 'warn',
        msg: 'slow acquire',
        pool: o.name,
        wait_ms: Math.round(waitUs / 100) / 10,
        threshold_ms: o.settings.slow_acquire_threshold_ms,
        path,
        active_connections: g.inUse,
        idle_connections: g.idle,
        waiting: g.waiting,
        total_connections: g.total,
        max_connections: o.settings.max_connections,
        ...(suppressed > 0 ? { suppressed } : {}),
      }),
    );
  };
}
