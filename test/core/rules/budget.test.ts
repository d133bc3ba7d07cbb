import { describe, expect, it } from 'vitest';
import { budgetFor, capFor, fairSplit, replicasOf, type Budget } from '../../../src/core/rules/budget.js';
import { defaultAdvisorConfig } from '../../../src/core/advisor/defaults.js';
import { BASE_SETTINGS, configSnapshot, HEALTHY } from '../../helpers/syntheticRun.js';
import { analysedPool } from '../../helpers/ruleContext.js';

const { env: base } = analysedPool(HEALTHY);
/** The environment with database (max 20) active, pgmq sharing it (inert), and orchestration's web pool (max 10) active. */
const env = {
  ...base,
  config: {
    database: configSnapshot('database', { ...BASE_SETTINGS, max_connections: 20 }),
    pgmq: configSnapshot('pgmq', { ...BASE_SETTINGS, max_connections: 15 }, { active: false, sharesDatabasePool: true }),
    orchestration_web: configSnapshot('orchestration_web', { ...BASE_SETTINGS, max_connections: 10 }),
  },
};

describe('the connection budget', () => {
  it("is unknown without the server's max_connections from the topology or the run", () => {
    expect(budgetFor(env, defaultAdvisorConfig(), null)).toBeNull();
  });

  it("without a topology assumes one replica opening every active pool, against the server's figure less its reserve", () => {
    const b = budgetFor(env, defaultAdvisorConfig(), { version: '16', maxConnections: 100, superuserReserved: 3 })!;
    expect(b.source).toBe('assumed-single-service');
    expect(b.available).toBe(97);
    // Inert pools open nothing: pgmq is left out.
    expect(b.lines.map((l) => [l.pool, l.replicas, l.max])).toEqual([
      ['database', 1, 20],
      ['orchestration_web', 1, 10],
    ]);
    expect(b.demand).toBe(30);
  });

  it("with a topology counts each service's replicas and pools, and other clients", () => {
    const advisor = defaultAdvisorConfig();
    advisor.environments.test = {
      workloads: {},
      targetP99WaitMs: {},
      topology: {
        serverMaxConnections: 200,
        superuserReserved: 3,
        otherConnections: 7,
        services: [
          { name: 'orchestration', replicas: 2, pools: ['database', 'orchestration_web', 'pgmq'] },
          { name: 'worker', replicas: 6, pools: ['database'] },
        ],
      },
    };
    const b = budgetFor({ ...env, env: 'test' }, advisor, null)!;
    expect(b.source).toBe('topology');
    expect(b.available).toBe(190);
    expect(b.demand).toBe(2 * 20 + 2 * 10 + 6 * 20);
    expect(replicasOf(b, 'database')).toBe(8);
    expect(replicasOf(b, 'pgmq')).toBe(0);
  });
});

describe('what the budget allows', () => {
  const b: Budget = {
    serverMaxConnections: 103,
    superuserReserved: 3,
    otherConnections: 0,
    available: 100,
    demand: 80,
    lines: [
      { service: 'orchestration', replicas: 2, pool: 'database', max: 10 },
      { service: 'worker', replicas: 4, pool: 'database', max: 10 },
      { service: 'orchestration', replicas: 2, pool: 'orchestration_web', max: 10 },
    ],
    source: 'topology',
  };

  it("caps a pool at its max plus its replicas' share of the room left", () => {
    // 20 connections free over the 6 replicas that open the database pool: 3 more each.
    expect(capFor(b, 'database', 10)).toBe(13);
    expect(capFor(b, 'orchestration_web', 10)).toBe(20);
    expect(capFor(b, 'pgmq', 10)).toBeNull();
    // Every replica at the cap still fits.
    expect(80 + 6 * 3).toBeLessThanOrEqual(100);
  });

  it('splits an over-asked budget by one factor across the pools, at least one connection each', () => {
    const over = { ...b, available: 40 };
    expect(fairSplit(over)).toEqual([
      { pool: 'database', current: 10, fair: 5 },
      { pool: 'orchestration_web', current: 10, fair: 5 },
    ]);
    expect(fairSplit({ ...b, available: 0 }).map((s) => s.fair)).toEqual([1, 1]);
  });
});
