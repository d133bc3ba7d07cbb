/**
 * Churn from the server's view, judged as `analyze` judges it on the same workload.
 *
 * lifetime-churn: a
 * service pool-advisor did not instrument (test/helpers/uninstrumented/service.mjs: a plain pg.Pool,
 * max 4, `maxLifetimeSeconds` 60, Poisson arrivals at 10/s holding 20 ms) runs under a role of its
 * own on a server with pg_stat_statements loaded. Its connections expire at 60 s, inside the 70 s
 * window: a few expiries a minute, each paid by the next acquire, with a few hundred acquires per
 * expiry. The server cannot count acquires; the statements of the service's role are at least as
 * many, so reconnects per thousand statements bound the cost from below, and `observe` must raise
 * max_lifetime_seconds as `analyze` of the same workload does (same key, same direction). Without
 * the role's statements (not grouped by role) it must say it cannot judge the cost, and change
 * nothing.
 *
 * Idle churn: a second service (max 4, pg.Pool `idleTimeoutMillis` 1000, Poisson arrivals at 3/s
 * holding 200 ms) opens a second and third connection in bursts and closes them after a second
 * idle; the server sees each idle close and the next connection's backend_start, pairs them, and
 * must raise idle_timeout_seconds as `analyze` does with `idle_timeout_seconds = 1`.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startThrowaway, type ThrowawayCluster } from '../../src/shell/throwawayPg.js';
import { runCliAsync, type CliResult, type Rec as CliRec } from '../helpers/cli.js';
import { advisorFile, databaseWorkload, scenarioConfig } from '../helpers/scenario.js';
import { churnIn, startServices, type Services, type Truth } from '../helpers/uninstrumented/harness.js';

/** A recommendation as --json prints it, with its rationale. */
type Rec = CliRec & { rationale: string };


const WINDOW_S = 70;
const lifetimeOf = (recs: Rec[]) => recs.find((r) => r.key === 'max_lifetime_seconds');

