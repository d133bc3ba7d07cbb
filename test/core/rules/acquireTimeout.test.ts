import { describe, expect, it } from 'vitest';
import { acquireTimeout } from '../../../src/core/rules/acquireTimeout.js';
import { DEFAULT_RULES } from '../../../src/core/advisor/defaults.js';
import { HEALTHY } from '../../helpers/syntheticRun.js';
import { analysedPool, ruleContext } from '../../helpers/ruleContext.js';

const base = analysedPool(HEALTHY);
/** The healthy pool with a 2 s acquire timeout, the given P99.9 wait and timeouts. */
const pool = (p999Us: number, timeouts = 0, timeoutS = 2) => ({
  ...base.pool,
  settings: { ...base.pool.settings, acquire_timeout_seconds: timeoutS },
  wait: { ...base.pool.wait, p999Us },
  timeouts,
  timeoutShare: timeouts / base.pool.acquires,
});

describe('acquire-timeout', () => {
  it('says nothing when nothing timed out and the P99.9 wait is far from the timeout', () => {
    expect(acquireTimeout.evaluate(ruleContext(base, pool(50_000)))).toEqual({ changes: [], findings: [] });
  });

  it('raises the timeout so the P99.9 wait sits under half of it when acquires timed out', () => {
    const out = acquireTimeout.evaluate(ruleContext(base, pool(1_900_000, 12)));
    expect(out.changes).toHaveLength(1);
    const c = out.changes[0]!;
    expect(c.setting).toBe('acquire_timeout_seconds');
    // The raise is whole seconds, more than before, and leaves the P99.9 wait under the reach share.
    expect(Number.isInteger(c.to)).toBe(true);
    expect(c.to).toBeGreaterThan(2);
    expect(1.9 / c.to).toBeLessThan(DEFAULT_RULES.timeoutReachShare);
    expect(c.to).toBe(4);
    expect(c.rationale).toContain('12 acquires');
  });

  it('raises it too when no acquire timed out yet but the P99.9 wait is within reach', () => {
    const out = acquireTimeout.evaluate(ruleContext(base, pool(1_500_000)));
    expect(out.changes.map((c) => [c.setting, c.to])).toEqual([['acquire_timeout_seconds', 3]]);
    expect(out.changes[0]!.rationale).toContain('is 75% of the 2 s acquire timeout');
  });

  it('always raises by at least a second, even when the waits sit exactly at the timeout', () => {
    const out = acquireTimeout.evaluate(ruleContext(base, pool(1_000_000, 3, 1)));
    expect(out.changes[0]!.to).toBeGreaterThanOrEqual(2);
  });

  it("changes nothing when the server caused the waits: a longer timeout would only queue more behind it", () => {
    const p = { ...pool(1_900_000, 12), server: { ...base.pool.server, bound: true } };
    const out = acquireTimeout.evaluate(ruleContext(base, p));
    expect(out.changes).toEqual([]);
    expect(out.findings.map((f) => [f.kind, f.severity])).toEqual([['acquire-timeout', 'info']]);
  });

  it('leaves the timeout to the larger pool pool-saturation proposes', () => {
    const out = acquireTimeout.evaluate(ruleContext(base, pool(1_900_000, 12), { proposed: new Map([['max_connections', { to: 20, rule: 'pool-saturation' }]]) }));
    expect(out.changes).toEqual([]);
    expect(out.findings[0]!.message).toContain('which the max_connections change (20) addresses');
  });

  it('judges a timeout another rule already raised by its new value', () => {
    const out = acquireTimeout.evaluate(ruleContext(base, pool(1_900_000, 0), { proposed: new Map([['acquire_timeout_seconds', { to: 10, rule: 'acquire-timeout' }]]) }));
    expect(out).toEqual({ changes: [], findings: [] });
  });

  it('says nothing without a timeout or without acquires', () => {
    expect(acquireTimeout.evaluate(ruleContext(base, pool(1_900_000, 12, 0)))).toEqual({ changes: [], findings: [] });
    expect(acquireTimeout.evaluate(ruleContext(base, { ...pool(1_900_000, 12), acquires: 0 }))).toEqual({ changes: [], findings: [] });
  });
});
