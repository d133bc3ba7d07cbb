import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { pgUrl } from '../helpers/pg.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { advisorFile, scenarioConfig, type PoolKeys, databaseWorkload } from '../helpers/scenario.js';
import { hasTool, parsePromText, select, valueOf, type PromSample } from '../helpers/promText.js';

const url = () => pgUrl();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const WORKLOAD = (rate: number, hold: string, duration: string) => databaseWorkload({ rate, hold, duration });

/** Start analyze with --metrics-port 0 and learn the port from its one stderr line. */
function startAnalyze(pool: PoolKeys, workload: string, extra: string[] = []) {
  const child = spawnCli(['analyze', '--config-dir', scenarioConfig(pool), '--advisor-config', advisorFile(workload), '--env', 'test', '--database-url', url(), '--metrics-port', '0', ...extra]);
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const exit = new Promise<{ code: number | null; stdout: string; stderr: string }>((r) => child.on('exit', (code) => r({ code, stdout, stderr })));
  const port = new Promise<number>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /^Metrics: http:\/\/127\.0\.0\.1:(\d+)\/metrics and http:\/\/127\.0\.0\.1:\d+\/health$/m.exec(stderr);
      if (m) resolve(Number(m[1]));
    });
    void exit.then((e) => reject(new Error(`analyze exited ${e.code} before printing the metrics port:\n${e.stderr}`)));
  });
  let exited = false;
  void exit.then(() => (exited = true));
  return { child, port, exit, exited: () => exited, stderr: () => stderr };
}

/** Scrape until `done` holds for the parsed samples (or the run ends); the last scrape's text and samples. */
async function scrapeUntil(port: number, running: () => boolean, done: (m: PromSample[]) => boolean): Promise<{ text: string; m: PromSample[] }> {
  let last = { text: '', m: [] as PromSample[] };
  while (running()) {
    const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '');
    if (text) {
      last = { text, m: parsePromText(text) };
      if (done(last.m)) return last;
    }
    await sleep(250);
  }
  return last;
}

const one = (m: PromSample[], name: string, labels: Record<string, string> = {}) => select(m, name, { pool_name: 'database', ...labels })[0]?.value ?? NaN;

