/**
 * Hostile world, round 3 (issue 29): nothing overwritten, nothing leaked, nothing impossible
 * believed. Each reproduction as the user would meet it: the built CLI, with the test's
 * PostgreSQL where the item needs one, and small HTTP servers of the test's own standing for a
 * hostile Prometheus or Tasker (a real one cannot be made to answer -5 or 1e300). Every refusal is
 * one `ERROR:` line with the documented exit code and no stack.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { createReadStream, existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgUrl } from '../helpers/pg.js';
import { refused, runCli, runCliAsync } from '../helpers/cli.js';
import { copyExample, EXAMPLE_DIR } from '../helpers/configFixture.js';
import { advisorFile, databaseWorkload } from '../helpers/scenario.js';
import { syntheticRun, HEALTHY } from '../helpers/syntheticRun.js';
import { writeRunFile } from '../helpers/checkRunBuilder.js';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
/** A target nothing listens on: a command that gets as far as connecting fails with exit 3 at once. */
const DEAD_URL = 'postgresql://u@127.0.0.1:1/db';
/** A Prometheus nothing listens on: a command that gets as far as asking it fails with exit 3. */
const DEAD_PROM = 'http://127.0.0.1:1';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'pa-hostile3-'));
const fifo = (p: string): string => (execFileSync('mkfifo', [p]), p);


