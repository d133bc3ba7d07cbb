/** `pool-advisor observe` end to end: the built CLI against the tests' PostgreSQL and uninstrumented services. */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgUrl } from '../helpers/pg.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { EXAMPLE_DIR } from '../helpers/configFixture.js';
import { startServices } from '../helpers/uninstrumented/harness.js';
import type { ObservationFile } from '../../src/core/observe/file.js';
import { startThrowaway } from '../../src/shell/throwawayPg.js';

const url = () => pgUrl();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function run(args: string[], opts: { signalAfterMs?: number } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawnCli(args);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  if (opts.signalAfterMs !== undefined) setTimeout(() => child.kill('SIGINT'), opts.signalAfterMs);
  return new Promise((resolve) => child.on('exit', (status) => resolve({ status, stdout, stderr })));
}

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: url() });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

let tasker: Server;
let taskerUrl = '';
let taskerHits = 0;

beforeAll(async () => {
  tasker = createServer((req, res) => {
    taskerHits++;
    res.setHeader('content-type', 'application/json');
    if (req.url !== '/health/detailed') return void res.writeHead(404).end('{}');
    res.end(JSON.stringify({ status: 'healthy', pool_utilization: { tasker_pool: { active_connections: 1, idle_connections: 3, max_connections: 4, utilization_percent: 25 } } }));
  });
  await new Promise<void>((r) => tasker.listen(0, '127.0.0.1', r));
  const a = tasker.address();
  taskerUrl = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
});

afterAll(async () => {
  await new Promise((r) => tasker.close(r));
});

