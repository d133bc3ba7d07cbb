// One replica of a Node service that uses pool-advisor as a library (the built dist/): a real
// pg.Pool, instrumented, serving /metrics, under a Poisson load, and keeping its own ground truth:
// the time of every acquire, how long it waited, and the interval of every hold, written to a JSON
// file on exit.
//
// node fleetService.mjs '{"url":"postgres://...","rate":120,"holdMs":25,"max":8,"seconds":150,"seed":1,"truth":"/tmp/x.json"}'
// ("concurrency": N instead of "rate" runs a closed loop of N workers; "appName" sets application_name;
// "lifetimeS" sets the pool's maxLifetimeSeconds; "serverHold": true holds on the server, in one `SELECT pg_sleep(hold)`, instead of client side
// after a `SELECT 1`; "work": "cpu" runs `SELECT count(*) FROM generate_series(1, cpuRows)` instead,
// CPU on the server; "work": "lock" updates one hot row of table `hotTable` in a transaction that
// then holds it for the hold time (`pg_sleep`), so every other request waits on the row's lock.)
// Prints one line `{"port":N}` once /metrics listens; exits after `seconds` (or on SIGTERM).
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { instrumentPool, startMetricsServer } from '../../dist/index.js';

const cfg = JSON.parse(process.argv[2]);
// `appName` sets application_name (so the server's view can tell this service apart).
const pool = new pg.Pool({ connectionString: cfg.url, max: cfg.max, ...(cfg.appName ? { application_name: cfg.appName } : {}), ...(cfg.lifetimeS ? { maxLifetimeSeconds: cfg.lifetimeS } : {}) });
const db = instrumentPool(pool, { name: 'database' });
const server = await startMetricsServer({ pools: [db], port: 0 });
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);

// A small seeded PRNG (mulberry32): arrivals and holds are reproducible per replica.
let s = cfg.seed >>> 0;
const rand = () => {
  s = (s + 0x6d2b79f5) >>> 0;
  let t = s;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const exp = (mean) => -Math.log(1 - rand()) * mean;
const now = () => performance.timeOrigin + performance.now();

const acquiredAt = [];
const holds = [];
// How long each acquire waited (ms): the ground truth of the waited share.
const waitsMs = [];
let failures = 0;
let stopping = false;

async function request() {
  let client;
  const asked = now();
  try {
    client = await pool.connect();
  } catch {
    failures++;
    return;
  }
  const t0 = now();
  acquiredAt.push(t0);
  waitsMs.push(t0 - asked);
  try {
    if (cfg.work === 'cpu') await client.query('SELECT count(*) FROM generate_series(1, $1::int)', [cfg.cpuRows]);
    else if (cfg.work === 'lock') {
      await client.query('BEGIN');
      try {
        await client.query(`UPDATE ${cfg.hotTable} SET n = n + 1 WHERE id = 1`);
        await client.query('SELECT pg_sleep($1)', [exp(cfg.holdMs) / 1000]);
      } finally {
        await client.query('COMMIT');
      }
    } else if (cfg.serverHold) await client.query('SELECT pg_sleep($1)', [exp(cfg.holdMs) / 1000]);
    else {
      await client.query('SELECT 1');
      await new Promise((r) => setTimeout(r, exp(cfg.holdMs)));
    }
  } finally {
    const t1 = now();
    client.release();
    holds.push([t0, t1]);
  }
}

const inflight = new Set();
const startedAt = now();
const endAt = startedAt + cfg.seconds * 1000;
let due = startedAt;
if (cfg.concurrency) {
  // Closed loop: `concurrency` workers, each acquiring again as soon as it released (a worker fleet).
  for (let i = 0; i < cfg.concurrency; i++) {
    const p = (async () => {
      while (!stopping && now() < endAt) await request();
    })();
    inflight.add(p);
  }
  setTimeout(finish, cfg.seconds * 1000);
} else (function schedule() {
  if (stopping) return;
  // Open loop: arrivals on a Poisson schedule, independent of how fast the pool answers.
  while (due <= now() && due < endAt) {
    const p = request().finally(() => inflight.delete(p));
    inflight.add(p);
    due += exp(1000 / cfg.rate);
  }
  if (due >= endAt) return void finish();
  setTimeout(schedule, Math.max(0, Math.min(20, due - now())));
})();

async function finish() {
  if (stopping) return;
  stopping = true;
  await Promise.allSettled([...inflight]);
  writeFileSync(cfg.truth, JSON.stringify({ startedAt, endedAt: now(), acquiredAt, waitsMs, holds, failures }));
  await server.close();
  await db.close();
  process.exit(0);
}
process.on('SIGTERM', finish);
