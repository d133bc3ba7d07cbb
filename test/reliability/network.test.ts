/**
 * Hostile world, round 3 (issue 30): every read from a server or the network has a deadline for
 * the whole answer and a size cap, every wait gives way to SIGINT/SIGTERM/SIGHUP (exit 130 within
 * 2 s, plus the throwaway server's removal), and nothing of the tool's is left on a server after
 * any exit. Each test is one reproduction of a hole, run the way a user meets it: the built CLI
 * against fake endpoints (test/helpers/hostileServers.ts) or the test PostgreSQL. Deadlines are set
 * short with --read-timeout so a slow case ends in about a second.
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgUrl as workerPgUrl } from '../helpers/pg.js';
import { spawnCli } from '../helpers/cli.js';
import { advisorFile, databaseWorkload, scenarioConfig } from '../helpers/scenario.js';
import { bouncerAnswers, fakeConsole, fakeHttp, namesAnswer, POOL_ADVISOR_NAMES, vectorAnswer } from '../helpers/hostileServers.js';
import { findPgBinDir, startThrowaway, type ThrowawayCluster } from '../../src/shell/throwawayPg.js';
import { erlangC, smallestMeeting } from '../../src/core/model/queue.js';
import { serverGuard } from '../../src/core/limits.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'pa-net-'));

type Child = ReturnType<typeof spawnCli>;
function watch(child: Child) {
  const o = { stdout: '', stderr: '', code: undefined as number | null | undefined, exitedAt: 0 };
  child.stdout.on('data', (d: Buffer) => (o.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (o.stderr += d.toString()));
  const done = new Promise<number | null>((r) =>
    child.on('exit', (c) => {
      o.code = c;
      o.exitedAt = Date.now();
      r(c);
    }),
  );
  return { o, done };
}
const until = async (cond: () => boolean, ms: number): Promise<boolean> => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
  return cond();
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Run the CLI to its end, with a wall-clock budget; the time it took. */
async function runFor(args: string[], budgetMs: number, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const t = Date.now();
  const child = spawnCli(args, { env });
  const { o, done } = watch(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), budgetMs);
  await done;
  clearTimeout(timer);
  return { code: o.code ?? null, stdout: o.stdout, stderr: o.stderr, ms: Date.now() - t };
}

/** Signal the child once `ready` holds, and how long it took to exit after the signal. */
async function signalWhen(child: Child, w: ReturnType<typeof watch>, ready: () => boolean, sig: NodeJS.Signals, readyMs = 30_000, afterMs = 0): Promise<{ code: number | null; exitMs: number }> {
  expect(await until(ready, readyMs), w.o.stderr).toBe(true);
  if (afterMs) await sleep(afterMs);
  const t = Date.now();
  child.kill(sig);
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const code = await w.done;
  clearTimeout(killer);
  return { code, exitMs: w.o.exitedAt - t };
}

/** The tool's backends on the test server (every connection it opens is named pool-advisor*). */
async function ourBackends(url: string): Promise<Array<{ pid: number; app: string; query: string }>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ pid: number; app: string; query: string }>("SELECT pid, application_name AS app, query FROM pg_stat_activity WHERE application_name LIKE 'pool-advisor%' AND pid <> pg_backend_pid()");
    return r.rows;
  } finally {
    await c.end();
  }
}

/** A TCP port that accepts and never answers (a server that hangs). */
async function blackHole(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const srv = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as { port: number }).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => srv.close(() => r()));
    },
  };
}

const MAP_ADVISOR = `[prometheus]\nenvironment = "production"\n`;
const okProm = (value: string | number = '1') => (req: { url?: string }) =>
  req.url?.includes('__name__') ? { body: namesAnswer(POOL_ADVISOR_NAMES) } : { body: vectorAnswer([{ metric: { instance: '10.0.0.1:9187', pool_name: 'database', job: 'svc' }, value: [1, String(value)] }]) };

let pgUrl: string;
beforeAll(() => {
  pgUrl = workerPgUrl();
});

