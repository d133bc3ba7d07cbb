/**
 * Figures from outside bounded where they enter (issue 29): Prometheus's samples, Tasker's
 * `/health/detailed`, PgBouncer's console, saved observations and replays. Whatever they answer,
 * what observe would save is read back by the one reader of saved evidence (recommend, check,
 * compare and generate --from) and advised on; an impossible figure is left out and said.
 * A seeded fast-check run over hostile values, and one example per hole.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { defaultPrometheusSpec, FAMILIES, recognise, type PrometheusSpec } from '../../../src/core/metrics-catalogue/families.js';
import { planQueries } from '../../../src/core/fleet/plan.js';
import { assembleFleet, type VectorSample } from '../../../src/core/fleet/assemble.js';
import { fleetEvidence } from '../../../src/core/fleet/evidence.js';
import { parseTaskerHealth } from '../../../src/core/observe/crossCheck.js';
import { pgBouncerPoolEvidence, summarizePgBouncer, type PgBouncerPoolRow, type PgBouncerStatsRow } from '../../../src/core/observe/pgbouncer.js';
import { parseEvidenceFile } from '../../../src/core/evidence/read.js';
import { replayWorkloads } from '../../../src/core/evidence/replay.js';
import { EVIDENCE_SCHEMA_VERSION, type EnvironmentEvidence, type EvidenceFile } from '../../../src/core/evidence/types.js';
import type { MappedEnvironment } from '../../../src/core/observe/evidence.js';
import { adviseEvidence } from '../../../src/core/rules/index.js';
import { renderAdvice } from '../../../src/core/render/recommendations.js';
import { defaultAdvisorConfig } from '../../../src/core/advisor/defaults.js';
import { parseAdvisorConfig } from '../../../src/core/advisor/parse.js';
import { parsePortFlag, parseNumberFlag } from '../../../src/core/flags.js';
import { LIMITS } from '../../../src/core/limits.js';
import { UsageError } from '../../../src/core/errors.js';
import { BASE_SETTINGS, configSnapshot, syntheticRun, HEALTHY } from '../../helpers/syntheticRun.js';

const WINDOW = { startMs: 1_800_000_000_000, endMs: 1_800_000_600_000 };
const ENVS: MappedEnvironment[] = [{ env: 'production', pgmqShared: true, config: { database: configSnapshot('database', { ...BASE_SETTINGS, max_connections: 10 }) } }];
const ADVISOR = defaultAdvisorConfig();
const SEED = 29;

/** Numbers no pool has, and ordinary ones beside them. */
const hostileNumber = fc.oneof(
  fc.constantFrom(-5, -0, 0, 2.5, 1e300, -1e300, NaN, Infinity, -Infinity, 1e9, 1e12, 2 ** 53, -1, 0.004, 3, 10, 120),
  fc.double(),
  fc.integer({ min: -1000, max: 1000 }),
);

/** An observation file as observe saves it, its evidence `environments`. */
function observationText(environments: EnvironmentEvidence[]): string {
  const file = { kind: 'observation', schemaVersion: EVIDENCE_SCHEMA_VERSION, tool: { name: 'pool-advisor', version: 'test' }, createdAt: new Date(WINDOW.endMs).toISOString(), target: 'http://prom:9090', configDir: null, seed: null, environments, partial: false };
  return `${JSON.stringify(file)}\n`;
}

/** What recommend --from and check --from do with it: read (no UsageError), advise, render. */
function readBack(text: string): EvidenceFile {
  const ev = parseEvidenceFile(text, 'obs.json');
  const { analysis, advice } = adviseEvidence(ev, ADVISOR);
  const shown = renderAdvice(analysis, advice, { color: false });
  // No negative figure reaches the advice ("acquires -5", "-5000000.0 µs", "10 -> -1").
  expect(shown).not.toMatch(/(?<![\w.])-\d/);
  return ev;
}

