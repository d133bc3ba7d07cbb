/**
 * Fuzzing the network surface (issue 30): fake Prometheus, Tasker and PgBouncer endpoints serve
 * random and hostile answers (shapes, values, sizes, speeds) to the built CLI, and whatever they
 * serve:
 *   - the exit code is a documented one, never 70 (no stack, no "please report");
 *   - the command ends within its deadlines plus 5 s (reads get --read-timeout 1s, so a slow
 *     case ends in about a second);
 *   - no secret reaches stdout or stderr (a password in each URL, a bearer token, and endpoints
 *     that echo them back in their answers);
 *   - no backend of the tool is left on the test server after the case.
 * Seeded fast-check properties with a fixed number of cases, run one after another; the seed is
 * printed on failure (FUZZ_SEED=<seed> replays it).
 */
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgUrl as workerPgUrl } from '../helpers/pg.js';
import { spawnCli } from '../helpers/cli.js';
import { advisorFile } from '../helpers/scenario.js';
import { bouncerAnswers, fakeConsole, fakeHttp, namesAnswer, POOL_ADVISOR_NAMES, type ConsoleAnswer, type HttpAnswer } from '../helpers/hostileServers.js';

const SEED = Number(process.env.FUZZ_SEED ?? 30);
const SECRET_PW = 'pw-Zq9Secr3t';
const SECRET_TOKEN = 'tok-Zq9Secr3t';
// The basic-auth header's credentials too: an endpoint may echo the Authorization header in its error.
const SECRETS = [SECRET_PW, SECRET_TOKEN, encodeURIComponent(SECRET_PW), Buffer.from(`fuzz:${SECRET_PW}`).toString('base64')];
/** Every read's deadline in these cases, and the slack the issue allows past the deadlines. */
const DEADLINE_MS = 1000;
const SLACK_MS = 5000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

const stats = { cases: 0, exit70: 0, late: 0, secrets: 0, leftBackends: 0, ms: 0, codes: new Map<number | null, number>() };

async function run(args: string[], budgetMs: number, env: Record<string, string> = {}): Promise<Outcome> {
  const t = Date.now();
  const child = spawnCli(args, { env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), budgetMs + 10_000);
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  clearTimeout(killer);
  return { code, stdout, stderr, ms: Date.now() - t };
}

async function ourBackends(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name LIKE 'pool-advisor%' AND pid <> pg_backend_pid()");
    return Number(r.rows[0]!.n);
  } finally {
    await c.end();
  }
}

/** The checks every case passes; the counts for the closing note. */
async function judge(o: Outcome, budgetMs: number, pgUrl?: string): Promise<void> {
  stats.cases++;
  stats.ms += o.ms;
  stats.codes.set(o.code, (stats.codes.get(o.code) ?? 0) + 1);
  const all = o.stdout + o.stderr;
  if (o.code === 70) stats.exit70++;
  if (o.ms > budgetMs + SLACK_MS) stats.late++;
  if (SECRETS.some((s) => all.includes(s))) stats.secrets++;
  expect([0, 1, 2, 3, 4], o.stderr.slice(-2000)).toContain(o.code);
  expect(o.stderr).not.toContain('unexpected error');
  expect(o.stderr).not.toMatch(/\n\s+at /);
  expect(o.ms, o.stderr.slice(-500)).toBeLessThan(budgetMs + SLACK_MS);
  for (const s of SECRETS) expect(all).not.toContain(s);
  if (pgUrl) {
    // The server ends a backend about a second after the tool's socket went (client_connection_check_interval).
    let n = await ourBackends(pgUrl);
    for (let i = 0; i < 30 && n > 0; i++) {
      await sleep(100);
      n = await ourBackends(pgUrl);
    }
    if (n > 0) stats.leftBackends++;
    expect(n).toBe(0);
  }
}

// ---- what the endpoints serve ----

/** Values as text, as Prometheus and the consoles send them: ordinary, absurd, and not numbers. */
const valueText = fc.oneof(
  fc.constantFrom('0', '-0', '1', '-1', '1e12', '1e308', '-1e308', '5e-324', 'NaN', '+Inf', '-Inf', 'Infinity', '', 'abc', '0x10', '1e', '  7 ', '9007199254740993'),
  fc.double({ noNaN: false }).map(String),
  fc.nat(10_000).map(String),
);
/** Label values and names: ordinary, control characters, the secrets echoed back, long. */
const labelText = fc.oneof(
  fc.constantFrom('database', 'pgmq', 'tasker', 'pool-1', '__proto__', 'constructor', '\x1b]0;pwned\x07', 'a\nERROR: forged', SECRET_TOKEN, SECRET_PW, ''),
  fc.string({ maxLength: 20 }),
  fc.string({ minLength: 200, maxLength: 400 }),
);

