/** The pure half of `fleet`: recognition, the query plan, assembly, quantiles, the window, the budget. */
import { describe, expect, it } from 'vitest';
import { FAMILIES, defaultPrometheusSpec, notCarried, poolLikeNames, recognise, type PrometheusSpec } from '../../../src/core/metrics-catalogue/families.js';
import { planQueries, rangeText, selectorText } from '../../../src/core/fleet/plan.js';
import { assembleFleet, bucketQuantile, identify, type VectorSample } from '../../../src/core/fleet/assemble.js';
import { seenFleetBudget } from '../../../src/core/budget/fleet.js';
import { fleetWindow, parseTimeFlag } from '../../../src/core/fleet/window.js';
import { renderFleet } from '../../../src/core/render/fleet.js';
import { histogramQuantile } from '../../helpers/promText.js';
import { UsageError } from '../../../src/core/errors.js';

const OWN = ['db_client_connections', 'db_client_connection_max', 'db_client_connection_wait_time_seconds_bucket', 'db_client_connection_wait_time_seconds_count', 'db_client_connection_wait_time_seconds_sum', 'db_client_connection_use_time_seconds_count', 'db_client_connection_use_time_seconds_sum', 'pool_advisor_connections_created_total'];
const W = { startMs: 1_800_000_000_000, endMs: 1_800_000_100_000 };

describe('recognise', () => {
  it.each([
    ['pool-advisor', OWN],
    ['otel', ['db_client_connection_count', 'db_client_connection_wait_time_seconds_count']],
    ['otel-legacy', ['db_client_connections_usage', 'db_client_connections_wait_time_milliseconds_count']],
    ['hikari-micrometer', ['hikaricp_connections_active', 'hikaricp_connections_acquire_seconds_count']],
    ['hikari-tracker', ['hikaricp_active_connections', 'hikaricp_connection_acquired_nanos_count']],
    ['go-sql', ['go_sql_open_connections', 'go_sql_wait_count_total']],
    ['tasker', ['tasker_db_pool_connections']],
  ])('%s from its names', (id, names) => {
    expect(recognise(names, FAMILIES).map((m) => m.def.id)).toEqual([id]);
  });

  it('keeps the unit the server has: OpenTelemetry in milliseconds', () => {
    const [m] = recognise(['db_client_connection_count', 'db_client_connection_wait_time_milliseconds_count', 'db_client_connection_wait_time_milliseconds_bucket'], FAMILIES);
    expect(m!.wait).toEqual({ base: 'db_client_connection_wait_time_milliseconds', unit: 'milliseconds', buckets: true });
    expect(m!.use).toBeUndefined();
    expect(m!.absent).toContain('use time: looked for db_client_connection_use_time_count, db_client_connection_use_time_seconds_count, db_client_connection_use_time_milliseconds_count; nothing near');
  });

  it('finds nothing in an unrelated server, and names the pool-like metrics', () => {
    expect(recognise(['up', 'process_cpu_seconds_total'], FAMILIES)).toEqual([]);
    expect(poolLikeNames(['up', 'myapp_db_pool_busy', 'pgbouncer_pools_client_waiting_connections', 'http_requests_total'])).toEqual(['myapp_db_pool_busy', 'pgbouncer_pools_client_waiting_connections']);
  });

  it('says what each family cannot show', () => {
    const byId = new Map(FAMILIES.map((f) => [f.id, notCarried(f)]));
    expect(byId.get('pool-advisor')).toEqual([]);
    expect(byId.get('go-sql')!.join('; ')).toMatch(/acquire count and arrival rate.*use time/);
    expect(byId.get('tasker')!.join('; ')).toMatch(/acquire waits and arrival rate.*use time.*closes.*timeouts.*pool size/);
  });
});

