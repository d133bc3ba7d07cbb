import { describe, expect, it } from 'vitest';
import { slowThreshold } from '../../../src/core/rules/slowThreshold.js';
import { HEALTHY } from '../../helpers/syntheticRun.js';
import { analysedPool, ruleContext } from '../../helpers/ruleContext.js';

const base = analysedPool(HEALTHY);
/** The healthy pool with a slow threshold, an acquire timeout and a P99 wait; the target is 10 ms. */
const pool = (slowMs: number, timeoutS: number, p99Us: number, slowShare = 0) => ({
  ...base.pool,
  settings: { ...base.pool.settings, slow_acquire_threshold_ms: slowMs, acquire_timeout_seconds: timeoutS },
  wait: { ...base.pool.wait, p99Us },
  slow: { ...base.pool.slow, share: slowShare, thresholdMs: slowMs },
});

describe('slow-threshold', () => {
  it('keeps a threshold between the healthy P99 wait and the acquire timeout', () => {
    expect(slowThreshold.evaluate(ruleContext(base, pool(100, 5, 4_000)))).toEqual({ changes: [], findings: [] });
  });

  it('raises a threshold under the healthy P99 (over 1% of acquires log a line) to the target, in 10 ms steps', () => {
    const out = slowThreshold.evaluate(ruleContext(base, pool(2, 5, 4_000, 0.2)));
    // Healthy P99 is 4 ms: twice that is under the 10 ms target, so the target wins.
    expect(out.changes.map((c) => [c.setting, c.to])).toEqual([['slow_acquire_threshold_ms', 10]]);
    expect(out.changes[0]!.rationale).toContain('20% of acquires log a slow line');
    expect(out.changes[0]!.rationale).toContain('10 ms (the target P99 wait)');
  });

  it('never reads a P99 over the target as healthy: the noise is judged against the target', () => {
    // Waits far over the target are pool-saturation's business; the threshold only stops logging the healthy ones.
    const out = slowThreshold.evaluate(ruleContext(base, pool(5, 5, 400_000, 0.6)));
    expect(out.changes.map((c) => c.to)).toEqual([20]);
  });

  it('lowers a threshold above the acquire timeout (the log could never fire) to under half the timeout', () => {
    const out = slowThreshold.evaluate(ruleContext(base, pool(5000, 3, 4_000)));
    expect(out.changes).toHaveLength(1);
    const to = out.changes[0]!.to as number;
    expect(to).toBeLessThanOrEqual(1500);
    expect(to % 10).toBe(0);
    expect(to).toBeGreaterThanOrEqual(10);
    expect(out.changes[0]!.rationale).toContain('the slow log never fires');
  });

  it('judges against an acquire timeout another rule already changed', () => {
    const ctx = ruleContext(base, pool(5000, 3, 4_000), { proposed: new Map([['acquire_timeout_seconds', { to: 10, rule: 'acquire-timeout' }]]) });
    expect(slowThreshold.evaluate(ctx)).toEqual({ changes: [], findings: [] });
  });
});
