import { describe, expect, it } from 'vitest';
import { buildModel, type ConfigSources } from '../../../src/core/config/model.js';
import { parseAdvisorConfig } from '../../../src/core/advisor/parse.js';
import { planMeasurement, plannedConnections, plannedWorkloads, poolConfigSnapshot, poolThrough, refuseMinAboveMax, settingsWithOverrides, type MeasurePlan, type MeasureRequest } from '../../../src/core/load/plan.js';
import { UsageError } from '../../../src/core/errors.js';

const base = (pgmqUrl: string): string =>
  `[common.database]\nurl = "postgresql://localhost/x"\n\n[common.database.pool]\nmax_connections = 20\nmin_connections = 2\n\n[common.pgmq_database]\nurl = "${pgmqUrl}"\n\n[common.pgmq_database.pool]\nmax_connections = 6\nmin_connections = 1\n`;

/** Two environments: `shared` (PGMQ through the database pool) and `split` (PGMQ's own database and pool). */
const SOURCES: ConfigSources = {
  dir: 'cfg',
  base: [
    { rel: 'base/common.toml', display: 'cfg/base/common.toml', text: base('') },
    { rel: 'base/orchestration.toml', display: 'cfg/base/orchestration.toml', text: '[orchestration.web.database_pools]\nweb_api_pool_size = 20\nweb_api_max_connections = 30\n' },
  ],
  environments: {
    shared: [{ rel: 'environments/shared/common.toml', display: 'cfg/environments/shared/common.toml', text: '[common.database.pool]\nmax_connections = 10\n' }],
    split: [{ rel: 'environments/split/common.toml', display: 'cfg/environments/split/common.toml', text: '[common.pgmq_database]\nurl = "postgresql://localhost/q"\n' }],
  },
};

const ADVISOR = parseAdvisorConfig(
  '[workloads.database]\narrival = "poisson"\nrate = 100\nhold = "exponential"\nhold_mean = "5ms"\n\n[workloads.pgmq]\narrival = "poisson"\nrate = 50\nhold = "queue"\nbatch = 5\n\n[environments.split.workloads.database]\narrival = "closed"\nconcurrency = 4\nthink = "1ms"\nhold = "constant"\nhold_time = "2ms"\n',
  'pool-advisor.toml',
);

const model = buildModel(SOURCES, {});
const env = (name: string) => model.environments.find((e) => e.name === name)!;
const plan = (over: Partial<MeasureRequest> = {}): MeasurePlan => planMeasurement({ model, advisor: ADVISOR, envs: ['shared', 'split'], flags: {}, sets: [], ...over });

describe('the workloads an environment drives', () => {
  it("takes the advisor config's workloads for both pools, and --pool keeps only those named", () => {
    expect(plannedWorkloads(env('shared'), ADVISOR, { flags: {} }).map((w) => [w.pool, w.arrival.mode])).toEqual([
      ['database', 'open'],
      ['pgmq', 'open'],
    ]);
    expect(plannedWorkloads(env('shared'), ADVISOR, { flags: {}, pools: ['pgmq'] }).map((w) => w.pool)).toEqual(['pgmq']);
  });

  it('a plan holds each environment asked for, in the config\'s order, with the workloads computed once', () => {
    const p = plan({ envs: ['split', 'shared'], pools: ['database'], flags: { rate: 7 } });
    expect(p.planned.map((e) => [e.env.name, e.workloads.map((w) => [w.pool, w.arrival.mode === 'open' ? w.arrival.rate : 'closed'])])).toEqual([
      ['shared', [['database', 7]]],
      ['split', [['database', 7]]],
    ]);
    expect(p.planned[0]!.workloads).toEqual(plannedWorkloads(env('shared'), ADVISOR, p));
  });

  it('--rate makes a closed workload open (Poisson), --concurrency makes an open one closed (no think time)', () => {
    const opened = plannedWorkloads(env('split'), ADVISOR, { flags: { rate: 30 } })[0]!;
    expect(opened.arrival).toEqual({ mode: 'open', process: 'poisson', rate: 30 });
    const closed = plannedWorkloads(env('shared'), ADVISOR, { flags: { concurrency: 3 } })[0]!;
    expect(closed.arrival).toEqual({ mode: 'closed', concurrency: 3, thinkMs: 0 });
  });

  it("--hold replaces a sleep hold but never a queue cycle; --duration and --warmup replace the config's", () => {
    const [db, q] = plannedWorkloads(env('shared'), ADVISOR, { flags: { hold: { kind: 'sleep', dist: 'constant', ms: 9 }, durationS: 3, warmupS: 0 } });
    expect(db!.hold).toEqual({ kind: 'sleep', dist: 'constant', ms: 9 });
    expect(q!.hold.kind).toBe('queue');
    expect([db!.durationS, db!.warmupS, q!.durationS, q!.warmupS]).toEqual([3, 0, 3, 0]);
  });

  it("goes through PGMQ's own pool only when PGMQ has its own database", () => {
    const [, sharedQ] = plannedWorkloads(env('shared'), ADVISOR, { flags: {} });
    const [splitDb, splitQ] = plannedWorkloads(env('split'), ADVISOR, { flags: {} });
    expect(poolThrough(sharedQ!, env('shared'))).toBe('database');
    expect(poolThrough(splitQ!, env('split'))).toBe('pgmq');
    expect(poolThrough(splitDb!, env('split'))).toBe('database');
  });
});