describe('plan', () => {
  it('one query per figure for the whole fleet, grouped by pool and replica labels', () => {
    const spec = defaultPrometheusSpec();
    const plan = planQueries(recognise(OWN, FAMILIES), spec, W);
    const byPart = new Map(plan.map((p) => [p.part, p.promql]));
    expect(rangeText(W)).toBe('100000ms');
    expect(byPart.get('wait_count')).toBe('sum by (pool_name, pod, instance) (increase(db_client_connection_wait_time_seconds_count{pool_name!=""}[100000ms]))');
    expect(byPart.get('use_sum')).toBe('sum by (pool_name, pod, instance) (increase(db_client_connection_use_time_seconds_sum{pool_name!=""}[100000ms]))');
    expect(byPart.get('wait_bucket')).toBe('sum by (pool_name, pod, instance, le) (increase(db_client_connection_wait_time_seconds_bucket{pool_name!=""}[100000ms]))');
    expect(byPart.get('wait_fleet_p99')).toBe('histogram_quantile(0.99, sum by (pool_name, le) (increase(db_client_connection_wait_time_seconds_bucket{pool_name!=""}[100000ms])))');
    expect(byPart.get('in_use_avg')).toBe('sum by (pool_name, pod, instance) (avg_over_time(db_client_connections{pool_name!="",state="used"}[100000ms]))');
    expect(byPart.get('max')).toBe('max by (pool_name, pod, instance) (max_over_time(db_client_connection_max{pool_name!=""}[100000ms]))');
    // 18 figures, and each series' first and last sample and sample count (its covered span).
    expect(plan).toHaveLength(21);
  });

  it('no fleet quantile for a summary; milliseconds scaled; grouping adds the env label and mapped labels', () => {
    const spec: PrometheusSpec = { ...defaultPrometheusSpec(), envLabel: 'namespace', pools: [{ family: 'hikari-tracker', match: [['pool', 'orders'], ['app', 'orders-api']], pool: 'database' }] };
    const tracker = planQueries(recognise(['hikaricp_active_connections', 'hikaricp_connection_acquired_nanos_count', 'hikaricp_connection_usage_millis_count'], FAMILIES), spec, W);
    expect(tracker.some((p) => p.part === 'wait_bucket' || p.part === 'wait_fleet_p99')).toBe(false);
    expect(tracker.find((p) => p.part === 'wait_sum')!.scale).toBe(1e-9);
    expect(tracker.find((p) => p.part === 'use_sum')!.scale).toBe(1e-3);
    expect(tracker.find((p) => p.part === 'wait_count')!.promql).toContain('sum by (pool, pod, instance, namespace, app)');
  });

  it('selectors quote label values', () => {
    expect(selectorText({ metric: 'm', match: [['state', 'a"b']] }, 'pool')).toBe('m{pool!="",state="a\\"b"}');
  });
});

describe('identify', () => {
  const [own] = recognise(OWN, FAMILIES);
  const [tasker] = recognise(['tasker_db_pool_connections'], FAMILIES);
  it('Tasker pool names map as they are; Tasker\'s own names map; others stay unmapped; a mapping wins', () => {
    const spec: PrometheusSpec = { ...defaultPrometheusSpec(), environment: 'production', pools: [{ match: [['pool_name', 'orders']], pool: 'pgmq', env: 'staging' }] };
    expect(identify({ pool_name: 'database' }, own!, spec)).toEqual({ env: 'production', pool: 'database', mapped: true });
    expect(identify({ pool_name: 'reports' }, own!, spec)).toEqual({ env: 'production', pool: 'reports', mapped: false });
    expect(identify({ pool_name: 'orders' }, own!, spec)).toEqual({ env: 'staging', pool: 'pgmq', mapped: true });
    expect(identify({ pool: 'tasker' }, tasker!, spec)).toEqual({ env: 'production', pool: 'database', mapped: true });
    // Names users choose are never object keys: __proto__ is just an unmapped pool.
    expect(identify({ pool_name: '__proto__' }, own!, spec)).toEqual({ env: 'production', pool: '__proto__', mapped: false });
  });
});

describe('bucketQuantile', () => {
  it("agrees with Prometheus's histogram_quantile on cumulative buckets", () => {
    const upperS = [0.001, 0.005, 0.01, 0.05, Infinity];
    const counts = [100, 50, 40, 9, 1];
    let cum = 0;
    const cumulative = upperS.map((le, i) => ({ le, count: (cum += counts[i]!) }));
    for (const q of [0.1, 0.5, 0.9, 0.95, 0.99]) expect(bucketQuantile(q, { upperS, counts })).toBeCloseTo(histogramQuantile(q, cumulative), 12);
    expect(bucketQuantile(0.999, { upperS, counts })).toBe(0.05);
    expect(bucketQuantile(0.5, { upperS, counts: [0, 0, 0, 0, 0] })).toBeUndefined();
  });
});

