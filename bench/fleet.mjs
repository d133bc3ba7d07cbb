// The cost of reading a wide fleet from Prometheus: `pool-advisor fleet` over N replicas x P pools,
// on a Prometheus holding that many synthetic series of pool-advisor's own /metrics (the widest
// family: 3 histograms of 21 buckets, about 80 series per pool), written with
// `promtool tsdb create-blocks-from openmetrics` and served by a real Prometheus. The series are
// exact functions of time (counters grow at a known rate per replica), so the run also checks
// that every replica's arrival rate and mean in use come back right.
//
//   node bench/fleet.mjs [--replicas 100] [--pools 4] [--minutes 60] [--interval 15] [--rounds 3]
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'pool-advisor.js');
const POOLS = ['database', 'pgmq', 'orchestration_web', 'worker_web'];
const BOUNDS = [0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 30];

/** The synthetic workload of replica r, pool p: acquires per second and mean hold (s), mean wait (s). */
export function workloadOf(r, p) {
  return { rate: 20 + (r % 10) * 5 + p * 7, holdS: 0.005 + (p % 2) * 0.01, waitS: 0.0005 + (r % 3) * 0.0005 };
}

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Write the OpenMetrics file: every metric family, every series, one sample per interval. */
async function writeOpenMetrics(file, { replicas, pools, startS, endS, intervalS }) {
  const ws = createWriteStream(file);
  let buf = '';
  let samples = 0;
  const flush = async (force = false) => {
    if (buf.length < (1 << 20) && !force) return;
    if (!ws.write(buf)) await new Promise((r) => ws.once('drain', r));
    buf = '';
  };
  const series = [];
  for (let r = 0; r < replicas; r++) {
    for (let p = 0; p < pools; p++) series.push({ r, p, labels: `job="svc",instance="10.0.${r >> 8}.${r & 255}:9187",pod="svc-${r}",pool_name="${POOLS[p]}"`, w: workloadOf(r, p) });
  }
  const times = [];
  for (let t = startS; t <= endS; t += intervalS) times.push(t);
  const family = async (name, type, lines) => {
    buf += `# TYPE ${name} ${type}\n`;
    for (const s of series) {
      for (const t of times) {
        const el = t - startS + intervalS;
        for (const [suffix, labels, value] of lines(s, el)) {
          buf += `${name}${suffix}{${s.labels}${labels}} ${value} ${t}\n`;
          samples++;
        }
        await flush();
      }
    }
  };
  const histogram = (meanOf) => (s, el) => {
    const n = s.w.rate * el;
    const mean = meanOf(s.w);
    return [...BOUNDS.map((b) => ['_bucket', `,le="${b}"`, (n * (1 - Math.exp(-b / mean))).toFixed(3)]), ['_bucket', ',le="+Inf"', n.toFixed(3)], ['_sum', '', (n * mean).toFixed(6)], ['_count', '', n.toFixed(3)]];
  };
  await family('db_client_connections', 'gauge', (s) => [['', ',state="used"', (s.w.rate * s.w.holdS).toFixed(3)], ['', ',state="idle"', 2]]);
  await family('db_client_connection_pending_requests', 'gauge', () => [['', '', 0]]);
  await family('db_client_connection_max', 'gauge', () => [['', '', 10]]);
  await family('db_client_connection_idle_min', 'gauge', () => [['', '', 2]]);
  await family('db_client_connection_timeouts', 'counter', () => [['_total', '', 0]]);
  await family('db_client_connection_wait_time_seconds', 'histogram', histogram((w) => w.waitS));
  await family('db_client_connection_use_time_seconds', 'histogram', histogram((w) => w.holdS));
  await family('db_client_connection_create_time_seconds', 'histogram', (s, el) => histogram(() => 0.003)({ w: { rate: 0.01 } }, el));
  await family('pool_advisor_connections_created', 'counter', (s, el) => [['_total', '', (0.01 * el).toFixed(3)]]);
  await family('pool_advisor_connections_closed', 'counter', (s, el) => ['expired', 'idle', 'error', 'shutdown'].map((reason) => ['_total', `,reason="${reason}"`, reason === 'expired' ? (0.01 * el).toFixed(3) : 0]));
  await family('pool_advisor_slow_acquires', 'counter', () => [['_total', '', 0]]);
  await family('pool_advisor_acquire_errors', 'counter', () => [['_total', '', 0]]);
  await family('pool_advisor_oldest_waiter_age_seconds', 'gauge', () => [['', '', 0]]);
  buf += '# EOF\n';
  await flush(true);
  await new Promise((r) => ws.end(r));
  return { samples, series: samples / times.length, points: times.length };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Write the synthetic fleet's blocks and start Prometheus on them. Returns its URL, the window the
 * data covers (seconds since the epoch), what was written, and `stop()`.
 */
export async function startFleetPrometheus({ replicas = 100, pools = 4, minutes = 60, intervalS = 15 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'pa-bench-fleet-'));
  let prom;
  const stop = () => {
    if (prom && prom.exitCode === null) prom.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Whole minutes, ending a few minutes ago so no block overlaps Prometheus's own head.
    const endS = Math.floor(Date.now() / 1000 / 60) * 60 - 300;
    const startS = endS - minutes * 60;
    const file = join(dir, 'fleet.om');
    let t = performance.now();
    const gen = await writeOpenMetrics(file, { replicas, pools, startS, endS, intervalS });
    const genS = (performance.now() - t) / 1000;
    t = performance.now();
    const cb = spawnSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', file, join(dir, 'data')], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (cb.status !== 0) throw new Error(`promtool create-blocks-from failed: ${cb.stderr.slice(-2000)}`);
    const blocksS = (performance.now() - t) / 1000;
    const fileMiB = statSync(file).size / 2 ** 20;
    rmSync(file);
    const port = await freePort();
    writeFileSync(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 15s\nscrape_configs: []\n');
    prom = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=30d', '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    prom.stderr.on('data', (d) => (log += d));
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      const ok = await fetch(`${base}/-/ready`).then((r) => r.ok, () => false);
      if (ok) break;
      if (i > 300 || prom.exitCode !== null) throw new Error(`prometheus did not start: ${log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return { base, startS, endS, series: gen.series, samples: gen.samples, fileMiB, genS, blocksS, stop };
  } catch (e) {
    stop();
    throw e;
  }
}

/** Build the data, start Prometheus on it, time `fleet` over the window `rounds` times. */
export async function benchFleet({ replicas = 100, pools = 4, minutes = 60, intervalS = 15, rounds = 3 } = {}) {
  const fp = await startFleetPrometheus({ replicas, pools, minutes, intervalS });
  try {
    const args = [BIN, 'fleet', '--prometheus', fp.base, '--start', String(fp.startS), '--end', String(fp.endS), '--json'];
    const times = [];
    const startup = [];
    let reading;
    // Alternating with Node's start on the same binary, to separate the fleet's cost from start-up.
    for (let i = 0; i < rounds; i++) {
      let t0 = performance.now();
      const outText = execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, NO_COLOR: '1' } });
      times.push(performance.now() - t0);
      reading = JSON.parse(outText);
      t0 = performance.now();
      execFileSync(process.execPath, [BIN, '--version']);
      startup.push(performance.now() - t0);
    }
    // Every replica's figures against the synthetic truth.
    let worstRate = 0;
    let worstInUse = 0;
    for (const x of reading.replicas) {
      const w = workloadOf(Number(x.replica.slice(4)), POOLS.indexOf(x.pool));
      worstRate = Math.max(worstRate, Math.abs(x.arrivalRate / w.rate - 1));
      worstInUse = Math.max(worstInUse, Math.abs(x.use.meanInUse / (w.rate * w.holdS) - 1));
    }
    return { replicas, pools, minutes, intervalS, series: fp.series, samples: fp.samples, fileMiB: fp.fileMiB, genS: fp.genS, blocksS: fp.blocksS, queries: reading.queries, rows: reading.replicas.length, medianMs: median(times), startupMs: median(startup), worstRate, worstInUse, rounds };
  } finally {
    fp.stop();
  }
}

/** The bench row as markdown. */
export function formatFleet(f) {
  return [
    `${f.replicas} replicas x ${f.pools} pools of pool-advisor's /metrics, ${f.minutes} min at one sample per ${f.intervalS} s: ${f.series.toLocaleString('en')} series, ${f.samples.toLocaleString('en')} samples (OpenMetrics ${f.fileMiB.toFixed(0)} MiB, written in ${f.genS.toFixed(0)} s; promtool create-blocks-from ${f.blocksS.toFixed(0)} s). Medians of ${f.rounds} run${f.rounds === 1 ? "" : "s"} of \`fleet --start --end --json\` over the whole window.`,
    '',
    '| queries | pool rows | fleet ms | `--version` ms | fleet / --version | worst rate error | worst mean-in-use error |',
    '|---|---|---|---|---|---|---|',
    `| ${f.queries} | ${f.rows} | ${f.medianMs.toFixed(0)} | ${f.startupMs.toFixed(0)} | ${(f.medianMs / f.startupMs).toFixed(2)} | ${(f.worstRate * 100).toFixed(3)}% | ${(f.worstInUse * 100).toFixed(3)}% |`,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, def) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : def;
  };
  const f = await benchFleet({ replicas: arg('replicas', 100), pools: arg('pools', 4), minutes: arg('minutes', 60), intervalS: arg('interval', 15), rounds: arg('rounds', 3) });
  console.log(formatFleet(f));
}
