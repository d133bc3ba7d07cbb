import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/core/errors.js';
import { formatThreshold, parseThreshold, parseThresholds, type BaseUnit } from '../../../src/core/thresholds/parse.js';

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