describe('1. observe: a server, a console or a Prometheus that stops answering', () => {
  it("the sampler's backend stopped (SIGSTOP): the window ends at the deadline as partial, exit 3, the samples so far printed", async () => {
    const out = join(tmp(), 'obs.json');
    const child = spawnCli(['observe', '--database-url', pgUrl, '--duration', '30s', '--interval', '50ms', '--read-timeout', '1s', '--out', out, '--no-progress']);
    const w = watch(child);
    let stopped: number | undefined;
    try {
      expect(await until(() => w.o.stderr.includes('Observing'), 10_000), w.o.stderr).toBe(true);
      await sleep(300);
      const pid = (await ourBackends(pgUrl)).find((b) => b.app === 'pool-advisor-observe')?.pid;
      expect(pid).toBeDefined();
      process.kill(pid!, 'SIGSTOP');
      stopped = pid;
      const t = Date.now();
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await w.done;
      clearTimeout(killer);
      expect(code, w.o.stderr).toBe(3);
      expect(Date.now() - t).toBeLessThan(4000);
      expect(w.o.stderr).toMatch(/a sample of pg_stat_activity on .*: no whole answer within 1 s/);
      const saved = JSON.parse(readFileSync(out, 'utf8')) as { partial: boolean; observation: { samples: number } };
      expect(saved.partial).toBe(true);
      expect(saved.observation.samples).toBeGreaterThan(0);
    } finally {
      if (stopped) process.kill(stopped, 'SIGCONT');
    }
    // Resumed, the backend finds its client gone and ends (nothing left on the server).
    let left = await ourBackends(pgUrl);
    for (let i = 0; i < 40 && left.length > 0; i++) {
      await sleep(100);
      left = await ourBackends(pgUrl);
    }
    expect(left).toEqual([]);
  });

  it("a slow sample is data: a read longer than the interval is kept and counted late, the window goes on", async () => {
    // A sampler interval shorter than a read on this machine: every sample is late, none past the deadline.
    const r = await runFor(['observe', '--database-url', pgUrl, '--duration', '1s', '--interval', '10ms', '--read-timeout', '5s', '--json', '--no-progress'], 20_000);
    expect(r.code, r.stderr).toBe(0);
    const obs = JSON.parse(r.stdout) as { partial: boolean; cost: { samples: number; late?: number; latenessMsMax?: number } };
    expect(obs.partial).toBe(false);
    expect(obs.cost.late).toBeGreaterThanOrEqual(0);
    expect(obs.cost.late).toBeLessThanOrEqual(obs.cost.samples);
    expect(obs.cost.latenessMsMax).toBeGreaterThanOrEqual(0);
  });

  it("PgBouncer's console stops answering: its readings end at the deadline, the server's window goes on (exit 0)", async () => {
    let n = 0;
    const base = bouncerAnswers();
    const con = await fakeConsole((sql) => (sql === 'SHOW POOLS' && ++n >= 2 ? { ...base(sql), delayMs: Infinity } : base(sql)));
    try {
      const r = await runFor(['observe', '--database-url', pgUrl, '--pgbouncer-url', con.url, '--duration', '2s', '--interval', '100ms', '--read-timeout', '1s', '--json', '--no-progress'], 20_000);
      expect(r.code, r.stderr).toBe(0);
      expect(r.ms).toBeLessThan(9000);
      const obs = JSON.parse(r.stdout) as { pgbouncer: { error?: string; pools: Array<{ reads: number }> } };
      expect(obs.pgbouncer.error).toMatch(/PgBouncer's admin console at .*SHOW POOLS.*no whole answer within 1 s/);
      expect(obs.pgbouncer.pools[0]!.reads).toBe(1);
    } finally {
      await con.close();
    }
  });

  it('Prometheus trickling its answer (one byte every 300 ms): cut at the deadline, exit 3 in about a second', async () => {
    const srv = await fakeHttp((req) => ({ ...okProm()(req), chunk: 1, gapMs: 300 }));
    try {
      const r = await runFor(['fleet', '--prometheus', srv.url, '--read-timeout', '1s'], 15_000);
      expect(r.code, r.stderr).toBe(3);
      expect(r.ms).toBeLessThan(6000);
      expect(r.stderr).toMatch(/ERROR: Prometheus at .*: no whole answer within 1 s/);
      expect(await until(() => srv.openSockets() === 0, 2000)).toBe(true);
    } finally {
      await srv.close();
    }
  });
});

describe('2. analyze: holds longer than the window, and holds left on the server', () => {
  it('--hold 1h --duration 3s is refused before any connection (exit 2)', async () => {
    const r = await runFor(['analyze', '--env', 'test', '--pool', 'database', '--hold', '1h', '--duration', '3s', '--database-url', 'postgresql://u@127.0.0.1:1/db', '--advisor-config', advisorFile(databaseWorkload({ rate: 5, hold: '2ms' })), '--config-dir', scenarioConfig({ max_connections: 3, min_connections: 0 })], 10_000);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/ERROR: test\.database: a constant hold of 3600000 ms is longer than the measuring window \(3 s\)/);
  });

  it('--hold 20s --duration 3s is refused too (it took 43 s)', async () => {
    const r = await runFor(['analyze', '--env', 'test', '--pool', 'database', '--hold', '20s', '--duration', '3s', '--advisor-config', advisorFile(databaseWorkload({ rate: 5, hold: '2ms' })), '--config-dir', scenarioConfig({ max_connections: 3, min_connections: 0 })], 10_000);
    expect(r.code, r.stderr).toBe(2);
    expect(r.ms).toBeLessThan(5000);
  });

  it('a replayed hold of 1e12 s (an observation whose use-time sum is absurd) is refused the same way', async () => {
    const srv = await fakeHttp((req) => {
      if (req.url?.includes('__name__')) return { body: namesAnswer(POOL_ADVISOR_NAMES) };
      const q = new URL(req.url ?? '/', 'http://x').searchParams.get('query') ?? '';
      return { body: vectorAnswer([{ metric: { instance: '10.0.0.1:9187', pool_name: 'database' }, value: [1, q.includes('use_time_seconds_sum') ? '1e12' : '1'] }]) };
    });
    const obs = join(tmp(), 'obs.json');
    try {
      const o = await runFor(['observe', '--prometheus', srv.url, '--since', '5m', '--advisor-config', advisorFile(MAP_ADVISOR), '--out', obs], 15_000);
      expect(o.code, o.stderr).toBe(0);
    } finally {
      await srv.close();
    }
    const r = await runFor(['analyze', '--workload-from', obs, '--database-url', 'postgresql://u@127.0.0.1:1/db'], 10_000);
    expect(r.code, r.stderr).toBe(2);
    // Refused either way: the absurd use-time sum is not believed where it enters (the replay then has
    // no hold), or, from a file that carried it, the hold is longer than the window.
    expect(r.stderr).toMatch(/ERROR: (production\.database: an exponential hold of mean \d+ ms is longer than the measuring window|.*nothing to replay: production\.database: .* has no hold time)/);
  });

  it("the setting the tool applies is in effect on its pool's connections, as serverGuard chooses for this server's version", async () => {
    const table = `pa_guard_seen_${process.pid}`;
    const c = new pg.Client({ connectionString: pgUrl });
    await c.connect();
    try {
      await c.query(`CREATE TABLE ${table} (name text, setting text)`);
      const versionNum = Number((await c.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]!.v);
      // Each request reads, on its own connection, the settings the server applies to it.
      const workload = `[defaults]\nduration = "1s"\nwarmup = "0s"\n[environments.test.workloads.database]\narrival = "poisson"\nrate = 20\nhold = "sql"\nsql = "INSERT INTO ${table} SELECT name, setting FROM pg_settings WHERE name IN ('client_connection_check_interval', 'statement_timeout')"\n`;
      const r = await runFor(['analyze', '--env', 'test', '--pool', 'database', '--database-url', pgUrl, '--no-progress', '--advisor-config', advisorFile(workload), '--config-dir', scenarioConfig({ max_connections: 3, min_connections: 1 })], 30_000);
      expect(r.code, r.stderr).toBe(0);
      const seen = (await c.query<{ name: string; setting: string }>(`SELECT DISTINCT name, setting FROM ${table} ORDER BY name`)).rows;
      // The fallback is the run's length plus a minute (src/shell/measure.ts): 1 s + 60 s.
      const guard = serverGuard(versionNum, 61_000);
      const want = { client_connection_check_interval: '0', statement_timeout: '0', [guard.name]: String(guard.value) };
      expect(seen).toEqual(Object.entries(want).sort().map(([name, setting]) => ({ name, setting })));
      if (versionNum >= 140000) expect(want.client_connection_check_interval).toBe('1000');
    } finally {
      await c.query(`DROP TABLE IF EXISTS ${table}`);
      await c.end();
    }
  });

  it('after SIGKILL, no pg_sleep of the tool runs on on the server past about a second', async () => {
    const child = spawnCli(['analyze', '--fixed-duration', '--env', 'test', '--pool', 'database', '--rate', '20', '--hold', '10s', '--duration', '10s', '--warmup', '0s', '--database-url', pgUrl, '--no-progress', '--advisor-config', advisorFile(databaseWorkload({ rate: 5, hold: '2ms' })), '--config-dir', scenarioConfig({ max_connections: 3, min_connections: 0 })]);
    const w = watch(child);
    expect(await until(() => w.o.stderr.includes('Target:'), 20_000), w.o.stderr).toBe(true);
    let sleeping: Array<{ pid: number }> = [];
    for (let i = 0; i < 60 && sleeping.length === 0; i++) {
      await sleep(100);
      sleeping = (await ourBackends(pgUrl)).filter((b) => b.query.includes('pg_sleep'));
    }
    expect(sleeping.length).toBeGreaterThan(0);
    child.kill('SIGKILL');
    await w.done;
    const t = Date.now();
    let left = await ourBackends(pgUrl);
    while (left.length > 0 && Date.now() - t < 5000) {
      await sleep(100);
      left = await ourBackends(pgUrl);
    }
    expect(left).toEqual([]);
    // client_connection_check_interval is 1 s: the server notices within about that (10 s holds otherwise).
    expect(Date.now() - t).toBeLessThan(3000);
  });
});