/** An HTTP server of the test's own on 127.0.0.1; its base URL. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createHttpServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  return { server, url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}` };
}

const run = (): string => writeRunFile(syntheticRun([HEALTHY], { env: 'test' }));

describe('1. an output path that is not a regular file is never replaced', () => {
  it('a FIFO nobody reads is refused at once (exit 2) and stays a FIFO', () => {
    const p = fifo(join(tmp(), 'report.html'));
    refused(runCli(['recommend', '--from', run(), '--report', p]), 2, 'is a FIFO nobody reads');
    expect(lstatSync(p).isFIFO()).toBe(true);
  });

  it('a FIFO someone reads gets the report, and stays a FIFO', async () => {
    const p = fifo(join(tmp(), 'report.html'));
    let got = '';
    const reader = createReadStream(p);
    reader.on('data', (d) => (got += d.toString()));
    const ended = new Promise((r) => reader.on('end', r));
    // The reader's open runs on libuv's pool; give it a moment to be waiting on the FIFO.
    await new Promise((r) => setTimeout(r, 100));
    const r = await runCliAsync(['recommend', '--from', run(), '--report', p]);
    expect(r.status, r.stderr).toBe(0);
    await ended;
    expect(got).toContain('<html');
    expect(lstatSync(p).isFIFO()).toBe(true);
  });

  it('a symlink to /dev/null is written through: the link stays, /dev/null stays a device', () => {
    const link = join(tmp(), 'report.html');
    symlinkSync('/dev/null', link);
    const r = runCli(['recommend', '--from', run(), '--report', link]);
    expect(r.status, r.stderr).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('/dev/null');
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('a symlink to a regular file: the target gets the output, the link is kept', () => {
    const d = tmp();
    const target = join(d, 'real.html');
    writeFileSync(target, 'old');
    const link = join(d, 'report.html');
    symlinkSync(target, link);
    const r = runCli(['recommend', '--from', run(), '--report', link]);
    expect(r.status, r.stderr).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toContain('<html');
  });

  it('a socket, a dangling symlink: refused before any work (exit 2), left as they were', async () => {
    const d = tmp();
    const sock = join(d, 'report.sock');
    const srv = createNetServer();
    await new Promise<void>((r) => srv.listen(sock, r));
    try {
      refused(await runCliAsync(['recommend', '--from', run(), '--report', sock]), 2, 'is a socket');
      expect(lstatSync(sock).isSocket()).toBe(true);
    } finally {
      await new Promise((r) => srv.close(r));
    }
    const dangling = join(d, 'gone.html');
    symlinkSync(join(d, 'nowhere', 'x.html'), dangling);
    refused(runCli(['recommend', '--from', run(), '--report', dangling]), 2, 'which does not exist');
    expect(lstatSync(dangling).isSymbolicLink()).toBe(true);
  });

  it.skipIf(!isRoot)('a character device made with mknod (as root, in a temp dir) is written through, not replaced', () => {
    const dev = join(tmp(), 'null');
    execFileSync('mknod', [dev, 'c', '1', '3']);
    const r = runCli(['recommend', '--from', run(), '--report', dev]);
    expect(r.status, r.stderr).toBe(0);
    expect(lstatSync(dev).isCharacterDevice()).toBe(true);
    // Two outputs may both be a device: nothing is overwritten.
    const out = runCli(['alerts', '--out', dev]);
    expect(out.status, out.stderr).toBe(0);
    expect(lstatSync(dev).isCharacterDevice()).toBe(true);
  });
});

describe('2-3. no output lands on an input the command reads', () => {
  it('observe --out onto a Tasker config file it reads (--map, --prometheus): exit 2 before any connection', () => {
    const dir = copyExample();
    const target = join(dir, 'environments', 'test', 'common.toml');
    const before = readFileSync(target, 'utf8');
    refused(runCli(['observe', '--database-url', DEAD_URL, '--config-dir', dir, '--map', 'app:api=test.database', '--out', target]), 2, 'is the same file as the input');
    refused(runCli(['observe', '--prometheus', DEAD_PROM, '--config-dir', dir, '--report', target]), 2, 'is the same file as the input');
    expect(readFileSync(target, 'utf8')).toBe(before);
  });

  it("analyze --out onto the advisor config's sql_file, recommend --report onto it: exit 2, the file untouched", () => {
    const d = tmp();
    const sql = join(d, 'hold.sql');
    writeFileSync(sql, 'SELECT pg_sleep(0.001)\n');
    const adv = join(d, 'pool-advisor.toml');
    writeFileSync(adv, '[environments.test.workloads.database]\narrival = "poisson"\nrate = 10\nhold = "sql"\nsql_file = "hold.sql"\n');
    refused(runCli(['analyze', '--env', 'test', '--advisor-config', adv, '--database-url', DEAD_URL, '--out', sql]), 2, 'is the same file as the input hold.sql');
    refused(runCli(['recommend', '--from', run(), '--advisor-config', adv, '--report', sql]), 2, 'is the same file as the input hold.sql');
    expect(readFileSync(sql, 'utf8')).toBe('SELECT pg_sleep(0.001)\n');
  });

  it('observe --out onto the --prometheus-ca file; analyze --out onto the sslrootcert of --database-url: exit 2', () => {
    const d = tmp();
    const ca = join(d, 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nnot really\n-----END CERTIFICATE-----\n');
    refused(runCli(['observe', '--prometheus', DEAD_PROM, '--prometheus-ca', ca, '--out', ca]), 2, 'is the same file as the input');
    refused(runCli(['analyze', '--env', 'test', '--database-url', `${DEAD_URL}?sslmode=verify-full&sslrootcert=${ca}`, '--out', ca]), 2, 'is the same file as the input');
    expect(readFileSync(ca, 'utf8')).toContain('not really');
  });
});

describe('6. secrets in URLs are never printed', () => {
  it('a Prometheus URL with ?api_key= and ?access_token=: the values appear nowhere', () => {
    const r = runCli(['observe', '--prometheus', `${DEAD_PROM}/?api_key=Ak3yValue&access_token=t0kenValue&Signature=s1gValue`]);
    refused(r, 3, 'api_key=***');
    for (const s of ['Ak3yValue', 't0kenValue', 's1gValue']) expect(r.stdout + r.stderr).not.toContain(s);
  });
});

describe('Low: smaller holes', () => {
  it('--prometheus-token-env given the token itself: the token is not echoed', () => {
    const r = runCli(['observe', '--prometheus', DEAD_PROM, '--prometheus-token-env', 'eyJhbGciOi.s3cretT0ken']);
    refused(r, 2, '--prometheus-token-env');
    expect(r.stderr).not.toContain('s3cretT0ken');
  });

  it("a run file whose target holds a password: recommend --from never prints it", () => {
    const f = writeRunFile({ ...syntheticRun([HEALTHY], { env: 'test' }), target: 'postgresql://app:Run-F1le-Secret@db.internal:5432/app' });
    const r = runCli(['recommend', '--from', f]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toContain('db.internal');
    expect(r.stdout + r.stderr).not.toContain('Run-F1le-Secret');
  });

  it('--metrics-port 0x50 is refused, not read as 80', () => {
    refused(runCli(['analyze', '--env', 'test', '--database-url', DEAD_URL, '--metrics-port', '0x50']), 2, "--metrics-port '0x50'");
  });

  it('--database-url: another scheme, a keyword DSN, a missing sslrootcert: each named (exit 2, before any connection)', () => {
    refused(runCli(['analyze', '--env', 'test', '--database-url', 'mysql://u@127.0.0.1:1/db']), 2, 'is a mysql:// URL; pool-advisor connects to PostgreSQL only');
    const kw = refused(runCli(['analyze', '--env', 'test', '--database-url', 'host=127.0.0.1 port=1 dbname=x password=KwS3cret']), 2, 'is a keyword/value connection string');
    expect(kw).not.toContain('KwS3cret');
    refused(runCli(['analyze', '--env', 'test', '--database-url', `${DEAD_URL}?sslrootcert=/nonexistent/ca.pem`]), 2, 'sslrootcert=/nonexistent/ca.pem: cannot read: no such file');
  });
});

/** A hostile Prometheus: HikariCP's metric names, every query answered from `values` in turn. */
const HIKARI_NAMES = ['hikaricp_connections', 'hikaricp_connections_active', 'hikaricp_connections_idle', 'hikaricp_connections_pending', 'hikaricp_connections_max', 'hikaricp_connections_min', 'hikaricp_connections_timeout_total', 'hikaricp_connections_acquire_seconds_count', 'hikaricp_connections_acquire_seconds_sum', 'hikaricp_connections_acquire_seconds_bucket', 'hikaricp_connections_usage_seconds_count', 'hikaricp_connections_usage_seconds_sum', 'hikaricp_connections_creation_seconds_count', 'hikaricp_connections_creation_seconds_sum'];

