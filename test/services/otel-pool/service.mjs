/**
 * A Node service that records OpenTelemetry's semantic-convention pool instruments itself, through
 * the OTel API (unit `s`), on a plain pg.Pool, and serves them with the official Prometheus exporter
 * (@opentelemetry/exporter-prometheus, pinned in package.json's devDependencies), under a known load
 * against the tests' PostgreSQL; it writes its own ground truth on exit (test/helpers/otherPools.ts).
 *
 * Usage: node service.mjs '<json options>': url, name (the pool name), appName, port (the
 * exporter's), max, rate (Poisson arrivals/s), holdMs (exponential, in a server-side pg_sleep),
 * seconds, seed, suffix ('' - the exporter's own names, no unit suffix - or '_seconds': the names the
 * Collector's Prometheus exporter writes, given to the time instruments here), truth.
 *
 * Instruments (the semantic conventions' db.client.connection.*): count {state: idle|used}, max,
 * pending_requests, timeouts, and the wait_time and use_time histograms in seconds with the
 * conventions' advised bucket bounds.
 */
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { metrics } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';

const o = JSON.parse(process.argv[2]);
const now = () => performance.timeOrigin + performance.now();
let seed = o.seed ?? 1;
const rnd = () => {
  // mulberry32: a seeded stream, so runs are repeatable.
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const exp = (mean) => -Math.log(1 - rnd()) * mean;

const truth = { name: o.name, appName: o.appName, localAddress: null, intervals: [], holds: [], acquiredAt: [], waitsMs: [], opens: [], closes: [], listenerAt: null, completed: 0, errors: 0, startedAt: 0, endedAt: 0 };

const exporter = new PrometheusExporter({ port: o.port, host: '127.0.0.1' });
const provider = new MeterProvider({ readers: [exporter] });
metrics.setGlobalMeterProvider(provider);
const meter = metrics.getMeter('pa-otel-pool', '1.0.0');
const sfx = o.suffix ?? '';
const POOL = { 'db.client.connection.pool.name': o.name };
const BOUNDS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10];
const waitTime = meter.createHistogram(`db.client.connection.wait_time${sfx}`, { unit: 's', description: 'The time it took to obtain an open connection from the pool', advice: { explicitBucketBoundaries: BOUNDS } });
const useTime = meter.createHistogram(`db.client.connection.use_time${sfx}`, { unit: 's', description: 'The time between borrowing a connection and returning it to the pool', advice: { explicitBucketBoundaries: BOUNDS } });
const timeouts = meter.createCounter('db.client.connection.timeouts', { unit: '{timeout}' });

const pool = new pg.Pool({ connectionString: o.url, max: o.max, idleTimeoutMillis: 10_000, connectionTimeoutMillis: 10_000, application_name: o.appName });
const opened = new Map();
pool.on('connect', (c) => {
  const at = now();
  opened.set(c, at);
  truth.opens.push(at);
});
let closing = false;
pool.on('remove', (c) => {
  const at = now();
  truth.closes.push([at, closing ? 'shutdown' : 'idle', at - (opened.get(c) ?? at)]);
});
meter.createObservableUpDownCounter('db.client.connection.count', { unit: '{connection}' }).addCallback((r) => {
  r.observe(pool.totalCount - pool.idleCount, { ...POOL, 'db.client.connection.state': 'used' });
  r.observe(pool.idleCount, { ...POOL, 'db.client.connection.state': 'idle' });
});
meter.createObservableUpDownCounter('db.client.connection.max', { unit: '{connection}' }).addCallback((r) => r.observe(o.max, POOL));
meter.createObservableUpDownCounter('db.client.connection.pending_requests', { unit: '{request}' }).addCallback((r) => r.observe(pool.waitingCount, POOL));

const SQL = 'SELECT (extract(epoch FROM statement_timestamp()) * 1000)::float8 AS s, (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS e FROM pg_sleep($1)';
async function job(holdMs) {
  const asked = now();
  let client;
  try {
    client = await pool.connect();
  } catch (err) {
    timeouts.add(1, POOL);
    truth.errors++;
    process.stderr.write(`acquire failed: ${err}\n`);
    return;
  }
  const t0 = now();
  waitTime.record((t0 - asked) / 1000, POOL);
  try {
    const r = await client.query(SQL, [holdMs / 1000]);
    const t1 = now();
    truth.acquiredAt.push(t0);
    truth.waitsMs.push(t0 - asked);
    truth.holds.push([t0, t1]);
    truth.intervals.push([r.rows[0].s, r.rows[0].e]);
    truth.completed++;
  } catch (err) {
    truth.errors++;
    process.stderr.write(`job failed: ${err}\n`);
  } finally {
    useTime.record((now() - t0) / 1000, POOL);
    client.release();
  }
}

await job(1);
process.stdout.write('ready\n');
truth.startedAt = now();
const end = truth.startedAt + o.seconds * 1000;
const inflight = new Set();
let next = now();
while (next < end) {
  next += exp(1000 / o.rate);
  const d = next - now();
  if (d > 0) await new Promise((r) => setTimeout(r, d));
  const p = job(exp(o.holdMs));
  inflight.add(p);
  p.finally(() => inflight.delete(p));
}
await Promise.all(inflight);
truth.endedAt = now();
// One more scrape interval for Prometheus to read the last counts.
await new Promise((r) => setTimeout(r, 1500));
closing = true;
await pool.end();
await provider.shutdown();
writeFileSync(o.truth, JSON.stringify(truth));