describe('3. absurd values mapped to a Tasker pool: the advice ends, whatever the values', () => {
  for (const v of ['1e12', '1e308']) {
    it(`Prometheus samples of ${v}: observe --prometheus ends within seconds`, async () => {
      const srv = await fakeHttp(okProm(v));
      try {
        const r = await runFor(['observe', '--prometheus', srv.url, '--since', '5m', '--advisor-config', advisorFile(MAP_ADVISOR), '--json'], 20_000);
        expect([0, 1, 3, 4]).toContain(r.code);
        expect(r.ms).toBeLessThan(8000);
      } finally {
        await srv.close();
      }
    });
  }

  it("Tasker's /health/detailed answering max_connections: 1e300: observe ends within seconds", async () => {
    const tasker = await fakeHttp(() => ({ body: JSON.stringify({ data: { pool_utilization: { tasker_pool: { max_connections: 1e300, active_connections: 1e300, idle_connections: 0 } } } }) }));
    // A client of the service the observation sees and maps to the pool Tasker sizes (the sampler leaves itself out).
    const app = new pg.Client({ connectionString: pgUrl, application_name: 'pa-net-app' });
    await app.connect();
    // Busy now and then, so the pool has a load to size for (the model then runs with Tasker's size).
    let busy = true;
    const load = (async () => {
      while (busy) await app.query('SELECT pg_sleep(0.02)');
    })();
    try {
      const r = await runFor(['observe', '--database-url', pgUrl, '--tasker-url', tasker.url, '--duration', '1s', '--interval', '50ms', '--map', 'app:pa-net-app=production.database', '--group-by', 'application_name', '--json', '--no-progress'], 20_000);
      expect(r.code, r.stderr).not.toBe(70);
      expect(r.ms).toBeLessThan(10_000);
      // Tasker's absurd size is not believed where it enters (the config's size is used), or is used and the model still ends.
      expect(r.stdout + r.stderr).toMatch(/"sizeSource": "tasker"|not believed/);
    } finally {
      busy = false;
      await load;
      await app.end();
      await tasker.close();
    }
  });

  it('the queue model is bounded by construction: a pool of 1e12 and a load of 1e12 - 1 in milliseconds', () => {
    const t = performance.now();
    expect(erlangC(1e12, 1e12 - 1)).toBeGreaterThanOrEqual(0);
    expect(erlangC(1e300, 1e12)).toBeLessThanOrEqual(1);
    smallestMeeting({ arrivals: { kind: 'closed', callers: 1e12, thinkS: 0.001 }, meanHoldS: 1e-3 } as never, 0.05);
    expect(performance.now() - t).toBeLessThan(1000);
  });
});