/** Values no pool can have, and ordinary ones beside them (as Prometheus writes sample values: strings). */
const HOSTILE = ['-5', '0', '2.5', '1e300', '-1e300', 'NaN', '+Inf', '-Inf', '1e9', '1e12', 'abc', '', '3', '10', '0.004', '120'];
const LES = ['0.001', '0.01', '0.1', '1', '-1', '1e12', 'NaN', '+Inf'];

function hostilePrometheus(seed: number) {
  const rnd = fc.sample(fc.integer({ min: 0, max: 1 << 30 }), { seed, numRuns: 4000 });
  let i = 0;
  const pick = <T>(xs: readonly T[]): T => xs[rnd[i++ % rnd.length]! % xs.length]!;
  return (req: IncomingMessage, res: ServerResponse) => {
    const u = new URL(req.url ?? '/', 'http://x');
    res.setHeader('content-type', 'application/json');
    if (u.pathname === '/api/v1/label/__name__/values') return void res.end(JSON.stringify({ status: 'success', data: HIKARI_NAMES }));
    const q = u.searchParams.get('query') ?? '';
    const metric = { pool: 'database', instance: pick(['a:8080', 'b:8080']) };
    const result = q.includes('_bucket') ? LES.map((le) => ({ metric: { ...metric, le }, value: [0, pick(HOSTILE)] })) : [{ metric, value: [0, pick(HOSTILE)] }, { metric: { ...metric, instance: 'c:8080' }, value: [0, pick(HOSTILE)] }];
    res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }));
  };
}