describe('analyze --metrics-port on a real PostgreSQL', () => {
  it('a saturated run: every metric scraped mid-run with sensible values, promtool finds nothing, /health is unhealthy (503)', async (ctx) => {
    const a = startAnalyze(
      { max_connections: 4, min_connections: 2, acquire_timeout_seconds: 1 },
      WORKLOAD(400, '20ms', '6s'),
      ['--set', 'test.database.max_lifetime_seconds=1'],
    );
    const port = await a.port;
    const running = () => !a.exited();
    // Wait until the window has seen timeouts, expiries and re-opened connections.
    const { text, m } = await scrapeUntil(port, running, (s) => one(s, 'db_client_connection_timeouts_total') > 0 && one(s, 'db_client_connection_create_time_seconds_count') > 0 && one(s, 'db_client_connection_pending_requests') > 0);
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    const body = (await health.json()) as { status: string; pools: Record<string, Record<string, number | string>> };
    const end = await a.exit;
    expect(end.code, end.stderr).toBe(0);
    expect(text, a.stderr()).not.toBe('');

    // Every series carries pool_name, here only the database pool.
    expect(new Set(m.map((s) => s.labels.pool_name))).toEqual(new Set(['database']));
    const used = one(m, 'db_client_connections', { state: 'used' });
    const idle = one(m, 'db_client_connections', { state: 'idle' });
    expect(used + idle).toBeLessThanOrEqual(4);
    // Scraped while acquires were pending: every connection the pool has is in use.
    expect(used).toBeGreaterThan(0);
    expect(one(m, 'db_client_connection_pending_requests')).toBeGreaterThan(0);
    expect(one(m, 'db_client_connection_max')).toBe(4);
    expect(one(m, 'db_client_connection_idle_min')).toBe(2);
    expect(one(m, 'db_client_connection_timeouts_total')).toBeGreaterThan(0);
    for (const h of ['wait_time', 'use_time', 'create_time']) {
      const name = `db_client_connection_${h}_seconds`;
      const buckets = select(m, `${name}_bucket`, { pool_name: 'database' });
      expect(buckets.map((b) => b.labels.le)).toEqual(['0.00005', '0.0001', '0.0002', '0.0005', '0.001', '0.002', '0.005', '0.01', '0.02', '0.05', '0.1', '0.2', '0.5', '1', '2', '5', '10', '20', '30', '+Inf']);
      for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value, `${name} le=${buckets[i]!.labels.le}`).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
      const count = one(m, `${name}_count`);
      expect(count, name).toBeGreaterThan(0);
      expect(buckets.at(-1)!.value).toBe(count);
      expect(one(m, `${name}_sum`)).toBeGreaterThan(0);
    }
    // Saturated: most waits are long (queued behind 200 acquires/s of excess), holds are >= 20 ms.
    const waits = one(m, 'db_client_connection_wait_time_seconds_count');
    expect(one(m, 'db_client_connection_wait_time_seconds_bucket', { le: '0.1' }) / waits).toBeLessThan(0.5);
    expect(one(m, 'db_client_connection_use_time_seconds_bucket', { le: '0.01' })).toBe(0);
    expect(one(m, 'db_client_connection_use_time_seconds_sum') / one(m, 'db_client_connection_use_time_seconds_count')).toBeGreaterThan(0.019);
    expect(one(m, 'pool_advisor_connections_created_total')).toBeGreaterThan(0);
    expect(one(m, 'pool_advisor_connections_closed_total', { reason: 'expired' })).toBeGreaterThan(0);
    // Mid-run, with a 300 s idle timeout and no failures: only expiries have closed connections.
    for (const reason of ['idle', 'error', 'shutdown']) expect(one(m, 'pool_advisor_connections_closed_total', { reason })).toBe(0);
    expect(one(m, 'pool_advisor_slow_acquires_total')).toBeGreaterThan(0);
    expect(one(m, 'pool_advisor_acquire_errors_total')).toBeGreaterThanOrEqual(one(m, 'db_client_connection_timeouts_total'));
    expect(one(m, 'pool_advisor_oldest_waiter_age_seconds')).toBeGreaterThan(0);
    expect(one(m, 'pool_advisor_oldest_waiter_age_seconds')).toBeLessThan(2);

    expect(['degraded', 'unhealthy']).toContain(body.status);
    expect(health.status).toBe(body.status === 'unhealthy' ? 503 : 200);
    expect(body.pools.database).toMatchObject({ max_connections: 4, min_connections: 2 });
    expect(body.pools.database!.utilization_percent).toBeGreaterThan(80);
    expect(body.pools.database!.waiting).toBeGreaterThan(0);
    expect(body.pools.database!.p99_acquire_time_ms).toBeGreaterThan(100);

    // The server is gone once analyze has exited.
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
    if (!hasTool('promtool')) return ctx.skip('promtool not found (Debian: apt-get install prometheus)');
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.status).toBe(0);
  }, 60_000);

  it('a light run: /health is healthy (200) with low utilisation', async () => {
    const a = startAnalyze({ max_connections: 10, min_connections: 2 }, WORKLOAD(20, '2ms', '5s'));
    const port = await a.port;
    await scrapeUntil(port, () => !a.exited(), (s) => one(s, 'db_client_connection_wait_time_seconds_count') >= 20);
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    const body = (await health.json()) as { status: string; pools: Record<string, Record<string, number | string>> };
    const end = await a.exit;
    expect(end.code, end.stderr).toBe(0);
    expect(health.status).toBe(200);
    expect(body.status).toBe('healthy');
    expect(body.pools.database).toMatchObject({ status: 'healthy', max_connections: 10, acquire_errors: 0, waiting: 0 });
    expect(body.pools.database!.utilization_percent).toBeLessThan(20);
    expect(body.pools.database!.total_acquires).toBeGreaterThanOrEqual(20);
    // The address is printed once.
    expect(end.stderr.match(/^Metrics: /gm)).toHaveLength(1);
  }, 60_000);

  it('the server closes on every exit path: SIGTERM mid-run exits 130 promptly, an unreachable database exits 3', async () => {
    const a = startAnalyze({ max_connections: 5, min_connections: 2 }, WORKLOAD(50, '5ms', '60s'));
    const port = await a.port;
    await scrapeUntil(port, () => !a.exited(), (s) => one(s, 'db_client_connection_wait_time_seconds_count') > 0);
    const t0 = Date.now();
    a.child.kill('SIGTERM');
    const end = await a.exit;
    expect(end.code, end.stderr).toBe(130);
    expect(Date.now() - t0).toBeLessThan(5000);
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();

    const t1 = Date.now();
    const r = runCli(['analyze', '--env', 'test', '--duration', '1s', '--metrics-port', '0', '--database-url', 'postgresql://app:S3cret@127.0.0.1:1/app']);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/^Metrics: http:\/\/127\.0\.0\.1:\d+\/metrics/m);
    expect(Date.now() - t1).toBeLessThan(7000);
  }, 60_000);

  it('bad metrics flags exit 2 before any connection; a port in use too', async () => {
    const a = runCli(['analyze', '--metrics-host', '0.0.0.0', '--database-url', 'postgresql://app:S3cret@127.0.0.1:1/app']);
    expect(a.status).toBe(2);
    expect(a.stderr).toContain("ERROR: --metrics-host '0.0.0.0' needs --metrics-port");
    const b = runCli(['analyze', '--metrics-port', '70000', '--database-url', 'postgresql://app:S3cret@127.0.0.1:1/app']);
    expect(b.status).toBe(2);
    expect(b.stderr).toContain("ERROR: --metrics-port '70000': expected a port number 0-65535");
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const taken = (busy.address() as { port: number }).port;
    try {
      const c = runCli(['analyze', '--metrics-port', String(taken), '--database-url', 'postgresql://app:S3cret@127.0.0.1:1/app']);
      expect(c.status).toBe(2);
      expect(c.stderr).toContain(`ERROR: metrics server: port ${taken} is in use on 127.0.0.1`);
      expect(c.stderr).not.toContain('cannot connect');
    } finally {
      busy.close();
    }
    const d = runCli(['check', '--static', '--metrics-port', '0']);
    expect(d.status).toBe(2);
    expect(d.stderr).toContain('--metrics-port has no effect with --static');
  });
});
