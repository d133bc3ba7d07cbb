import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import pg from 'pg';
import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { pgUrl } from '../../helpers/pg.js';
import { instrumentPool, metricsHandler, metricsRegistry, poolHealth, startMetricsServer, type InstrumentedPool, type MetricsServer } from '../../../src/index.js';
import { UsageError } from '../../../src/core/errors.js';
import { hasTool, parsePromText, select, valueOf } from '../../helpers/promText.js';

const open: Array<InstrumentedPool | MetricsServer> = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

/** A service's own pool, instrumented with the library, after some traffic. */
async function servicePool(name = 'database'): Promise<InstrumentedPool> {
  const pool = new pg.Pool({ connectionString: pgUrl(), max: 3, application_name: 'pa-metrics-test' });
  const ip = instrumentPool(pool, { name });
  open.push(ip);
  await Promise.all(Array.from({ length: 12 }, async () => {
    const c = await pool.connect();
    await c.query('SELECT pg_sleep(0.01)');
    c.release();
  }));
  return ip;
}

async function server(pools: InstrumentedPool[], opts: { host?: string; registry?: Registry } = {}): Promise<MetricsServer> {
  const s = await startMetricsServer({ pools, port: 0, ...opts });
  open.push(s);
  return s;
}

describe('the metrics library on a service\'s own pool', () => {
  it('/metrics: every metric with pool_name, values from the recorder; promtool finds nothing', async (ctx) => {
    const ip = await servicePool();
    const s = await server([ip]);
    expect(s.host).toBe('127.0.0.1');
    const res = await fetch(`${s.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await res.text();
    const m = parsePromText(text);
    expect(m.every((x) => x.labels.pool_name === 'database')).toBe(true);
    expect(valueOf(m, 'db_client_connection_max')).toBe(3);
    expect(valueOf(m, 'db_client_connection_wait_time_seconds_count')).toBe(12);
    expect(valueOf(m, 'db_client_connection_use_time_seconds_count')).toBe(12);
    // Each hold includes a 10 ms sleep.
    expect(valueOf(m, 'db_client_connection_use_time_seconds_sum')).toBeGreaterThan(0.12);
    expect(valueOf(m, 'db_client_connection_use_time_seconds_bucket', { le: '0.01' })).toBe(0);
    expect(valueOf(m, 'db_client_connection_create_time_seconds_count')).toBe(3);
    expect(valueOf(m, 'pool_advisor_connections_created_total')).toBe(3);
    expect(valueOf(m, 'db_client_connections', { state: 'idle' }) + valueOf(m, 'db_client_connections', { state: 'used' })).toBe(3);
    if (!hasTool('promtool')) return ctx.skip('promtool not found (Debian: apt-get install prometheus)');
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('/health: Tasker\'s fields, 200 when healthy; HEAD, 404 and 405', async () => {
    const ip = await servicePool();
    const s = await server([ip]);
    // The burst kept all 3 connections busy for its ~40 ms; half a second later the window's mean is low.
    await new Promise((r) => setTimeout(r, 500));
    const res = await fetch(`${s.url}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const body = (await res.json()) as { status: string; pools: Record<string, Record<string, number | string>> };
    expect(body.status).toBe('healthy');
    expect(body.pools.database).toMatchObject({ status: 'healthy', max_connections: 3, total_acquires: 12, acquire_errors: 0, active_connections: 0 });
    expect(body.pools.database!.p99_acquire_time_ms).toBeGreaterThan(0);
    expect((await fetch(`${s.url}/health`, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${s.url}/nope`)).status).toBe(404);
    const post = await fetch(`${s.url}/metrics`, { method: 'POST' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
  });

  it('/health is 503 (unhealthy) while every connection is held', async () => {
    const pool = new pg.Pool({ connectionString: pgUrl(), max: 3, application_name: 'pa-metrics-test' });
    const ip = instrumentPool(pool, { name: 'database' });
    open.push(ip);
    // The recent window starts at instrumentation: every connection held for all but its first milliseconds.
    const held = await Promise.all([1, 2, 3].map(() => pool.connect()));
    await new Promise((r) => setTimeout(r, 1500));
    const bad = poolHealth([ip]);
    expect(bad.httpStatus).toBe(503);
    expect(bad.report.status).toBe('unhealthy');
    expect(bad.report.pools.database).toMatchObject({ status: 'unhealthy', active_connections: 3, idle_connections: 0 });
    expect(bad.report.pools.database!.utilization_percent).toBeGreaterThan(95);
    for (const c of held) c.release();
    expect(poolHealth([ip]).report.pools.database!.active_connections).toBe(0);
  });

  it('a handler for an existing server (Express style: other paths go to next) and a merged registry', async () => {
    const ip = await servicePool('orchestration_web');
    const own = new Registry();
    new Counter({ name: 'app_requests_total', help: 'requests', registers: [own] }).inc(5);
    const merged = Registry.merge([own, metricsRegistry([ip])]);
    const handle = metricsHandler([ip], { registry: merged });
    const srv = createServer((req, res) => handle(req, res, () => res.writeHead(200).end('app')));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(srv.address() as { port: number }).port}`;
    try {
      const m = parsePromText(await (await fetch(`${url}/metrics`)).text());
      expect(valueOf(m, 'app_requests_total')).toBe(5);
      expect(select(m, 'db_client_connection_wait_time_seconds_count', { pool_name: 'orchestration_web' })[0]!.value).toBe(12);
      expect(await (await fetch(`${url}/`)).text()).toBe('app');
    } finally {
      srv.closeAllConnections();
      await new Promise((r) => srv.close(r));
    }
  });

  it('binds 127.0.0.1 by default; a port in use and a foreign address are usage errors', async () => {
    const s = await server([]);
    await expect(startMetricsServer({ pools: [], port: s.port })).rejects.toThrow(UsageError);
    await expect(startMetricsServer({ pools: [], port: s.port })).rejects.toThrow(`port ${s.port} is in use on 127.0.0.1`);
    await expect(startMetricsServer({ pools: [], port: 0, host: '192.0.2.1' })).rejects.toThrow(/cannot listen on '192.0.2.1'/);
    // No pools yet: an empty exposition and a healthy, empty report.
    expect(await (await fetch(`${s.url}/metrics`)).text()).not.toMatch(/^db_client/m);
    expect(await (await fetch(`${s.url}/health`)).json()).toMatchObject({ status: 'healthy', pools: {} });
  });
});