describe('5. impossible figures are not believed; what observe saves, its readers accept', () => {
  const adv = advisorFile(`${databaseWorkload({ rate: 50, hold: '2ms' })}\n[prometheus]\nenvironment = "test"\n`);
  for (const seed of [2, 3, 4]) {
    it(`a hostile Prometheus (seed ${seed}): observe saves, recommend --from and check --from read it (no exit 2, no exit 70)`, async () => {
      const { server, url } = await serve(hostilePrometheus(seed));
      try {
        const out = join(tmp(), 'obs.json');
        const o = await runCliAsync(['observe', '--prometheus', url, '--advisor-config', adv, '--config-dir', EXAMPLE_DIR, '--since', '10m', '--out', out]);
        expect([0, 4], o.stderr).toContain(o.status);
        expect(o.stderr).not.toContain('unexpected error');
        expect(existsSync(out), o.stderr).toBe(true);
        for (const args of [['recommend', '--from', out, '--advisor-config', adv], ['check', '--from', out, '--advisor-config', adv, '--config-dir', EXAMPLE_DIR, '--env', 'test']]) {
          const r = await runCliAsync(args);
          expect(r.status === 2 || r.status === 70, `${args[0]}: exit ${r.status}\n${r.stderr}\n${readFileSync(out, 'utf8').slice(0, 2000)}`).toBe(false);
          expect(r.stderr).not.toContain('unexpected error');
          // No negative figure reaches the advice ("acquires -5", "-5000000.0 µs").
          expect(r.stdout).not.toMatch(/(?<![\w.])-\d/);
        }
      } finally {
        await new Promise((r) => server.close(r));
      }
    }, 30_000);
  }
});

describe('4-5. Tasker: credentials become a Basic header; impossible sizes are not believed; --map matching nothing is said', () => {
  let tasker: { server: Server; url: string };
  let auth: string | undefined;
  let holder: pg.Client;
  beforeAll(async () => {
    tasker = await serve((req, res) => {
      auth = req.headers.authorization;
      res.setHeader('content-type', 'application/json');
      if (auth !== `Basic ${Buffer.from('ops:Tasker-PW-99').toString('base64')}`) return void res.writeHead(401).end('{}');
      res.end(JSON.stringify({ status: 'healthy', pool_utilization: { tasker_pool: { active_connections: -3, idle_connections: 2.5, max_connections: -5 }, pgmq_pool: { active_connections: 1, idle_connections: 1, max_connections: 2.5 } } }));
    });
    // One connection of a service the observation can map.
    holder = new pg.Client({ connectionString: pgUrl(), application_name: 'hostile3-api' });
    await holder.connect();
  });
  afterAll(async () => {
    await holder.end();
    await new Promise((r) => tasker.server.close(r));
  });

  it('observe --tasker-url http://ops:PW@host: read with the header, the password nowhere; -5 and 2.5 left out; the file read back', async () => {
    const out = join(tmp(), 'obs.json');
    const taskerUrl = tasker.url.replace('http://', 'http://ops:Tasker-PW-99@');
    const r = await runCliAsync(['observe', '--database-url', pgUrl(), '--duration', '1s', '--interval', '100ms', '--config-dir', EXAMPLE_DIR, '--map', 'app:hostile3-api=test.database', '--map', 'app:nobody-has-this=test.pgmq', '--tasker-url', taskerUrl, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(auth).toBe(`Basic ${Buffer.from('ops:Tasker-PW-99').toString('base64')}`);
    const all = r.stdout + r.stderr + readFileSync(out, 'utf8');
    expect(all).not.toContain('Tasker-PW-99');
    expect(r.stderr).toContain('pool_utilization.tasker_pool.max_connections -5 is not believed');
    expect(r.stderr).toContain('pool_utilization.pgmq_pool.max_connections 2.5 is not believed');
    expect(r.stderr).toContain("warning: --map 'app:nobody-has-this=test.pgmq' matched no group");
    const file = JSON.parse(readFileSync(out, 'utf8')) as { groups: Array<{ id: string; settings: { maxConnections: number; sizeSource: string } | null }> };
    const api = file.groups.find((g) => g.id.includes('app=hostile3-api'))!;
    // The config's size, not Tasker's -5.
    expect(api.settings).toMatchObject({ sizeSource: 'config' });
    expect(api.settings!.maxConnections).toBeGreaterThanOrEqual(1);
    for (const args of [['recommend', '--from', out], ['check', '--from', out, '--config-dir', EXAMPLE_DIR, '--env', 'test']]) {
      const c = await runCliAsync(args);
      expect(c.status === 2 || c.status === 70, `${args[0]}: ${c.stderr}`).toBe(false);
    }
  }, 30_000);
});