describe('hostile Prometheus answers (seeded fast-check)', () => {
  const spec: PrometheusSpec = { ...defaultPrometheusSpec(), environment: 'production' };
  const matches = recognise(['hikaricp_connections', 'hikaricp_connections_active', 'hikaricp_connections_idle', 'hikaricp_connections_pending', 'hikaricp_connections_max', 'hikaricp_connections_min', 'hikaricp_connections_timeout_total', 'hikaricp_connections_acquire_seconds_count', 'hikaricp_connections_acquire_seconds_bucket', 'hikaricp_connections_usage_seconds_count', 'hikaricp_connections_creation_seconds_count'], FAMILIES);
  const plan = planQueries(matches, spec, WINDOW);
  const le = fc.constantFrom('0.001', '0.01', '0.1', '1', '+Inf', '-1', '1e12', 'NaN', 'abc');
  const sample = (bucket: boolean) =>
    fc.record({ instance: fc.constantFrom('a:1', 'b:1'), le, value: hostileNumber }).map(({ instance, le: l, value }): VectorSample => ({ metric: { pool: 'database', instance, ...(bucket ? { le: l } : {}) }, value }));
  const answers = fc.tuple(...plan.map((p) => fc.array(sample(p.part === 'wait_bucket'), { maxLength: 4 })));

  it('what observe would save is read back and advised on; every figure kept is within the bounds', () => {
    fc.assert(
      fc.property(answers, (ans) => {
        const reading = assembleFleet(matches, spec, WINDOW, plan, ans);
        for (const r of reading.replicas) {
          if (r.arrivalRate !== undefined) expect(r.arrivalRate).toBeLessThanOrEqual(LIMITS.rate.max);
          if (r.max !== undefined) expect(Number.isInteger(r.max) && r.max >= 0).toBe(true);
          for (const m of [r.wait?.meanS, r.use?.meanS, r.create?.meanS]) if (m !== undefined && m !== null) expect(m >= 0 && m <= 86_400).toBe(true);
        }
        readBack(observationText(fleetEvidence(reading, ENVS, 'http://prom:9090')));
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('a negative count, a pool of 2.5, a mean wait of -5 s: left out, each said', () => {
    const ans = plan.map((p): VectorSample[] => {
      const s = (value: number, extra: Record<string, string> = {}): VectorSample => ({ metric: { pool: 'database', instance: 'a:1', ...extra }, value });
      if (p.part === 'wait_count') return [s(100)];
      if (p.part === 'wait_sum') return [s(-500)];
      if (p.part === 'use_count') return [s(-5)];
      if (p.part === 'max') return [s(2.5)];
      if (p.part === 'in_use_avg') return [s(1e300)];
      return [];
    });
    const reading = assembleFleet(matches, spec, WINDOW, plan, ans);
    const a = reading.replicas[0]!;
    expect(a.acquires).toBe(100);
    expect(a.wait?.meanS ?? null).toBeNull();
    expect(a.max).toBeUndefined();
    expect(a.inUseMean).toBeUndefined();
    expect(reading.refused!.join('\n')).toMatch(/wait_sum .* -500 is not believed \(below the minimum 0/);
    expect(reading.refused!.join('\n')).toMatch(/max .* 2\.5 is not believed \(not an integer/);
    expect(reading.refused!.join('\n')).toMatch(/use_count .* -5 is not believed/);
    const acquiresBeyond = assembleFleet(matches, spec, WINDOW, plan, plan.map((p) => (p.part === 'wait_count' ? [{ metric: { pool: 'database', instance: 'a:1' }, value: 1e12 }] : [])));
    expect(acquiresBeyond.replicas[0]?.arrivalRate).toBeUndefined();
    expect(acquiresBeyond.refused!.join('\n')).toMatch(/acquires per second 1666666666\.6\d* is not believed \(above the maximum 1000000/);
  });
});

describe("hostile Tasker answers", () => {
  const figure = fc.oneof(hostileNumber, fc.constantFrom<unknown>('5', null, true, {}, []));
  it('every size kept is a pool size; the rest is null and said', () => {
    fc.assert(
      fc.property(figure, figure, figure, (max, active, idle) => {
        const h = parseTaskerHealth({ pool_utilization: { tasker_pool: { max_connections: max, active_connections: active, idle_connections: idle } } })!;
        const p = h.pools[0]!;
        if (p.maxConnections !== null) expect(Number.isInteger(p.maxConnections) && p.maxConnections >= 1 && p.maxConnections <= 262_143).toBe(true);
        for (const v of [p.active, p.idle]) if (v !== null) expect(Number.isInteger(v) && v >= 0 && v <= 262_143).toBe(true);
        if (p.maxConnections === null && max !== null && max !== undefined) expect(h.refused?.some((x) => x.includes('max_connections'))).toBe(true);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('max_connections -5, 0 and 2.5 are not believed', () => {
    for (const max of [-5, 0, 2.5]) {
      const h = parseTaskerHealth({ pool_utilization: { tasker_pool: { max_connections: max, active_connections: 1, idle_connections: 1 } } })!;
      expect(h.pools[0]!.maxConnections).toBeNull();
      expect(h.refused![0]).toContain(`pool_utilization.tasker_pool.max_connections ${max} is not believed`);
    }
  });
});

describe('hostile PgBouncer console rows (seeded fast-check)', () => {
  const poolRow = fc.record({ clActive: hostileNumber, clWaiting: hostileNumber, svActive: hostileNumber, svIdle: hostileNumber, svUsed: hostileNumber, maxwaitS: hostileNumber }).map((r): PgBouncerPoolRow => ({ database: 'app', user: 'app', poolMode: 'transaction', ...r }));
  const statsRow = fc.record({ xacts: hostileNumber, queries: hostileNumber, xactTimeUs: hostileNumber, waitTimeUs: hostileNumber }).map((r): PgBouncerStatsRow => ({ database: 'app', ...r }));

  it('the proxy pools observe would save are read back and advised on', () => {
    fc.assert(
      fc.property(fc.array(poolRow, { maxLength: 4 }), statsRow, statsRow, hostileNumber, hostileNumber, (rows, s0, s1, size, reserve) => {
        const reading = summarizePgBouncer({ console: 'postgresql://stats@bouncer:6432/pgbouncer', version: 'PgBouncer 1.18.0', databases: [{ name: 'app', poolSize: size, reservePool: reserve, poolMode: null }], statsStart: { atMs: 1_000, rows: [s0] }, statsEnd: { atMs: 61_000, rows: [s1] }, pools: [{ atMs: 2_000, rows }] });
        const env: EnvironmentEvidence = { env: 'production', durationMs: 60_000, warmupMs: 0, pgmqShared: true, interrupted: false, pools: [], unmapped: [], workloads: [], config: {}, overrides: [], proxyPools: pgBouncerPoolEvidence(reading) };
        readBack(observationText([env]));
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('a counter gone backwards (a restart) and a NaN column: left out, each said', () => {
    const reading = summarizePgBouncer({
      console: 'c',
      version: 'PgBouncer 1.18.0',
      statsStart: { atMs: 0, rows: [{ database: 'app', xacts: 500, queries: 500, xactTimeUs: 1e6, waitTimeUs: 1e6 }] },
      statsEnd: { atMs: 60_000, rows: [{ database: 'app', xacts: 10, queries: 10, xactTimeUs: 1e5, waitTimeUs: 1e5 }] },
      pools: [{ atMs: 1, rows: [{ database: 'app', user: 'u', clActive: NaN, clWaiting: 0, svActive: 1, svIdle: 0, svUsed: 0, maxwaitS: 0, poolMode: 'transaction' }] }],
    });
    expect(reading.databases).toEqual([]);
    expect(reading.pools).toEqual([]);
    expect(reading.refused!.join('\n')).toMatch(/SHOW STATS app: total_xact_count \(change over the window\) -490 is not believed/);
    expect(reading.refused!.join('\n')).toMatch(/SHOW POOLS app\/u: cl_active NaN is not believed/);
  });
});

describe('saved observations and replays: the bounds of the other readers', () => {
  const pool = (over: Record<string, unknown>) => ({
    pool: 'database',
    replica: null,
    source: { kind: 'prometheus', detail: 'x', startedAt: 0, durationMs: 60_000 },
    settings: { ...BASE_SETTINGS, max_connections: 10 },
    validity: { valid: true, reasons: [] },
    ...over,
  });
  const env = (p: unknown) => ({ env: 'production', durationMs: 60_000, warmupMs: 0, pgmqShared: true, interrupted: false, pools: [p], unmapped: [], workloads: [], config: {}, overrides: [] });
  const text = (p: unknown) => observationText([env(p) as unknown as EnvironmentEvidence]);

  it.each([
    ['in use 1e300', { occupancy: { exact: false, inUse: { levels: [[1e300, 1000]], max: 1, last: 0 } } }, 'occupancy.inUse.levels.0: level 1e+300 is out of range'],
    ['a rate of 1e9/s', { arrival: { rate: 1e9, count: 6e10 } }, 'arrival.rate: 1000000000 is out of range'],
    ['a hold of 1e12 µs', { hold: { form: 'mean', count: 10, meanUs: 1e12 } }, 'hold.meanUs: 1000000000000 is out of range'],
    ['a pool of 2.5', { settings: { ...BASE_SETTINGS, max_connections: 2.5 } }, 'settings.max_connections: 2.5 is out of range (not an integer'],
    ['a wait bucket of 1e12 µs', { wait: { all: { form: 'buckets', upperUs: [1e12, null], counts: [1, 0] }, count: 1 } }, 'wait.all.upperUs: expected ascending bounds in µs from 0 to 86400000000'],
  ])('an observation with %s is refused in one line naming the field', (_name, over, msg) => {
    expect(() => parseEvidenceFile(text(pool(over)), 'obs.json')).toThrow(UsageError);
    expect(() => parseEvidenceFile(text(pool(over)), 'obs.json')).toThrow(msg);
  });

  it('a run whose counters make 1e9 acquires/s is not replayed; an observation within the bounds is', () => {
    const run = syntheticRun([HEALTHY], { env: 'production' });
    const p = run.environments[0]!.pools[0]!;
    p.counters.acquires = 1e9 * (p.durationMs / 1000);
    const r = replayWorkloads(parseEvidenceFile(JSON.stringify(run), 'run.json'), { durationS: 10, warmupS: 1 });
    expect(r.workloads).toEqual([]);
    expect(r.refused.join('\n')).toMatch(/production\.database: its acquire rate 1,?000,?000,?000(\.000)?\/s cannot be replayed \(above the maximum 1000000/);
    const ok = replayWorkloads(parseEvidenceFile(text(pool({ arrival: { rate: 50, count: 3000 }, hold: { form: 'mean', count: 3000, meanUs: 2000 } })), 'obs.json'), { durationS: 10, warmupS: 1 });
    expect(ok.workloads).toHaveLength(1);
  });

  it('a hold replayed from a run of 1e12 µs (as the mean busy over the rate) is not replayed', () => {
    const obs = text(pool({ arrival: { rate: 0.001, count: 1 }, occupancy: { exact: false, inUse: { levels: [[0, 0], [500_000, 1]], max: 500_000, last: 0 } } }));
    const r = replayWorkloads(parseEvidenceFile(obs, 'obs.json'), { durationS: 10, warmupS: 1 });
    expect(r.workloads).toEqual([]);
    expect(r.refused.join('\n')).toMatch(/its hold \(.*\) cannot be replayed \(a workload's hold is at most 24 h\)/);
  });

  it("a file's target holding a password is read without it", () => {
    const run = { ...syntheticRun([HEALTHY], { env: 'production' }), target: 'postgresql://app:Run-F1le-Secret@db:5432/app' };
    expect(parseEvidenceFile(JSON.stringify(run), 'run.json').target).toBe('postgresql://app@db:5432/app');
  });
});

describe('Low: names and numbers of flags and config', () => {
  it('--metrics-port 0x50 (and 8e1, +80) is refused, not read as 80; number flags take decimals only', () => {
    for (const v of ['0x50', '8e1', '+80', '80.0', ' ']) expect(() => parsePortFlag('--metrics-port', v)).toThrow("expected a port number 0-65535");
    expect(parsePortFlag('--metrics-port', '80')).toBe(80);
    for (const v of ['0x10', '0b11', '0o7']) expect(() => parseNumberFlag('--rate', v, LIMITS.rate)).toThrow('not a finite number');
    expect(parseNumberFlag('--rate', '1.5e2', LIMITS.rate)).toBe(150);
  });

  it("a [[prometheus.families]] named '__proto__' (or twice the same name) is refused with its line", () => {
    const fam = (name: string) => `[[prometheus.families]]\nname = "${name}"\npool_label = "pool"\nin_use = "my_pool_busy"\n`;
    expect(() => parseAdvisorConfig(fam('__proto__'), 'pool-advisor.toml')).toThrow("'__proto__' is not a family name");
    expect(() => parseAdvisorConfig(fam('billing') + fam('billing'), 'pool-advisor.toml')).toThrow("'billing' names two families");
    expect(parseAdvisorConfig(fam('billing'), 'pool-advisor.toml').prometheus!.families.map((f) => f.id)).toEqual(['billing']);
  });
});
