import { describe, expect, it } from 'vitest';
import { BUCKET_BOUNDS_US, toBuckets } from '../../../src/core/metrics/buckets.js';
import { figuresOf, healthReport, poolHealth, statusOf, type PoolFigures } from '../../../src/core/metrics/health.js';
import { newHistogram, recordUs, summarize } from '../../../src/core/run/histogram.js';
import { Recorder } from '../../../src/core/run/recorder.js';
import type { PoolSettings } from '../../../src/core/config/pools.js';
import { histogramQuantile } from '../../helpers/promText.js';

const SETTINGS: PoolSettings = { max_connections: 10, min_connections: 2, acquire_timeout_seconds: 10, idle_timeout_seconds: 300, max_lifetime_seconds: 1800, slow_acquire_threshold_ms: 100 };

describe('Prometheus buckets from an HDR histogram', () => {
  it('bounds are a 1-2-5 series from 50 µs to 20 s, then 30 s', () => {
    expect(BUCKET_BOUNDS_US[0]).toBe(50);
    expect(BUCKET_BOUNDS_US.at(-1)).toBe(30_000_000);
    for (let i = 1; i < BUCKET_BOUNDS_US.length; i++) expect(BUCKET_BOUNDS_US[i]!).toBeGreaterThan(BUCKET_BOUNDS_US[i - 1]!);
    expect(toBuckets(newHistogram()).buckets.map((b) => String(b.le)).slice(0, 4)).toEqual(['0.00005', '0.0001', '0.0002', '0.0005']);
  });

  it('an empty histogram: every bucket, the count and the sum are 0', () => {
    const b = toBuckets(newHistogram());
    expect(b.count).toBe(0);
    expect(b.sumSeconds).toBe(0);
    expect(b.buckets.every((x) => x.count === 0)).toBe(true);
  });

  for (const [name, values, expected] of [
    ['values on a bound count at or below it', [50, 100, 100, 1000], { 0.00005: 1, 0.0001: 3, 0.0002: 3, 0.001: 4, 30: 4 }],
    ['1 µs lands in the first bucket, 10 minutes past the last', [1, 600_000_000], { 0.00005: 1, 30: 1 }],
    ['values between bounds count in the next bucket up', [51, 150, 7_000, 25_000_000], { 0.00005: 0, 0.0001: 1, 0.0002: 2, 0.005: 2, 0.01: 3, 20: 3, 30: 4 }],
  ] as const) {
    it(`cumulative counts: ${name}`, () => {
      const h = newHistogram();
      for (const v of values) recordUs(h, v);
      const b = toBuckets(h);
      const at = (le: number) => b.buckets.find((x) => x.le === le)!.count;
      for (const [le, n] of Object.entries(expected)) expect(at(Number(le)), `le=${le}`).toBe(n);
      expect(b.count).toBe(values.length);
      for (let i = 1; i < b.buckets.length; i++) expect(b.buckets[i]!.count).toBeGreaterThanOrEqual(b.buckets[i - 1]!.count);
    });
  }

  it('the sum is the values in seconds (within HDR resolution); the quantile falls in the bucket of the exact one', () => {
    const h = newHistogram();
    let exact = 0;
    const values: number[] = [];
    for (let i = 1; i <= 1000; i++) {
      const v = i * 37;
      values.push(v);
      exact += v;
      recordUs(h, v);
    }
    const b = toBuckets(h);
    expect(b.sumSeconds).toBeCloseTo(exact / 1e6, 3);
    const q = histogramQuantile(0.99, [...b.buckets, { le: Infinity, count: b.count }]);
    const p99 = summarize(h).p99 / 1e6;
    const i = b.buckets.findIndex((x) => x.le >= p99);
    expect(q).toBeGreaterThan(b.buckets[i - 1]!.le);
    expect(q).toBeLessThanOrEqual(b.buckets[i]!.le);
  });
});

function figures(over: Partial<PoolFigures> & { inUseMean?: number }): PoolFigures {
  const empty = summarize(newHistogram());
  return {
    name: 'database',
    gauges: { inUse: 0, idle: 0, waiting: 0, total: 0, oldestWaiterMs: 0 },
    maxConnections: 10,
    minConnections: 2,
    acquires: 0,
    slow: 0,
    errors: 0,
    timeouts: 0,
    wait: empty,
    recent: { durationUs: 60e6, acquires: 0, waitUs: empty, inUseMean: over.inUseMean ?? 0 },
    ...over,
  };
}

describe('health report: pool names are data', () => {
  it('pools named __proto__ and constructor are reported like any other', () => {
    const { report } = healthReport([figures({ name: '__proto__', inUseMean: 9.7 }), figures({ name: 'constructor' })], 0);
    expect(Object.keys(report.pools)).toEqual(['__proto__', 'constructor']);
    expect(report.status).toBe('unhealthy');
    expect(JSON.parse(JSON.stringify(report)).pools.__proto__.status).toBe('unhealthy');
  });
});

