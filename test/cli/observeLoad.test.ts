/**
 * The server's own load by what it waits on tells "pool too small" from "database saturated", from
 * observation alone (docs/observe.md, "Server load"; docs/rules.md, "database-saturation"). Three
 * services pool-advisor did not measure run as child processes at once (test/helpers/fleetService.mjs:
 * a plain pg.Pool, its pool metrics scraped by a real Prometheus, its own ground truth), each observed
 * from the server side with --prometheus, in one window:
 *
 * - CPU-bound SQL on a server of its own started on one core (`taskset -c 1`), `--server-cores 1`,
 *   a closed loop of 8 workers on a pool of 4: the database is named the limit (CPU), and no pool is
 *   raised although the pool's waits are high;
 * - lock-bound: every request updates one hot row and holds it (a transaction around a pg_sleep), on
 *   the shared test server, a pool of 5: Lock dominates the server's own time, no pool is raised;
 * - pool-bound: pg_sleep holds (the server's CPU idle), 100/s of 40 ms on a pool of 5, on the same
 *   server as the lock-bound service: the server's Lock is not this pool's (its sessions do not wait
 *   on it), so max_connections is raised as for any saturated pool (observeAdvice.test.ts checks
 *   analyze raises the same workload alike).
 *
 * Also: the CPU server's average active sessions of client backends (the sampler's own excluded)
 * against pg_stat_statements' execution time over the window, and the core count read from a real
 * node_exporter through a real Prometheus.
 */
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgUrl } from '../helpers/pg.js';
import { runCliAsync, type CliResult, type Rec } from '../helpers/cli.js';
import { advisorFile, scenarioConfig } from '../helpers/scenario.js';
import { hasTool } from '../helpers/promText.js';
import { startFleetPrometheus, type TestPrometheus } from '../helpers/fleetPrometheus.js';
import { startFleetService } from '../helpers/fleetServiceProc.js';
import { freePort, startThrowaway, type ThrowawayCluster } from '../../src/shell/throwawayPg.js';

const NODE_EXPORTER = '/usr/bin/prometheus-node-exporter';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cleanup: Array<() => void> = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) c();
});

interface MeanErr {
  mean: number;
  stdErr: number | null;
}
interface Profile {
  aas: MeanErr;
  byClass: Array<{ class: string } & MeanErr>;
  topEvents: Array<{ type: string; event: string } & MeanErr>;
}
interface ObsJson {
  observation: { load: { server: Profile; clients: Profile; samples: number } };
  serverCores: { count: number | null; source: string };
  statements?: { windowMs: number; totalActiveSessions: number; countsComplete: boolean | null; top: Array<{ query: string; activeSessions: number; calls: number }> };
  advice: {
    recommendations: Rec[];
    findings: Array<{ kind: string; pool: string | null; severity: string; message: string }>;
    environments: Array<{ env: string; pools: Array<{ serverLoad?: { limit: string | null; limitClass: string | null; limitsThisPool: boolean; cpu: number; dominant: { class: string; share: number } | null } }> }>;
  };
}

const classOf = (p: Profile, c: string): number => p.byClass.find((x) => x.class === c)?.mean ?? 0;
const maxRec = (o: ObsJson): Rec | undefined => o.advice.recommendations.find((r) => r.pool === 'database' && r.key === 'max_connections');
const judged = (o: ObsJson) => o.advice.environments.find((e) => e.env === 'test')!.pools[0]!.serverLoad!;

