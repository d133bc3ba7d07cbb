// `npm run bench`: every figure pool-advisor quotes, measured side by side in one run on this
// machine, printed as ratios, and written to bench/results.md with the machine's description and
// the commands to reproduce. `--smoke` runs each part briefly (CI proves the scripts still work;
// smoke figures are not quotable and are not written to results.md).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpus, totalmem, tmpdir } from 'node:os';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startThrowaway, findPgBinDir } from '../dist/shell/throwawayPg.js';
import { createInstrumentedPool } from '../dist/shell/pool/instrumentedPool.js';
import { Generator } from '../dist/shell/load/generator.js';
import { benchPoolOverhead, median } from './pool-overhead.mjs';
import { benchOpenLoop, formatOpenLoop } from './open-loop.mjs';
import { writeSyntheticRun } from './synthetic-run.mjs';
import { benchObserveCost, formatObserveCost } from './observe-cost.mjs';
import { benchFleet, formatFleet } from './fleet.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'pool-advisor.js');
const smoke = process.argv.includes('--smoke');
const S = (full, quick) => (smoke ? quick : full);
const lines = [];
const out = (s = '') => {
  console.log(s);
  lines.push(s);
};

function machine(serverVersion) {
  const cpu = cpus();
  return [
    `- CPU: ${cpu.length} x ${cpu[0]?.model ?? 'unknown'}`,
    `- memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- Node ${process.version}, ${process.platform} ${process.arch}`,
    `- PostgreSQL ${serverVersion} (throwaway cluster on 127.0.0.1, fsync off)`,
    `- date: ${new Date().toISOString()}`,
  ];
}

/** Closed mode with no hold: the generator's top rate, a bare pg loop, and pgbench, same connection count. */
async function closedTopRate(url, seconds) {
  const conns = 8;
  const callers = 16;
  // The generator, through the instrumented pool.
  const settings = { max_connections: conns, min_connections: conns, acquire_timeout_seconds: 30, idle_timeout_seconds: 300, max_lifetime_seconds: 1800, slow_acquire_threshold_ms: 1000 };
  const ip = createInstrumentedPool(settings, { connectionString: url }, { name: 'database', emulateSqlx: true });
  await ip.start();
  const gen = new Generator({ spec: { pool: 'database', arrival: { mode: 'closed', concurrency: callers, thinkMs: 0 }, hold: { kind: 'sleep', dist: 'constant', ms: 0 }, warmupS: 0, rampS: 0, durationS: seconds }, seed: 1, pool: ip.pool });
  gen.start();
  await new Promise((r) => setTimeout(r, 500));
  gen.resetWindow();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  gen.stop();
  await gen.drain(5000);
  const generator = gen.stats().achievedRate;
  await ip.close();
  // A bare pg loop: same pool size and callers, connect/query/release.
  const pool = new pg.Pool({ connectionString: url, max: conns });
  let n = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < end) {
        const c = await pool.connect();
        await c.query('SELECT 1');
        c.release();
        n++;
      }
    }),
  );
  await pool.end();
  const bare = n / seconds;
  // pgbench with the same number of connections.
  let pgbench;
  try {
    const dir = mkdtempSync(join(tmpdir(), 'pa-bench-'));
    const script = join(dir, 'select1.sql');
    writeFileSync(script, 'SELECT 1;\n');
    const u = new URL(url);
    const bin = join(findPgBinDir(), 'pgbench');
    const txt = execFileSync(existsOr(bin, 'pgbench'), ['-n', '-c', String(conns), '-j', '2', '-T', String(Math.max(1, Math.round(seconds))), '-f', script, '-h', u.hostname, '-p', u.port, '-U', 'postgres', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const m = /tps = ([\d.]+)/.exec(txt);
    pgbench = m ? Number(m[1]) : undefined;
  } catch {
    pgbench = undefined;
  }
  return { generator, bare, pgbench, conns, callers };
}

function existsOr(p, fallback) {
  try {
    readFileSync(p, { flag: 'r' });
    return p;
  } catch {
    return fallback;
  }
}

/** Wall time of a command, ms. */
function wall(cmd, args) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'ignore'] });
  if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
  return performance.now() - t0;
}