const series = fc.record({ instance: labelText, pool_name: labelText, value: valueText, junk: fc.constantFrom('ok', 'null', 'no-value', 'no-metric', 'number-value', 'string') });
function seriesJson(s: { instance: string; pool_name: string; value: string; junk: string }): unknown {
  if (s.junk === 'null') return null;
  if (s.junk === 'string') return s.value;
  if (s.junk === 'no-value') return { metric: { instance: s.instance, pool_name: s.pool_name } };
  if (s.junk === 'no-metric') return { value: [1, s.value] };
  return { metric: { instance: s.instance, pool_name: s.pool_name, job: 'svc' }, value: [1, s.junk === 'number-value' ? Number(s.value) : s.value] };
}

/** A body shape for a Prometheus answer. */
const promShape = fc.oneof(
  { weight: 5, arbitrary: fc.array(series, { maxLength: 6 }).map((xs) => ({ kind: 'vector' as const, xs })) },
  fc.constantFrom(
    { kind: 'not-json' as const },
    { kind: 'html' as const },
    { kind: 'empty' as const },
    { kind: 'error-echo' as const },
    { kind: 'scalar' as const },
    { kind: 'matrix' as const },
    { kind: 'deep' as const },
    { kind: 'many-names' as const },
    { kind: 'data-null' as const },
    { kind: 'json-null' as const },
  ),
);
/** How the answer is delivered. */
const speed = fc.constantFrom('now', 'now', 'now', 'trickle', 'stall', 'late', 'cut', 'endless', 'oversize');
const status = fc.constantFrom(200, 200, 200, 200, 400, 401, 403, 500, 503);