describe.skipIf(!hasTool('prometheus') || !hasTool('taskset') || !hasTool(NODE_EXPORTER))('observe: the server load by wait class names who limits', () => {
  let cpuCluster: ThrowawayCluster;
  let cpu: CliResult;
  let lock: CliResult;
  let pool: CliResult;
  let nodeExporterInstance: string;

  beforeAll(async () => {
    // A server of its own on one core, with pg_stat_statements for the cross-check; work_mem large
    // enough that generate_series' rows stay in memory (spilled, they would wait on IO).
    cpuCluster = await startThrowaway({ cpus: '1', maxConnections: 50, settings: { shared_preload_libraries: "'pg_stat_statements'", max_parallel_workers_per_gather: '0', work_mem: "'64MB'" } });
    cleanup.push(() => cpuCluster.stopSync());
    const setup = new pg.Client({ connectionString: cpuCluster.url });
    await setup.connect();
    await setup.query('CREATE EXTENSION pg_stat_statements');
    await setup.end();
    const shared = new pg.Client({ connectionString: pgUrl() });
    await shared.connect();
    await shared.query('DROP TABLE IF EXISTS pa_load_hot; CREATE TABLE pa_load_hot (id int PRIMARY KEY, n bigint NOT NULL); INSERT INTO pa_load_hot VALUES (1, 0)');
    await shared.end();

    const nePort = await freePort();
    const ne = spawn(NODE_EXPORTER, [`--web.listen-address=127.0.0.1:${nePort}`, '--collector.disable-defaults', '--collector.cpu'], { stdio: 'ignore' });
    cleanup.push(() => ne.exitCode === null && ne.kill('SIGKILL'));
    nodeExporterInstance = `127.0.0.1:${nePort}`;

    const [cpuSvc, lockSvc, poolSvc] = await Promise.all([
      startFleetService({ url: cpuCluster.url, concurrency: 8, work: 'cpu', cpuRows: 200000, max: 4, seconds: 40, seed: 11, appName: 'pa-load-cpu' }, cleanup, 'cpu service'),
      startFleetService({ url: pgUrl(), rate: 40, holdMs: 20, work: 'lock', hotTable: 'pa_load_hot', max: 5, seconds: 40, seed: 12, appName: 'pa-load-lock' }, cleanup, 'lock service'),
      startFleetService({ url: pgUrl(), rate: 100, holdMs: 40, serverHold: true, max: 5, seconds: 40, seed: 13, appName: 'pa-load-pool' }, cleanup, 'pool service'),
    ]);
    // One Prometheus per service, so each observe's pool metrics are its service's alone; the lock
    // one also scrapes node_exporter (the core count).
    const proms: TestPrometheus[] = await Promise.all([
      startFleetPrometheus([{ name: 'service', targets: [`127.0.0.1:${cpuSvc.port}`] }]),
      startFleetPrometheus([{ name: 'service', targets: [`127.0.0.1:${lockSvc.port}`] }, { name: 'node', targets: [nodeExporterInstance] }]),
      startFleetPrometheus([{ name: 'service', targets: [`127.0.0.1:${poolSvc.port}`] }]),
    ]);
    for (const p of proms) cleanup.push(p.stop);
    await sleep(2_000);
    const adv = advisorFile('[prometheus]\nenvironment = "test"\n');
    const advNode = advisorFile(`[prometheus]\nenvironment = "test"\ndatabase_instance = "${nodeExporterInstance}"\n`);
    const observe = (url: string, app: string, max: number, prom: TestPrometheus, advisor: string, extra: string[] = []) =>
      runCliAsync(['observe', '--database-url', url, '--prometheus', prom.base, '--duration', '20s', '--map', `app:${app}=test.database`, '--config-dir', scenarioConfig({ max_connections: max, min_connections: 1, acquire_timeout_seconds: 30 }), '--advisor-config', advisor, '--json', '--no-progress', ...extra]);
    [cpu, lock, pool] = await Promise.all([
      observe(cpuCluster.url, 'pa-load-cpu', 4, proms[0]!, adv, ['--server-cores', '1']),
      observe(pgUrl(), 'pa-load-lock', 5, proms[1]!, advNode),
      observe(pgUrl(), 'pa-load-pool', 5, proms[2]!, adv),
    ]);
  }, 90_000);

  it('CPU-bound on a one-core server: the database is the limit (CPU), and no pool is raised although its waits are high', () => {
    expect(cpu.status, cpu.stderr).toBe(0);
    const o = JSON.parse(cpu.stdout) as ObsJson;
    const j = judged(o);
    console.log(`cpu: server ${o.observation.load.server.aas.mean.toFixed(2)} active (CPU ${classOf(o.observation.load.server, 'CPU').toFixed(2)}), cores ${o.serverCores.count} (${o.serverCores.source}); limit ${j.limit} ${j.limitClass}`);
    expect(o.serverCores).toMatchObject({ count: 1, source: '--server-cores' });
    expect(classOf(o.observation.load.server, 'CPU')).toBeGreaterThan(2);
    expect(j).toMatchObject({ limit: 'server', limitClass: 'CPU', limitsThisPool: true });
    expect(maxRec(o)).toBeUndefined();
    const sat = o.advice.findings.find((f) => f.kind === 'pool-saturation');
    expect(sat?.message, JSON.stringify(o.advice.findings)).toMatch(/server, not the pool, is the limit \(CPU/);
    expect(o.advice.findings.find((f) => f.kind === 'database-saturation')!.message).toMatch(/is the limit \(CPU\)/);
  });

  it("the CPU server's active sessions of client backends agree with pg_stat_statements' execution time over the window", () => {
    const o = JSON.parse(cpu.stdout) as ObsJson;
    const clients = o.observation.load.clients.aas;
    expect(o.statements, 'pg_stat_statements read').toBeDefined();
    expect(o.statements!.countsComplete).toBe(true);
    const statements = o.statements!.totalActiveSessions;
    // The statement that carried the load is the service's.
    expect(o.statements!.top[0]!.query).toMatch(/generate_series/);
    const tol = Math.max(0.1 * statements, 3 * (clients.stdErr ?? Infinity));
    console.log(`AAS of client backends ${clients.mean.toFixed(3)} ± ${clients.stdErr?.toFixed(3)}; pg_stat_statements ${statements.toFixed(3)} (tolerance ${tol.toFixed(3)})`);
    expect(statements).toBeGreaterThanOrEqual(1);
    expect(Math.abs(clients.mean - statements)).toBeLessThanOrEqual(tol);
  });

  it('lock-bound: Lock dominates the server, no pool is raised; the core count comes from node_exporter through Prometheus', () => {
    expect(lock.status, lock.stderr).toBe(0);
    const o = JSON.parse(lock.stdout) as ObsJson;
    const j = judged(o);
    console.log(`lock: server ${o.observation.load.server.aas.mean.toFixed(2)} active (Lock ${classOf(o.observation.load.server, 'Lock').toFixed(2)}); limit ${j.limit} ${j.limitClass}; cores ${o.serverCores.count} (${o.serverCores.source})`);
    expect(o.serverCores.count).toBe(cpus().length);
    expect(o.serverCores.source).toContain(`node_exporter at ${nodeExporterInstance}`);
    expect(j).toMatchObject({ limit: 'server', limitClass: 'Lock', limitsThisPool: true });
    expect(j.dominant!.share).toBeGreaterThan(0.5);
    expect(maxRec(o)).toBeUndefined();
  });

  it("pool-bound (pg_sleep holds, the server's CPU idle, beside the lock-bound service): the Lock is not this pool's, and max_connections is raised", () => {
    expect(pool.status, pool.stderr).toBe(0);
    const o = JSON.parse(pool.stdout) as ObsJson;
    const j = judged(o);
    const rec = maxRec(o);
    console.log(`pool: server own load ${JSON.stringify(o.observation.load.server.byClass.map((c) => [c.class, c.mean.toFixed(2)]))}; limit ${j.limit}; max_connections ${rec?.from} -> ${rec?.to}`);
    expect(classOf(o.observation.load.server, 'Timeout')).toBeGreaterThan(2);
    expect(j.limitsThisPool).toBe(false);
    expect(rec, JSON.stringify(o.advice.findings)).toBeDefined();
    expect(rec!.to).toBeGreaterThan(5);
  });
});