describe('pool-advisor observe', () => {
  it('observes uninstrumented services: groups per replica, the listener, --map with Tasker sizes, --json and --out', async () => {
    const svc = startServices(url(), [
      { name: 'api', appName: 'api', localAddress: '127.0.0.2', max: 4, rate: 40, holdMs: 15, idleTimeoutMs: 30_000, durationMs: 7000 },
      { name: 'api', appName: 'api', localAddress: '127.0.0.3', max: 4, rate: 40, holdMs: 15, idleTimeoutMs: 30_000, durationMs: 7000 },
      { name: 'queue', appName: 'queue', localAddress: '127.0.0.3', max: 2, rate: 10, holdMs: 10, listen: true, idleTimeoutMs: 30_000, durationMs: 7000 },
    ]);
    try {
      await svc.ready;
      const out = join(mkdtempSync(join(tmpdir(), 'pa-obs-')), 'obs.json');
      taskerHits = 0;
      const r = await run(['observe', '--database-url', url(), '--duration', '3s', '--interval', '100ms', '--config-dir', EXAMPLE_DIR, '--map', 'app:api=production.database', '--tasker-url', taskerUrl, '--out', out, '--json']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/Observing postgresql:\/\/postgres@127\.0\.0\.1:\d+\/postgres \(from --database-url\) as role postgres, read-only: one connection reading pg_stat_activity every 100 ms/);
      expect(r.stderr).toContain(`Saved the observation to ${out}`);
      // Tasker is read at the start and the end only.
      expect(taskerHits).toBe(2);
      // --json prints the saved evidence and its advice.
      const { advice, ...file } = JSON.parse(r.stdout) as ObservationFile & { advice: { recommendations: unknown[]; findings: unknown[] } };
      expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(file);
      expect(advice.findings.length).toBeGreaterThan(0);
      expect(file).toMatchObject({ kind: 'observation', schemaVersion: 1, targetKind: 'local', partial: false, source: { kind: 'server-sampling' }, validity: { valid: true } });
      const ids = file.groups.map((g) => g.id).filter((id) => id.includes('@127.0.0.2') || id.includes('@127.0.0.3'));
      expect(ids).toEqual(['app=api db=postgres user=postgres @127.0.0.2', 'app=api db=postgres user=postgres @127.0.0.3', 'app=queue db=postgres user=postgres @127.0.0.3']);
      const api = file.groups.find((g) => g.id.endsWith('@127.0.0.2'))!;
      expect(api.settings).toMatchObject({ env: 'production', pool: 'database', maxConnections: 4, sizeSource: 'tasker', lifetimeS: 1800, idleTimeoutS: 300 });
      // pg.Pool opens a connection only when none is idle: how many it reached in a few seconds at
      // 0.6 busy on average is chance (test/shell/observe/ holds the maximum to the service's truth).
      expect(api.openMax).toBeGreaterThanOrEqual(2);
      expect(api.openMax).toBeLessThanOrEqual(4);
      expect(api.meanBusy).toBeGreaterThan(0.3);
      expect(api.allBusyShare).not.toBeNull();
      const queue = file.groups.find((g) => g.id.startsWith('app=queue'))!;
      expect(queue.reserved).toBe(1);
      expect(queue.settings).toBeNull();
      expect(file.tasker).toEqual([{ url: `${taskerUrl}/health/detailed`, health: { pools: [{ pool: 'database', maxConnections: 4, active: 1, idle: 3 }], pgmqOwnPool: false } }]);
      expect(file.cost.samples).toBe(file.observation.samples);
      expect(file.observation.samples).toBeGreaterThanOrEqual(20);
      // The saved timeline: 1 s buckets over the window, a series per pool and replica whose most
      // open and busy are the group's, and whose opens add up to the group's births.
      const t = file.observedTimeline!;
      expect(t.bucketMs).toBe(1000);
      expect(t.buckets).toBe(Math.ceil(file.observation.durationMs / 1000));
      const series = t.pools.find((x) => x.replica === '127.0.0.2' && x.pool === 'database')!;
      expect(series.env).toBe('production');
      const obsApi = file.observation.groups.find((g) => g.id === api.id)!;
      expect(Math.max(...series.openMax)).toBe(api.openMax);
      expect(Math.max(...series.busyMax)).toBe(api.busyMax);
      expect(series.opened.reduce((a, x) => a + x, 0)).toBe(obsApi.births);
      expect(t.pools.find((x) => x.env === 'unmapped' && x.pool === 'app=queue db=postgres user=postgres' && x.replica === '127.0.0.3')).toBeDefined();
      expect(t.load!.cores).toBe(file.serverCores!.count);

      const human = await run(['observe', '--database-url', url(), '--duration', '1s', '--interval', '100ms']);
      expect(human.status, human.stderr).toBe(0);
      expect(human.stdout).toMatch(/app=queue db=postgres user=postgres @127\.0\.0\.3 .* 1 LISTEN/);
      expect(human.stdout).toContain('Sampling cost:');
      expect(human.stdout).toContain("Unmapped groups");
      expect(human.stdout).toContain('Not visible from the server: acquire waits and hold times');
    } finally {
      svc.kill();
    }
  }, 60_000);

  it('Ctrl-C saves the partial observation and exits 130', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'pa-obs-')), 'obs.json');
    const r = await run(['observe', '--database-url', url(), '--duration', '60s', '--interval', '50ms', '--out', out], { signalAfterMs: 2500 });
    expect(r.status, r.stderr).toBe(130);
    expect(r.stderr).toContain('SIGINT: stopping; the partial observation follows.');
    const file = JSON.parse(readFileSync(out, 'utf8')) as ObservationFile;
    expect(file.partial).toBe(true);
    expect(file.observation.samples).toBeGreaterThan(5);
    expect(r.stdout).toContain('PARTIAL');
  }, 30_000);

  it('the server going away mid-observation: partial observation saved with the error, exit 3, no password anywhere', async () => {
    const pw = 'obs-s3cret-pw';
    const cluster = await startThrowaway({ password: pw });
    try {
      const out = join(mkdtempSync(join(tmpdir(), 'pa-obs-')), 'obs.json');
      const child = spawnCli(['observe', '--database-url', cluster.url, '--duration', '60s', '--interval', '50ms', '--out', out]);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((r) => child.on('exit', r));
      while (!stderr.includes('Observing')) await sleep(50);
      await sleep(1500);
      await cluster.stop();
      const status = await exited;
      expect(status, stderr).toBe(3);
      expect(stderr).toMatch(/^ERROR: /m);
      const saved = readFileSync(out, 'utf8');
      const file = JSON.parse(saved) as ObservationFile;
      expect(file.partial).toBe(true);
      expect(file.error).toBeTruthy();
      // Nobody else was connected: samples with no client rows still count.
      expect(file.observation.samples).toBeGreaterThanOrEqual(10);
      expect(file.groups).toEqual([]);
      expect(stdout).toContain('No client connections besides the sampler');
      for (const text of [stdout, stderr, saved]) expect(text).not.toContain(pw);
      expect(file.target).toMatch(/^postgresql:\/\/postgres:\*+@127\.0\.0\.1|^postgresql:\/\/postgres@127\.0\.0\.1/);
    } finally {
      await cluster.stop();
    }
  }, 30_000);

  it('without pg_read_all_stats: one ERROR line with the GRANT to run, exit 3; with pg_monitor it observes', async () => {
    await admin('DROP ROLE IF EXISTS pa_observer');
    await admin('CREATE ROLE pa_observer LOGIN');
    const target = url().replace('postgres@', 'pa_observer@');
    try {
      const r = runCli(['observe', '--database-url', target, '--duration', '1s']);
      expect(r.status).toBe(3);
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^ERROR: role "pa_observer" cannot see other roles' connections in pg_stat_activity on .*: as a superuser run {2}GRANT pg_read_all_stats TO "pa_observer"; {2}\(or GRANT pg_monitor TO "pa_observer";\) and observe again$/)]);
      await admin('GRANT pg_monitor TO pa_observer');
      const ok = runCli(['observe', '--database-url', target, '--duration', '500ms', '--interval', '100ms', '--json']);
      expect(ok.status, ok.stderr).toBe(0);
      expect((JSON.parse(ok.stdout) as ObservationFile).observation.samples).toBeGreaterThanOrEqual(3);
    } finally {
      await admin('DROP OWNED BY pa_observer');
      await admin('DROP ROLE IF EXISTS pa_observer');
    }
  });

  it('behind a proxy: says so instead of figures to act on', async () => {
    const c = new pg.Client({ connectionString: url(), application_name: 'pgbouncer' });
    await c.connect();
    try {
      const r = runCli(['observe', '--database-url', url(), '--duration', '1200ms', '--interval', '100ms']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain("BEHIND A PROXY: the server sees a proxy's connections");
      expect(r.stdout).toContain("connections named 'pgbouncer'");
      expect(r.stdout).toContain('Not enough to advise on:');
    } finally {
      await c.end();
    }
  });

  it.each([
    [['--duration', '1s'], 2, /observe needs a server to observe/],
    [['--database-url', 'postgresql://x@127.0.0.1:1/db', '--interval', '5ms'], 2, /--interval '5ms': expected a duration of at least 10ms/],
    [['--database-url', 'postgresql://x@127.0.0.1:1/db', '--group-by', 'client_port'], 2, /--group-by 'client_port': unknown field/],
    [['--database-url', 'postgresql://x@127.0.0.1:1/db', '--config-dir', EXAMPLE_DIR, '--map', 'app:x=staging.database'], 2, /--map 'app:x=staging.database': no environment 'staging'/],
    [['--database-url', 'postgresql://x@127.0.0.1:1/db', '--tasker-url', 'ftp://x'], 2, /--tasker-url 'ftp:\/\/x': only http and https/],
    [['--database-url', 'postgresql://u:s3cret-pw@127.0.0.1:1/db', '--duration', '1s'], 3, /^ERROR: cannot connect to postgresql:\/\/u@127\.0\.0\.1:1\/db \(from --database-url\): connection refused/],
  ])('refuses %j with exit %i', (args, code, re) => {
    const r = runCli(['observe', ...(args as string[])]);
    expect(r.status).toBe(code);
    expect(r.stderr).toMatch(re);
    expect(r.stderr).not.toContain('s3cret-pw');
    expect(r.stderr.trim().split('\n')[0]).toMatch(/^ERROR: /);
  });

  it('an unreachable --tasker-url is exit 3 before sampling', () => {
    const r = runCli(['observe', '--database-url', url(), '--duration', '1s', '--tasker-url', 'http://127.0.0.1:1']);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/^ERROR: cannot read Tasker's http:\/\/127\.0\.0\.1:1\/health\/detailed/m);
    expect(existsSync('obs.json')).toBe(false);
  });
});