describe('assembleFleet', () => {
  const spec: PrometheusSpec = { ...defaultPrometheusSpec(), environment: 'production' };
  const matches = recognise(OWN, FAMILIES);
  const plan = planQueries(matches, spec, W);
  const s = (instance: string, value: number, extra: Record<string, string> = {}): VectorSample => ({ metric: { pool_name: 'database', instance, ...extra }, value });
  const answers = plan.map((p): VectorSample[] => {
    switch (p.part) {
      case 'wait_count':
        return [s('a:1', 10_000), s('b:1', 4_000)];
      case 'wait_sum':
        return [s('a:1', 20), s('b:1', 4)];
      case 'use_count':
        return [s('a:1', 10_000), s('b:1', 4_000)];
      case 'use_sum':
        return [s('a:1', 250), s('b:1', 280)];
      case 'wait_bucket':
        return [s('a:1', 9_000, { le: '0.001' }), s('a:1', 9_900, { le: '0.01' }), s('a:1', 10_000, { le: '+Inf' })];
      case 'wait_fleet_p99':
        return [{ metric: { pool_name: 'database' }, value: 0.0095 }];
      case 'max':
        return [s('a:1', 8), s('b:1', 6)];
      case 'closes':
        return [s('a:1', 12, { reason: 'expired' }), s('a:1', 3, { reason: 'idle' })];
      default:
        return [];
    }
  });
  const reading = assembleFleet(matches, spec, W, plan, answers);

  it('per replica: rate, mean wait, mean in use by Little, quantiles from buckets, closes by reason', () => {
    const [a, b] = reading.replicas;
    expect(a).toMatchObject({ family: 'pool-advisor', env: 'production', pool: 'database', mapped: true, replica: 'a:1', windowS: 100, acquires: 10_000, arrivalRate: 100, max: 8, closed: { lifetime: 12, idle: 3 } });
    expect(a!.wait!.meanS).toBeCloseTo(0.002, 12);
    expect(a!.use!.meanInUse).toBeCloseTo(2.5, 12);
    expect(a!.use!.meanS).toBeCloseTo(0.025, 12);
    expect(a!.wait!.buckets).toEqual({ upperS: [0.001, 0.01, Infinity], counts: [9_000, 900, 100] });
    expect(a!.wait!.p50S).toBeCloseTo(0.5 * 0.001 * (5_000 / 9_000) * 2, 12);
    expect(b).toMatchObject({ replica: 'b:1', arrivalRate: 40, max: 6 });
    expect(b!.use!.meanInUse).toBeCloseTo(2.8, 12);
    expect(b!.wait!.buckets).toBeUndefined();
  });

  it('per pool: sums for capacity, the fleet P99 from Prometheus', () => {
    expect(reading.pools).toEqual([{ family: 'pool-advisor', env: 'production', pool: 'database', mapped: true, replicas: 2, arrivalRate: 140, meanInUse: 5.3, fleetP99S: 0.0095, maxTotal: 14 }]);
  });

  it('the budget sums every replica seen against the server, and says when the server is unknown', () => {
    const topology = { serverMaxConnections: 20, superuserReserved: 3, otherConnections: 4, services: [] };
    expect(seenFleetBudget(reading.replicas, 'production', topology)).toMatchObject({ env: 'production', poolMaxTotal: 14, unknownSize: 0, serverMaxConnections: 20, serverSource: 'topology', superuserReserved: 3, otherConnections: 4, available: 13, fits: false });
    // The server's own figures win over the topology's; the topology's other connections still count.
    expect(seenFleetBudget(reading.replicas, 'production', topology, { maxConnections: 100, superuserReserved: 5 })).toMatchObject({ serverMaxConnections: 100, serverSource: 'pg_settings', superuserReserved: 5, available: 91, fits: true });
    expect(seenFleetBudget(reading.replicas, 'production', undefined, { maxConnections: 10, superuserReserved: 3 })).toMatchObject({ available: 7, fits: false });
    expect(seenFleetBudget(reading.replicas, 'production', undefined)).toBeUndefined();
  });

  it('renders n/a for what a family does not carry, never 0', () => {
    const [go] = recognise(['go_sql_open_connections', 'go_sql_in_use_connections', 'go_sql_wait_count_total'], FAMILIES);
    const gplan = planQueries([go!], spec, W);
    const gans = gplan.map((p): VectorSample[] => (p.part === 'in_use_avg' ? [{ metric: { db_name: 'ledger', instance: 'g:1' }, value: 3 }] : p.part === 'waited_count' ? [{ metric: { db_name: 'ledger', instance: 'g:1' }, value: 50 }] : []));
    const text = renderFleet(assembleFleet([go!], spec, W, gplan, gans), 'http://prom:9090', [], { color: false });
    expect(text).toContain('family go-sql');
    expect(text).toContain('cannot show: acquire count and arrival rate');
    const lines = text.split('\n');
    const row = lines.find((l) => l.includes('g:1'))!;
    // Only the columns go-sql can fill; the waited mean needs the wait-duration counter, absent here.
    expect(lines[lines.indexOf(row) - 1]).toMatch(/│ env\s+│ pool\s+│ replica │ in use \(gauge\) │ waited\/s │ waited mean │$/);
    expect(row).toMatch(/│ production │ ledger \(unmapped\) │ g:1\s+│\s+3 │\s+0\.50 │\s+n\/a │$/);
  });

  it('a pool answered only by a name another family shares is not this family\'s', () => {
    const both = recognise(['hikaricp_connections_active', 'hikaricp_connections', 'hikaricp_active_connections'], FAMILIES);
    const bplan = planQueries(both, spec, W);
    const bans = bplan.map((p): VectorSample[] =>
      p.promql.includes('(hikaricp_connections{') ? [{ metric: { pool: 'HikariPool-1', instance: 'm:1' }, value: 10 }, { metric: { pool: 'orders', instance: 't:1' }, value: 8 }] : p.promql.includes('hikaricp_connections_active{') ? [{ metric: { pool: 'HikariPool-1', instance: 'm:1' }, value: 3 }] : p.promql.includes('hikaricp_active_connections{') ? [{ metric: { pool: 'orders', instance: 't:1' }, value: 2 }] : [],
    );
    const r = assembleFleet(both, spec, W, bplan, bans);
    expect(r.replicas.map((x) => [x.family, x.seriesPool])).toEqual([['hikari-micrometer', 'HikariPool-1'], ['hikari-tracker', 'orders']]);
  });
});

