import { describe, expect, it } from 'vitest';
import { lifetimeChurn } from '../../../src/core/rules/lifetimeChurn.js';
import { DEFAULT_RULES } from '../../../src/core/advisor/defaults.js';
import { HEALTHY } from '../../helpers/syntheticRun.js';
import { analysedPool, ruleContext } from '../../helpers/ruleContext.js';

const base = analysedPool(HEALTHY);
type Expiries = (typeof base.pool)['expiries'];
/** The healthy pool with a lifetime, `total` mean open connections and the expiry figures given. */
const pool = (lifetimeS: number, totalMean: number, expiries: Partial<Expiries>) => ({
  ...base.pool,
  settings: { ...base.pool.settings, max_lifetime_seconds: lifetimeS },
  total: { ...base.pool.total, mean: totalMean },
  expiries: { ...base.pool.expiries, count: 0, perMinute: 0, projectedPerMinute: null, maxBurst: 0, reconnectsOnAcquirePath: 0, reconnectsPerThousand: 0, burstsReachingWaits: 0, ...expiries },
});

describe('lifetime-churn', () => {
  it('leaves expiries that cost nothing: many per minute, but thousands of acquires share each reconnect', () => {
    // A busy pool: 40 connections at the 1800 s default expire 1.3 times a minute, yet 0.1 reconnects per thousand acquires.
    expect(lifetimeChurn.evaluate(ruleContext(base, pool(1800, 40, { count: 80, perMinute: 1.33, reconnectsPerThousand: 0.1 })))).toEqual({ changes: [], findings: [] });
  });

  it('leaves a rate under the threshold, whatever each expiry costs', () => {
    expect(lifetimeChurn.evaluate(ruleContext(base, pool(1800, 10, { count: 1, perMinute: 0.5, reconnectsPerThousand: 5 })))).toEqual({ changes: [], findings: [] });
  });

  it('raises the lifetime until expiries fall under the threshold when reconnects are paid on the acquire path', () => {
    // 10 connections, 60 s lifetime: 10 expiries a minute; 10 × 60 / 1 per minute = 600 s, at least double.
    const out = lifetimeChurn.evaluate(ruleContext(base, pool(60, 10, { count: 10, perMinute: 10, reconnectsOnAcquirePath: 10, reconnectsPerThousand: 2 })));
    expect(out.changes.map((c) => [c.setting, c.to])).toEqual([['max_lifetime_seconds', 600]]);
    const to = out.changes[0]!.to as number;
    expect((10 * 60) / to).toBeLessThanOrEqual(DEFAULT_RULES.expiriesPerMinute);
    expect(out.changes[0]!.rationale).toContain('paid on the acquire path');
  });

  it('fires on bursts of expiries that reached the waits even when reconnects per acquire are few', () => {
    const out = lifetimeChurn.evaluate(ruleContext(base, pool(120, 30, { count: 30, perMinute: 15, maxBurst: 10, burstsReachingWaits: 2, reconnectsPerThousand: 0.5 })));
    expect(out.changes).toHaveLength(1);
    // 30 × 60 = 1800 s: whole 5-minute steps.
    expect(out.changes[0]!.to).toBe(1800);
    expect(out.changes[0]!.rationale).toContain('bursts of up to 10 within one second');
  });

  it('rounds to whole hours above an hour', () => {
    const out = lifetimeChurn.evaluate(ruleContext(base, pool(600, 100, { count: 100, perMinute: 10, reconnectsPerThousand: 3 })));
    // 100 × 60 = 6000 s -> 7200 s.
    expect(out.changes[0]!.to).toBe(7200);
  });

  it('projects the rate from the lifetime when the run was shorter than it, with medium confidence', () => {
    const out = lifetimeChurn.evaluate(ruleContext(base, pool(300, 20, { projectedPerMinute: 4, reconnectsPerThousand: 2 })));
    expect(out.changes[0]!.rationale).toContain('a projected 4 expiries per minute');
    expect(out.changes[0]!.confidenceCap).toBe('medium');
  });

  it('says nothing for a pool without a lifetime', () => {
    expect(lifetimeChurn.evaluate(ruleContext(base, pool(0, 10, { count: 10, perMinute: 10, reconnectsPerThousand: 2 })))).toEqual({ changes: [], findings: [] });
  });
});