describe('health status', () => {
  for (const [percent, status] of [
    [0, 'healthy'],
    [80, 'healthy'],
    [80.1, 'degraded'],
    [95, 'degraded'],
    [95.1, 'unhealthy'],
    [100, 'unhealthy'],
  ] as const) {
    it(`${percent}% -> ${status}`, () => expect(statusOf(percent)).toBe(status));
  }

  it('utilisation is the mean in use over the recent window, as a share of max', () => {
    expect(poolHealth(figures({ inUseMean: 8.04 })).utilization_percent).toBe(80.4);
    expect(poolHealth(figures({ inUseMean: 8.04 })).status).toBe('degraded');
    expect(poolHealth(figures({ inUseMean: 8.004 })).status).toBe('healthy');
  });

  it('the report takes the worst pool; 503 only when one is unhealthy; Tasker field names', () => {
    const ok = healthReport([figures({ inUseMean: 1 })], 0);
    expect(ok.httpStatus).toBe(200);
    expect(ok.report.status).toBe('healthy');
    expect(ok.report.checked_at).toBe('1970-01-01T00:00:00.000Z');
    const deg = healthReport([figures({ inUseMean: 1 }), figures({ name: 'pgmq', inUseMean: 9 })], 0);
    expect([deg.httpStatus, deg.report.status]).toEqual([200, 'degraded']);
    const bad = healthReport([figures({ inUseMean: 9.7 }), figures({ name: 'pgmq', inUseMean: 9 })], 0);
    expect([bad.httpStatus, bad.report.status]).toEqual([503, 'unhealthy']);
    expect(Object.keys(bad.report.pools.database!)).toEqual(
      expect.arrayContaining(['active_connections', 'idle_connections', 'max_connections', 'utilization_percent', 'total_acquires', 'slow_acquires', 'acquire_errors', 'average_acquire_time_ms', 'max_acquire_time_ms', 'waiting', 'p50_acquire_time_ms', 'p95_acquire_time_ms', 'p99_acquire_time_ms']),
    );
  });

  it('no pools: healthy, 200, an empty pools object', () => {
    expect(healthReport([], 0)).toEqual({ httpStatus: 200, report: { status: 'healthy', checked_at: '1970-01-01T00:00:00.000Z', pools: {} } });
  });
});

describe('figures from a recorder', () => {
  it('the recent window: acquires, wait percentiles and the time-weighted mean in use since the start', () => {
    const r = new Recorder({ pool: 'database', settings: SETTINGS, emulateSqlx: false }, 0, 0);
    r.gauges({ inUse: 10, idle: 0, waiting: 0, total: 10 }, 0);
    for (let i = 0; i < 100; i++) r.acquired('queued', (i + 1) * 1000, i === 99 ? 'timeout' : 'ok');
    r.gauges({ inUse: 5, idle: 5, waiting: 0, total: 10 }, 5e6);
    r.tick(10e6, 0);
    const f = figuresOf('database', r, { inUse: 5, idle: 5, waiting: 0, total: 10, oldestWaiterMs: 0 }, 10e6);
    expect(f.recent.inUseMean).toBeCloseTo(7.5, 6);
    expect(f.recent.acquires).toBe(100);
    const h = poolHealth(f);
    expect(h.utilization_percent).toBe(75);
    expect(h.status).toBe('healthy');
    expect(h.total_acquires).toBe(100);
    expect(h.acquire_errors).toBe(1);
    expect(h.acquire_timeouts).toBe(1);
    expect(h.slow_acquires).toBe(1);
    expect(h.max_acquire_time_ms).toBeCloseTo(100, 0);
    expect(h.p50_acquire_time_ms).toBeCloseTo(50, 0);
    expect(h.p99_acquire_time_ms).toBeCloseTo(99, 0);
    expect(h.recent_window_seconds).toBe(10);
  });

  it('the recent window holds the last 45-60 s of waits, tick after tick (no slice aliases a scratch histogram)', () => {
    const r = new Recorder({ pool: 'database', settings: SETTINGS, emulateSqlx: false }, 0, 0);
    for (let t = 1; t <= 90; t++) {
      r.acquired('queued', t * 1000, 'ok');
      r.tick(t * 1e6, 0);
    }
    const w = r.recentWindow(90e6);
    expect(w.durationUs).toBe(60e6);
    expect(w.acquires).toBe(60);
    expect(w.waitUs.count).toBe(60);
    expect(w.waitUs.min).toBeGreaterThan(30_500);
    expect(w.waitUs.p50 / 1000).toBeCloseTo(60, 0);
    // Each timeline interval holds its own acquire.
    expect(r.snapshot(90e6).timeline.points.slice(0, 3).map((p) => Math.round(p.waitP99Us / 1000))).toEqual([1, 2, 3]);
  });

  it('the recent window moves on: after 60 s of idling the old waits and load are gone', () => {
    const r = new Recorder({ pool: 'database', settings: SETTINGS, emulateSqlx: false }, 0, 0);
    r.gauges({ inUse: 10, idle: 0, waiting: 0, total: 10 }, 0);
    for (let i = 0; i < 50; i++) r.acquired('queued', 80_000, 'ok');
    r.gauges({ inUse: 0, idle: 10, waiting: 0, total: 10 }, 1e6);
    for (let t = 1; t <= 90; t++) r.tick(t * 1e6, 0);
    const f = figuresOf('database', r, { inUse: 0, idle: 10, waiting: 0, total: 10, oldestWaiterMs: 0 }, 90e6);
    expect(f.recent.acquires).toBe(0);
    expect(f.recent.inUseMean).toBe(0);
    expect(f.recent.durationUs).toBeGreaterThanOrEqual(45e6);
    expect(f.recent.durationUs).toBeLessThanOrEqual(60e6);
    expect(poolHealth(f).max_acquire_time_ms).toBeCloseTo(80, 0);
  });
});