describe('churn from the server (lifetime with the role\'s statements, idle from closes and births) agrees with analyze', () => {
  let cluster: ThrowawayCluster;
  let svc: Services;
  let idler: Services;
  let truth: Truth;
  let idleTruth: Truth;
  let withRole: CliResult;
  let withoutRole: CliResult;
  let measured: CliResult;
  let idleSeen: CliResult;
  let idleMeasured: CliResult;
  let observedFrom = 0;
  const cfg = scenarioConfig({ max_connections: 4, min_connections: 0, acquire_timeout_seconds: 30, idle_timeout_seconds: 600, max_lifetime_seconds: 60 });
  const idleCfg = scenarioConfig({ max_connections: 4, min_connections: 0, acquire_timeout_seconds: 30, idle_timeout_seconds: 1, max_lifetime_seconds: 1800 });
  const adv = advisorFile('');

  beforeAll(async () => {
    cluster = await startThrowaway({ settings: { shared_preload_libraries: "'pg_stat_statements'" } });
    const c = new pg.Client({ connectionString: cluster.url });
    await c.connect();
    await c.query('CREATE EXTENSION pg_stat_statements');
    await c.query('CREATE ROLE svc LOGIN');
    await c.end();
    // The churner alone under role svc (a role two groups share gives no statement bounds).
    svc = startServices(cluster.url.replace('postgres@', 'svc@'), [{ name: 'churner', appName: 'churner', max: 4, rate: 10, holdMs: 20, lifetimeS: 60, durationMs: (WINDOW_S + 8) * 1000 }]);
    idler = startServices(cluster.url, [{ name: 'idler', appName: 'idler', max: 4, rate: 3, holdMs: 200, idleTimeoutMs: 1000, durationMs: (WINDOW_S + 8) * 1000 }]);
    await Promise.all([svc.ready, idler.ready]);
    observedFrom = Date.now();
    const observe = (extra: string[], app = 'churner', dir = cfg) =>
      runCliAsync(['observe', '--database-url', cluster.url, '--duration', `${WINDOW_S}s`, '--interval', '200ms', '--map', `app:${app}=test.database`, '--config-dir', dir, '--advisor-config', adv, '--json', '--no-progress', ...extra]);
    // analyze of the same workload, at the same time on the same server (as postgres: its own
    // statements do not count for the service's role).
    const analyzeAdv = advisorFile(databaseWorkload({ rate: 10, hold: '20ms', dist: 'constant', duration: `${WINDOW_S}s`, defaults: 'seed = 7\n' }));
    const idleAdv = advisorFile(databaseWorkload({ rate: 3, hold: '200ms', dist: 'constant', duration: `${WINDOW_S}s`, defaults: 'seed = 8\n' }));
    [withRole, withoutRole, measured, idleSeen, idleMeasured] = await Promise.all([
      observe([]),
      observe(['--group-by', 'application_name,client_addr']),
      runCliAsync(['analyze', '--config-dir', cfg, '--advisor-config', analyzeAdv, '--env', 'test', '--pool', 'database', '--database-url', cluster.url, '--json']),
      observe([], 'idler', idleCfg),
      runCliAsync(['analyze', '--config-dir', idleCfg, '--advisor-config', idleAdv, '--env', 'test', '--pool', 'database', '--database-url', cluster.url, '--json']),
    ]);
    [truth] = (await svc.done) as [Truth];
    [idleTruth] = (await idler.done) as [Truth];
  }, 150_000);

  afterAll(async () => {
    svc?.kill();
    idler?.kill();
    await cluster?.stop();
  });

  it('the service\'s connections expired inside the window (its own truth): the case is not vacuous', () => {
    const churn = churnIn(truth, observedFrom, observedFrom + WINDOW_S * 1000);
    console.log(`truth: ${churn.byReason.lifetime ?? 0} lifetime closes, ${truth.completed} requests in all`);
    expect(churn.byReason.lifetime ?? 0).toBeGreaterThanOrEqual(1);
    expect(churn.byReason.idle ?? 0).toBe(0);
  });

  it('observe, grouped by role: at least N reconnects per thousand statements, over the threshold: raises max_lifetime_seconds as analyze does', () => {
    expect(withRole.status, withRole.stderr).toBe(0);
    expect(measured.status, measured.stderr).toBe(0);
    const obs = JSON.parse(withRole.stdout) as { environments: Array<{ pools: Array<{ statements?: { role: string; calls: number } }> }>; advice: { recommendations: Rec[] } };
    const run = JSON.parse(measured.stdout) as { advice: { recommendations: Rec[] } };
    const st = obs.environments[0]!.pools[0]!.statements;
    expect(st?.role).toBe('svc');
    // The statements are at least the service's requests in the window (one statement each).
    expect(st!.calls).toBeGreaterThan(WINDOW_S * 10 * 0.7);
    const seen = lifetimeOf(obs.advice.recommendations);
    const want = lifetimeOf(run.advice.recommendations);
    console.log(`lifetime: observe ${seen?.from} -> ${seen?.to} (${seen?.rationale}), analyze ${want?.from} -> ${want?.to}`);
    expect(want, JSON.stringify(run.advice.recommendations)).toBeDefined();
    expect(seen, JSON.stringify(obs.advice)).toBeDefined();
    expect([seen!.rule, want!.rule]).toEqual(['lifetime-churn', 'lifetime-churn']);
    expect(seen!.from).toBe(60);
    expect(seen!.to).toBeGreaterThan(60);
    expect(want!.to).toBeGreaterThan(60);
    expect(seen!.rationale).toContain("reconnects per thousand acquires (per thousand of role svc's");
    expect(['low', 'medium']).toContain(seen!.confidence);
  });

  it('observe without the role (not grouped by it): says it cannot judge the cost, and changes no key', () => {
    expect(withoutRole.status, withoutRole.stderr).toBe(0);
    const obs = JSON.parse(withoutRole.stdout) as { environments: Array<{ pools: Array<{ statements?: unknown }> }>; advice: { recommendations: Rec[] } };
    expect(obs.environments[0]!.pools[0]!.statements).toBeUndefined();
    expect(lifetimeOf(obs.advice.recommendations)).toBeUndefined();
    expect(withoutRole.stdout).toContain('cannot judge what they cost per acquire: this needs the acquire rate');
  });

  it('idle churn: observe pairs the idle closes it saw with the opens after them, and raises idle_timeout_seconds as analyze does', () => {
    expect(idleSeen.status, idleSeen.stderr).toBe(0);
    expect(idleMeasured.status, idleMeasured.stderr).toBe(0);
    const obs = JSON.parse(idleSeen.stdout) as { observation: { startedAt: number; durationMs: number }; environments: Array<{ pools: Array<{ churn: { closed: { idle: number }; idleClosedAtMs?: number[]; openedAtMs?: number[] } }> }>; advice: { recommendations: Rec[] } };
    // The truth over the observation's own window (its process starts later than the test's clock
    // said, more so on a loaded machine: a close at an edge would count on one side only).
    const churn = churnIn(idleTruth, obs.observation.startedAt, obs.observation.startedAt + obs.observation.durationMs);
    const run = JSON.parse(idleMeasured.stdout) as { advice: { recommendations: Rec[] } };
    const c = obs.environments[0]!.pools[0]!.churn;
    const seen = obs.advice.recommendations.find((r) => r.key === 'idle_timeout_seconds');
    const want = run.advice.recommendations.find((r) => r.key === 'idle_timeout_seconds');
    console.log(`idle churn: truth ${churn.byReason.idle ?? 0} idle closes and ${churn.opens} opens; observe saw ${c.closed.idle} idle closes and ${c.openedAtMs?.length} opens: ${seen?.from} -> ${seen?.to} (${seen?.rationale}); analyze ${want?.from} -> ${want?.to}`);
    // The case is not vacuous: the service closed idle connections and opened new ones.
    expect(churn.byReason.idle ?? 0).toBeGreaterThanOrEqual(3);
    // Closes the server saw: within one of the service's own count.
    expect(Math.abs(c.closed.idle - (churn.byReason.idle ?? 0))).toBeLessThanOrEqual(1);
    expect(c.idleClosedAtMs).toHaveLength(c.closed.idle);
    expect(want, JSON.stringify(run.advice.recommendations)).toBeDefined();
    expect(seen, JSON.stringify(obs.advice)).toBeDefined();
    expect([seen!.rule, want!.rule]).toEqual(['idle-surplus', 'idle-surplus']);
    expect([seen!.from, want!.from]).toEqual([1, 1]);
    expect(seen!.to).toBeGreaterThan(1);
    expect(want!.to).toBeGreaterThan(1);
  });
});