/** Alternate two commands `rounds` times; median wall time of each and the ratio. */
function sideBySide(a, b, rounds) {
  const ta = [];
  const tb = [];
  for (let i = 0; i < rounds; i++) {
    ta.push(wall(...a));
    tb.push(wall(...b));
  }
  return { a: median(ta), b: median(tb), ratio: median(ta) / median(tb) };
}

/** Peak RSS of an analyze run at a fixed rate, sampled each second from /proc. */
async function memoryRun(url, seconds, rate) {
  const adv = join(mkdtempSync(join(tmpdir(), 'pa-bench-')), 'pool-advisor.toml');
  writeFileSync(adv, `[defaults]\nduration = "${seconds}s"\nwarmup = "1s"\n[environments.test.workloads.database]\narrival = "poisson"\nrate = ${rate}\nhold = "constant"\nhold_time = "0ms"\n`);
  const child = spawn(process.execPath, [BIN, 'analyze', '--env', 'test', '--pool', 'database', '--advisor-config', adv, '--database-url', url, '--set', 'test.database.max_connections=16', '--set', 'test.database.min_connections=16'], { stdio: ['ignore', 'ignore', 'ignore'], env: { ...process.env, NO_COLOR: '1' } });
  const samples = [];
  const timer = setInterval(() => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) samples.push(Number(m[1]) / 1024);
    } catch {
      // the process has exited
    }
  }, 1000);
  const code = await new Promise((r) => child.on('exit', r));
  clearInterval(timer);
  const firstMinute = Math.min(samples.length, 60);
  const atOneMinute = Math.max(...samples.slice(0, Math.max(1, firstMinute)));
  return { code, samples: samples.length, peak: Math.max(...samples), atOneMinute, growthAfterFirstMinute: Math.max(...samples) - atOneMinute };
}

