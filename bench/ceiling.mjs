// The load generator's ceiling: closed mode, no hold (`SELECT 1` per request), 16 callers on 8
// connections, through the instrumented pool; against a bare node-postgres loop of
// connect/query/release with the same pool size and callers, in alternating rounds (medians),
// and against pgbench with the same number of connections. Also the requests per CPU-second of
// this process for each, which a busy shared machine disturbs far less than throughput. The instrumented pool keeps pg-pool's
// behaviour here (no sqlx emulation), as the bare loop does.
//   node bench/ceiling.mjs [--rounds 16] [--seconds 1.5]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createInstrumentedPool } from '../dist/shell/pool/instrumentedPool.js';
import { Generator } from '../dist/shell/load/generator.js';
import { findPgBinDir, startThrowaway } from '../dist/shell/throwawayPg.js';
import { median } from './pool-overhead.mjs';

const CONNS = 8;
const CALLERS = 16;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Requests/s of the generator in closed mode, no hold, after a short warm-up. */
async function generatorRate(url, seconds) {
  const settings = { max_connections: CONNS, min_connections: CONNS, acquire_timeout_seconds: 30, idle_timeout_seconds: 300, max_lifetime_seconds: 1800, slow_acquire_threshold_ms: 1000 };
  // pg-pool's own behaviour, as the bare loop has it: the ceiling of the generator and the
  // instrumentation, not of analyze's sqlx emulation (which does more per acquire, as sqlx does).
  const ip = createInstrumentedPool(settings, { connectionString: url }, { name: 'database', emulateSqlx: false });
  await ip.start();
  const gen = new Generator({ spec: { pool: 'database', arrival: { mode: 'closed', concurrency: CALLERS, thinkMs: 0 }, hold: { kind: 'sleep', dist: 'constant', ms: 0 }, warmupS: 0, rampS: 0, durationS: seconds }, seed: 1, pool: ip.pool });
  gen.start();
  await sleep(300);
  gen.resetWindow();
  const cpu0 = process.cpuUsage();
  await sleep(seconds * 1000);
  gen.stop();
  const cpu = process.cpuUsage(cpu0);
  await gen.drain(5000);
  const { achievedRate: rate, requests } = gen.stats();
  await ip.close();
  return { rate, perCpuS: requests / ((cpu.user + cpu.system) / 1e6) };
}

/** Requests/s of a bare pg loop: same pool size and callers, connect/query/release, after the same warm-up. */
async function bareRate(url, seconds) {
  const pool = new pg.Pool({ connectionString: url, max: CONNS });
  let n = 0;
  let counting = false;
  const t0 = performance.now();
  const start = t0 + 300;
  const end = start + seconds * 1000;
  let tStart = 0;
  let cpu0;
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      for (;;) {
        const now = performance.now();
        if (now >= end) break;
        if (!counting && now >= start) {
          counting = true;
          tStart = now;
          cpu0 = process.cpuUsage();
        }
        const c = await pool.connect();
        await c.query('SELECT 1');
        c.release();
        if (counting) n++;
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  const rate = n / ((performance.now() - tStart) / 1000);
  await pool.end();
  return { rate, perCpuS: n / ((cpu.user + cpu.system) / 1e6) };
}

/** pgbench's tps with the same number of connections (2 threads), or undefined when it is missing. */
export function pgbenchRate(url, seconds) {
  try {
    const dir = mkdtempSync(join(tmpdir(), 'pa-bench-'));
    const script = join(dir, 'select1.sql');
    writeFileSync(script, 'SELECT 1;\n');
    const u = new URL(url);
    const bin = join(findPgBinDir(), 'pgbench');
    const txt = execFileSync(existsSync(bin) ? bin : 'pgbench', ['-n', '-c', String(CONNS), '-j', '2', '-T', String(Math.max(1, Math.round(seconds))), '-f', script, '-h', u.hostname, '-p', u.port, '-U', 'postgres', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const m = /tps = ([\d.]+)/.exec(txt);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Alternating rounds of the generator and the bare loop (which goes first alternates too); medians and ratios. */
export async function benchCeiling(url, { rounds = 16, seconds = 1.5, pgbenchSeconds = 5 } = {}) {
  const gen = [];
  const bare = [];
  const ratios = [];
  const cpuRatios = [];
  for (let i = 0; i < rounds; i++) {
    let g;
    let b;
    if (i % 2 === 0) {
      g = await generatorRate(url, seconds);
      b = await bareRate(url, seconds);
    } else {
      b = await bareRate(url, seconds);
      g = await generatorRate(url, seconds);
    }
    gen.push(g.rate);
    bare.push(b.rate);
    ratios.push(g.rate / b.rate);
    cpuRatios.push(g.perCpuS / b.perCpuS);
  }
  const pgbench = pgbenchRate(url, pgbenchSeconds);
  const bareMedian = median(bare);
  return { conns: CONNS, callers: CALLERS, rounds, seconds, pgbenchSeconds, generatorMedian: median(gen), bareMedian, ratioMedian: median(ratios), ratioMin: Math.min(...ratios), ratioMax: Math.max(...ratios), cpuRatioMedian: median(cpuRatios), cpuRatioMin: Math.min(...cpuRatios), cpuRatioMax: Math.max(...cpuRatios), pgbench, pgbenchPerBare: pgbench ? pgbench / bareMedian : undefined, generatorPerPgbench: pgbench ? median(gen) / pgbench : undefined };
}

/** The result as markdown lines. */
export function formatCeiling(c) {
  const f = (x) => (x === undefined ? 'n/a' : x.toFixed(3));
  return [
    `${c.callers} callers, ${c.conns} connections, \`SELECT 1\` per request; ${c.rounds} alternating rounds of ${c.seconds} s (medians), then pgbench for ${c.pgbenchSeconds} s.`,
    '',
    '| | requests/s | vs bare loop |',
    '|---|---|---|',
    `| pool-advisor generator (instrumented pool) | ${c.generatorMedian.toFixed(0)} | **${f(c.ratioMedian)}** (median of the rounds' ratios, spread ${f(c.ratioMin)} .. ${f(c.ratioMax)}; target >= 0.95) |`,
    `| bare pg loop | ${c.bareMedian.toFixed(0)} | 1.000 |`,
    `| pgbench -c ${c.conns} -j 2 | ${c.pgbench ? c.pgbench.toFixed(0) : 'n/a'} | ${f(c.pgbenchPerBare)} |`,
    '',
    `Ratio of the medians (generator / bare): ${f(c.generatorMedian / c.bareMedian)}. Requests per CPU-second of this Node process (user + system), generator / bare, median of the rounds: **${f(c.cpuRatioMedian)}** (spread ${f(c.cpuRatioMin)} .. ${f(c.cpuRatioMax)}): Node's CPU is what limits both loops (pgbench, in C, goes further on the same server), and CPU time per request is not moved by other processes taking turns on the cores the way wall-clock throughput is.`,
    '',
    `Generator / pgbench: **${f(c.generatorPerPgbench)}**.`,
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name, def) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : def;
  };
  const cluster = await startThrowaway({ maxConnections: 100 });
  try {
    const c = await benchCeiling(cluster.url, { rounds: arg('--rounds', 16), seconds: arg('--seconds', 1.5) });
    for (const l of formatCeiling(c)) console.log(l);
  } finally {
    await cluster.stop();
  }
}
