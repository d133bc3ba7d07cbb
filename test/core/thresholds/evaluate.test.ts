import { describe, expect, it } from 'vitest';
import { evidenceFromRun, poolEvidenceFromRun } from '../../../src/core/evidence/fromRun.js';
import { parseThreshold, parseThresholds } from '../../../src/core/thresholds/parse.js';
import { compare, evaluateThresholds, observe } from '../../../src/core/thresholds/evaluate.js';
import { hasSamples } from '../../../src/core/evidence/samples.js';
import { buildEnvironment, buildPoolRun, buildRunFile, healthyPool, saturatedPool } from '../../helpers/checkRunBuilder.js';

describe('observing a pool run', () => {
  const pool = buildPoolRun({
    durationMs: 20_000,
    waitsUs: [100, 200, 300, 400, 10_000],
    holdsUs: [1_000, 3_000],
    counters: { acquires: 5, waited: 2, timeouts: 1, errors: 2, slow: 1, created: 4, closed: { expired: 3, idle: 6 } },
    inUse: [[0, 5_000], [2, 10_000], [4, 5_000]],
    idle: [[1, 20_000]],
    waiting: [[0, 15_000], [3, 5_000]],
    settings: { max_connections: 8 },
  });
  const cases: Array<[metric: string, agg: string, expected: number]> = [
    ['acquire', 'p(50)', 300],
    ['acquire', 'max', 10_000],
    ['acquire', 'min', 100],
    ['hold', 'avg', 2_000],
    ['timeouts', 'count', 1],
    ['timeouts', 'rate', 0.05],
    ['expired', 'count', 3],
    ['idle_closed', 'rate', 0.3],
    ['created', 'count', 4],
    ['errors', 'count', 2],
    ['slow', 'count', 1],
    ['waited', 'rate', 0.4],
    ['slow_share', 'rate', 0.2],
    ['in_use', 'mean', 2],
    ['in_use', 'p(50)', 2],
    ['in_use', 'p(90)', 4],
    ['in_use', 'max', 4],
    ['in_use', 'value', 4],
    ['idle', 'value', 1],
    ['waiting', 'mean', 0.75],
    ['utilization', 'mean', 0.25],
    ['utilization', 'max', 0.5],
  ];
  it.each(cases)('%s %s', (metric, agg, expected) => {
    const t = parseThreshold(`database.${metric}: ${agg} >= 0`);
    const o = observe(poolEvidenceFromRun(pool, 't'), t.metric, t.aggregation);
    expect(o).toHaveProperty('value');
    // HDR histograms keep 3 significant digits: a latency is exact to 0.1%.
    expect(Math.abs((o as { value: number }).value - expected)).toBeLessThanOrEqual(Math.max(1e-9, t.kind === 'latency' ? expected * 0.001 : 0));
  });

  it('reports no data rather than a made-up zero', () => {
    const empty = buildPoolRun({ durationMs: 0 });
    expect(observe(poolEvidenceFromRun(empty, 't'), 'acquire', { name: 'p', percentile: 99 })).toEqual({ noData: 'no acquires recorded' });
    expect(observe(poolEvidenceFromRun(empty, 't'), 'create', { name: 'max' })).toEqual({ noData: 'no connections created recorded' });
    expect(observe(poolEvidenceFromRun(empty, 't'), 'waited', { name: 'rate' })).toEqual({ noData: 'no acquires recorded' });
    expect(observe(poolEvidenceFromRun(empty, 't'), 'timeouts', { name: 'rate' })).toEqual({ noData: 'the measured window has no duration' });
    expect(observe(poolEvidenceFromRun(empty, 't'), 'timeouts', { name: 'count' })).toEqual({ value: 0 });
    expect(observe(poolEvidenceFromRun(empty, 't'), 'in_use', { name: 'mean' })).toEqual({ noData: 'the occupancy covers no time' });
    const noMax = buildPoolRun({ inUse: [[1, 10_000]], settings: { max_connections: 0 } });
    expect(observe(poolEvidenceFromRun(noMax, 't'), 'utilization', { name: 'max' })).toEqual({ noData: 'max_connections is 0 in the run, so utilization is undefined' });
  });

  it('compares with every operator', () => {
    expect([compare(1, '<', 2), compare(2, '<', 2), compare(2, '<=', 2), compare(3, '>', 2), compare(2, '>=', 2), compare(2, '==', 2), compare(2, '!=', 2)]).toEqual([
      true,
      false,
      true,
      true,
      true,
      true,
      false,
    ]);
  });
});

describe('evaluating thresholds on a run', () => {
  const run = buildRunFile([buildEnvironment('test', [healthyPool()]), buildEnvironment('production', [saturatedPool(), healthyPool('orchestration_web')], false)]);
  const ts = parseThresholds([{ text: 'database.acquire: p(99) < 50ms' }, { text: '*.timeouts: count == 0' }, { text: 'pgmq.waited: rate < 5%' }]);

  it('expands * per environment, judges each pool, and marks absent pools as no data', () => {
    const rs = evaluateThresholds(ts, evidenceFromRun(run));
    expect(rs.map((r) => [r.env, r.expression, r.status, r.observedText])).toEqual([
      ['test', 'database.acquire: p(99) < 50ms', 'held', 'p(99)=200µs'],
      ['test', 'database.timeouts: count == 0', 'held', 'count=0'],
      ['test', 'pgmq.waited: rate < 5%', 'no-data', "no data: pool 'pgmq' is not in the run for 'test': PGMQ's work went through the database pool there"],
      ['production', 'database.acquire: p(99) < 50ms', 'breached', 'p(99)=120.1ms'],
      ['production', 'database.timeouts: count == 0', 'breached', 'count=7'],
      ['production', 'orchestration_web.timeouts: count == 0', 'held', 'count=0'],
      ['production', 'pgmq.waited: rate < 5%', 'no-data', "no data: pool 'pgmq' is not in the run for 'production' (it has: database, orchestration_web)"],
    ]);
  });

  it('limits to the environments asked for', () => {
    expect(new Set(evaluateThresholds(ts, evidenceFromRun(run), ['production']).map((r) => r.env))).toEqual(new Set(['production']));
  });

  it('knows a run without samples', () => {
    expect(hasSamples(evidenceFromRun(run))).toBe(true);
    const empty = buildRunFile([buildEnvironment('test', [buildPoolRun()])]);
    expect(hasSamples(evidenceFromRun(empty))).toBe(false);
    expect(hasSamples(evidenceFromRun(buildRunFile([])))).toBe(false);
    expect(evaluateThresholds(parseThresholds([{ text: '*.acquire: max < 1s' }]), evidenceFromRun(buildRunFile([buildEnvironment('test', [])])))[0]).toMatchObject({
      status: 'no-data',
      pool: '*',
      reason: "no pools in the run for 'test'",
    });
  });
});
