// The sampling cost of `observe`, side by side in one run: a service nobody instrumented (a plain
// pg.Pool in a child process, closed loops of `SELECT 1` so its throughput shows any slowdown) runs
// in alternating rounds without observe, with observe at the default 200 ms, and at 50 ms. Per
// round: the service's throughput, and observe's own time per sample and CPU share of one core.
// Beside them, the floor on this machine: a bare pg.Client polling `SELECT 1` at the same jittered
// 200 ms, its process CPU per poll and share of one core measured the same way (what any poller
// at that cadence pays for its wake-ups and one round trip, before reading anything).
// Usage: node bench/observe-cost.mjs [--rounds N] [--seconds S] [--smoke]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startThrowaway } from '../dist/shell/throwawayPg.js';
import { observeServer } from '../dist/shell/observe/run.js';
import { GROUP_FIELDS } from '../dist/core/observe/types.js';
import { median } from './pool-overhead.mjs';
import pg from 'pg';

const SERVICE = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'helpers', 'uninstrumented', 'service.mjs');

function service(url, seconds) {
  const out = join(mkdtempSync(join(tmpdir(), 'pa-bench-obs-')), 'truth.json');
  const opts = { name: 'bench', appName: 'bench-service', url, max: 4, closed: 8, holdMs: 0, rate: 1, idleTimeoutMs: 30000, durationMs: seconds * 1000, out };
  const child = spawn(process.execPath, [SERVICE, JSON.stringify(opts)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = new Promise((r) => child.stdout.on('data', (d) => d.toString().includes('ready') && r()));
  const done = new Promise((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(readFileSync(out, 'utf8'))) : reject(new Error(`service exited ${code}`)))));
  return { ready, done };
}

/** A bare client polling SELECT 1 every ~intervalMs (jittered ±20%, as the sampler) for durationMs: its CPU per poll and share of one core. */
async function barePoll(url, intervalMs, durationMs) {
  const c = new pg.Client({ connectionString: url, application_name: 'bench-bare-poll' });
  await c.connect();
  try {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let polls = 0;
    while (performance.now() - t0 < durationMs) {
      await c.query('SELECT 1');
      polls++;
      await new Promise((r) => setTimeout(r, intervalMs * (1 + 0.2 * (2 * Math.random() - 1))));
    }
    const d = process.cpuUsage(cpu0);
    const cpuUs = d.user + d.system;
    return { cpuUsPerSample: cpuUs / polls, cpuShareOfCore: cpuUs / ((performance.now() - t0) * 1000) };
  } finally {
    await c.end();
  }
}

async function round(url, seconds, intervalMs, bare = false) {
  const s = service(url, seconds);
  await s.ready;
  let cost;
  if (bare) {
    cost = await barePoll(url, intervalMs, seconds * 1000 - 200);
  } else if (intervalMs) {
    const { file } = await observeServer({ config: { connectionString: url }, display: 'bench', targetKind: 'local', intervalMs, durationMs: seconds * 1000 - 200, groupBy: [...GROUP_FIELDS], maps: [], configDir: null, taskerUrls: [], toolVersion: 'bench' });
    cost = file.cost;
  }
  const truth = await s.done;
  return { qps: truth.completed / seconds, cost };
}

/** Alternate rounds off / 200 ms / 50 ms; medians of each. */
export async function benchObserveCost(url, { rounds = 5, seconds = 6 } = {}) {
  const r = { off: [], d200: [], d50: [], bare: [] };
  for (let i = 0; i < rounds; i++) {
    r.off.push(await round(url, seconds, 0));
    r.bare.push(await round(url, seconds, 200, true));
    r.d200.push(await round(url, seconds, 200));
    r.d50.push(await round(url, seconds, 50));
  }
  const med = (xs, f) => median(xs.map(f));
  const off = med(r.off, (x) => x.qps);
  const row = (xs, interval) => ({
    interval,
    qps: med(xs, (x) => x.qps),
    ratio: med(xs, (x) => x.qps) / off,
    queryUsP50: med(xs, (x) => x.cost.queryUsP50),
    queryUsP99: med(xs, (x) => x.cost.queryUsP99),
    cpuUsPerSample: med(xs, (x) => x.cost.cpuUsPerSample),
    cpuShareOfCore: med(xs, (x) => x.cost.cpuShareOfCore),
  });
  const bare = { qps: med(r.bare, (x) => x.qps), cpuUsPerSample: med(r.bare, (x) => x.cost.cpuUsPerSample), cpuShareOfCore: med(r.bare, (x) => x.cost.cpuShareOfCore) };
  return { rounds, seconds, off, bare, rows: [row(r.d200, 200), row(r.d50, 50)] };
}

/** A markdown table of the result. */
export function formatObserveCost(b) {
  const lines = ['| observe | service q/s (median) | vs no observe | read of pg_stat_activity P50 / P99 | observe CPU per sample | observe CPU, share of one core |', '|---|---|---|---|---|---|'];
  lines.push(`| off | ${b.off.toFixed(0)} | 1.000 | - | - | - |`);
  lines.push(`| a bare SELECT 1 poll every 200 ms (the floor) | ${b.bare.qps.toFixed(0)} | ${(b.bare.qps / b.off).toFixed(3)} | - | ${(b.bare.cpuUsPerSample / 1000).toFixed(2)} ms | ${(b.bare.cpuShareOfCore * 100).toFixed(2)}% |`);
  for (const x of b.rows) lines.push(`| every ${x.interval} ms | ${x.qps.toFixed(0)} | ${x.ratio.toFixed(3)} | ${(x.queryUsP50 / 1000).toFixed(2)} / ${(x.queryUsP99 / 1000).toFixed(2)} ms | ${(x.cpuUsPerSample / 1000).toFixed(2)} ms | ${(x.cpuShareOfCore * 100).toFixed(2)}% |`);
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const smoke = args.includes('--smoke');
  const arg = (name, dflt) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : dflt;
  };
  const cluster = await startThrowaway({ maxConnections: 100 });
  try {
    const b = await benchObserveCost(cluster.url, { rounds: arg('--rounds', smoke ? 1 : 5), seconds: arg('--seconds', smoke ? 2 : 6) });
    console.log(formatObserveCost(b));
  } finally {
    await cluster.stop();
  }
}