describe('4. Prometheus answers: a size cap and a deadline for the whole answer', () => {
  it('an endless body is cut at --read-limit (exit 3), memory stays small', async () => {
    const srv = await fakeHttp((req) => (req.url?.includes('__name__') ? { body: '{"status":"success","data":["', endless: true } : okProm()(req)));
    try {
      const r = await runFor(['fleet', '--prometheus', srv.url, '--read-limit', '1MiB'], 15_000);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/ERROR: Prometheus at .*: the answer is larger than 1 MiB/);
      expect(r.ms).toBeLessThan(5000);
    } finally {
      await srv.close();
    }
  });

  it('one byte every 5 s: past --read-timeout (an idle-socket timeout never fired)', async () => {
    const srv = await fakeHttp((req) => ({ ...okProm()(req), chunk: 1, gapMs: 5000 }));
    try {
      const r = await runFor(['fleet', '--prometheus', srv.url, '--read-timeout', '1s'], 15_000);
      expect(r.code, r.stderr).toBe(3);
      expect(r.ms).toBeLessThan(5000);
    } finally {
      await srv.close();
    }
  });

  it('bad --read-limit and --read-timeout values are usage errors (exit 2)', async () => {
    const all = [['--read-limit', 'lots'], ['--read-limit', '10'], ['--read-timeout', 'soon'], ['--read-timeout', '1ms']];
    for (const r of await Promise.all(all.map((args) => runFor(['fleet', '--prometheus', 'http://127.0.0.1:1', ...args], 10_000)))) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/^ERROR: --read-(limit|timeout) /m);
    }
  });
});

