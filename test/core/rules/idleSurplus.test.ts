import { describe, expect, it } from 'vitest';
import { idleSurplus } from '../../../src/core/rules/idleSurplus.js';
import { DEFAULT_RULES } from '../../../src/core/advisor/defaults.js';
import { HEALTHY } from '../../helpers/syntheticRun.js';
import { analysedPool, ruleContext } from '../../helpers/ruleContext.js';

const base = analysedPool(HEALTHY);
const quiet = { ...base.pool.idleCloses, count: 0, perMinute: 0, reopened: 0, reopenedPerMinute: 0, maxReopenGapS: null, medianAgeS: null };
/** The healthy pool with min/max, the P95 in use and the idle closes given. */
const pool = (min: number, p95: number, idleCloses = quiet, idleTimeoutS = 60) => ({
  ...base.pool,
  settings: { ...base.pool.settings, min_connections: min, max_connections: 40, idle_timeout_seconds: idleTimeoutS },
  inUse: { ...base.pool.inUse, p95 },
  idleCloses,
});

describe('idle-surplus', () => {
  it('says nothing when min_connections is within the P95 in use plus the headroom', () => {
    expect(idleSurplus.evaluate(ruleContext(base, pool(6, 4)))).toEqual({ changes: [], findings: [] });
  });

  it('lowers a min_connections that keeps connections open for nothing to the P95 in use plus the headroom', () => {
    const out = idleSurplus.evaluate(ruleContext(base, pool(20, 4)));
    expect(out.changes.map((c) => [c.setting, c.to])).toEqual([['min_connections', 4 + DEFAULT_RULES.idleHeadroom]]);
    expect(out.changes[0]!.rationale).toContain('keeps about 16 open for nothing');
  });

  it('leaves a fixed pool (min_connections = max_connections) fixed: its size is for oversized to cut, both keys together (issue 31)', () => {
    const fixed = { ...pool(40, 4), settings: { ...pool(40, 4).settings, min_connections: 40, max_connections: 40 } };
    expect(idleSurplus.evaluate(ruleContext(base, fixed))).toEqual({ changes: [], findings: [] });
  });

  it('raises the idle timeout past the longest close-to-reopen gap, in whole minutes, when idle closes churn', () => {
    const churn = { ...quiet, count: 40, perMinute: 40, reopened: 30, reopenedPerMinute: 30, maxReopenGapS: 75, medianAgeS: 61 };
    const out = idleSurplus.evaluate(ruleContext(base, pool(2, 4, churn)));
    // 60 s timeout + 75 s gap + 1 s, rounded up to a minute.
    expect(out.changes.map((c) => [c.setting, c.to])).toEqual([['idle_timeout_seconds', 180]]);
  });

  it("keeps connections open with min_connections when the lull is longer than Tasker's 3600 s idle timeout", () => {
    const churn = { ...quiet, count: 40, perMinute: 40, reopened: 30, reopenedPerMinute: 30, maxReopenGapS: 3700, medianAgeS: 3600 };
    const out = idleSurplus.evaluate(ruleContext(base, pool(2, 4, churn, 60)));
    expect(out.changes.map((c) => [c.setting, c.to])).toEqual([['min_connections', 4]]);
  });

  it('ignores idle closes that are rare or not reopened', () => {
    const rare = { ...quiet, count: 3, perMinute: 0.05, reopened: 3, reopenedPerMinute: 0.05, maxReopenGapS: 10, medianAgeS: 61 };
    expect(idleSurplus.evaluate(ruleContext(base, pool(2, 4, rare)))).toEqual({ changes: [], findings: [] });
    const once = { ...quiet, count: 50, perMinute: 50, reopened: 1, reopenedPerMinute: 50, maxReopenGapS: 10, medianAgeS: 61 };
    expect(idleSurplus.evaluate(ruleContext(base, pool(2, 4, once)))).toEqual({ changes: [], findings: [] });
  });
});
