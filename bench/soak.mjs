// The long run: `analyze` at a fixed open-loop rate for minutes, its RSS sampled each second from
// /proc, the run file's size, and the backends it left on the server once it exited; twice side
// by side, the second with --metrics-port scraped once a second (as Prometheus would), and the
// generator's achieved rate (a run that fell behind its schedule measured its backlog).
//   node bench/soak.mjs                 # 5,000 acquires/s for 10 minutes, plain then scraped
//   node bench/soak.mjs --smoke         # seconds, to prove the script works
//   node bench/soak.mjs --seconds 120 --rate 2000
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startThrowaway } from '../dist/shell/throwawayPg.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'pool-advisor.js');

/** Limits the issue sets for the soak. */
export const SOAK_LIMITS = { rssGrowthShare: 0.1, runFileBytes: 200 * 1024 };

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function rssMiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined; // the process has exited
  }
}

/** Client backends on the server other than the one asking. */
async function backendsLeft(url) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()");
    return r.rows[0].n;
  } finally {
    await c.end();
  }
}

/**
 * One analyze run of `seconds` at `rate` against `url`, with --out; RSS each second; with
 * `scrape`, /metrics fetched each second. `firstS`: the warm-up window RSS growth is measured
 * against (the first minute in the full run).
 */
export async function soakRun({ url, seconds, rate, scrape, firstS }) {
  const dir = mkdtempSync(join(tmpdir(), 'pa-soak-'));
  const adv = join(dir, 'pool-advisor.toml');
  const out = join(dir, 'run.json');
  writeFileSync(adv, `[defaults]\nduration = "${seconds}s"\nwarmup = "2s"\n[environments.test.workloads.database]\narrival = "poisson"\nrate = ${rate}\nhold = "constant"\nhold_time = "0ms"\n`);
  const args = [BIN, 'analyze', '--env', 'test', '--pool', 'database', '--advisor-config', adv, '--database-url', url, '--set', 'test.database.max_connections=16', '--set', 'test.database.min_connections=16', '--out', out, '--json'];
  const port = scrape ? await freePort() : undefined;
  if (port) args.push('--metrics-port', String(port));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const startedAt = performance.now();
  const samples = [];
  let scrapes = 0;
  let scrapeErrors = 0;
  let lastScrapeBytes = 0;
  const timer = setInterval(() => {
    const r = rssMiB(child.pid);
    if (r !== undefined) samples.push({ t: (performance.now() - startedAt) / 1000, rss: r });
    if (port) {
      fetch(`http://127.0.0.1:${port}/metrics`)
        .then(async (res) => {
          const body = await res.text();
          if (res.ok) {
            scrapes++;
            lastScrapeBytes = body.length;
          } else scrapeErrors++;
        })
        .catch(() => scrapeErrors++); // before the server is up, or after it stopped
    }
  }, 1000);
  const code = await new Promise((r) => child.on('exit', r));
  clearInterval(timer);
  const first = samples.filter((s) => s.t <= firstS);
  const after = samples.filter((s) => s.t > firstS);
  const firstPeak = Math.max(...first.map((s) => s.rss));
  const peak = Math.max(...samples.map((s) => s.rss));
  const growth = after.length ? Math.max(0, Math.max(...after.map((s) => s.rss)) - firstPeak) : 0;
  let achieved;
  let dropped;
  let peakWaiting;
  try {
    const j = JSON.parse(stdout);
    const g = j.run.environments[0].workloads[0].generator;
    achieved = g.achievedRate;
    dropped = g.dropped;
    peakWaiting = j.run.environments[0].pools[0].occupancy.waiting.max;
  } catch {
    achieved = undefined;
  }
  const runFileBytes = statSync(out, { throwIfNoEntry: false })?.size ?? 0;
  return { code, seconds, rate, scrape: Boolean(scrape), samples: samples.length, firstPeak, peak, growth, growthShare: firstPeak > 0 ? growth / firstPeak : 0, runFileBytes, backendsLeft: await backendsLeft(url), scrapes, scrapeErrors, lastScrapeBytes, achieved, dropped, peakWaiting, lastRss: samples.at(-1)?.rss };
}

/**
 * The plain soak, then the scraped one, each against a fresh database server. One after the other:
 * run at once on a 2-core machine they starved each other of CPU, fell behind their schedule and
 * measured the backlog instead of the tool.
 */
export async function soak({ seconds, rate, firstS }) {
  const out = [];
  for (const scrape of [false, true]) {
    const cluster = await startThrowaway({ maxConnections: 50 });
    try {
      out.push(await soakRun({ url: cluster.url, seconds, rate, scrape, firstS }));
    } finally {
      await cluster.stop();
    }
  }
  return out;
}

/** The soak results as markdown lines. */
export function formatSoak(rs, firstS) {
  const kib = (b) => `${(b / 1024).toFixed(1)} KiB`;
  const lines = [
    `| run | exit | achieved/s | not sent (behind) | peak waiting | RSS peak, first ${firstS} s | RSS peak | growth after ${firstS} s | growth / first peak | run file | backends left | scrapes ok / failed |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rs) {
    lines.push(`| ${r.scrape ? 'with --metrics-port, scraped each second' : 'plain'} | ${r.code} | ${r.achieved !== undefined ? r.achieved.toFixed(0) : 'n/a'} | ${r.dropped ?? 'n/a'} | ${r.peakWaiting ?? 'n/a'} | ${r.firstPeak.toFixed(1)} MiB | ${r.peak.toFixed(1)} MiB | ${r.growth.toFixed(1)} MiB | **${(r.growthShare * 100).toFixed(1)}%** | **${kib(r.runFileBytes)}** | **${r.backendsLeft}** | ${r.scrape ? `${r.scrapes} / ${r.scrapeErrors}` : '-'} |`);
  }
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name, def) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : def;
  };
  const smoke = process.argv.includes('--smoke');
  const seconds = arg('--seconds', smoke ? 6 : 600);
  const rate = arg('--rate', smoke ? 1000 : 5000);
  const firstS = arg('--first', smoke ? 3 : 60);
  const rs = await soak({ seconds, rate, firstS });
  console.log(`analyze at ${rate} acquires/s for ${seconds} s, RSS sampled each second`);
  for (const l of formatSoak(rs, firstS)) console.log(l);
  console.log(JSON.stringify(rs));
  const bad = rs.filter((r) => r.code !== 0 || r.backendsLeft !== 0 || (!smoke && (r.growthShare >= SOAK_LIMITS.rssGrowthShare || r.runFileBytes >= SOAK_LIMITS.runFileBytes)));
  if (bad.length) process.exitCode = 1;
}