describe('5. answers that gave exit 70 with a stack', () => {
  const noBug = (r: { code: number | null; stderr: string }) => {
    expect(r.code, r.stderr).not.toBe(70);
    expect(r.stderr).not.toContain('unexpected error');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  };

  it('a Prometheus result holding null', async () => {
    const srv = await fakeHttp((req) => (req.url?.includes('__name__') ? { body: namesAnswer(POOL_ADVISOR_NAMES) } : { body: vectorAnswer([null, { metric: null, value: null }, { metric: { instance: 'a', pool_name: 'database' }, value: [1, '2'] }]) }));
    try {
      noBug(await runFor(['fleet', '--prometheus', srv.url], 15_000));
    } finally {
      await srv.close();
    }
  });

  it('a Tasker answer that stalls after its headers: exit 3 at the deadline', async () => {
    const tasker = await fakeHttp(() => ({ stallAfterHeaders: true }));
    try {
      const r = await runFor(['observe', '--database-url', pgUrl, '--tasker-url', tasker.url, '--duration', '1s', '--read-timeout', '1s', '--no-progress'], 15_000);
      noBug(r);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/ERROR: Tasker's .*: no whole answer within 1 s/);
    } finally {
      await tasker.close();
    }
  });

  it('a token holding CR/LF: exit 2 naming the variable, the token shown nowhere', async () => {
    const r = await runFor(['fleet', '--prometheus', 'http://127.0.0.1:1', '--prometheus-token-env', 'PA_TOKEN'], 10_000, { PA_TOKEN: 'S3cretTok\r\nX-Evil: 1' });
    noBug(r);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('--prometheus-token-env PA_TOKEN: the value holds a control character');
    expect(r.stderr + r.stdout).not.toContain('S3cretTok');
  });

  // The hole was found with 500,000 series (74 s, 3.4 GB, then a stack overflow); any answer past the cap is refused alike.
  it('an answer of more series than read (60,000 > 50,000): refused at once (exit 3), no stack overflow', async () => {
    const big = vectorAnswer(Array.from({ length: 60_000 }, (_, i) => ({ metric: { instance: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}:1`, pool_name: 'database' }, value: [1, '1'] })));
    const srv = await fakeHttp((req) => (req.url?.includes('__name__') ? { body: namesAnswer(POOL_ADVISOR_NAMES) } : { body: big }));
    try {
      const r = await runFor(['fleet', '--prometheus', srv.url], 30_000);
      noBug(r);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/with 60000 series \(at most 50000/);
      expect(r.ms).toBeLessThan(5000);
    } finally {
      await srv.close();
    }
  });
});

describe('6. analyze --pgmq-database-url that cannot be reached: one line, exit 3, no password in any output', () => {
  const adv = () => advisorFile(`${databaseWorkload({ rate: 20, hold: '2ms', duration: '1s' })}\n[environments.test.workloads.pgmq]\narrival = "poisson"\nrate = 10\nhold = "queue"\nbatch = 1\n`);
  const cfg = () => scenarioConfig({ max_connections: 3, min_connections: 0 }, { pgmqUrl: 'postgresql://localhost/pgmq', pgmq: { max_connections: 2, min_connections: 0 } });
  // A cluster of its own that asks for a password over TCP (scram-sha-256): the test servers trust every connection.
  const PASSWORD = 'Pgmq-Secret-7c41e9';
  let secured: ThrowawayCluster | undefined;
  beforeAll(async () => {
    secured = await startThrowaway({ maxConnections: 20, databases: ['pgmq'], password: PASSWORD });
  });
  afterAll(async () => {
    await secured?.stop();
  });
  let hole: Awaited<ReturnType<typeof blackHole>> | undefined;
  afterAll(async () => {
    await hole?.close();
  });
  const cases: Array<[string, () => string | Promise<string>, RegExp]> = [
    ['a wrong password', () => secured!.urlFor('pgmq').replace(encodeURIComponent(PASSWORD), `${encodeURIComponent(PASSWORD)}-wrong`), /password authentication failed/],
    ['a refused port', () => `postgresql://postgres:${PASSWORD}@127.0.0.1:1/x`, /connection refused/],
    ['a missing database', () => secured!.urlFor('no_such_db_pa'), /the database does not exist/],
    // Connecting to PGMQ's target has the read deadline too.
    ['a server that accepts and never answers (--read-timeout 1s)', async () => `postgresql://postgres:${PASSWORD}@127.0.0.1:${(hole = await blackHole()).port}/x`, /timed out connecting|no whole answer within 1 s/],
  ];
  for (const [name, url, want] of cases) {
    it(name, async () => {
      const u = await url();
      expect(u).toContain(PASSWORD);
      const r = await runFor(['analyze', '--env', 'test', '--database-url', pgUrl, '--pgmq-database-url', u, '--read-timeout', '1s', '--no-progress', '--advisor-config', adv(), '--config-dir', cfg()], 20_000);
      expect(r.code, r.stderr).toBe(3);
      expect(r.ms).toBeLessThan(8000);
      const errs = r.stderr.split('\n').filter((l) => l.startsWith('ERROR:'));
      expect(errs, r.stderr).toHaveLength(1);
      expect(errs[0]).toMatch(want);
      expect(errs[0]).toContain("PGMQ's database");
      expect(errs[0]).toContain('--pgmq-database-url');
      for (const text of [r.stdout, r.stderr]) {
        expect(text).not.toContain(PASSWORD);
        expect(text).not.toContain(encodeURIComponent(PASSWORD));
      }
    });
  }
});

describe('7-8 and signals: every wait gives way, exit 130 within 2 s', () => {
  /** A PATH whose initdb (or pg_ctl start) hangs, the real one for the rest. */
  function hangingBin(which: 'initdb' | 'pg_ctl'): string {
    const real = findPgBinDir();
    const d = mkdtempSync(join(tmpdir(), 'pa-bin-'));
    // initdb and pg_ctl run as the postgres user when the tests run as root: it writes the marker here.
    chmodSync(d, 0o777);
    for (const tool of ['initdb', 'pg_ctl']) {
      const script =
        tool === which
          ? which === 'initdb'
            ? '#!/bin/sh\nexec sleep 30\n'
            : `#!/bin/sh\ncase "$*" in *start*) touch ${d}/started; exec sleep 30;; esac\nexec ${real}/pg_ctl "$@"\n`
          : `#!/bin/sh\nexec ${real}/${tool} "$@"\n`;
      writeFileSync(join(d, tool), script, { mode: 0o755 });
    }
    return d;
  }
  const analyzeArgs = (extra: string[] = []) => ['analyze', '--env', 'test', '--pool', 'database', '--no-progress', '--advisor-config', advisorFile(databaseWorkload({ rate: 20, hold: '2ms', duration: '20s' })), '--config-dir', scenarioConfig({ max_connections: 3, min_connections: 0 }), ...extra];
  const leftDirs = (pid: number | undefined) => readdirSync(tmpdir()).filter((n) => n.startsWith(`pool-advisor-pg-${pid}-`));

  for (const moment of ['initdb', 'pg_ctl'] as const) {
    it(`${moment === 'initdb' ? 'initdb' : 'starting the server'}: SIGINT gives exit 130 (not "initdb failed"), the cluster's directory removed`, async () => {
      const bin = hangingBin(moment);
      const child = spawnCli(analyzeArgs(), { env: { PATH: `${bin}:${process.env.PATH}` } });
      const w = watch(child);
      const r = await signalWhen(child, w, () => w.o.stderr.includes('starting a throwaway') && (moment === 'initdb' || existsSync(join(bin, 'started'))), 'SIGINT', 15_000, 300);
      expect(r.code, w.o.stderr).toBe(130);
      expect(r.exitMs).toBeLessThan(2000);
      expect(w.o.stderr).not.toContain('failed');
      expect(leftDirs(child.pid)).toEqual([]);
    });
  }

  it('connecting (a server that accepts and never answers): SIGTERM gives exit 130', async () => {
    const hole = await blackHole();
    try {
      const child = spawnCli(analyzeArgs(['--database-url', `postgresql://u@127.0.0.1:${hole.port}/db`]));
      const w = watch(child);
      const r = await signalWhen(child, w, () => w.o.stderr.includes('Target:'), 'SIGTERM', 10_000, 300);
      expect(r.code, w.o.stderr).toBe(130);
      expect(r.exitMs).toBeLessThan(2000);
    } finally {
      await hole.close();
    }
  });

  it('observe connecting (a server that never answers): SIGINT gives exit 130', async () => {
    const hole = await blackHole();
    try {
      const child = spawnCli(['observe', '--database-url', `postgresql://u@127.0.0.1:${hole.port}/db`, '--duration', '5s', '--no-progress']);
      const w = watch(child);
      await sleep(700);
      const r = await signalWhen(child, w, () => true, 'SIGINT');
      expect(r.code, w.o.stderr).toBe(130);
      expect(r.exitMs).toBeLessThan(2000);
    } finally {
      await hole.close();
    }
  });

  it('warm-up: SIGTERM gives exit 130, and the warm-up traffic is not reported as measured', async () => {
    const out = join(tmp(), 'run.json');
    const child = spawnCli(analyzeArgs(['--database-url', pgUrl, '--warmup', '20s', '--out', out]));
    const w = watch(child);
    const r = await signalWhen(child, w, () => w.o.stderr.includes('Target:'), 'SIGTERM', 20_000, 800);
    expect(r.code, w.o.stderr).toBe(130);
    expect(r.exitMs).toBeLessThan(2000);
    const run = JSON.parse(readFileSync(out, 'utf8')) as { partial: boolean; environments: Array<{ pools: Array<{ counters: { acquires: number } }> }> };
    expect(run.partial).toBe(true);
    expect(run.environments[0]!.pools[0]!.counters.acquires).toBe(0);
    expect(await ourBackends(pgUrl)).toEqual([]);
  });

  it('measuring: SIGHUP gives exit 130 with the partial run saved', async () => {
    const out = join(tmp(), 'run.json');
    const child = spawnCli(analyzeArgs(['--database-url', pgUrl, '--warmup', '0s', '--out', out]));
    const w = watch(child);
    const r = await signalWhen(child, w, () => w.o.stderr.includes('Target:'), 'SIGHUP', 20_000, 800);
    expect(r.code, w.o.stderr).toBe(130);
    expect(r.exitMs).toBeLessThan(2000);
    const run = JSON.parse(readFileSync(out, 'utf8')) as { partial: boolean; environments: Array<{ pools: Array<{ counters: { acquires: number } }> }> };
    expect(run.partial).toBe(true);
    expect(run.environments[0]!.pools[0]!.counters.acquires).toBeGreaterThan(0);
  });

  it('draining (holds still running after the window): SIGINT gives exit 130', async () => {
    const child = spawnCli(['analyze', '--env', 'test', '--pool', 'database', '--rate', '20', '--hold', '1500ms', '--duration', '1500ms', '--warmup', '0s', '--database-url', pgUrl, '--no-progress', '--advisor-config', advisorFile(databaseWorkload({ rate: 5, hold: '2ms' })), '--config-dir', scenarioConfig({ max_connections: 3, min_connections: 0, acquire_timeout_seconds: 10 } as never)]);
    const w = watch(child);
    // Calibration (one hold) then the window: at 3.5 s the holds begun near the window's end still run.
    const r = await signalWhen(child, w, () => w.o.stderr.includes('Target:'), 'SIGINT', 20_000, 3500);
    expect(r.code, w.o.stderr).toBe(130);
    expect(r.exitMs).toBeLessThan(2000);
    const t = Date.now();
    let left = await ourBackends(pgUrl);
    while (left.length > 0 && Date.now() - t < 3000) {
      await sleep(100);
      left = await ourBackends(pgUrl);
    }
    expect(left).toEqual([]);
  });

  it('the read after sampling (Prometheus trickling): SIGINT gives exit 130, the observation saved', async () => {
    const srv = await fakeHttp((req) => ({ ...okProm()(req), chunk: 1, gapMs: 1000 }));
    const out = join(tmp(), 'obs.json');
    try {
      const child = spawnCli(['observe', '--database-url', pgUrl, '--prometheus', srv.url, '--duration', '1s', '--interval', '50ms', '--out', out, '--no-progress']);
      const w = watch(child);
      const r = await signalWhen(child, w, () => srv.seen.length > 0, 'SIGINT', 15_000, 300);
      expect(r.code, w.o.stderr).toBe(130);
      expect(r.exitMs).toBeLessThan(2000);
      const saved = JSON.parse(readFileSync(out, 'utf8')) as { partial: boolean; observation: { samples: number } };
      expect(saved.partial).toBe(true);
      expect(saved.observation.samples).toBeGreaterThan(5);
    } finally {
      await srv.close();
    }
  });

  it('observe measuring with its sample stuck (backend stopped): SIGINT gives exit 130 at once', async () => {
    const child = spawnCli(['observe', '--database-url', pgUrl, '--duration', '30s', '--interval', '50ms', '--no-progress', '--json']);
    const w = watch(child);
    let stopped: number | undefined;
    try {
      expect(await until(() => w.o.stderr.includes('Observing'), 10_000)).toBe(true);
      await sleep(300);
      stopped = (await ourBackends(pgUrl)).find((b) => b.app === 'pool-advisor-observe')?.pid;
      process.kill(stopped!, 'SIGSTOP');
      await sleep(300);
      const r = await signalWhen(child, w, () => true, 'SIGINT');
      expect(r.code, w.o.stderr).toBe(130);
      expect(r.exitMs).toBeLessThan(2000);
      expect((JSON.parse(w.o.stdout) as { partial: boolean }).partial).toBe(true);
    } finally {
      if (stopped) process.kill(stopped, 'SIGCONT');
    }
  });

  // A Prometheus holding a fleet of `n` replicas of one pool: enough output to fill a pipe (64 KiB) many times over.
  const bigFleet = (n: number) => {
    const series = Array.from({ length: n }, (_, i) => ({ metric: { instance: `10.0.${i >> 8}.${i & 255}:9187`, pool_name: 'database', job: 'svc' }, value: [1, '1'] }));
    const vector = vectorAnswer(series);
    return (req: { url?: string }) => (req.url?.includes('__name__') ? { body: namesAnswer(POOL_ADVISOR_NAMES) } : { body: vector });
  };
  /** A child whose stdout nobody reads: the pipe fills, and its writes wait. Its stderr is read. */
  const unread = (child: Child) => {
    child.stdout.pause();
    return watch(child);
  };

  for (const sig of ['SIGINT'] as const) {
    it(`stdout a pipe nobody reads (a fleet's JSON, ${sig}): exit 130 within 2 s, the observation saved first`, async () => {
      const srv = await fakeHttp(bigFleet(600));
      const out = join(tmp(), 'obs.json');
      try {
        const child = spawnCli(['observe', '--prometheus', srv.url, '--advisor-config', advisorFile(MAP_ADVISOR), '--json', '--out', out]);
        const w = unread(child);
        // Saved, then written to stdout: the write is under way once the file is there.
        const r = await signalWhen(child, w, () => existsSync(out), sig, 20_000, 500);
        expect(r.code, w.o.stderr).toBe(130);
        expect(r.exitMs).toBeLessThan(2000);
        expect(w.o.stderr).not.toMatch(/unexpected error|\n\s+at /);
        expect((JSON.parse(readFileSync(out, 'utf8')) as { kind: string }).kind).toBe('observation');
      } finally {
        await srv.close();
      }
    });
  }

  it('stdout a pipe nobody reads, under the interrupt handler (observe --database-url --prometheus, a big fleet; SIGINT as the result is written): exit 130 within 2 s, the observation saved', async () => {
    const srv = await fakeHttp(bigFleet(600));
    const out = join(tmp(), 'obs.json');
    try {
      const child = spawnCli(['observe', '--database-url', pgUrl, '--prometheus', srv.url, '--advisor-config', advisorFile(MAP_ADVISOR), '--duration', '2s', '--interval', '50ms', '--json', '--out', out, '--no-progress']);
      const w = unread(child);
      const r = await signalWhen(child, w, () => existsSync(out), 'SIGINT', 20_000, 300);
      expect(r.code, w.o.stderr).toBe(130);
      expect(r.exitMs).toBeLessThan(2000);
      expect((JSON.parse(readFileSync(out, 'utf8')) as { observation: { samples: number } }).observation.samples).toBeGreaterThan(5);
    } finally {
      await srv.close();
    }
  });

  it('stdout closed by its reader (`| head -c 10`): no stack, the exit code of the command, nothing more written', async () => {
    const srv = await fakeHttp(bigFleet(600));
    try {
      const child = spawnCli(['fleet', '--prometheus', srv.url, '--json']);
      const w = watch(child);
      child.stdout.once('data', () => child.stdout.destroy());
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await w.done;
      clearTimeout(killer);
      expect(w.o.stderr).not.toMatch(/EPIPE|unexpected error|\n\s+at /);
      expect(code, w.o.stderr).toBe(0);
    } finally {
      await srv.close();
    }
  });

  it('writing the outputs: SIGTERM as the result is written leaves the saved file whole (written atomically) and exits 130', async () => {
    const out = join(tmp(), 'run.json');
    const child = spawnCli(analyzeArgs(['--database-url', pgUrl, '--warmup', '0s', '--duration', '1s', '--out', out, '--report', join(tmp(), 'r.html')]));
    const w = watch(child);
    // Signalled the moment the run is saved: the file is whole or absent, never cut.
    const r = await signalWhen(child, w, () => w.o.stdout.length > 0 || existsSync(out), 'SIGTERM', 20_000);
    expect([0, 130]).toContain(r.code);
    expect(r.exitMs).toBeLessThan(2000);
    if (existsSync(out)) expect(() => JSON.parse(readFileSync(out, 'utf8'))).not.toThrow();
  });
});

describe("8. PgBouncer's console dying mid-window", () => {
  it('is blamed on PgBouncer, not PostgreSQL, and its readings so far are kept', async () => {
    let n = 0;
    const base = bouncerAnswers();
    const con = await fakeConsole((sql) => (sql === 'SHOW POOLS' && ++n >= 2 ? { ...base(sql), die: true } : base(sql)));
    try {
      const r = await runFor(['observe', '--database-url', pgUrl, '--pgbouncer-url', con.url, '--duration', '2s', '--interval', '100ms', '--json', '--no-progress'], 20_000);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/the connection to postgresql:.* failed/);
      const obs = JSON.parse(r.stdout) as { partial: boolean; pgbouncer: { error?: string; pools: Array<{ reads: number }> } };
      expect(obs.pgbouncer.error).toMatch(/^PgBouncer's admin console at /);
      expect(obs.pgbouncer.pools[0]!.reads).toBe(1);
      expect(obs.partial).toBe(false);
    } finally {
      await con.close();
    }
  });
});

describe('Low', () => {
  it('--interval left at its default, longer than --duration 1ms: the message says the default', async () => {
    const r = await runFor(['observe', '--database-url', 'postgresql://u@127.0.0.1:1/db', '--duration', '1ms'], 10_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--interval 200ms (the default) is longer than --duration 1ms');
    expect(r.stderr).not.toContain('undefined');
  });

  it('--since with --database-url alone is refused, not ignored', async () => {
    const r = await runFor(['observe', '--database-url', 'postgresql://u@127.0.0.1:1/db', '--since', '1h'], 10_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--since: only with --prometheus');
  });

  it("--since 0s says the window must be longer than 0, not 'not a duration'", async () => {
    const r = await runFor(['fleet', '--prometheus', 'http://127.0.0.1:1', '--since', '0s'], 10_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--since '0s': the window must be longer than 0");
  });

  it("commander's own errors are one ERROR: line with a hint", async () => {
    const r = await runFor(['observe', '--no-such-flag'], 10_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ERROR: unknown option '--no-such-flag'/m);
    expect(r.stderr).toMatch(/^hint: /m);
  });
});

afterAll(async () => {
  // Nothing of the tool's left on the test server after all of the above.
  const t = Date.now();
  let left = await ourBackends(pgUrl);
  while (left.length > 0 && Date.now() - t < 3000) {
    await sleep(100);
    left = await ourBackends(pgUrl);
  }
  expect(left).toEqual([]);
});
