/**
 * A fleet reading as evidence (src/core/fleet/evidence.ts), and two sources of one window merged
 * (src/core/evidence/merge.ts): parts by what each family carries, sizes from the pool's own gauge,
 * unmapped pools with their figures, gaps filled, disagreements said.
 */
import { describe, expect, it } from 'vitest';
import { defaultAdvisorConfig } from '../../../src/core/advisor/defaults.js';
import { fleetEvidence } from '../../../src/core/fleet/evidence.js';
import type { FleetReading, ReplicaFigures } from '../../../src/core/fleet/assemble.js';
import { mergeSources } from '../../../src/core/evidence/merge.js';
import type { EnvironmentEvidence, EvidenceFile, PoolEvidence } from '../../../src/core/evidence/types.js';
import { UNMAPPED_ENV, type MappedEnvironment } from '../../../src/core/observe/evidence.js';
import { adviseEvidence } from '../../../src/core/rules/index.js';
import { BASE_SETTINGS, configSnapshot } from '../../helpers/syntheticRun.js';

const WINDOW = { startMs: 1_767_000_000_000, endMs: 1_767_000_600_000 };
const ENVS: MappedEnvironment[] = [{ env: 'production', pgmqShared: true, config: { database: configSnapshot('database', { ...BASE_SETTINGS, max_connections: 10 }) } }];

function replica(over: Partial<ReplicaFigures>): ReplicaFigures {
  return { family: 'pool-advisor', env: 'production', pool: 'database', mapped: true, seriesPool: 'database', replica: '10.0.0.7:9400', windowS: 600, notCarried: [], ...over };
}

function reading(replicas: ReplicaFigures[]): FleetReading {
  return { window: WINDOW, families: [], replicas, pools: [], queries: 9 };
}

describe('a fleet reading as evidence', () => {
  it('carries the rate, the waits as buckets, the mean hold, timeouts and churn; the config\'s size of record, the gauge\'s as the live size', () => {
    const r = replica({
      acquires: 60_000,
      arrivalRate: 100,
      wait: { count: 60_000, meanS: 0.002, buckets: { upperS: [0.001, 0.01, Infinity], counts: [50_000, 9_000, 1_000] } },
      use: { count: 60_000, meanS: 0.03, meanInUse: 3 },
      timeouts: 4,
      created: 12,
      closed: { lifetime: 10, idle: 2 },
      max: 8,
    });
    const [env] = fleetEvidence(reading([r]), ENVS, 'http://prom:9090');
    const p = env!.pools[0]!;
    expect(env!.env).toBe('production');
    expect(p.replica).toBe('10.0.0.7:9400');
    expect(p.source.kind).toBe('prometheus');
    expect(p.settings.max_connections).toBe(10);
    expect(p.liveSize).toEqual({ maxConnections: 8, from: "the pool's own max gauge (pool-advisor)" });
    expect(p.disagreements![0]).toContain('the config says 10');
    expect(p.arrival).toEqual({ rate: 100, count: 60_000 });
    expect(p.wait!.all).toEqual({ form: 'buckets', upperUs: [1000, 10000, null], counts: [50_000, 9_000, 1_000], sumUs: 0.002 * 1e6 * 60_000 });
    expect(p.hold).toEqual({ form: 'mean', count: 60_000, meanUs: 30_000 });
    expect(p.failures).toEqual({ timeouts: 4, errors: 0 });
    expect(p.churn!.closed).toEqual({ lifetime: 10, idle: 2, error: 0, shutdown: 0, unattributed: 0 });
    expect(p.occupancy).toBeUndefined();
    expect(p.gauges).toEqual({ inUseMean: 3, from: "the use-time sum over the window (Little's law)" });
  });

  it("Go's database/sql (no acquire count) and Tasker's gauges: only what they carry", () => {
    const go = replica({ family: 'go-sql', waited: { count: 10, meanS: 0.05, perSecond: 0.1 }, max: 7, closed: { lifetime: 3 } });
    const [env] = fleetEvidence(reading([go]), ENVS, 'http://prom:9090');
    const p = env!.pools[0]!;
    expect(p.arrival).toBeUndefined();
    expect(p.wait).toBeUndefined();
    expect(p.hold).toBeUndefined();
    expect(p.churn!.closed.lifetime).toBe(3);
  });

  it('a pool of no Tasker environment, or no Tasker pool, is unmapped with its figures', () => {
    const envs = fleetEvidence(reading([replica({ env: 'billing', use: { count: 1, meanS: 0.01, meanInUse: 2.5 }, max: 9 }), replica({ mapped: false, pool: 'orders', seriesPool: 'orders' })]), ENVS, 'http://prom:9090');
    expect(envs.map((e) => e.env)).toEqual([UNMAPPED_ENV]);
    expect(envs[0]!.unmapped.map((u) => u.reason)).toEqual([
      "environment 'billing' is not in the Tasker config; map it in the [prometheus] table of the advisor config (docs/fleet.md) to have its keys advised",
      "pool 'orders' is no Tasker pool; map it in the [prometheus] table of the advisor config (docs/fleet.md) to have its keys advised",
    ]);
    expect(envs[0]!.unmapped[0]!.figures).toEqual({ meanBusy: 2.5, openMax: 0, reserved: 0, maxConnections: 9 });
  });

  it('an unmapped pool gets its size in generic terms, with the libraries\' option names', () => {
    const envs = fleetEvidence(reading([replica({ env: 'billing', use: { count: 1, meanS: 0.01, meanInUse: 2.5 }, max: 30, inUseMax: 6 })]), ENVS, 'http://prom:9090');
    const file: EvidenceFile = { kind: 'observation', schemaVersion: 1, tool: { name: 'pool-advisor', version: 't' }, createdAt: '2026-11-30T00:00:00Z', target: 'http://prom:9090', configDir: null, seed: null, environments: envs, partial: false };
    const f = adviseEvidence(file, defaultAdvisorConfig()).advice.environments[0]!.findings[0]!;
    expect(f.kind).toBe('unmapped-pool');
    // Erlang C at 2.5 is at or under 1% from 8 connections; 6 were the most in use at a scrape.
    expect(f.message).toContain('a pool size of 8 (now 30) keeps P(wait) under 1% and is not below the 6 seen at once');
    expect(f.message).toContain("HikariCP's maximumPoolSize");
  });

  it("figures its source says cannot stand for a pool (a proxy's connections) are shown without a size, with the reason", () => {
    const envs = fleetEvidence(reading([replica({ env: 'billing', use: { count: 1, meanS: 0.01, meanInUse: 2.5 }, max: 30, inUseMax: 6 })]), ENVS, 'http://prom:9090');
    const proxy = 'the server sees a proxy, not the service\'s pools';
    envs[0]!.unmapped[0]!.validity = { valid: false, reasons: [proxy] };
    const file: EvidenceFile = { kind: 'observation', schemaVersion: 1, tool: { name: 'pool-advisor', version: 't' }, createdAt: '2026-11-30T00:00:00Z', target: 'http://prom:9090', configDir: null, seed: null, environments: envs, partial: false };
    const f = adviseEvidence(file, defaultAdvisorConfig()).advice.environments[0]!.findings[0]!;
    expect(f.kind).toBe('unmapped-pool');
    expect(f.message).not.toContain('a pool size of');
    expect(f.message).toContain(`No size from these figures: ${proxy}.`);
  });
});