const cluster = await startThrowaway({ maxConnections: 100 });
try {
  const c = new pg.Client({ connectionString: cluster.url });
  await c.connect();
  const serverVersion = (await c.query('SHOW server_version')).rows[0].server_version;
  await c.end();
  out(`# pool-advisor benchmarks${smoke ? ' (smoke: figures not quotable)' : ''}`);
  out();
  out('Measured by `npm run bench` (bench/run.mjs) on:');
  out();
  for (const l of machine(serverVersion)) out(l);
  out();

  out('## Instrumented vs bare pg.Pool');
  const po = await benchPoolOverhead(cluster.url);
  out(`\`SELECT 1\`, max 8, 16 loops of connect/query/release, ${po.rounds} alternating rounds of ${po.seconds} s.`);
  out();
  out(`| | median q/s |\n|---|---|\n| bare pg.Pool | ${po.bareMedian.toFixed(0)} |\n| instrumented | ${po.instrumentedMedian.toFixed(0)} |`);
  out();
  out(`Ratio instrumented / bare: median **${po.ratioMedian.toFixed(3)}**, spread ${po.ratioMin.toFixed(3)} .. ${po.ratioMax.toFixed(3)} (target >= 0.98).`);
  out();

  out('## Load generator top rate, closed mode, no hold');
  const ct = await closedTopRate(cluster.url, S(10, 1));
  out(`${ct.callers} callers, ${ct.conns} connections, \`SELECT 1\` per request.`);
  out();
  out(`| | requests/s | vs bare loop |\n|---|---|---|\n| pool-advisor generator (instrumented pool) | ${ct.generator.toFixed(0)} | ${(ct.generator / ct.bare).toFixed(3)} |\n| bare pg loop | ${ct.bare.toFixed(0)} | 1.000 |\n| pgbench -c ${ct.conns} -j 2 | ${ct.pgbench ? ct.pgbench.toFixed(0) : 'n/a'} | ${ct.pgbench ? (ct.pgbench / ct.bare).toFixed(3) : 'n/a'} |`);
  out();

  out('## Open-mode accuracy');
  const ol = await benchOpenLoop(cluster.url, S([1000, 5000, 20000], [1000]), S(10, 1));
  out('Poisson arrivals, `SELECT 1` per request, 16 connections.');
  out();
  out('```');
  out(formatOpenLoop(ol));
  out('```');
  out();

  out('## observe: sampling cost');
  const oc = await benchObserveCost(cluster.url, { rounds: S(5, 1), seconds: S(6, 2) });
  out(`A plain pg.Pool in a child process (max 4, 8 closed loops of \`SELECT 1\`), ${oc.rounds} alternating rounds of ${oc.seconds} s without observe, with it every 200 ms (the default) and every 50 ms; medians. Goal: under 1% of one core at the default interval.`);
  out();
  out(formatObserveCost(oc));
  out();

  out('## Saved-run commands and startup vs `node -e 0`');
  const runFile = join(mkdtempSync(join(tmpdir(), 'pa-bench-')), 'run-10min.json');
  const size = writeSyntheticRun(runFile, 600);
  const rounds = S(7, 2);
  const rec = sideBySide([process.execPath, [BIN, 'recommend', '--from', runFile]], [process.execPath, ['-e', '0']], rounds);
  const chk = sideBySide([process.execPath, [BIN, 'check', '--from', runFile]], [process.execPath, ['-e', '0']], rounds);
  const help = sideBySide([process.execPath, [BIN, '--help']], [process.execPath, ['-e', '0']], rounds);
  out(`A synthetic 10-minute run file (${(size / 1024).toFixed(0)} KiB, 2,000 acquires/s, recorded by the real Recorder on a synthetic clock); medians of ${rounds} alternating runs.`);
  out();
  out(`| command | median ms | node -e 0 ms | ratio |\n|---|---|---|---|\n| recommend --from run.json | ${rec.a.toFixed(0)} | ${rec.b.toFixed(0)} | ${rec.ratio.toFixed(2)} |\n| check --from run.json | ${chk.a.toFixed(0)} | ${chk.b.toFixed(0)} | ${chk.ratio.toFixed(2)} |\n| --help | ${help.a.toFixed(0)} | ${help.b.toFixed(0)} | ${help.ratio.toFixed(2)} |`);
  out();

  out('## Memory over a long run');
  const seconds = S(300, 8);
  const mem = await memoryRun(cluster.url, seconds, 2000);
  out(`\`analyze\` at 2,000 acquires/s for ${seconds} s (exit ${mem.code}), RSS sampled each second (${mem.samples} samples).`);
  out();
  out(`Peak RSS ${mem.peak.toFixed(1)} MiB; peak in the first minute ${mem.atOneMinute.toFixed(1)} MiB; growth after the first minute **${mem.growthAfterFirstMinute.toFixed(1)} MiB**.`);
  out();
  out('## Reading a fleet from Prometheus');
  if (spawnSync('promtool', ['--version']).error || spawnSync('prometheus', ['--version']).error) {
    out('prometheus and promtool are not on PATH: skipped (Debian: apt-get install prometheus).');
  } else {
    const fl = await benchFleet(S({ replicas: 100, pools: 4, minutes: 60, intervalS: 15, rounds: 3 }, { replicas: 5, pools: 2, minutes: 5, intervalS: 15, rounds: 1 }));
    out(formatFleet(fl));
  }
  out();
  out('## Reproduce');
  out();
  out('```sh\nnpm install\nnpm run bench              # all of the above; rewrites bench/results.md\nnode bench/pool-overhead.mjs   # one part alone\nnode bench/open-loop.mjs --rates 1000,5000 --seconds 10\nnode bench/observe-cost.mjs --rounds 5 --seconds 6\nnode bench/fleet.mjs --replicas 100 --pools 4 --minutes 60 --interval 15\n```');
} finally {
  await cluster.stop();
}
if (!smoke) writeFileSync(join(ROOT, 'bench', 'results.md'), `${lines.join('\n')}\n`);
