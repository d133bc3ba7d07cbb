import { describe, expect, it } from 'vitest';
import { evidenceFromRun, poolEvidenceFromRun } from '../../../src/core/evidence/fromRun.js';
import { UsageError } from '../../../src/core/errors.js';
import { formatThreshold, parseThreshold, parseThresholds, type BaseUnit } from '../../../src/core/thresholds/parse.js';
import { compare, evaluateThresholds, hasSamples, observe } from '../../../src/core/thresholds/evaluate.js';
import { buildEnvironment, buildPoolRun, buildRunFile, healthyPool, saturatedPool } from '../../helpers/checkRunBuilder.js';

const LATENCY = "'acquire' (latency) supports p(N), avg, min, max; values in us, ms or s (a bare number is ms)";
const TIMEOUTS = "'timeouts' (counter) supports count, rate (per second); bare numbers";
const WAITED = "'waited' (ratio) supports rate (a fraction); a fraction (0.05) or a percentage (5%)";
const IN_USE = "'in_use' (gauge) supports value (at the end), mean, p(N), max; bare numbers of connections";
const UTILIZATION = "'utilization' (gauge) supports value (at the end), mean, p(N), max; a fraction (0.05) or a percentage (5%)";

describe('threshold grammar: valid expressions', () => {
  const cases: Array<[input: string, pool: string, metric: string, agg: string, op: string, limit: number, unit: BaseUnit, canonical: string]> = [
    ['database.acquire: p(99) < 50ms', 'database', 'acquire', 'p(99)', '<', 50_000, 'us', 'database.acquire: p(99) < 50ms'],
    ['database.acquire:p(99.9)<=1.5s', 'database', 'acquire', 'p(99.9)', '<=', 1_500_000, 'us', 'database.acquire: p(99.9) <= 1.5s'],
    ['database.acquire: avg < 20', 'database', 'acquire', 'avg', '<', 20_000, 'us', 'database.acquire: avg < 20'],
    ['database.acquire: avg < 1.1ms', 'database', 'acquire', 'avg', '<', 1_100, 'us', 'database.acquire: avg < 1.1ms'],
    ['pgmq.hold: max < 250us', 'pgmq', 'hold', 'max', '<', 250, 'us', 'pgmq.hold: max < 250us'],
    ['database.create: min >= 100µs', 'database', 'create', 'min', '>=', 100, 'us', 'database.create: min >= 100µs'],
    ['database.acquire: p(0) > 0us', 'database', 'acquire', 'p(0)', '>', 0, 'us', 'database.acquire: p(0) > 0us'],
    ['database.acquire: p(100) < 2 s', 'database', 'acquire', 'p(100)', '<', 2_000_000, 'us', 'database.acquire: p(100) < 2s'],
    ['database.timeouts: count == 0', 'database', 'timeouts', 'count', '==', 0, 'count', 'database.timeouts: count == 0'],
    ['*.expired: rate < 0.5', '*', 'expired', 'rate', '<', 0.5, 'per_second', '*.expired: rate < 0.5'],
    ['database.idle_closed: count <= 10', 'database', 'idle_closed', 'count', '<=', 10, 'count', 'database.idle_closed: count <= 10'],
    ['database.created: rate < 2', 'database', 'created', 'rate', '<', 2, 'per_second', 'database.created: rate < 2'],
    ['database.errors: count == 0', 'database', 'errors', 'count', '==', 0, 'count', 'database.errors: count == 0'],
    ['database.slow: count < 5', 'database', 'slow', 'count', '<', 5, 'count', 'database.slow: count < 5'],
    ['pgmq.utilization: p(95) < 80%', 'pgmq', 'utilization', 'p(95)', '<', 0.8, 'fraction', 'pgmq.utilization: p(95) < 80%'],
    ['*.waited: rate < 0.05', '*', 'waited', 'rate', '<', 0.05, 'fraction', '*.waited: rate < 0.05'],
    ['orchestration_web.slow_share: rate <= 1%', 'orchestration_web', 'slow_share', 'rate', '<=', 0.01, 'fraction', 'orchestration_web.slow_share: rate <= 1%'],
    ['worker_web.in_use: value != 0', 'worker_web', 'in_use', 'value', '!=', 0, 'connections', 'worker_web.in_use: value != 0'],
    ['database.waiting: mean > 0.5', 'database', 'waiting', 'mean', '>', 0.5, 'connections', 'database.waiting: mean > 0.5'],
    ['database.idle: p(50) >= 2', 'database', 'idle', 'p(50)', '>=', 2, 'connections', 'database.idle: p(50) >= 2'],
    ['  database . utilization :  max   <  .9  ', 'database', 'utilization', 'max', '<', 0.9, 'fraction', 'database.utilization: max < .9'],
  ];
  it.each(cases)('%s', (input, pool, metric, agg, op, limit, unit, canonical) => {
    const t = parseThreshold(input);
    expect(t.pool).toBe(pool);
    expect(t.metric).toBe(metric);
    expect(t.aggregation.name === 'p' ? `p(${t.aggregation.percentile})` : t.aggregation.name).toBe(agg);
    expect(t.operator).toBe(op);
    expect(t.limit).toBe(limit);
    expect(t.unit).toBe(unit);
    expect(formatThreshold(t)).toBe(canonical);
    expect(t.input).toBe(input);
  });

  it('drops exact duplicates and keeps the first source', () => {
    const ts = parseThresholds([
      { text: 'database.acquire: p(99) < 50ms', source: { label: 'a.toml', file: 'a.toml' } },
      { text: 'database.acquire:p(99)<50ms', source: { label: '--threshold' } },
      { text: '*.timeouts: count == 0' },
    ]);
    expect(ts.map((t) => formatThreshold(t))).toEqual(['database.acquire: p(99) < 50ms', '*.timeouts: count == 0']);
    expect(ts[0]!.source?.label).toBe('a.toml');
  });
});