describe('two sources of one window, merged', () => {
  const client = (over: Partial<PoolEvidence> = {}): EnvironmentEvidence => ({
    env: 'production', durationMs: 600_000, warmupMs: 0, pgmqShared: true, interrupted: false, unmapped: [], workloads: [], config: ENVS[0]!.config, overrides: [],
    pools: [{ pool: 'database', replica: '10.0.0.7:9400', source: { kind: 'prometheus', detail: 'pool-advisor metrics', startedAt: 0, durationMs: 600_000 }, settings: { ...BASE_SETTINGS, max_connections: 8 }, validity: { valid: true, reasons: [] }, arrival: { rate: 100, count: 60_000 }, hold: { form: 'mean', count: 60_000, meanUs: 30_000 }, ...over }],
  });
  const server = (busyLevels: Array<[number, number]>, openMax: number, replica = '10.0.0.7'): EnvironmentEvidence => ({
    ...client(),
    pools: [{ pool: 'database', replica, source: { kind: 'server-sampling', detail: 'pg_stat_activity every 200 ms', startedAt: 0, durationMs: 600_000 }, settings: { ...BASE_SETTINGS, max_connections: 8 }, validity: { valid: true, reasons: [] }, occupancy: { exact: false, samples: 3000, inUse: { levels: busyLevels, max: Math.max(...busyLevels.map(([l]) => l)), last: 1 }, inUseIsLowerBound: true, open: { levels: [[openMax, 600e6]], max: openMax, last: openMax } }, churn: { opened: 3, closed: { lifetime: 2, idle: 1, error: 0, shutdown: 0, unattributed: 0 } } }],
  });

  it('the replica is matched by address: the server fills occupancy and churn, and agreeing figures raise nothing', () => {
    // The pool's own count: 100/s x 30 ms = 3 in use; the server saw 2.5 busy (a lower bound).
    const [env] = mergeSources([client()], [server([[2, 300e6], [3, 300e6]], 6)]);
    expect(env!.pools).toHaveLength(1);
    const p = env!.pools[0]!;
    expect(p.source.kind).toBe('prometheus');
    expect(p.source.detail).toBe('pool-advisor metrics, with pg_stat_activity every 200 ms');
    expect(p.occupancy!.open!.max).toBe(6);
    expect(p.churn!.closed.lifetime).toBe(2);
    expect(p.disagreements).toEqual([]);
  });

  it('more busy on the server than the pool had in use, or more open than it may open: each is said', () => {
    const [env] = mergeSources([client()], [server([[5, 600e6]], 11)]);
    const d = env!.pools[0]!.disagreements!;
    expect(d).toHaveLength(2);
    expect(d[0]).toMatch(/^the server saw 5 connections busy on average, more than the 3 the pool's own metrics had in use/);
    expect(d[1]).toMatch(/^the server saw 11 connections open at once, more than the 8 the pool may open/);
    const file: EvidenceFile = { kind: 'observation', schemaVersion: 1, tool: { name: 'pool-advisor', version: 't' }, createdAt: '2026-11-30T00:00:00Z', target: 'x', configDir: null, seed: null, environments: [env!], partial: false };
    const findings = adviseEvidence(file, defaultAdvisorConfig()).advice.environments[0]!.findings.filter((f) => f.kind === 'sources-disagree');
    expect(findings.map((f) => f.severity)).toEqual(['warning', 'warning']);
  });

  it('a server replica with no counterpart stays its own pool', () => {
    const [env] = mergeSources([client()], [{ ...server([[1, 600e6]], 2, '10.0.0.9'), pools: [...server([[1, 600e6]], 2, '10.0.0.9').pools, ...server([[1, 600e6]], 2, '10.0.0.10').pools] }]);
    expect(env!.pools.map((p) => [p.source.kind, p.replica])).toEqual([
      ['prometheus', '10.0.0.7:9400'],
      ['server-sampling', '10.0.0.9'],
      ['server-sampling', '10.0.0.10'],
    ]);
  });
});

describe('one size of record per pool (issue 31, item 5)', () => {
  // The config: max 50, min 10. The pool's own max gauge: 6, its in-use gauge 1.5 on average (3 at
  // most at a scrape), 4.5 idle; no acquire counter (Go's database/sql, say). The server saw 1.5 busy, 6 open.
  const cfg: MappedEnvironment[] = [{ env: 'production', pgmqShared: false, config: { database: configSnapshot('database', { ...BASE_SETTINGS, max_connections: 50, min_connections: 10 }) } }];
  const prom = () => fleetEvidence(reading([replica({ family: 'go-sql', max: 6, inUseMean: 1.5, inUseMax: 3, idleMean: 4.5, openMean: 6, waited: { count: 0, meanS: null, perSecond: 0 } })]), cfg, 'http://prom:9090');
  const serverSide = (): EnvironmentEvidence => ({
    env: 'production', durationMs: 600_000, warmupMs: 0, pgmqShared: false, interrupted: false, unmapped: [], workloads: [], config: cfg[0]!.config, overrides: [],
    pools: [{ pool: 'database', replica: '10.0.0.7', source: { kind: 'server-sampling', detail: 'pg_stat_activity every 200 ms', startedAt: 0, durationMs: 600_000 }, settings: cfg[0]!.config.database!.settings, validity: { valid: true, reasons: [] }, occupancy: { exact: false, samples: 3000, inUse: { levels: [[1, 300e6], [2, 300e6]], max: 2, last: 1 }, inUseIsLowerBound: true, open: { levels: [[6, 600e6]], max: 6, last: 6 }, idle: { levels: [[4, 300e6], [5, 300e6]], max: 5, last: 5 } }, churn: { opened: 0, closed: { lifetime: 0, idle: 0, error: 0, shutdown: 0, unattributed: 0 } } }],
  });
  const advise = (envs: EnvironmentEvidence[]) => {
    const file: EvidenceFile = { kind: 'observation', schemaVersion: 1, tool: { name: 'pool-advisor', version: 't' }, createdAt: '2026-12-01T00:00:00Z', target: 'x', configDir: null, seed: null, environments: envs, partial: false };
    return adviseEvidence(file, defaultAdvisorConfig());
  };

  it('the config is the from, the live size a warning naming both and saying the model used it; min is never clamped to the live size', () => {
    for (const envs of [prom(), mergeSources(prom(), [serverSide()])]) {
      const out = advise(envs);
      const env = out.advice.environments[0]!;
      const p = out.analysis.environments[0]!.pools[0]!;
      expect(p.settings.max_connections).toBe(6);
      expect(p.sizeOfRecord).toEqual({ config: 50, live: 6, liveFrom: "the pool's own max gauge (go-sql)" });
      const warn = env.findings.filter((f) => f.kind === 'sources-disagree').map((f) => f.message);
      expect(warn.some((m) => m.includes('the config says 50') && m.includes('says the pool ran with 6') && m.includes('the model used 6'))).toBe(true);
      for (const r of env.recommendations) {
        if (r.setting === 'max_connections') expect(r.from).toBe(50);
        expect(r.rationale).not.toContain('may not be above max_connections 6');
      }
      // In use from the pool's own figures, not 0 / 0 / 0.
      expect(p.inUse.mean).toBeGreaterThan(1);
    }
  });

  it('the idle the server saw (open less busy) is the idle surplus evidence, not 0', () => {
    const out = advise(mergeSources(prom(), [serverSide()]));
    const p = out.analysis.environments[0]!.pools[0]!;
    expect(p.idle.mean).toBeCloseTo(4.5, 9);
    const idleEv = out.advice.environments[0]!.recommendations.flatMap((r) => r.evidence).find((e) => e.name === 'idleMean');
    if (idleEv) expect(idleEv.value).toBeCloseTo(4.5, 9);
  });
});
