/**
 * A sentinel password, in DATABASE_URL and in the Tasker config, never appears in anything the
 * tool writes: stdout, stderr, JSON, run files, including on error paths.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startThrowaway, type ThrowawayCluster } from '../../src/shell/throwawayPg.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { copyExample } from '../helpers/configFixture.js';
import { advisorFile } from '../helpers/scenario.js';

const SENTINEL = 'Sentinel-Pw-3b8e1d';
let cluster: ThrowawayCluster;
let dir: string;
const outputs: Array<{ what: string; text: string }> = [];

beforeAll(async () => {
  cluster = await startThrowaway({ maxConnections: 60, password: SENTINEL });
  dir = mkdtempSync(join(tmpdir(), 'pa-secret-'));
});
afterAll(async () => {
  await cluster.stop();
});

const ADVISOR = `
[defaults]
duration = "2s"
warmup = "1s"
[environments.test.workloads.database]
arrival = "poisson"
rate = 50
hold = "constant"
hold_time = "2ms"
[environments.test.workloads.pgmq]
arrival = "poisson"
rate = 20
hold = "queue"
`;

function record(what: string, r: { stdout: string; stderr: string }): void {
  outputs.push({ what: `${what} stdout`, text: r.stdout }, { what: `${what} stderr`, text: r.stderr });
}

describe('a sentinel password never appears', () => {
  it('in DATABASE_URL: analyze (text, JSON, run file), recommend, check', () => {
    expect(cluster.url).toContain(SENTINEL);
    const env = { DATABASE_URL: cluster.url };
    const adv = advisorFile(ADVISOR);
    const out = join(dir, 'run.json');
    const a = runCli(['analyze', '--env', 'test', '--advisor-config', adv, '--out', out], { env });
    expect(a.status, a.stderr).toBe(0);
    record('analyze', a);
    outputs.push({ what: 'run file', text: readFileSync(out, 'utf8') });
    const j = runCli(['analyze', '--env', 'test', '--advisor-config', adv, '--json'], { env });
    expect(j.status, j.stderr).toBe(0);
    record('analyze --json', j);
    record('recommend', runCli(['recommend', '--from', out, '--advisor-config', adv], { env }));
    record('recommend --json', runCli(['recommend', '--from', out, '--json', '--advisor-config', adv], { env }));
    record('check --from', runCli(['check', '--from', out, '--format', 'json', '--advisor-config', adv], { env }));
    const report = join(dir, 'report.html');
    const rep = runCli(['recommend', '--from', out, '--advisor-config', adv, '--report', report], { env });
    expect(rep.status, rep.stderr).toBe(0);
    outputs.push({ what: 'HTML report', text: readFileSync(report, 'utf8') });
  });

  it('in /metrics, /health, the HTML report and slow-acquire logs of a live analyze', async () => {
    const report = join(dir, 'live-report.html');
    // A pool of 1 under load, so the slow-acquire log fires too.
    const adv = advisorFile(ADVISOR.replace('duration = "2s"', 'duration = "5s"').replace('rate = 50', 'rate = 300'));
    const child = spawnCli(['analyze', '--env', 'test', '--advisor-config', adv, '--metrics-port', '0', '--report', report, '--set', 'test.database.max_connections=1', '--set', 'test.database.min_connections=1', '--set', 'test.database.slow_acquire_threshold_ms=10', '--slow-log'], { env: { DATABASE_URL: cluster.url } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      const t = setInterval(() => {
        const m = /Metrics: http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(stderr);
        if (m) {
          clearInterval(t);
          resolve(Number(m[1]));
        }
      }, 100);
      child.on('exit', () => reject(new Error(stderr)));
    });
    await new Promise((r) => setTimeout(r, 3000));
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const health = await (await fetch(`http://127.0.0.1:${port}/health`)).text();
    expect(metrics).toContain('db_client_connection_wait_time_seconds_bucket');
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('slow acquire');
    outputs.push({ what: '/metrics', text: metrics }, { what: '/health', text: health }, { what: 'live stdout', text: stdout }, { what: 'live stderr (slow log)', text: stderr }, { what: 'analyze --report', text: readFileSync(report, 'utf8') });
  });

  it('on error paths: wrong port, wrong database', () => {
    const bad = cluster.url.replace(`:${cluster.port}/`, ':1/');
    const r = runCli(['analyze', '--env', 'test', '--duration', '1s'], { env: { DATABASE_URL: bad } });
    expect(r.status).toBe(3);
    record('unreachable', r);
    const r2 = runCli(['analyze', '--env', 'test', '--duration', '1s', '--database-url', cluster.urlFor('no_such_db')]);
    expect(r2.status).toBe(3);
    record('no such database', r2);
  });

  it('in the partial run file saved when the server goes away mid-run (its error kept in run.error)', async () => {
    const own = await startThrowaway({ maxConnections: 40, password: SENTINEL });
    const out = join(dir, 'partial.json');
    const child = spawnCli(['analyze', '--fixed-duration', '--env', 'test', '--advisor-config', advisorFile(ADVISOR.replace('duration = "2s"', 'duration = "60s"')), '--out', out], { env: { DATABASE_URL: own.url } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise((r) => setTimeout(r, 3500));
    await own.stop();
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code, stderr).toBe(3);
    const saved = readFileSync(out, 'utf8');
    expect(JSON.parse(saved).error).toBeTruthy();
    outputs.push({ what: 'partial run file', text: saved }, { what: 'server-gone stderr', text: stderr });
  });

  it('in the Tasker config: config show, show --json, lint, and analyze', () => {
    const cfg = copyExample({
      'environments/test/common.toml': `[common.database]\nurl = "postgresql://tasker:${SENTINEL}@db.internal:5432/tasker"\n\n[common.pgmq_database]\nurl = "postgresql://tasker:${SENTINEL}@queue.internal:5432/pgmq"\n`,
    });
    for (const args of [['config', 'show'], ['config', 'show', '--json'], ['config', 'lint'], ['config', 'lint', '--json']]) {
      const r = runCli([...args, '--config-dir', cfg]);
      expect(r.status).toBe(0);
      record(args.join(' '), r);
    }
    const a = runCli(['analyze', '--config-dir', cfg, '--env', 'test', '--advisor-config', advisorFile(ADVISOR), '--database-url', cluster.url, '--json']);
    expect(a.status, a.stderr).toBe(0);
    record('analyze with secret config', a);
  });

  it('in none of the outputs above', () => {
    expect(outputs.length).toBeGreaterThan(10);
    for (const o of outputs) expect(o.text.includes(SENTINEL), `${o.what} contains the password`).toBe(false);
    for (const o of outputs) expect(o.text.includes(encodeURIComponent(SENTINEL)), `${o.what} contains the encoded password`).toBe(false);
  });
});
