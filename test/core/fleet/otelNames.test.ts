/**
 * OpenTelemetry's pool metrics as Prometheus holds them (issue 31, item 3): a closed list of names -
 * {current, legacy} x {no suffix, _seconds, _milliseconds} x both label spellings - the unit of a
 * name without a suffix checked against the bucket bounds, a [prometheus] override, and the names
 * looked for and near misses when a part is missing.
 */
import { describe, expect, it } from 'vitest';
import { FAMILIES, defaultPrometheusSpec, recognise } from '../../../src/core/metrics-catalogue/families.js';
import { planQueries } from '../../../src/core/fleet/plan.js';
import { assembleFleet, unitNote, type VectorSample } from '../../../src/core/fleet/assemble.js';

const W = { startMs: 1_800_000_000_000, endMs: 1_800_000_120_000 };
const GENS = [
  { gen: 'current', id: 'otel', stem: 'db_client_connection', gauge: 'db_client_connection_count', convention: 'seconds', labels: ['db_client_connection_pool_name', 'db_client_connection_state'] },
  { gen: 'legacy', id: 'otel-legacy', stem: 'db_client_connections', gauge: 'db_client_connections_usage', convention: 'milliseconds', labels: ['pool_name', 'state'] },
] as const;
const SPELLINGS = [['db_client_connection_pool_name', 'db_client_connection_state'], ['pool_name', 'state']] as const;
const SUFFIXES = [['', null], ['_seconds', 'seconds'], ['_milliseconds', 'milliseconds']] as const;

