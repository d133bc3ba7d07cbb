import { describe, expect, it } from 'vitest';
import { capFor, computeBudget, fairSplit, layerOf, overflowLine, pgbouncerServerSide, podsOf, surgePods, type BudgetInput, type ServerLimits } from '../../../src/core/budget/model.js';
import { budgetInput, observedReplicas, pgbouncerLayer, readingOf, serverLimits } from '../../../src/core/budget/inputs.js';
import type { TopologySpec } from '../../../src/core/advisor/types.js';

const server = (maxConnections: number, over: Partial<ServerLimits> = {}): ServerLimits => ({ maxConnections, superuserReserved: 3, reservedConnections: 0, adminHeadroom: 0, otherConnections: 0, source: 'topology', ...over });

describe('pods at the rollout peak', () => {
  it('rounds a percentage surge up, as Kubernetes does for maxSurge', () => {
    expect(surgePods({ percent: 25 }, 6)).toBe(2); // 1.5 -> 2
    expect(surgePods({ percent: 25 }, 4)).toBe(1);
    expect(surgePods({ percent: 10 }, 1)).toBe(1); // 0.1 -> 1
    expect(surgePods({ count: 3 }, 6)).toBe(3);
    expect(surgePods(undefined, 6)).toBe(0);
  });

  it('peaks at the larger of the observed replicas and the autoscaler maximum, plus the surge', () => {
    expect(podsOf({ name: 's', replicas: 2, autoscalerMax: 6, surge: { percent: 25 }, pools: [] })).toEqual({ steady: 2, peak: 8 });
    expect(podsOf({ name: 's', replicas: 2, observedReplicas: 9, autoscalerMax: 6, surge: { count: 1 }, pools: [] })).toEqual({ steady: 9, peak: 10 });
    expect(podsOf({ name: 's', replicas: 3, pools: [] })).toEqual({ steady: 3, peak: 3 });
  });
});

// The worked examples of docs/tuning.md, "The connection budget": each figure there is one of these.
describe('the incidents of docs/tuning.md', () => {
  it('a rolling deploy with surge on an autoscaled service: 2 to 6 pods + 25% surge, 25 a pod, a 200-slot server', () => {
    const input: BudgetInput = { env: 'production', services: [{ name: 'api', replicas: 2, autoscalerMax: 6, surge: { percent: 25 }, pools: [{ pool: 'database', size: 25 }] }], server: server(200) };
    const b = computeBudget(input);
    const s = layerOf(b, 'server')!;
    expect(s).toMatchObject({ allowed: 197, used: { steady: 50, peak: 200 }, headroom: { steady: 147, peak: -3 }, status: 'over-at-peak' });
    expect(b.overflow?.layer).toBe('server');
    expect(overflowLine(b)).toBe("the server layer overflows at the rollout peak in 'production': 200 connections asked of 197 allowed (max_connections 200 - 3 superuser reserved - 0 other = 197, asked by the pods)");
    // The fix: 10 a pod. 8 pods x 10 = 80 of 197.
    const fixed = computeBudget({ ...input, services: [{ ...input.services[0]!, pools: [{ pool: 'database', size: 10 }] }] });
    expect(layerOf(fixed, 'server')).toMatchObject({ used: { steady: 20, peak: 80 }, headroom: { steady: 177, peak: 117 }, status: 'ok' });
    // The largest size that fits at the peak: 25 + floor(-3 / 8) = 24.
    expect(capFor(b, input, 'database', 25)).toBe(24);
  });

  it('460 pods x 20 connections against a PgBouncer capped at 6,000 client connections', () => {
    const bouncer = pgbouncerLayer({ instances: 1, maxClientConn: 6000, defaultPoolSize: 20, reservePoolSize: 0, maxDbConnections: 0, maxUserConnections: 0, users: 1, databases: [{ name: 'app', poolSize: 50 }], wildcard: false }, undefined)!;
    const b = computeBudget({ env: 'production', services: [{ name: 'web', replicas: 460, pools: [{ pool: 'database', size: 20 }] }], pgbouncer: bouncer, server: server(200) });
    expect(layerOf(b, 'pgbouncer')).toMatchObject({ allowed: 6000, used: { steady: 9200, peak: 9200 }, headroom: { steady: -3200, peak: -3200 }, status: 'over' });
    // Behind PgBouncer the server sees its pools only: 50 of 197.
    expect(layerOf(b, 'server')).toMatchObject({ used: { steady: 50, peak: 50 }, allowed: 197, status: 'ok' });
    expect(b.overflow?.layer).toBe('pgbouncer');
  });

  it("PgBouncer's pools x instances above the server's max_connections less its reserved slots", () => {
    // 3 instances, default_pool_size 40 + reserve_pool_size 5 for one database and user: 135 against 100 - 3 = 97.
    const bouncer = pgbouncerLayer({ instances: 3, maxClientConn: 1000, defaultPoolSize: 40, reservePoolSize: 5, maxDbConnections: 0, maxUserConnections: 0, users: 1, databases: [{ name: 'app' }], wildcard: false }, undefined)!;
    expect(pgbouncerServerSide(bouncer)).toBe(135);
    const b = computeBudget({ env: 'production', services: [{ name: 'web', replicas: 10, pools: [{ pool: 'database', size: 20 }] }], pgbouncer: bouncer, server: server(100) });
    expect(layerOf(b, 'server')).toMatchObject({ used: { steady: 135, peak: 135 }, allowed: 97, headroom: { steady: -38, peak: -38 }, status: 'over' });
    // max_db_connections 30 caps each instance's pools for the database: 90 fits.
    expect(pgbouncerServerSide({ ...bouncer, maxDbConnections: 30 })).toBe(90);
    // max_user_connections caps the sum over databases for a user.
    expect(pgbouncerServerSide({ ...bouncer, databases: [{ name: 'a' }, { name: 'b' }], maxUserConnections: 60 })).toBe(180);
    // A wildcard database: pools on demand, open-ended.
    const open = computeBudget({ env: 'production', services: [], pgbouncer: { ...bouncer, wildcard: true }, server: server(100) });
    expect(layerOf(open, 'server')).toMatchObject({ used: null, status: 'unknown' });
  });

  it("Tasker's own arithmetic: 10 services x 30 of a 500-slot server", () => {
    const b = computeBudget({ env: 'test', services: [{ name: 'cluster', replicas: 10, pools: [{ pool: 'database', size: 30 }, { pool: 'pgmq', size: 10, inert: 'shares the database pool' }] }], server: server(500) });
    expect(layerOf(b, 'server')).toMatchObject({ used: { steady: 300, peak: 300 }, allowed: 497, headroom: { steady: 197, peak: 197 }, status: 'ok' });
  });
});