describe('settings after --set', () => {
  it("applies an environment's own overrides only, a web pool's size halved into min_connections", () => {
    const sets = [
      { env: 'shared', pool: 'database' as const, key: 'max_connections', value: 14 },
      { env: 'split', pool: 'database' as const, key: 'max_connections', value: 99 },
      { env: 'shared', pool: 'orchestration_web' as const, key: 'web_api_pool_size', value: 8 },
    ];
    expect(settingsWithOverrides(env('shared'), 'database', sets)).toMatchObject({ max_connections: 14, min_connections: 2 });
    expect(settingsWithOverrides(env('shared'), 'orchestration_web', sets)).toMatchObject({ min_connections: 4, max_connections: 30 });
    expect(env('shared').pools.database.settings.max_connections).toBe(10);
  });

  it("snapshots the config a run saw: each key with where it was written, a --set value marked as such", () => {
    const snap = poolConfigSnapshot(env('shared').pools.database, [{ key: 'max_connections', value: 14 }]);
    expect(snap.table).toBe('common.database.pool');
    expect(snap.keys.max_connections).toEqual({ value: 14, overridden: true, file: '--set', line: null });
    expect(snap.keys.min_connections).toMatchObject({ value: 2, file: 'cfg/base/common.toml', line: 6 });
    expect(snap.settings).toMatchObject({ max_connections: 14, min_connections: 2 });
  });

  it('refuses a min above the max after --set, naming the pool and the fix', () => {
    const sets = [{ env: 'shared', pool: 'database' as const, key: 'min_connections', value: 12 }];
    expect(() => refuseMinAboveMax(model, ['shared'], sets)).toThrow(UsageError);
    expect(() => refuseMinAboveMax(model, ['shared'], sets)).toThrow('--set: shared.database min_connections 12 is above max_connections 10');
    expect(() => refuseMinAboveMax(model, ['split'], sets)).not.toThrow();
  });
});

describe('connections needed', () => {
  it("counts the database pool (PGMQ's work included when shared), PGMQ's own pool, and the admin connection; the busiest environment wins", () => {
    expect(plannedConnections(plan({ envs: ['shared'] }))).toEqual({ total: 11, detail: 'shared.database 10' });
    expect(plannedConnections(plan({ envs: ['split'] }))).toEqual({ total: 27, detail: 'split.database 20 + split.pgmq 6' });
    expect(plannedConnections(plan())).toEqual({ total: 27, detail: 'split.database 20 + split.pgmq 6' });
  });

  it('leaves out a pool no workload goes through, and follows --set', () => {
    expect(plannedConnections(plan({ envs: ['split'], pools: ['database'] }))).toEqual({ total: 21, detail: 'split.database 20' });
    expect(plannedConnections(plan({ envs: ['split'], sets: [{ env: 'split', pool: 'pgmq', key: 'max_connections', value: 2 }] }))).toEqual({ total: 23, detail: 'split.database 20 + split.pgmq 2' });
  });
});