function promBody(shape: { kind: string; xs?: Array<Parameters<typeof seriesJson>[0]> }, isNames: boolean, authEcho: string): string {
  switch (shape.kind) {
    case 'not-json':
      return '{"status": "success", "data": [';
    case 'html':
      return '<html><body>Bad gateway</body></html>';
    case 'empty':
      return '';
    case 'error-echo':
      return JSON.stringify({ status: 'error', errorType: 'bad_data', error: `refused ${authEcho}` });
    case 'scalar':
      return JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1, '5'] } });
    case 'matrix':
      return JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values: [[1, '1']] }] } });
    case 'deep':
      return `{"status":"success","data":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    case 'many-names':
      return namesAnswer(Array.from({ length: 3000 }, (_, i) => `metric_${i}_pool_connections`));
    case 'data-null':
      return JSON.stringify({ status: 'success', data: null });
    case 'json-null':
      return 'null';
    default:
      return isNames ? namesAnswer(POOL_ADVISOR_NAMES) : JSON.stringify({ status: 'success', data: { resultType: 'vector', result: (shape.xs ?? []).map(seriesJson) } });
  }
}

function delivered(body: string, how: string, code: number): HttpAnswer {
  switch (how) {
    case 'trickle':
      return { status: code, body, chunk: 1, gapMs: 400 };
    case 'stall':
      return { status: code, stallAfterHeaders: true };
    case 'late':
      return { status: code, body, delayMs: 3000 };
    case 'cut':
      return { status: code, body: body || '{"status":"success"', cutAfter: Math.max(1, Math.floor(body.length / 2)) };
    case 'endless':
      return { status: code, body: '{"status":"success","data":["', endless: true };
    case 'oversize':
      return { status: code, body: JSON.stringify({ status: 'success', data: ['x'.repeat(200 * 1024)] }) };
    default:
      return { status: code, body };
  }
}

let pgUrl: string;
let app: pg.Client;
beforeAll(async () => {
  pgUrl = workerPgUrl();
  // A client the observe cases see and map to a Tasker pool, so the endpoints' values reach the advice.
  app = new pg.Client({ connectionString: pgUrl, application_name: 'pa-fuzz-app' });
  await app.connect();
});
afterAll(async () => {
  await app?.end();
  const codes = [...stats.codes].map(([c, n]) => `${c}: ${n}`).join(', ');
  // The closing note's figures (issue 30): the size and time of the suite and what it found.
  console.log(`network fuzz: seed ${SEED}, ${stats.cases} cases in ${(stats.ms / 1000).toFixed(1)} s of CLI time; exit codes {${codes}}; exit 70: ${stats.exit70}; past deadline + 5 s: ${stats.late}; secrets in output: ${stats.secrets}; runs leaving backends: ${stats.leftBackends}`);
});

const PROM_ADVISOR = () => advisorFile('[prometheus]\nenvironment = "production"\n');

describe('network fuzz (fast-check, seeded, serial)', () => {
  it('Prometheus: any shape, value, size, speed or status (fleet, observe --prometheus)', async () => {
    const adv = PROM_ADVISOR();
    await fc.assert(
      fc.asyncProperty(fc.record({ names: promShape, query: promShape, namesSpeed: speed, querySpeed: speed, code: status, command: fc.constantFrom('fleet', 'observe') }), async (c) => {
        const srv = await fakeHttp((req) => {
          const isNames = req.url?.includes('__name__') ?? false;
          const body = promBody(isNames ? c.names : c.query, isNames, `${req.headers.authorization ?? ''}`);
          return delivered(body, isNames ? c.namesSpeed : c.querySpeed, c.code);
        });
        try {
          const url = srv.url.replace('http://', `http://fuzz:${encodeURIComponent(SECRET_PW)}@`);
          const args = c.command === 'fleet' ? ['fleet', '--prometheus', url] : ['observe', '--prometheus', url, '--since', '10m', '--json'];
          const o = await run([...args, '--advisor-config', adv, '--read-timeout', `${DEADLINE_MS}ms`, '--read-limit', '64KiB'], DEADLINE_MS * 3);
          // A names listing and a round of queries, each within the deadline: a few deadlines in all.
          await judge(o, DEADLINE_MS * 3);
        } finally {
          await srv.close();
        }
      }),
      { seed: SEED, numRuns: 24, endOnFailure: true },
    );
  }, 240_000);

  it("Tasker's /health/detailed: any shape, value, size or speed (observe --tasker-url, mapped)", async () => {
    const pool = fc.record({ max_connections: fc.oneof(fc.constantFrom(1e300, -1, 0, 1e12, Number.MAX_SAFE_INTEGER, 5, 2.5), valueText as fc.Arbitrary<unknown>, fc.constant(null)), active_connections: fc.oneof(fc.nat(), fc.constantFrom(1e308, -5) as fc.Arbitrary<number>, valueText as fc.Arbitrary<unknown>), idle_connections: fc.oneof(fc.nat(), fc.constant(-1)) });
    const body = fc.oneof(
      { weight: 4, arbitrary: fc.record({ tasker: pool, pgmq: fc.option(pool) }).map((p) => JSON.stringify({ status: 'healthy', data: { pool_utilization: { tasker_pool: p.tasker, ...(p.pgmq ? { pgmq_pool: p.pgmq } : {}) } } })) },
      fc.constantFrom('', 'null', '[]', '{"pool_utilization": 5}', '{"pool_utilization": {"tasker_pool": null}}', `{"error": "${SECRET_TOKEN}"}`, '{"a":'.repeat(3000), '<html>'),
    );
    await fc.assert(
      fc.asyncProperty(fc.record({ body, how: speed, code: status }), async (c) => {
        const srv = await fakeHttp(() => delivered(c.body, c.how, c.code));
        try {
          const url = srv.url.replace('http://', `http://tasker:${encodeURIComponent(SECRET_PW)}@`);
          const o = await run(['observe', '--database-url', pgUrl, '--tasker-url', url, '--duration', '300ms', '--interval', '50ms', '--group-by', 'application_name', '--map', 'app:pa-fuzz-app=production.database', '--read-timeout', `${DEADLINE_MS}ms`, '--read-limit', '64KiB', '--json', '--no-progress'], DEADLINE_MS * 3);
          // Tasker is read at the start and at the end: two deadlines, the window between.
          await judge(o, DEADLINE_MS * 3, pgUrl);
        } finally {
          await srv.close();
        }
      }),
      { seed: SEED, numRuns: 10, endOnFailure: true },
    );
  }, 240_000);

  it("PgBouncer's admin console: any columns, values, size or speed, or dying (observe --pgbouncer-url)", async () => {
    const command = fc.record({
      values: fc.array(fc.oneof(valueText, fc.constant(null) as fc.Arbitrary<string | null>), { minLength: 10, maxLength: 10 }),
      drop: fc.nat(9),
      how: fc.constantFrom('ok', 'ok', 'ok', 'hang', 'slow', 'die', 'huge'),
    });
    await fc.assert(
      fc.asyncProperty(fc.record({ version: command, stats: command, pools: command, databases: command, failAt: fc.nat(1) }), async (c) => {
        const base = bouncerAnswers();
        let poolsSeen = 0;
        const answer = (sql: string): ConsoleAnswer => {
          const k = sql === 'SHOW VERSION' ? c.version : sql === 'SHOW STATS' ? c.stats : sql === 'SHOW POOLS' ? c.pools : c.databases;
          const real = base(sql);
          if (sql === 'SHOW POOLS' && poolsSeen++ < c.failAt) return real;
          // Random values in the real columns, one column dropped.
          const columns = real.columns.filter((_, i) => i !== k.drop % real.columns.length);
          const rows = [columns.map((_, i) => k.values[i % k.values.length] ?? null)];
          const a: ConsoleAnswer = { columns, rows };
          if (k.how === 'hang') a.delayMs = Infinity;
          if (k.how === 'slow') a.delayMs = DEADLINE_MS + 500;
          if (k.how === 'die') a.die = true;
          if (k.how === 'huge') a.extraRows = 5000;
          return a;
        };
        const con = await fakeConsole(answer);
        try {
          const url = con.url.replace('stats@', `stats:${encodeURIComponent(SECRET_PW)}@`);
          const o = await run(['observe', '--database-url', pgUrl, '--pgbouncer-url', url, '--duration', '600ms', '--interval', '50ms', '--read-timeout', `${DEADLINE_MS}ms`, '--read-limit', '64KiB', '--json', '--no-progress'], DEADLINE_MS * 5);
          // Open, SHOW STATS and SHOW DATABASES at the start, the window, SHOW STATS at the end.
          await judge(o, DEADLINE_MS * 5, pgUrl);
        } finally {
          await con.close();
        }
      }),
      { seed: SEED, numRuns: 10, endOnFailure: true },
    );
  }, 240_000);
});