describe('window', () => {
  const now = Date.parse('2026-11-29T22:00:00Z');
  it('--since ends now; --start/--end as RFC 3339 or epoch seconds', () => {
    expect(fleetWindow({ since: '1h' }, now)).toEqual({ startMs: now - 3_600_000, endMs: now });
    expect(fleetWindow({}, now)).toEqual({ startMs: now - 3_600_000, endMs: now });
    expect(fleetWindow({ start: '2026-11-29T21:00:00Z', end: '1795989600' }, now)).toEqual({ startMs: Date.parse('2026-11-29T21:00:00Z'), endMs: 1_795_989_600_000 });
    expect(parseTimeFlag('--start', '2026-11-29T21:00:00.5+01:00')).toBe(Date.parse('2026-11-29T20:00:00.5Z'));
  });
  it.each([
    [{ since: '1h', start: '1' }, /--since and --start both given/],
    [{ since: 'soon' }, /--since 'soon': not a duration/],
    [{ start: 'yesterday' }, /--start 'yesterday': not a time/],
    [{ start: '2026-11-29T21:00:00Z', end: '2026-11-29T20:00:00Z' }, /the window is empty/],
    [{ start: '2026-10-01T00:00:00Z' }, /60 days long/],
    [{ start: '2026-11-29T21:00:00Z', end: '2026-11-30T21:00:00Z' }, /in the future/],
  ])('%j is refused', (flags, re) => {
    expect(() => fleetWindow(flags, now)).toThrow(UsageError);
    expect(() => fleetWindow(flags, now)).toThrow(re);
  });
});