describe('the server layer', () => {
  it('takes reserved_connections (PostgreSQL 16), the admin headroom and other clients off max_connections', () => {
    const b = computeBudget({ env: 'e', services: [{ name: 's', replicas: 1, pools: [{ pool: 'database', size: 10 }] }], server: server(100, { reservedConnections: 5, adminHeadroom: 4, otherConnections: 6 }) });
    expect(layerOf(b, 'server')!.allowed).toBe(100 - 3 - 5 - 4 - 6);
  });

  it("an observed server's settings win over the topology's; a measured run's server only fills in", () => {
    const topo: TopologySpec = { serverMaxConnections: 500, superuserReserved: 3, otherConnections: 0, services: [] };
    expect(serverLimits(topo, { maxConnections: 100, superuserReserved: 3, reservedConnections: 2, observed: true })).toMatchObject({ maxConnections: 100, reservedConnections: 2, source: 'observed' });
    expect(serverLimits(topo, { maxConnections: 100, superuserReserved: 3, observed: false })).toMatchObject({ maxConnections: 500, source: 'topology' });
    expect(serverLimits({ ...topo, serverMaxConnections: undefined } as TopologySpec, { maxConnections: 100, superuserReserved: 5, observed: false })).toMatchObject({ maxConnections: 100, superuserReserved: 3, source: 'run' });
    expect(serverLimits(undefined, undefined)).toBeUndefined();
  });

  it('counts the observed replicas of a service when more than the topology says', () => {
    const observed = observedReplicas([
      { pool: 'database', replica: '127.0.0.2' },
      { pool: 'database', replica: '127.0.0.3' },
      { pool: 'pgmq', replica: '127.0.0.2' },
    ]);
    expect(observed).toEqual({ database: 2, pgmq: 1 });
    const topo: TopologySpec = { serverMaxConnections: 100, superuserReserved: 3, otherConnections: 0, services: [{ name: 'api', replicas: 1, surge: { count: 1 }, pools: ['database'] }] };
    const { input } = budgetInput('e', { database: { max: 40, active: true } }, topo, { observed });
    const b = computeBudget(input);
    expect(layerOf(b, 'server')).toMatchObject({ used: { steady: 80, peak: 120 }, allowed: 97, status: 'over-at-peak' });
  });

  it('splits an overflowing layer in proportion to the sizes', () => {
    const input: BudgetInput = { env: 'e', services: [{ name: 'a', replicas: 5, pools: [{ pool: 'database', size: 10 }] }, { name: 'b', replicas: 10, pools: [{ pool: 'pgmq', size: 10 }] }], server: server(100) };
    const b = computeBudget(input);
    expect(fairSplit(b.overflow!, input)).toEqual([
      { pool: 'database', current: 10, fair: 6 },
      { pool: 'pgmq', current: 10, fair: 6 },
    ]);
  });
});

describe('the server reading of saved evidence', () => {
  const server = { version: '15.4', maxConnections: 300, superuserReserved: 3 };
  it('is observed for an observation, not for a run, and none for a throwaway server (it stands for no production server)', () => {
    expect(readingOf({ kind: 'observation', server, targetKind: 'remote' })).toMatchObject({ maxConnections: 300, observed: true });
    expect(readingOf({ kind: 'run', server, targetKind: 'remote' })).toMatchObject({ maxConnections: 300, observed: false });
    expect(readingOf({ kind: 'run', server, targetKind: 'throwaway' })).toBeUndefined();
    expect(serverLimits(undefined, readingOf({ kind: 'run', server, targetKind: 'throwaway' }))).toBeUndefined();
  });
});
