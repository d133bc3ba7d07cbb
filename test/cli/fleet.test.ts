/**
 * `observe --prometheus` and `fleet --prometheus`: a real Prometheus (1 s scrapes) scraping two replicas of a Node service that
 * uses this project's library (test/helpers/fleetService.mjs: a real pg.Pool on the test PostgreSQL,
 * instrumented, serving /metrics, under an open Poisson load), and static expositions in the other
 * families' exact formats. The fleet is run once (a little over 2 minutes) and every assertion on it
 * is made from that one run:
 *
 * - per replica, the arrival rate within 2% and the mean in use (use-time sum, Little's law) within
 *   5% of the replica's own ground truth over exactly the window read (every acquire's time and
 *   every hold's interval, written by the replica);
 * - each static family recognised and mapped, its rates read right in its own units (the static
 *   server multiplies counter samples by the seconds since it started, so a counter's rate is the
 *   value written in the file);
 * - auth: a bearer token through a proxy, TLS with a custom CA and basic auth on Prometheus's own
 *   web config; refusals and an unreachable server exit 3 in one line; no secret is printed;
 * - nothing recognised: exit 4 listing the names found.
 */
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgUrl } from '../helpers/pg.js';
import { runCli, spawnCli, type CliResult } from '../helpers/cli.js';
import { advisorFile, databaseWorkload, scenarioConfig } from '../helpers/scenario.js';
import { hasTool } from '../helpers/promText.js';
import { startFleetPrometheus, type TestPrometheus } from '../helpers/fleetPrometheus.js';
import { startFleetService, type FleetServiceProc } from '../helpers/fleetServiceProc.js';
import type { FleetReading, ReplicaFigures } from '../../src/core/fleet/assemble.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const FAMILY_DIR = join(HERE, '..', 'helpers', 'families');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const haveProm = hasTool('prometheus');
const cleanup: Array<() => void> = [];
afterAll(() => {
  for (const c of cleanup.reverse()) c();
});

/** Run the CLI without blocking this process (the bearer-token proxy below answers from it). */
function runCliAsync(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const child = spawnCli(args, { env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (status) => resolve({ status, stdout, stderr })));
}

/** The two replicas: different rates, holds and sizes, so each must match its own truth. */
const REPLICAS = [
  { rate: 120, holdMs: 25, max: 8, seed: 11 },
  { rate: 50, holdMs: 70, max: 6, seed: 23 },
];
const LOAD_S = 135;

interface Truth {
  startedAt: number;
  endedAt: number;
  acquiredAt: number[];
  holds: Array<[number, number]>;
  failures: number;
}

/** Serve each family's exposition at /<family>; counter samples grow by their written value per second. */
function startStaticFamilies(): Promise<{ port: number; server: Server; families: string[] }> {
  const files = readdirSync(FAMILY_DIR).filter((f) => f.endsWith('.prom'));
  const texts = new Map(files.map((f) => [`/${f.slice(0, -5)}`, readFileSync(join(FAMILY_DIR, f), 'utf8')]));
  const t0 = performance.now();
  // Which samples count up: those of a counter family, and a histogram's or summary's _bucket, _sum, _count.
  const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/;
  const server = createServer((req, res) => {
    const text = texts.get(req.url ?? '');
    if (!text) return void res.writeHead(404).end();
    const elapsed = (performance.now() - t0) / 1000;
    const types = new Map<string, string>();
    const body = text
      .split('\n')
      .map((line) => {
        const t = /^# TYPE (\S+) (\S+)$/.exec(line);
        if (t) types.set(t[1]!, t[2]!);
        const m = sample.exec(line);
        if (!m) return line;
        const name = m[1]!;
        const stem = name.replace(/_(bucket|sum|count)$/, '');
        const grows = types.get(name) === 'counter' || (stem !== name && ['histogram', 'summary'].includes(types.get(stem) ?? ''));
        return grows ? `${name}${m[2] ?? ''} ${Number(m[3]) * elapsed}` : line;
      })
      .join('\n');
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as { port: number }).port, server, families: [...texts.keys()].map((k) => k.slice(1)) })));
}