/** What Prometheus would answer each planned query for one pool `orders` on one instance, 120 acquires, 2.4 units of use time. */
function answer(promql: string, poolLabel: string, stateLabel: string): VectorSample[] {
  // Only the selectors written in this spelling match the series.
  if (!promql.includes(`${poolLabel}!=""`)) return [];
  const metric = { [poolLabel]: 'orders', instance: '10.0.0.7:9464' };
  // The metric the query reads (the first one in it; an alternative spelling's filter names the count gauge after it).
  const name = /\(([a-zA-Z_:][a-zA-Z0-9_:]*)\{/.exec(promql)?.[1] ?? '';
  if (name.endsWith('_count') && name.includes('use_time')) return [{ metric, value: 120 }];
  if (name.endsWith('_sum') && name.includes('use_time')) return [{ metric, value: 2.4 }];
  if (name.endsWith('_count') && name.includes('wait_time')) return [{ metric, value: 120 }];
  if (name.endsWith('_sum') && name.includes('wait_time')) return [{ metric, value: 0.12 }];
  if (promql.includes(`${stateLabel}="used"`)) return [{ metric, value: 0.5 }];
  if (promql.includes('count by (le)')) return [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10].map((le) => ({ metric: { le: String(le) }, value: 1 }));
  return [];
}

describe('OpenTelemetry names: the closed list', () => {
  for (const g of GENS) {
    for (const [suffix, unit] of SUFFIXES) {
      for (const [poolLabel, stateLabel] of SPELLINGS) {
        it(`${g.gen} names, ${suffix || 'no suffix'}, labels ${poolLabel}/${stateLabel}: recognised, each part read in its unit`, () => {
          const names = [g.gauge, ...['wait_time', 'use_time'].flatMap((t) => ['_count', '_sum', '_bucket'].map((x) => `${g.stem}_${t}${suffix}${x}`))];
          const matches = recognise(names, FAMILIES);
          expect(matches.map((m) => m.def.id)).toEqual([g.id]);
          const m = matches[0]!;
          const u = unit ?? g.convention;
          expect(m.wait).toMatchObject({ base: `${g.stem}_wait_time${suffix}`, unit: u, buckets: true });
          expect(m.use).toMatchObject({ base: `${g.stem}_use_time${suffix}`, unit: u });
          expect(m.wait!.unitFrom).toBe(unit === null ? 'convention' : undefined);
          const plan = planQueries(matches, defaultPrometheusSpec(), W);
          const reading = assembleFleet(matches, defaultPrometheusSpec(), W, plan, plan.map((q) => answer(q.promql, poolLabel, stateLabel)));
          expect(reading.replicas).toHaveLength(1);
          const r = reading.replicas[0]!;
          expect(r.seriesPool).toBe('orders');
          expect(r.arrivalRate).toBeCloseTo(1, 9);
          const perUnit = u === 'seconds' ? 1 : 1e-3;
          expect(r.use!.meanS).toBeCloseTo((2.4 / 120) * perUnit, 12);
          expect(r.inUseMean).toBe(0.5);
          if (unit === null) expect(reading.families[0]!.units!.join('\n')).toContain(`read in ${u}, from the semantic conventions`);
        });
      }
    }
  }

  it("an alternative spelling is read only where the family's count gauge is in it (pool-advisor's series share the time names)", () => {
    const plan = planQueries(recognise(['db_client_connection_count', 'db_client_connection_wait_time_seconds_count', 'db_client_connection_wait_time_seconds_bucket'], FAMILIES), defaultPrometheusSpec(), W);
    const p99 = plan.find((q) => q.part === 'wait_fleet_p99')!.promql;
    expect(p99).toContain('increase(db_client_connection_wait_time_seconds_bucket{db_client_connection_pool_name!=""}[120000ms])');
    expect(p99).toContain('(increase(db_client_connection_wait_time_seconds_bucket{pool_name!=""}[120000ms]) and on (pool_name, pod, instance) count_over_time(db_client_connection_count{pool_name!=""}[120000ms]))');
  });

  it("pool-advisor's own series (pool_name, the same time names) are not read as OpenTelemetry's", () => {
    const names = ['db_client_connections', 'pool_advisor_connections_created_total', 'db_client_connection_wait_time_seconds_count', 'db_client_connection_wait_time_seconds_sum'];
    expect(recognise(names, FAMILIES).map((m) => m.def.id)).toEqual(['pool-advisor']);
    const both = recognise([...names, 'db_client_connection_count'], FAMILIES);
    const plan = planQueries(both, defaultPrometheusSpec(), W);
    // Only pool-advisor's series answer (pool_name, no db_client_connection_count): no OpenTelemetry pool appears.
    const answers = plan.map((q) => (q.family === 'pool-advisor' || !q.promql.includes('db_client_connection_count') ? answer(q.promql, 'pool_name', 'state') : []));
    const reading = assembleFleet(both, defaultPrometheusSpec(), W, plan, answers);
    expect(reading.replicas.map((r) => r.family)).toEqual(['pool-advisor']);
  });
});

describe('the unit of a name without a suffix, against the bucket bounds', () => {
  const t = { base: 'db_client_connection_wait_time', unit: 'seconds' as const, buckets: true, unitFrom: 'convention' as const };
  it('agrees with the convention\'s advice (0.001 to 10 s)', () => {
    expect(unitNote('wait', t, [0.001, 0.01, 0.1, 1, 10])).toMatch(/read in seconds, from the semantic conventions.*bounds \(up to 10\) agree/);
  });
  it("says when the bounds read as the other unit (the SDK's default 0..10000 under a seconds instrument), with the override", () => {
    expect(unitNote('wait', t, [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000])).toMatch(/bounds go up to 10000, which reads as milliseconds.*\[prometheus\] units = \{ db_client_connection_wait_time = "milliseconds" \}/);
  });
  it('takes the [prometheus] table\'s unit over the convention', () => {
    const [m] = recognise(['db_client_connection_count', 'db_client_connection_wait_time_count', 'db_client_connection_wait_time_bucket'], FAMILIES, { db_client_connection_wait_time: 'milliseconds' });
    expect(m!.wait).toEqual({ base: 'db_client_connection_wait_time', unit: 'milliseconds', buckets: true, unitFrom: 'config' });
  });
});

describe('a part missing from a recognised family', () => {
  it('lists every name looked for and the near misses', () => {
    const [m] = recognise(['db_client_connection_count', 'db_client_connection_wait_seconds_count', 'db_client_connection_use_time_seconds_total'], FAMILIES);
    expect(m!.absent[0]).toBe('acquire wait: looked for db_client_connection_wait_time_count, db_client_connection_wait_time_seconds_count, db_client_connection_wait_time_milliseconds_count; near: db_client_connection_wait_seconds_count');
    expect(m!.absent[1]).toContain('use time: looked for db_client_connection_use_time_count,');
    expect(m!.absent[1]).toContain('near: db_client_connection_use_time_seconds_total');
  });
  it("says OpenTelemetry's pg instrumentation alone records no wait or use histograms", () => {
    const [m] = recognise(['db_client_connection_count', 'db_client_connection_pending_requests', 'db_client_operation_duration_seconds_count'], FAMILIES);
    expect(m!.absent.join('\n')).toContain('@opentelemetry/instrumentation-pg');
  });
});

describe('one fleet, two exposures of the same names', () => {
  it('a service without the suffix and one with _seconds are both read (each name its own queries)', () => {
    const names = ['db_client_connection_count', ...['', '_seconds'].flatMap((x) => ['_count', '_sum'].map((y) => `db_client_connection_wait_time${x}${y}`))];
    const matches = recognise(names, FAMILIES);
    expect(matches[0]!.wait!.base).toBe('db_client_connection_wait_time');
    expect(matches[0]!.also!.wait.map((t) => t.base)).toEqual(['db_client_connection_wait_time_seconds']);
    const plan = planQueries(matches, defaultPrometheusSpec(), W);
    const a = { db_client_connection_pool_name: 'a', instance: 'x:1' };
    const b = { db_client_connection_pool_name: 'b', instance: 'y:1' };
    const answers = plan.map((q): VectorSample[] => {
      const name = /\(([a-zA-Z_:][a-zA-Z0-9_:]*)\{/.exec(q.promql)?.[1] ?? '';
      if (name === 'db_client_connection_count') return [{ metric: a, value: 1 }, { metric: b, value: 1 }];
      if (name === 'db_client_connection_wait_time_count') return [{ metric: a, value: 240 }];
      if (name === 'db_client_connection_wait_time_seconds_count') return [{ metric: b, value: 360 }];
      return [];
    });
    const r = assembleFleet(matches, defaultPrometheusSpec(), W, plan, answers);
    expect(r.replicas.map((x) => [x.seriesPool, x.arrivalRate])).toEqual([
      ['a', 2],
      ['b', 3],
    ]);
  });
});
