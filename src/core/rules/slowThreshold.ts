/**
 * slow-threshold: slow_acquire_threshold_ms is either below the healthy P99 wait (the lower of
 * the measured P99 and the target: over 1% of acquires log a slow line, noise) or above the
 * acquire timeout (an acquire times out before it counts as slow: the log never fires) ->
 * set it to the larger of the target and twice the healthy P99, in 10 ms steps, and under half
 * the acquire timeout.
 *
 * Thresholds: the target P99 wait; the acquire timeout (after acquire-timeout's change, if any).
 */
import { formatMs, formatS, formatShare, formatUs } from '../units.js';
import { currentValue, ev, roundUpTo } from './support.js';
import type { PoolRule } from './types.js';

export const slowThreshold: PoolRule = {
  id: 'slow-threshold',
  scope: 'pool',
  needs: ['wait', 'failures'],
  judges: 'whether the slow-acquire threshold fits the waits',
  evaluate(ctx) {
    const p = ctx.pool;
    const slowMs = currentValue(ctx, 'slow_acquire_threshold_ms');
    const timeoutMs = currentValue(ctx, 'acquire_timeout_seconds') * 1000;
    const healthyMs = Math.min(p.wait.p99Us / 1000, ctx.targetMs);
    const noisy = p.acquires > 0 && slowMs < healthyMs;
    const mute = timeoutMs > 0 && slowMs > timeoutMs;
    if (!noisy && !mute) return { changes: [], findings: [] };
    const to = Math.max(10, Math.min(roundUpTo(Math.max(ctx.targetMs, 2 * healthyMs), 10), Math.floor(timeoutMs / 2 / 10) * 10 || 10));
    if (to === slowMs) return { changes: [], findings: [] };
    const evidence = [
      ev('slowThreshold', 'slow_acquire_threshold_ms', slowMs, 'ms'),
      ev('waitP99', 'P99 acquire wait', p.wait.p99Us, 'us'),
      ev('healthyP99', 'healthy P99 wait (measured, at most the target)', healthyMs, 'ms'),
      ev('slowShare', 'acquires logged as slow', p.slow.share, 'share'),
      ev('timeout', 'acquire timeout', timeoutMs / 1000, 's'),
    ];
    const why = mute
      ? `slow_acquire_threshold_ms ${slowMs} is above the ${formatS(timeoutMs / 1000)} acquire timeout: an acquire times out before it counts as slow, so the slow log never fires`
      : `slow_acquire_threshold_ms ${slowMs} is below the healthy P99 wait (${formatUs(healthyMs * 1000)}): ${formatShare(p.slow.share)} of acquires log a slow line`;
    const toText = to === ctx.targetMs ? `${formatMs(to)} (the target P99 wait)` : formatMs(to);
    return { changes: [{ setting: 'slow_acquire_threshold_ms', to, evidence, rationale: `${why}; ${toText} logs only the outliers.` }], findings: [] };
  },
};