describe('threshold grammar: every kind of error, with the exact message', () => {
  const EXAMPLE = "e.g. 'database.acquire: p(99) < 50ms'";
  const cases: Array<[input: string, message: string]> = [
    ['', `threshold '': empty; expected POOL.METRIC: EXPRESSION, ${EXAMPLE}`],
    ['database.acquire p(99) < 50ms', `threshold 'database.acquire p(99) < 50ms': no ':' after the metric; expected POOL.METRIC: EXPRESSION, ${EXAMPLE}`],
    ['timeouts: count == 0', "threshold 'timeouts: count == 0': 'timeouts' is not POOL.METRIC; name the pool first, e.g. 'database.timeouts' or '*.timeouts'"],
    ['database: p(99) < 5ms', "threshold 'database: p(99) < 5ms': 'database' names a pool but no metric; write POOL.METRIC, e.g. 'database.acquire'"],
    ['db.acquire: p(99) < 50ms', "threshold 'db.acquire: p(99) < 50ms': unknown pool 'db'; pools: database, pgmq, orchestration_web, worker_web, or * for every pool in the run"],
    ['databse.acquire: p(99) < 50ms', "threshold 'databse.acquire: p(99) < 50ms': unknown pool 'databse' (did you mean 'database'?); pools: database, pgmq, orchestration_web, worker_web, or * for every pool in the run"],
    [
      'database.wait: p(99) < 50ms',
      "threshold 'database.wait: p(99) < 50ms': unknown metric 'wait' (did you mean 'acquire'?); metrics: acquire, hold, create, timeouts, expired, idle_closed, created, errors, slow, waited, slow_share, in_use, idle, waiting, utilization",
    ],
    [
      'database.timeuots: count == 0',
      "threshold 'database.timeuots: count == 0': unknown metric 'timeuots' (did you mean 'timeouts'?); metrics: acquire, hold, create, timeouts, expired, idle_closed, created, errors, slow, waited, slow_share, in_use, idle, waiting, utilization",
    ],
    ['database.acquire:', `threshold 'database.acquire:': no expression after ':', e.g. 'database.acquire: p(99) < 50ms'; ${LATENCY}`],
    ['database.acquire: < 5ms', `threshold 'database.acquire: < 5ms': expected an aggregation first, got '< 5ms'; ${LATENCY}`],
    ['database.acquire: median < 5ms', `threshold 'database.acquire: median < 5ms': unknown aggregation 'median'; ${LATENCY}`],
    ['database.acquire: count < 5', `threshold 'database.acquire: count < 5': 'acquire' has no aggregation 'count'; ${LATENCY}`],
    ['database.timeouts: p(99) < 5', `threshold 'database.timeouts: p(99) < 5': 'timeouts' has no aggregation 'p(99)'; ${TIMEOUTS}`],
    ['database.waited: count < 5', `threshold 'database.waited: count < 5': 'waited' has no aggregation 'count'; ${WAITED}`],
    ['database.in_use: avg < 5', `threshold 'database.in_use: avg < 5': 'in_use' has no aggregation 'avg'; ${IN_USE}`],
    ['database.acquire: p99 < 50ms', `threshold 'database.acquire: p99 < 50ms': write percentiles as p(N): 'p99' is not an aggregation, e.g. p(99) or p(99.9); ${LATENCY}`],
    ['database.acquire: p < 50ms', `threshold 'database.acquire: p < 50ms': 'p' needs a percentile in parentheses, e.g. p(99); ${LATENCY}`],
    ['database.acquire: p(101) < 50ms', `threshold 'database.acquire: p(101) < 50ms': p(101): the percentile must be a number from 0 to 100; ${LATENCY}`],
    ['database.acquire: p(abc) < 50ms', `threshold 'database.acquire: p(abc) < 50ms': p(abc): the percentile must be a number from 0 to 100; ${LATENCY}`],
    ['database.acquire: avg(5) < 50ms', `threshold 'database.acquire: avg(5) < 50ms': 'avg' takes no argument; ${LATENCY}`],
    ['database.acquire: p(99) = 50ms', `threshold 'database.acquire: p(99) = 50ms': unknown operator '='; operators: < <= > >= == !=; ${LATENCY}`],
    ['database.acquire: p(99) => 50ms', `threshold 'database.acquire: p(99) => 50ms': unknown operator '=>'; operators: < <= > >= == !=; ${LATENCY}`],
    ['database.acquire: p(99) 50ms', `threshold 'database.acquire: p(99) 50ms': expected an operator (< <= > >= == !=) after 'p(99)', got '50ms'; ${LATENCY}`],
    ['database.acquire: p(99) <', `threshold 'database.acquire: p(99) <': expected a number after '<'; ${LATENCY}`],
    ['database.acquire: p(99) < fast', `threshold 'database.acquire: p(99) < fast': expected a number after '<', got 'fast'; ${LATENCY}`],
    ['database.acquire: p(99) < -5ms', `threshold 'database.acquire: p(99) < -5ms': expected a number after '<', got '-5ms'; ${LATENCY}`],
    ['database.acquire: p(99) < 50min', `threshold 'database.acquire: p(99) < 50min': unknown unit 'min'; units: us, ms, s, %; ${LATENCY}`],
    ['database.acquire: p(99) < 50ms and more', `threshold 'database.acquire: p(99) < 50ms and more': unexpected 'and more' after '50ms'; ${LATENCY}`],
    ['database.acquire: p(99) < 5%', `threshold 'database.acquire: p(99) < 5%': unit '%' does not fit a latency; ${LATENCY}`],
    ['database.timeouts: count < 5ms', `threshold 'database.timeouts: count < 5ms': unit 'ms' does not fit a count; write a bare number; ${TIMEOUTS}`],
    ['database.timeouts: rate < 5%', `threshold 'database.timeouts: rate < 5%': unit '%' does not fit a rate per second; write a bare number; ${TIMEOUTS}`],
    ['database.in_use: max < 80%', `threshold 'database.in_use: max < 80%': unit '%' does not fit a number of connections; write a bare number; ${IN_USE}`],
    ['database.waited: rate < 5', `threshold 'database.waited: rate < 5': rate < 5: a bare number is a fraction from 0 to 1; write 5% for a percentage; ${WAITED}`],
    ['database.waited: rate < 5ms', `threshold 'database.waited: rate < 5ms': unit 'ms' does not fit a ratio; ${WAITED}`],
    ['database.utilization: max < 150%', `threshold 'database.utilization: max < 150%': max < 150%: a percentage is at most 100%; ${UTILIZATION}`],
    ['database.utilization: max < 80ms', `threshold 'database.utilization: max < 80ms': unit 'ms' does not fit utilization; ${UTILIZATION}`],
  ];
  it.each(cases)('%j', (input, message) => {
    let err: unknown;
    try {
      parseThreshold(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toBe(message);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as UsageError).hint).toBe('see docs/thresholds.md for the grammar and every metric');
  });

  it('names where the threshold came from', () => {
    expect(() => parseThreshold('database.acquire: p(99) < 5%', { label: '--threshold' })).toThrow(/^--threshold: threshold 'database.acquire: p\(99\) < 5%': unit '%'/);
    expect(() => parseThresholds([{ text: 'ok.acquire: avg < 1', source: { label: 'config/pool-advisor.toml', file: 'config/pool-advisor.toml' } }])).toThrow(
      /^config\/pool-advisor.toml: threshold 'ok.acquire: avg < 1': unknown pool 'ok'/,
    );
  });
});

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
