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

  describe('on the server\'s view (no acquire counts)', () => {
    const coverage = {
      source: { kind: 'server-sampling' as const, detail: 'pg_stat_activity every 100 ms', startedAt: 0, durationMs: 70_000 },
      replica: null,
      unseen: ['wait', 'waitPaths', 'hold', 'create', 'arrival', 'waiting', 'failures', 'timeline', 'holdByInUse'] as Array<'wait'>,
      settingsAssumed: [],
      samples: 700,
    };
    /** A pool the server saw: no acquires; `perThousandOf` when its role's statements bound them. */
    const seen = (expiries: Partial<Expiries>) => ({ ...pool(60, 3, expiries), acquires: 0, coverage });

    it('leaves a rate under the threshold without needing the acquires', () => {
      expect(lifetimeChurn.evaluate(ruleContext(base, seen({ count: 1, perMinute: 0.86, reconnectsOnAcquirePath: 1 })))).toEqual({ changes: [], findings: [] });
    });

    it('over the threshold without statements: says it cannot judge the cost, and how observe could', () => {
      const out = lifetimeChurn.evaluate(ruleContext(base, seen({ count: 3, perMinute: 2.57, reconnectsOnAcquirePath: 3 })));
      expect(out.changes).toEqual([]);
      expect(out.findings).toHaveLength(1);
      expect(out.findings[0]!.severity).toBe('info');
      expect(out.findings[0]!.message).toContain('2.57 expiries per minute');
      expect(out.findings[0]!.message).toContain('cannot judge what they cost per acquire: this needs the acquire rate');
      expect(out.findings[0]!.message).toContain('pg_stat_statements');
    });

    it('fires on a lower bound over the threshold: 3 reconnects per 700 statements is at least 4.29 per thousand acquires', () => {
      // 3 expiries reopened, 700 statements (at least the acquires): 3 x 1000 / 700 = 4.29 > 1.
      const out = lifetimeChurn.evaluate(ruleContext(base, seen({ count: 3, perMinute: 2.57, reconnectsOnAcquirePath: 3, reconnectsPerThousand: (3 * 1000) / 700, perThousandOf: { statements: 700, role: 'svc' } })));
      // 3 open x 60 / 1 per minute = 180 s, at least double 60: 180 -> 300 (whole 5 minutes).
      expect(out.changes.map((c) => [c.setting, c.to])).toEqual([['max_lifetime_seconds', 300]]);
      expect(out.changes[0]!.rationale).toContain("at least 4.29 reconnects per thousand acquires (per thousand of role svc's 700 statements");
      expect(out.changes[0]!.confidenceCap).toBe('medium');
    });

    it('under the threshold on the lower bound: no change, and says it does not rule out more', () => {
      // 3 per 5,000 statements = 0.6 per thousand: the acquires may be far fewer than the statements.
      const out = lifetimeChurn.evaluate(ruleContext(base, seen({ count: 3, perMinute: 2.57, reconnectsOnAcquirePath: 3, reconnectsPerThousand: 0.6, perThousandOf: { statements: 5000, role: 'svc' } })));
      expect(out.changes).toEqual([]);
      expect(out.findings.map((f) => f.message)).toEqual([
        "2.57 expiries per minute, with at least 0.6 reconnects per thousand acquires (per thousand of role svc's 5000 statements, which are at least the acquires): under 1, which does not rule out more; the pool's own metrics would tell",
      ]);
    });
  });
});
