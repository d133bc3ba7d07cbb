/** Workloads replayed from evidence (src/core/load/replay.ts): what each part comes from, what is assumed, what cannot be replayed. */
import { describe, expect, it } from 'vitest';
import { defaultAdvisorConfig } from '../../../src/core/advisor/defaults.js';
import { replayWorkloads, withReplayedWorkloads } from '../../../src/core/evidence/replay.js';
import { environmentSpec } from '../../../src/core/advisor/parse.js';
import type { EnvironmentEvidence, EvidenceFile, PoolEvidence } from '../../../src/core/evidence/types.js';
import { BASE_SETTINGS } from '../../helpers/syntheticRun.js';

const SRC = { kind: 'prometheus' as const, detail: 'pool-advisor metrics', startedAt: 0, durationMs: 600_000 };

function pool(over: Partial<PoolEvidence>): PoolEvidence {
  return { pool: 'database', replica: '10.0.0.7:9400', source: SRC, settings: BASE_SETTINGS, validity: { valid: true, reasons: [] }, ...over };
}

function file(pools: PoolEvidence[]): EvidenceFile {
  const env: EnvironmentEvidence = { env: 'production', durationMs: 600_000, warmupMs: 0, pgmqShared: true, interrupted: false, pools, unmapped: [], workloads: [], config: {}, overrides: [] };
  return { kind: 'observation', schemaVersion: 1, tool: { name: 'pool-advisor', version: 't' }, createdAt: '2026-11-30T00:00:00Z', target: 'x', configDir: null, seed: null, environments: [env], partial: false };
}

const T = { durationS: 20, warmupS: 2 };

describe('replaying evidence', () => {
  it('the rate as Poisson arrivals and a mean hold as exponential, saying it assumed the shape', () => {
    const r = replayWorkloads(file([pool({ arrival: { rate: 100, count: 60_000 }, hold: { form: 'mean', count: 60_000, meanUs: 40_000 } })]), T);
    expect(r.refused).toEqual([]);
    expect(r.workloads).toHaveLength(1);
    const w = r.workloads[0]!;
    expect(w.workload).toEqual({ pool: 'database', arrival: { mode: 'open', process: 'poisson', rate: 100 }, hold: { kind: 'sleep', dist: 'exponential', meanMs: 40 }, warmupS: 2, rampS: 0, durationS: 20 });
    expect(w.observed).toEqual(['the acquire rate (100/s, as Poisson arrivals)', 'the mean hold (40 ms)']);
    expect(w.assumed).toEqual(['hold times exponential around that mean (the source has no distribution of them)']);
  });

  it('a hold histogram becomes a lognormal through its P50 and P99', () => {
    const hold = { form: 'buckets' as const, upperUs: [10_000, 50_000, 100_000, null], counts: [100, 800, 90, 10] };
    const w = replayWorkloads(file([pool({ arrival: { rate: 50, count: 1000 }, hold })]), T).workloads[0]!;
    expect(w.workload.hold.kind === 'sleep' && w.workload.hold.dist).toBe('lognormal');
    expect(w.assumed).toEqual([]);
  });

  it('no hold but busy time: the mean hold is busy over the rate (a lower bound, said)', () => {
    const w = replayWorkloads(file([pool({ arrival: { rate: 100, count: 60_000 }, occupancy: { exact: false, inUse: { levels: [[2, 1e6], [4, 1e6]], max: 4, last: 4 }, open: { levels: [[5, 2e6]], max: 5, last: 5 } } })]), T).workloads[0]!;
    expect(w.workload.hold).toEqual({ kind: 'sleep', dist: 'exponential', meanMs: 30 });
    expect(w.assumed[0]).toContain('busy on the server is a lower bound of the hold');
  });

  it('the busiest replica stands for each; the server-only view (no rate) cannot be replayed and says why', () => {
    const r = replayWorkloads(
      file([
        pool({ replica: 'a', arrival: { rate: 20, count: 1 }, hold: { form: 'mean', count: 1, meanUs: 10_000 } }),
        pool({ replica: 'b', arrival: { rate: 90, count: 1 }, hold: { form: 'mean', count: 1, meanUs: 10_000 } }),
        pool({ pool: 'pgmq', replica: '10.0.0.7', source: { ...SRC, kind: 'server-sampling', detail: 'pg_stat_activity every 200 ms' }, occupancy: { exact: false, inUse: { levels: [[1, 1e6]], max: 1, last: 1 }, open: { levels: [[2, 1e6]], max: 2, last: 2 } } }),
      ]),
      T,
    );
    expect(r.workloads.map((w) => [w.pool, w.replica, w.workload.arrival])).toEqual([['database', 'b', { mode: 'open', process: 'poisson', rate: 90 }]]);
    expect(r.workloads[0]!.assumed).toContain('the busiest of 2 replicas (b) stands for each (--replica picks another)');
    expect(r.refused).toEqual(['production.pgmq: pg_stat_activity every 200 ms has no acquire rate to replay (the server sees connections, not acquires); observe the service\'s pool metrics too (--prometheus)']);
  });

  it('--replica picks one replica of each pool; a label no pool has is refused, naming the ones there are', () => {
    const pools = [
      pool({ replica: 'a', arrival: { rate: 20, count: 1 }, hold: { form: 'mean', count: 1, meanUs: 10_000 } }),
      pool({ replica: 'b', arrival: { rate: 90, count: 1 }, hold: { form: 'mean', count: 1, meanUs: 10_000 } }),
    ];
    const a = replayWorkloads(file(pools), T, 'a');
    expect(a.workloads.map((w) => [w.replica, w.workload.arrival])).toEqual([['a', { mode: 'open', process: 'poisson', rate: 20 }]]);
    expect(a.workloads[0]!.assumed).toEqual(['hold times exponential around that mean (the source has no distribution of them)']);
    expect(replayWorkloads(file(pools), T, 'c')).toEqual({ workloads: [], refused: ["production.database: no replica 'c' (it has a, b)"] });
  });

  it('the replayed workloads replace the environment\'s own in the advisor config, and nothing else', () => {
    const advisor = defaultAdvisorConfig();
    const r = replayWorkloads(file([pool({ arrival: { rate: 100, count: 1 }, hold: { form: 'mean', count: 1, meanUs: 40_000 } })]), T);
    const next = withReplayedWorkloads(advisor, r.workloads);
    expect(environmentSpec(next, 'production').workloads).toEqual({ database: r.workloads[0]!.workload });
    expect(next.rules).toEqual(advisor.rules);
    expect(environmentSpec(advisor, 'production').workloads).not.toEqual(environmentSpec(next, 'production').workloads);
  });
});
