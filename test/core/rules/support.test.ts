import { describe, expect, it } from 'vitest';
import { confidenceFor, currentValue, ev, lowerConfidence, roundUpTo, SOURCE_CONFIDENCE } from '../../../src/core/rules/support.js';
import { CONFIDENCE_LEVELS } from '../../../src/core/advisor/defaults.js';
import type { PoolAnalysis } from '../../../src/core/analysis/analyze.js';
import type { EvidenceSourceKind } from '../../../src/core/evidence/types.js';
import { HEALTHY } from '../../helpers/syntheticRun.js';
import { analysedPool, ruleContext } from '../../helpers/ruleContext.js';

const base = analysedPool(HEALTHY);

/** The healthy pool with `acquires` over `durationS`, from a source of `kind` when given. */
function pool(acquires: number, durationS: number, kind?: EvidenceSourceKind, behind = false): PoolAnalysis {
  const { coverage: _, ...p } = base.pool;
  return {
    ...p,
    acquires,
    durationS,
    generator: { ...base.pool.generator!, behind },
    ...(kind
      ? { coverage: { source: { kind, detail: kind, startedAt: 0, durationMs: durationS * 1000 }, replica: null, unseen: [], settingsAssumed: [], samples: acquires, validity: { valid: true, reasons: [] }, disagreements: [] } }
      : {}),
  };
}
const conf = (p: PoolAnalysis, interrupted = false) => confidenceFor(p, { ...base.env, interrupted });

describe('rule support', () => {
  it('ev: an evidence item, with a unit only when given', () => {
    expect(ev('waitP99', 'P99 acquire wait', 1200, 'us')).toEqual({ name: 'waitP99', label: 'P99 acquire wait', value: 1200, unit: 'us' });
    expect(ev('target', 'server measured', 'remote: db')).toEqual({ name: 'target', label: 'server measured', value: 'remote: db' });
    expect('unit' in ev('x', 'x', null)).toBe(false);
  });

  it('roundUpTo: up to a multiple of the step, a multiple stays (binary noise under 1e-9 steps ignored)', () => {
    expect([roundUpTo(120, 60), roundUpTo(121, 60), roundUpTo(1, 60), roundUpTo(180.0000000001, 60), roundUpTo(120.001, 60)]).toEqual([120, 180, 60, 180, 180]);
    expect(roundUpTo(3601, 3600)).toBe(7200);
  });

  it('currentValue: what an earlier rule proposed, else the setting as it is', () => {
    expect(currentValue(ruleContext(base), 'max_connections')).toBe(10);
    expect(currentValue(ruleContext(base, base.pool, { proposed: new Map([['max_connections', { to: 14, rule: 'pool-saturation' }]]) }), 'max_connections')).toBe(14);
    expect(currentValue(ruleContext(base, base.pool, { proposed: new Map([['max_connections', { to: 14, rule: 'pool-saturation' }]]) }), 'min_connections')).toBe(5);
  });

  it('lowerConfidence: the lower of two, the first when there is no cap', () => {
    expect([lowerConfidence('high', 'medium'), lowerConfidence('low', 'high'), lowerConfidence('medium', 'medium'), lowerConfidence('high', undefined)]).toEqual(['medium', 'low', 'medium', 'high']);
  });

  it(`confidenceFor: high from ${CONFIDENCE_LEVELS.high.samples} acquires over ${CONFIDENCE_LEVELS.high.seconds} s, medium from ${CONFIDENCE_LEVELS.medium.samples} over ${CONFIDENCE_LEVELS.medium.seconds} s, else low`, () => {
    const { high, medium } = CONFIDENCE_LEVELS;
    expect(conf(pool(high.samples, high.seconds))).toBe('high');
    expect(conf(pool(high.samples - 1, high.seconds))).toBe('medium');
    expect(conf(pool(high.samples, high.seconds - 1))).toBe('medium');
    expect(conf(pool(medium.samples, medium.seconds))).toBe('medium');
    expect(conf(pool(medium.samples - 1, high.seconds))).toBe('low');
    expect(conf(pool(high.samples, medium.seconds - 1))).toBe('low');
  });

  it('confidenceFor: at most medium for an interrupted run, low when the generator fell behind', () => {
    expect(conf(pool(50_000, 600), true)).toBe('medium');
    expect(conf(pool(500, 600), true)).toBe('low');
    expect(conf(pool(50_000, 600, undefined, true))).toBe('low');
  });

  it("confidenceFor: never above what the source can support (a measured run high, the server's view and Prometheus medium, Tasker's health endpoint low)", () => {
    expect(SOURCE_CONFIDENCE).toEqual({ 'measured-run': 'high', 'server-sampling': 'medium', prometheus: 'medium', 'tasker-health': 'low' });
    expect((['measured-run', 'server-sampling', 'prometheus', 'tasker-health'] as const).map((k) => conf(pool(50_000, 600, k)))).toEqual(['high', 'medium', 'medium', 'low']);
    // The samples a source counts are its own (gauge samples where it has no acquires).
    const gauges = { ...pool(0, 600, 'server-sampling'), coverage: { ...pool(0, 600, 'server-sampling').coverage!, samples: 3000 } };
    expect(conf(gauges)).toBe('medium');
  });
});
