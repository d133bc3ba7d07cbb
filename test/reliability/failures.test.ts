/**
 * Failure paths against real PostgreSQL clusters of their own (these tests stop servers and
 * kill backends, so they never share the suite's cluster).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startThrowaway, type ThrowawayCluster } from '../../src/shell/throwawayPg.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { advisorFile, scenarioConfig, databaseWorkload } from '../helpers/scenario.js';
import type { RunFile } from '../../src/core/run/types.js';

const clusters: ThrowawayCluster[] = [];
afterAll(async () => {
  for (const c of clusters) await c.stop();
});

async function cluster(password?: string): Promise<ThrowawayCluster> {
  const c = await startThrowaway({ maxConnections: 60, ...(password !== undefined ? { password } : {}) });
  clusters.push(c);
  return c;
}

const WORKLOAD = (duration: string) => databaseWorkload({ rate: 100, hold: '5ms', dist: 'exponential', duration });

function collect(child: ReturnType<typeof spawnCli>) {
  const o = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (o.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (o.stderr += d.toString()));
  return o;
}

const exitOf = (child: ReturnType<typeof spawnCli>) => new Promise<number | null>((r) => child.on('exit', (c) => r(c)));

describe('reliability', () => {
  it('the server stopped in the middle of a run: exit 3, the partial result saved, no hang', async () => {
    const c = await cluster();
    const out = join(mkdtempSync(join(tmpdir(), 'pa-rel-')), 'run.json');
    const child = spawnCli(['analyze', '--config-dir', scenarioConfig({ max_connections: 5, min_connections: 2, acquire_timeout_seconds: 5 }), '--advisor-config', advisorFile(WORKLOAD('60s')), '--env', 'test', '--database-url', c.url, '--out', out]);
    const o = collect(child);
    await new Promise((r) => setTimeout(r, 3500));
    await c.stop();
    const t0 = Date.now();
    const code = await exitOf(child);
    const took = Date.now() - t0;
    expect(code, o.stderr).toBe(3);
    // The acquire timeout is 5 s; a few seconds more at most.
    expect(took).toBeLessThan(9000);
    const errors = o.stderr.split('\n').filter((l) => l.startsWith('ERROR:'));
    expect(errors).toHaveLength(1);
    expect(o.stderr).not.toMatch(/\n\s+at /);
    const run = JSON.parse(readFileSync(out, 'utf8')) as RunFile;
    expect(run.partial).toBe(true);
    expect(run.error).toBeTruthy();
    expect(run.environments[0]!.pools[0]!.counters.acquires).toBeGreaterThan(100);
    expect(existsSync(c.dir)).toBe(false);
  });

  it('every pool connection killed with pg_terminate_backend mid-run: the run goes on, errors are counted, advice still comes out', async () => {
    const c = await cluster();
    const out = join(mkdtempSync(join(tmpdir(), 'pa-rel-')), 'run.json');
    const child = spawnCli(['analyze', '--config-dir', scenarioConfig({ max_connections: 5, min_connections: 3 }), '--advisor-config', advisorFile(WORKLOAD('6s')), '--env', 'test', '--pool', 'database', '--database-url', c.url, '--out', out]);
    const o = collect(child);
    await new Promise((r) => setTimeout(r, 3500));
    const admin = new pg.Client({ connectionString: c.url });
    await admin.connect();
    const killed = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pool-advisor'");
    await admin.end();
    expect(killed.rowCount).toBeGreaterThanOrEqual(3);
    const code = await exitOf(child);
    expect(code, o.stderr).toBe(0);
    const run = JSON.parse(readFileSync(out, 'utf8')) as RunFile;
    const p = run.environments[0]!.pools[0]!;
    expect(p.counters.closed.error).toBeGreaterThanOrEqual(3);
    expect(p.counters.created).toBeGreaterThanOrEqual(3);
    // After the kill (about 1.5 s into the window) the run went on at close to its rate (100/s).
    const tail = p.timeline.points.filter((x) => x.t >= 3000);
    const rate = (tail.reduce((s, x) => s + x.acquires, 0) * 1000) / Math.max(1, tail.reduce((s, x) => s + x.dt, 0));
    expect(rate, JSON.stringify(p.timeline.points.map((x) => [x.t, x.dt, x.acquires]))).toBeGreaterThan(50);
    expect(o.stdout).toContain('Recommendations');
    expect(o.stdout).toContain('TOML overrides');
  });

  it('a wrong password: exit 3 quickly, one line, and the password appears nowhere', async () => {
    const c = await cluster('Right-Pass-91f2');
    const t0 = Date.now();
    const r = runCli(['analyze', '--env', 'test', '--database-url', c.url.replace('Right-Pass-91f2', 'Wrong-Pass-44e1'), '--duration', '1s']);
    expect(r.status).toBe(3);
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('ERROR:'))).toEqual([`ERROR: cannot connect to postgresql://postgres@127.0.0.1:${c.port}/postgres (from --database-url): password authentication failed`]);
    expect(r.stdout + r.stderr).not.toContain('Wrong-Pass-44e1');
  });

  it('an unreachable host: exit 3 quickly with one line', () => {
    const t0 = Date.now();
    const r = runCli(['analyze', '--env', 'test', '--database-url', 'postgresql://u:Unreach-Pass-5c@127.0.0.1:9/db', '--duration', '1s']);
    expect(r.status).toBe(3);
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('ERROR:'))).toHaveLength(1);
    expect(r.stdout + r.stderr).not.toContain('Unreach-Pass-5c');
  });
});
