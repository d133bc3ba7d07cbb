// A service nobody instrumented, for the observe tests and bench: a plain pg.Pool (no
// pool-advisor code) driven by Poisson arrivals at a known rate, each holding a connection for a
// server-side pg_sleep (inside a transaction when asked), optionally with a LISTEN connection
// held for good. It writes its own ground truth as JSON on exit: when each statement or
// transaction ran (timestamps it asks the server for, see job()), when each
// connection opened and closed, and why (by construction: a pool with a lifetime and no idle
// timeout closes for the lifetime, one with an idle timeout and no lifetime for idleness).
//
// Options: see ServiceSpec in harness.ts; `closed: N` runs N callers back to back instead of
// Poisson arrivals (holdMs 0: `SELECT 1`, and no intervals kept).
// Usage: node service.mjs '<json options>'; prints "ready" once warmed up, exits after durationMs
// (or on SIGTERM) and writes options.out.
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import pg from 'pg';

const o = JSON.parse(process.argv[2]);
const now = () => performance.timeOrigin + performance.now();
const truth = { name: o.name, appName: o.appName, localAddress: o.localAddress ?? null, intervals: [], opens: [], closes: [], listenerAt: null, completed: 0, errors: 0 };
let shuttingDown = false;

// pg connects with stream.connect(port, host): bind the source address first (a replica's address).
const stream = o.localAddress
  ? () => {
      const s = new net.Socket();
      const connect = s.connect.bind(s);
      s.connect = (port, host) => connect({ port, host, localAddress: o.localAddress });
      return s;
    }
  : undefined;

const pool = new pg.Pool({
  connectionString: o.url,
  application_name: o.appName,
  max: o.max,
  idleTimeoutMillis: o.idleTimeoutMs ?? 0,
  maxLifetimeSeconds: o.lifetimeS ?? 0,
  ...(stream ? { stream } : {}),
});
pool.on('error', () => {});
pool.on('connect', (c) => {
  c.openedAt = now();
  truth.opens.push(c.openedAt);
});
pool.on('remove', (c) => {
  const reason = shuttingDown ? 'shutdown' : o.lifetimeS ? 'lifetime' : 'idle';
  truth.closes.push([now(), reason, now() - c.openedAt]);
});

const sleepSql = `SELECT pg_sleep(${o.holdMs / 1000})`;
const SERVER_TIME = (x) => `(extract(epoch FROM ${x}) * 1000)::float8`;
async function job() {
  let c;
  try {
    c = await pool.connect();
  } catch {
    truth.errors++;
    return;
  }
  try {
    if (o.tx) {
      // Busy on the server from BEGIN (the transaction's timestamp) until COMMIT arrives, which
      // is sent at once: the client's lag before sending it is idle-in-transaction time, busy too.
      await c.query('BEGIN');
      const r = await c.query(`${sleepSql}, ${SERVER_TIME('transaction_timestamp()')} AS s`);
      const end = now();
      await c.query('COMMIT');
      truth.intervals.push([r.rows[0].s, end]);
    } else if (o.holdMs === 0) {
      await c.query('SELECT 1');
    } else {
      // The statement's own start and end on the server's clock, so this process's event-loop lag
      // (the machine is shared) does not widen the truth.
      const r = await c.query(`${sleepSql}, ${SERVER_TIME('statement_timestamp()')} AS s, ${SERVER_TIME('clock_timestamp()')} AS e`);
      truth.intervals.push([r.rows[0].s, r.rows[0].e]);
    }
    truth.completed++;
  } catch {
    truth.errors++;
  } finally {
    c.release();
  }
}

let listener;
if (o.listen) {
  listener = await pool.connect();
  await listener.query('LISTEN pgmq_harness');
  truth.listenerAt = now();
}
await job();
process.stdout.write('ready\n');

const inflight = new Set();
const end = now() + o.durationMs;
let stop = false;
process.on('SIGTERM', () => (stop = true));
let next = now();
if (o.closed) {
  // Closed loops (the bench): o.closed callers back to back, so throughput shows any slowdown.
  await Promise.all(Array.from({ length: o.closed }, async () => {
    while (!stop && now() < end) await job();
  }));
}
while (!o.closed && !stop && now() < end) {
  next += -Math.log(1 - Math.random()) * (1000 / o.rate);
  const wait = next - now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const p = job();
  inflight.add(p);
  p.finally(() => inflight.delete(p));
}
await Promise.all(inflight);
truth.endedAt = now();
shuttingDown = true;
listener?.release();
await pool.end();
writeFileSync(o.out, JSON.stringify(truth));