function startReplica(i: number, url: string): Promise<FleetServiceProc> {
  return startFleetService({ url, ...REPLICAS[i], seconds: LOAD_S }, cleanup, `replica ${i}`);
}

function fleetJson(args: string[], env: Record<string, string> = {}): { status: number | null; reading: (FleetReading & { budgets: Array<{ env: string; poolMaxTotal: number; unknownSize: number; serverMaxConnections: number; serverSource: string; superuserReserved: number; available: number; fits: boolean }> }) | undefined; stderr: string; stdout: string } {
  const r = runCli(['fleet', ...args, '--json'], { env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, reading: r.status === 0 ? JSON.parse(r.stdout) : undefined };
}

const ADVISOR = `[prometheus]
environment = "test"

[[prometheus.pools]]
family = "hikari-micrometer"
match = { pool = "HikariPool-1" }
pool = "database"
environment = "production"

[[prometheus.pools]]
family = "billing"
match = { pool = "main" }
pool = "database"
environment = "billing"

[[prometheus.families]]
name = "billing"
pool_label = "pool"
unit = "milliseconds"
wait = "billing_db_acquire_milliseconds"
in_use = 'billing_db_connections{state="busy"}'
idle = 'billing_db_connections{state="free"}'
max = "billing_db_pool_max"

[environments.test.topology]
server_max_connections = 20
superuser_reserved_connections = 3
`;

describe.skipIf(!haveProm)('fleet --prometheus on a real Prometheus', () => {
  let prom: TestPrometheus;
  let statics: { port: number; families: string[] };
  let replicas: FleetServiceProc[];
  let loadStart: number;
  let adv: string;
  let window: { startMs: number; endMs: number } | undefined;

  beforeAll(async () => {
    adv = advisorFile(ADVISOR);
    const s = await startStaticFamilies();
    cleanup.push(() => s.server.close());
    statics = s;
    loadStart = Date.now();
    replicas = await Promise.all(REPLICAS.map((_, i) => startReplica(i, pgUrl())));
    prom = await startFleetPrometheus([
      { name: 'service', targets: replicas.map((r) => `127.0.0.1:${r.port}`) },
      ...statics.families.map((f) => ({ name: `static-${f}`, targets: [`127.0.0.1:${statics.port}`], path: `/${f}` })),
    ]);
    cleanup.push(prom.stop);
  }, 60_000);

  it('recognises and maps every static family, in its own units', async () => {
    await sleep(12_000);
    // A window that ends 2 s ago: samples lie on both sides of its edges, so increase() extrapolates
    // over less than one scrape interval at each end (at the head, the last scrape may lag).
    const now = Date.now() / 1000;
    const { status, reading, stderr } = fleetJson(['--prometheus', prom.base, '--start', (now - 10).toFixed(3), '--end', (now - 2).toFixed(3), '--advisor-config', adv]);
    expect(status, stderr).toBe(0);
    const r = reading!;
    const one = (family: string, pool: string): ReplicaFigures => {
      const found = r.replicas.filter((x) => x.family === family && x.pool === pool && x.replica === `127.0.0.1:${statics.port}`);
      expect(found, `${family}/${pool} in ${JSON.stringify(r.replicas.map((x) => [x.family, x.pool, x.replica]))}`).toHaveLength(1);
      return found[0]!;
    };
    const near = (got: number | null | undefined, want: number, tol = 0.02) => {
      expect(got, `want ${want}`).toBeTypeOf('number');
      expect(Math.abs(got! - want) / want, `got ${got}, want ${want}`).toBeLessThan(tol);
    };
    expect(r.families.map((f) => f.id).sort()).toEqual(['billing', 'go-sql', 'hikari-micrometer', 'hikari-tracker', 'otel', 'otel-legacy', 'pool-advisor', 'tasker']);

    const otel = one('otel', 'database');
    expect([otel.env, otel.mapped]).toEqual(['test', true]);
    near(otel.arrivalRate, 200);
    near(otel.wait!.meanS, 0.003);
    near(otel.use!.meanInUse, 4);
    near(otel.timeouts! / otel.windowS, 0.5);
    expect([otel.max, otel.min, otel.inUseMean, otel.openMean, otel.pendingMean]).toEqual([12, 2, 4, 10, 1]);
    near(otel.wait!.p99S, 0.042);
    near(r.pools.find((p) => p.family === 'otel')!.fleetP99S, 0.042);

    const legacy = one('otel-legacy', 'pgmq');
    expect(legacy.mapped).toBe(true);
    near(legacy.arrivalRate, 50);
    near(legacy.wait!.meanS, 0.002);
    near(legacy.use!.meanInUse, 1.5);
    near(legacy.wait!.p50S, bucketP(0.5, [[0.001, 30], [0.01, 45], [0.1, 50]]));
    expect(legacy.max).toBe(5);

    const hm = one('hikari-micrometer', 'database');
    expect([hm.env, hm.seriesPool]).toEqual(['production', 'HikariPool-1']);
    near(hm.arrivalRate, 80);
    near(hm.wait!.meanS, 0.001);
    near(hm.use!.meanInUse, 2.4);
    near(hm.use!.meanS, 0.03);
    expect(hm.wait!.buckets).toBeUndefined();
    expect([hm.max, hm.inUseMean, hm.openMean]).toEqual([10, 3, 10]);

    const ht = one('hikari-tracker', 'orders');
    expect(ht.mapped).toBe(false);
    near(ht.arrivalRate, 40);
    near(ht.wait!.meanS, 50e-6);
    near(ht.use!.meanS, 0.05);
    near(ht.use!.meanInUse, 2);
    expect([ht.max, ht.inUseMean, ht.openMean]).toEqual([8, 2, 8]);
    // Micrometer's `hikaricp_connections` name is shared: the tracker's pool is not counted twice.
    expect(r.replicas.filter((x) => x.seriesPool === 'orders')).toHaveLength(1);

    const go = one('go-sql', 'ledger');
    expect(go.arrivalRate).toBeUndefined();
    expect(go.wait).toBeUndefined();
    near(go.waited!.perSecond, 4);
    near(go.waited!.meanS, 0.05);
    near(go.closed!.lifetime! / go.windowS, 0.2);
    near(go.closed!.idle! / go.windowS, 0.5);
    expect([go.max, go.inUseMean, go.openMean]).toEqual([7, 5, 7]);
    expect(go.notCarried.join(' ')).toContain('acquire count');

    const td = one('tasker', 'database');
    const tq = one('tasker', 'pgmq');
    expect([td.seriesPool, td.inUseMean, td.openMean, tq.inUseMean, tq.openMean]).toEqual(['tasker', 3, 10, 1, 5]);
    expect(td.arrivalRate).toBeUndefined();
    expect(td.notCarried.join(' ')).toContain('acquire waits');

    const bill = one('billing', 'database');
    expect(bill.env).toBe('billing');
    near(bill.arrivalRate, 25);
    near(bill.wait!.meanS, 0.002);
    expect([bill.max, bill.inUseMean, bill.openMean]).toEqual([9, 6, 8]);
  }, 30_000);

  it('auth: a bearer token through a proxy; refused and unreachable exit 3 in one line; no token printed', async () => {
    const token = 'fleet-token-8c1d2e3f4a';
    const proxy = createServer((req, res) => {
      if (req.headers.authorization !== `Bearer ${token}`) return void res.writeHead(401).end('Unauthorized');
      fetch(`${prom.base}${req.url}`).then(
        async (r) => res.writeHead(r.status, { 'content-type': 'application/json' }).end(await r.text()),
        () => res.writeHead(502).end(),
      );
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    cleanup.push(() => proxy.close());
    const url = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    const ok = await runCliAsync(['fleet', '--prometheus', url, '--since', '5s', '--advisor-config', adv, '--prometheus-token-env', 'PA_TOKEN'], { PA_TOKEN: token });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('family tasker');
    expect(ok.stdout + ok.stderr).not.toContain(token);

    const wrong = await runCliAsync(['fleet', '--prometheus', url, '--since', '5s', '--prometheus-token-env', 'PA_TOKEN'], { PA_TOKEN: 'wrong-token-123456' });
    expect(wrong.status).toBe(3);
    expect(wrong.stderr).toMatch(/^ERROR: Prometheus at http:\/\/127\.0\.0\.1:\d+ refused the request: HTTP 401\nhint: check the token/);
    expect(wrong.stdout + wrong.stderr).not.toContain('wrong-token-123456');

    const none = await runCliAsync(['fleet', '--prometheus', url, '--since', '5s']);
    expect(none.status).toBe(3);
    expect(none.stderr).toContain('--prometheus-token-env');

    // A password in the URL is basic auth: never printed, the URL shown without it.
    const withPassword = await runCliAsync(['fleet', '--prometheus', url.replace('http://', 'http://bob:url-secret-pw-42@'), '--since', '5s']);
    expect(withPassword.status).toBe(3);
    expect(withPassword.stderr).toMatch(/^ERROR: Prometheus at http:\/\/bob@127\.0\.0\.1:\d+ refused the request: HTTP 401/);
    expect(withPassword.stdout + withPassword.stderr).not.toContain('url-secret-pw-42');

    const unset = await runCliAsync(['fleet', '--prometheus', url, '--prometheus-token-env', 'PA_NOT_SET']);
    expect(unset.status).toBe(2);
    expect(unset.stderr).toContain('--prometheus-token-env PA_NOT_SET: the variable is not set or empty');

    const gone = await runCliAsync(['fleet', '--prometheus', 'http://127.0.0.1:1', '--since', '5s']);
    expect(gone.status).toBe(3);
    expect(gone.stderr.trim().split('\n')).toHaveLength(2);
    expect(gone.stderr).toMatch(/^ERROR: Prometheus at http:\/\/127\.0\.0\.1:1 unreachable: ECONNREFUSED/);
  }, 30_000);

  it.skipIf(!hasTool('openssl'))('auth: TLS with a custom CA and basic auth on Prometheus itself; nothing recognised lists the names found', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pa-tls-'));
    const gen = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
    expect(gen.status, gen.stderr).toBe(0);
    const password = 'fleet-secret-pw-7';
    // bcrypt of the password above (cost 4): Prometheus's web config takes hashes only.
    const hash = '$2b$04$stZF5EKMc7orEPO0IjcQHu1Ge1MIypSBAE8B/6MBZj1ebZUWIrYI.';
    // It scrapes only a path that answers 404: it has `up` and `scrape_*` series, no pool's.
    const tls = await startFleetPrometheus([{ name: 'nothing', targets: [`127.0.0.1:${statics.port}`], path: '/none' }], { webConfig: `tls_server_config:\n  cert_file: ${join(dir, 'cert.pem')}\n  key_file: ${join(dir, 'key.pem')}\nbasic_auth_users:\n  fleet: '${hash}'\n` });
    cleanup.push(tls.stop);
    const url = `https://127.0.0.1:${tls.port}`;
    const env = { PA_PASSWORD: password };
    // Prometheus needs a moment to listen with TLS; the unauthenticated probe tells when.
    for (let i = 0; i < 50 && runCli(['fleet', '--prometheus', url, '--since', '1m', '--prometheus-ca', join(dir, 'cert.pem')]).stderr.includes('ECONNREFUSED'); i++) await sleep(200);

    const untrusted = runCli(['fleet', '--prometheus', url, '--since', '1m', '--prometheus-user', 'fleet', '--prometheus-password-env', 'PA_PASSWORD'], { env });
    expect(untrusted.status).toBe(3);
    expect(untrusted.stderr).toContain('--prometheus-ca FILE');

    const noAuth = runCli(['fleet', '--prometheus', url, '--since', '1m', '--prometheus-ca', join(dir, 'cert.pem')]);
    expect(noAuth.status).toBe(3);
    expect(noAuth.stderr).toContain('HTTP 401');

    const bad = runCli(['fleet', '--prometheus', url, '--since', '1m', '--prometheus-ca', join(dir, 'cert.pem'), '--prometheus-user', 'fleet', '--prometheus-password-env', 'PA_PASSWORD'], { env: { PA_PASSWORD: 'not-the-password-99' } });
    expect(bad.status).toBe(3);
    expect(bad.stdout + bad.stderr).not.toContain('not-the-password-99');

    // Let it scrape nothing but exist a few seconds: it has only its own metrics, no pool's.
    await sleep(3000);
    const none = runCli(['fleet', '--prometheus', url, '--since', '10m', '--prometheus-ca', join(dir, 'cert.pem'), '--prometheus-user', 'fleet', '--prometheus-password-env', 'PA_PASSWORD'], { env });
    expect(none.status, none.stderr).toBe(4);
    expect(none.stderr).toMatch(/^ERROR: Prometheus at https:\/\/127\.0\.0\.1:\d+ has no pool metrics pool-advisor knows between \S+ and \S+: \d+ metric names, e\.g\.: .*\bup\b/);
    expect(none.stderr).toContain('[prometheus]');
    expect(none.stdout + none.stderr).not.toContain(password);
  }, 60_000);

  it('two replicas under load: arrival rates within 2% and mean in use within 5% of their own truth, apart', async () => {
    // Read the window while the load still runs, then let the replicas finish and write their truth.
    const startMs = loadStart + 10_000;
    const wait = loadStart + (LOAD_S - 4) * 1000 - Date.now();
    if (wait > 0) await sleep(wait);
    const endMs = Date.now() - 1500;
    window = { startMs, endMs };
    expect(endMs - startMs).toBeGreaterThan(110_000);
    // observe --prometheus reads the window (fleet prints the same reading without advice).
    const child = spawnCli(['observe', '--prometheus', prom.base, '--start', (startMs / 1000).toFixed(3), '--end', (endMs / 1000).toFixed(3), '--advisor-config', adv, '--json']);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code, stderr).toBe(0);
    const observed = JSON.parse(stdout) as { prometheus: { reading: FleetReading; budgets: Array<{ env: string; poolMaxTotal: number; unknownSize: number; serverMaxConnections: number; serverSource: string; superuserReserved: number; available: number; fits: boolean }> } };
    const reading = { ...observed.prometheus.reading, budgets: observed.prometheus.budgets };
    await Promise.all(replicas.map((r) => new Promise((res) => (r.proc.exitCode !== null ? res(null) : r.proc.on('exit', res)))));

    const rows: string[] = [];
    const seen: Array<{ rate: number; inUse: number }> = [];
    replicas.forEach((rep, i) => {
      const truth = JSON.parse(readFileSync(rep.truthFile, 'utf8')) as Truth;
      expect(truth.failures).toBe(0);
      const windowS = (endMs - startMs) / 1000;
      const acquires = truth.acquiredAt.filter((t) => t > startMs && t <= endMs).length;
      const inUseS = truth.holds.reduce((a, [a0, a1]) => a + Math.max(0, Math.min(a1, endMs) - Math.max(a0, startMs)), 0) / 1000;
      const trueRate = acquires / windowS;
      const trueInUse = inUseS / windowS;
      const got = reading.replicas.find((x) => x.family === 'pool-advisor' && x.replica === `127.0.0.1:${rep.port}`);
      expect(got, JSON.stringify(reading.replicas.map((x) => [x.family, x.replica]))).toBeDefined();
      rows.push(`replica ${i}: rate ${got!.arrivalRate!.toFixed(2)}/s vs truth ${trueRate.toFixed(2)}/s; mean in use ${got!.use!.meanInUse.toFixed(3)} vs truth ${trueInUse.toFixed(3)} (gauge ${got!.inUseMean?.toFixed(3)}); P99 wait ${((got!.wait!.p99S ?? NaN) * 1000).toFixed(2)} ms`);
      expect(got!.pool).toBe('database');
      expect(got!.mapped).toBe(true);
      expect(got!.env).toBe('test');
      expect(got!.max).toBe(REPLICAS[i]!.max);
      expect(Math.abs(got!.arrivalRate! - trueRate) / trueRate).toBeLessThan(0.02);
      expect(Math.abs(got!.use!.meanInUse - trueInUse) / trueInUse).toBeLessThan(0.05);
      expect(got!.wait!.p99S).toBeGreaterThan(0);
      seen.push({ rate: got!.arrivalRate!, inUse: got!.use!.meanInUse });
    });
    console.log(`fleet over ${((endMs - startMs) / 1000).toFixed(1)} s, ${reading.queries} queries:\n  ${rows.join('\n  ')}`);
    // The replicas apart: each figure is its own, not the fleet's split in two.
    expect(seen[0]!.rate / seen[1]!.rate).toBeGreaterThan(1.8);
    const pool = reading.pools.find((p) => p.family === 'pool-advisor' && p.pool === 'database')!;
    expect(pool.replicas).toBe(2);
    expect(pool.maxTotal).toBe(REPLICAS[0]!.max + REPLICAS[1]!.max);
    expect(pool.fleetP99S).toBeGreaterThan(0);
    // The budget of environment test: every pool of every replica seen there (the fleet's 8 + 6, the
    // static otel 12, otel-legacy 5, hikari-tracker 8, go-sql 7; Tasker's two pools show no size)
    // against 20 - 3 reserved.
    const budget = reading.budgets.find((b) => b.env === 'test')!;
    expect(budget).toMatchObject({ poolMaxTotal: 46, unknownSize: 2, serverSource: 'topology', available: 17, fits: false });

    // With --database-url the server's own max_connections (the test cluster's 300) replaces the topology's 20.
    const live = fleetJson(['--prometheus', prom.base, '--start', (startMs / 1000).toFixed(3), '--end', (endMs / 1000).toFixed(3), '--advisor-config', adv, '--database-url', pgUrl()]);
    expect(live.status, live.stderr).toBe(0);
    expect(live.reading!.budgets.find((b) => b.env === 'test')).toMatchObject({ poolMaxTotal: 46, serverMaxConnections: 300, serverSource: 'pg_settings', superuserReserved: 3, available: 297, fits: true });
    const down = fleetJson(['--prometheus', prom.base, '--since', '1m', '--database-url', 'postgresql://nobody:db-secret-pw-77@127.0.0.1:1/x']);
    expect(down.status).toBe(3);
    expect(down.stderr).toMatch(/^ERROR: cannot connect to postgresql:\/\/nobody@127\.0\.0\.1:1\/x: connection refused/);
    expect(down.stdout + down.stderr).not.toContain('db-secret-pw-77');
  }, (LOAD_S + 30) * 1000);

  it('observe --prometheus on the same window advises per replica as analyze does on the slower replica\'s workload (same key, same direction, within one)', () => {
    expect(window, 'the two-replica window above must have been read').toBeDefined();
    // Only the service's series in environment test (the static families go to an environment the config lacks).
    const observeAdv = advisorFile(`[prometheus]\nenvironment = "static"\n\n[[prometheus.pools]]\nfamily = "pool-advisor"\nmatch = { pool_name = "database" }\npool = "database"\nenvironment = "test"\n`);
    const cfg = scenarioConfig({ max_connections: REPLICAS[1]!.max, min_connections: 1, acquire_timeout_seconds: 30 });
    const r = runCli(['observe', '--prometheus', prom.base, '--start', (window!.startMs / 1000).toFixed(3), '--end', (window!.endMs / 1000).toFixed(3), '--config-dir', cfg, '--advisor-config', observeAdv, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const obs = JSON.parse(r.stdout) as { environments: Array<{ env: string; pools: Array<{ replica: string; settings: { max_connections: number }; liveSize?: { maxConnections: number }; arrival?: { rate: number } }> }>; advice: { recommendations: Array<{ env: string; pool: string; key: string; from: number; to: number }>; findings: Array<{ env: string; kind: string; message: string }> } };
    const test = obs.environments.find((e) => e.env === 'test')!;
    expect(test, JSON.stringify(obs.environments.map((e) => [e.env, e.pools.length, (e as unknown as { unmapped: Array<{ label: string; reason: string }> }).unmapped.map((u) => `${u.label}: ${u.reason}`)]))).toBeDefined();
    // The replicas apart, each with its own size and rate: the config's is the size of record, a
    // replica whose max gauge says another runs the model at it, with a warning naming both (issue 31).
    expect(test.pools.map((p) => p.settings.max_connections)).toEqual([REPLICAS[1]!.max, REPLICAS[1]!.max]);
    expect(test.pools.map((p) => p.liveSize?.maxConnections ?? p.settings.max_connections).sort()).toEqual([REPLICAS[1]!.max, REPLICAS[0]!.max].sort());
    expect(obs.advice.findings.some((f) => f.env === 'test' && f.kind === 'sources-disagree' && f.message.includes(`the config says ${REPLICAS[1]!.max}`) && f.message.includes(`ran with ${REPLICAS[0]!.max}`))).toBe(true);
    const seen = obs.advice.recommendations.find((x) => x.env === 'test' && x.key === 'max_connections');
    const workload = databaseWorkload({ rate: REPLICAS[1]!.rate, hold: `${REPLICAS[1]!.holdMs}ms`, dist: 'exponential', duration: '15s', defaults: 'seed = 5\n' });
    // --fixed-duration: held to the fleet's figures over the same 15 s window.
    const a = runCli(['analyze', '--fixed-duration', '--config-dir', cfg, '--advisor-config', advisorFile(workload), '--env', 'test', '--pool', 'database', '--database-url', pgUrl(), '--json']);
    expect(a.status, a.stderr).toBe(0);
    const measured = (JSON.parse(a.stdout) as { advice: { recommendations: Array<{ key: string; to: number }> } }).advice.recommendations.find((x) => x.key === 'max_connections');
    console.log(`two replicas: observe --prometheus ${seen ? `${seen.from} -> ${seen.to}` : 'no change'}, analyze of the slower replica's workload ${measured ? `${REPLICAS[1]!.max} -> ${measured.to}` : 'no change'}`);
    expect(Boolean(seen)).toBe(Boolean(measured));
    if (seen && measured) {
      expect(Math.sign(seen.to - seen.from)).toBe(Math.sign(measured.to - REPLICAS[1]!.max));
      expect(Math.abs(seen.to - measured.to)).toBeLessThanOrEqual(1);
    }
  }, 90_000);
});

/** Prometheus's interpolation for a cumulative bucket list [[le, count], ...] (test-side, independent of src). */
function bucketP(q: number, cum: Array<[number, number]>): number {
  const total = cum.at(-1)![1];
  const rank = q * total;
  const i = cum.findIndex(([, c]) => c >= rank);
  const lo = i === 0 ? 0 : cum[i - 1]![0];
  const below = i === 0 ? 0 : cum[i - 1]![1];
  return lo + (cum[i]![0] - lo) * ((rank - below) / (cum[i]![1] - below));
}
