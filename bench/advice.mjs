// `npm run bench:advice`: the advice on a table of scenarios against a throwaway PostgreSQL, each
// beside its ground truth (Erlang C or M/M/c//N on the workload's nominal rate and hold, or the
// expected "no raise" / "no change"), and whether it held; then 5 seeds of each sizing scenario
// at 10 s with the spread of the advice and which rows are near a size boundary (the model's need
// within 3 standard errors of the rate and hold). Writes bench/advice.md.
//
// The server is one throwaway cluster on 127.0.0.1 that every run shares, so runs see target kind
// "local": findings about the server's own capacity inform and change no key there.
import { spawn } from 'node:child_process';
import { cpus, totalmem, tmpdir } from 'node:os';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configDir } from './taskerConfig.mjs';
import pg from 'pg';
import { startThrowaway } from '../dist/shell/throwawayPg.js';
import { smallestMeeting } from '../dist/core/model/queue.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'pool-advisor.js');
const SEEDS = [1, 2, 3, 4, 5];
const DURATION = '10s';
const TARGET_MS = 10;
const lines = [];
const out = (s = '') => {
  console.log(s);
  lines.push(s);
};


function advisorFile(workload) {
  const dir = mkdtempSync(join(tmpdir(), 'pa-bench-adv-'));
  const p = join(dir, 'pool-advisor.toml');
  writeFileSync(p, `[defaults]\nduration = "${DURATION}"\nwarmup = "1s"\ntarget_p99_wait = "${TARGET_MS}ms"\n[environments.test.workloads.database]\n${workload}\n`);
  return p;
}

/** Run analyze; `stall` stops the process for that many ms, 4.5 s after it starts. */
function analyze(url, sc, seed, stall = 0) {
  const runFile = join(mkdtempSync(join(tmpdir(), 'pa-bench-adv-')), 'run.json');
  const args = [BIN, 'analyze', '--config-dir', configDir(sc.keys, 'pa-bench-adv-'), '--advisor-config', advisorFile(sc.workload), '--env', 'test', '--pool', 'database', '--database-url', url, '--json', '--out', runFile, '--seed', String(seed), ...(sc.sets ?? []).flatMap((s) => ['--set', s])];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, NO_COLOR: '1', CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    if (stall > 0) {
      setTimeout(() => {
        child.kill('SIGSTOP');
        setTimeout(() => child.kill('SIGCONT'), stall);
      }, 4500);
    }
    child.on('exit', (code) => {
      let data = null;
      try {
        data = JSON.parse(stdout);
      } catch {
        // An invalid run still prints its JSON; a crash does not.
      }
      resolve({ code, data, stderr });
    });
  });
}

const exp = (meanMs) => ({ meanHoldS: meanMs / 1000, cs2: 1 });
const open = (lambda) => ({ kind: 'open', lambda, ca2: 1 });
const closed = (callers, thinkS) => ({ kind: 'closed', callers, thinkS });

/**
 * Ground truth: the queue model on the workload's nominal rate (or callers and think time) and the
 * hold one caller gets from the server (the run's calibration phase, uncontended, before the load;
 * the nominal hold when a run has none) - not on anything the pool's own queueing measured.
 */
function need(arrivals, nominalMs, data) {
  const cal = data?.run?.environments?.[0]?.workloads?.[0]?.calibration;
  // The nominal mean plus the overhead the calibration measured around the sleeps it asked for.
  const meanMs = cal && cal.holds >= 5 && cal.requestedMeanUs !== undefined ? nominalMs + Math.max(0, cal.meanUs - cal.requestedMeanUs) / 1000 : nominalMs;
  return { c: smallestMeeting({ arrivals, ...exp(meanMs) }, TARGET_MS / 1000), meanMs };
}
const holdText = (t) => `${t.meanMs.toFixed(1)} ms`;

const SCENARIOS = [
  {
    name: 'pool-bound open load, max 4',
    sizing: true,
    keys: { max_connections: 4 },
    workload: 'arrival = "poisson"\nrate = 150\nhold = "exponential"\nhold_mean = "20ms"',
    truth: (d) => need(open(150), 20, d),
    truthText: (t) => `Erlang C: ${t.c} (150/s x ${holdText(t)})`,
    judge: (a, t) => sizeJudge(a, t, 'pool-saturation'),
  },
  {
    name: 'pool-bound open load, max 6',
    sizing: true,
    keys: { max_connections: 6 },
    workload: 'arrival = "poisson"\nrate = 400\nhold = "exponential"\nhold_mean = "10ms"',
    truth: (d) => need(open(400), 10, d),
    truthText: (t) => `Erlang C: ${t.c} (400/s x ${holdText(t)})`,
    judge: (a, t) => sizeJudge(a, t, 'pool-saturation'),
  },
  {
    name: 'closed loop, 12 callers',
    sizing: true,
    keys: { max_connections: 3 },
    workload: 'arrival = "closed"\nconcurrency = 12\nthink = "40ms"\nhold = "exponential"\nhold_mean = "20ms"',
    truth: (d) => need(closed(12, 0.04), 20, d),
    truthText: (t) => `M/M/c//N: ${t.c} (12 callers, think 40 ms, hold ${holdText(t)})`,
    judge: (a, t) => sizeJudge(a, t, 'pool-saturation'),
  },
  {
    name: 'oversized',
    sizing: true,
    keys: { max_connections: 40 },
    workload: 'arrival = "poisson"\nrate = 100\nhold = "exponential"\nhold_mean = "20ms"',
    truth: (d) => need(open(100), 20, d),
    truthText: (t) => `lower max_connections, not below Erlang C's ${t.c} (100/s x ${holdText(t)})`,
    judge: (a, t) => {
      const r = rec(a, 'max_connections');
      return { advice: r ? `max ${r.from} -> ${r.to} (${r.rule})` : 'no max change', held: Boolean(r && r.to < r.from && r.to >= t.c - 1), size: r?.to ?? null };
    },
  },
  {
    name: 'lifetime churn (2 s lifetime via --set)',
    keys: { max_connections: 10, min_connections: 0 },
    sets: ['test.database.max_lifetime_seconds=2'],
    workload: 'arrival = "poisson"\nrate = 50\nhold = "exponential"\nhold_mean = "20ms"',
    truthText: () => 'raise max_lifetime_seconds (reconnects paid on the acquire path)',
    judge: (a) => {
      const r = rec(a, 'max_lifetime_seconds');
      return { advice: r ? `lifetime ${r.from} -> ${r.to}` : 'no lifetime change', held: Boolean(r && r.to > r.from) };
    },
  },
  {
    name: 'idle surplus (min 15 of 20)',
    keys: { max_connections: 20, min_connections: 15 },
    workload: 'arrival = "poisson"\nrate = 50\nhold = "exponential"\nhold_mean = "10ms"',
    truthText: () => 'lower min_connections; min <= max after every change',
    judge: (a) => {
      const mn = rec(a, 'min_connections');
      const mx = rec(a, 'max_connections');
      const finalMin = mn?.to ?? 15;
      const finalMax = mx?.to ?? 20;
      return { advice: `${mn ? `min 15 -> ${mn.to}` : 'min unchanged'}, ${mx ? `max 20 -> ${mx.to}` : 'max unchanged'}`, held: Boolean(mn && mn.to < 15 && finalMin <= finalMax) };
    },
  },
  {
    name: 'healthy',
    keys: { max_connections: 6 },
    workload: 'arrival = "poisson"\nrate = 100\nhold = "exponential"\nhold_mean = "10ms"',
    truthText: () => 'no change',
    judge: (a) => ({ advice: describeRecs(a), held: recs(a).length === 0 }),
  },
  {
    name: 'CPU-bound server',
    keys: { max_connections: 10 },
    workload: 'arrival = "poisson"\nrate = 400\nhold = "sql"\nsql = "SELECT count(*) FROM generate_series(1, 150000)"',
    truthText: () => 'no raise; server named as the limit; no key changed (local target)',
    judge: (a) => ({ advice: `${describeRecs(a)}; ${serverFinding(a)}`, held: recs(a).length === 0 && serverFinding(a) !== 'no server finding' }),
  },
  {
    name: 'lock-bound server (one hot row)',
    keys: { max_connections: 10 },
    workload: 'arrival = "poisson"\nrate = 300\nhold = "sql"\nsql = "BEGIN; UPDATE bench_hot_row SET n = n + 1 WHERE id = 1; SELECT pg_sleep(0.004); COMMIT"',
    truthText: () => 'no raise; server named as the limit; no key changed (local target)',
    judge: (a) => ({ advice: `${describeRecs(a)}; ${serverFinding(a)}`, held: recs(a).length === 0 && serverFinding(a) !== 'no server finding' }),
  },
  {
    name: 'stalled run (SIGSTOP 4 s mid-window)',
    stall: 4000,
    keys: { max_connections: 4 },
    workload: 'arrival = "poisson"\nrate = 150\nhold = "exponential"\nhold_mean = "20ms"',
    truthText: () => 'invalid run: exit 4, no key changed',
    judge: (a, _t, code) => ({ advice: `exit ${code}; ${a?.advice?.valid === false ? 'invalid' : 'valid'}; ${describeRecs(a)}`, held: code === 4 && recs(a).length === 0 }),
  },
  {
    name: 'light load, 30 idle connections',
    keys: { max_connections: 30, min_connections: 30 },
    workload: 'arrival = "poisson"\nrate = 40\nhold = "exponential"\nhold_mean = "2ms"',
    truthText: () => 'no raise; ~0% of acquires waited',
    judge: (a) => {
      const p = a?.advice?.environments?.[0]?.pools?.[0];
      const raise = recs(a).some((r) => r.key === 'max_connections' && r.to > r.from);
      return { advice: `waited ${p ? (p.waitedShare * 100).toFixed(2) : '?'}%; ${describeRecs(a)}`, held: Boolean(p) && p.waitedShare < 0.01 && !raise };
    },
  },
];

const recs = (a) => a?.advice?.recommendations?.filter((r) => r.pool === 'database') ?? [];
const rec = (a, key) => recs(a).find((r) => r.key === key);
const describeRecs = (a) => (recs(a).length === 0 ? 'no change' : recs(a).map((r) => `${r.key} ${r.from} -> ${r.to}`).join(', '));
function serverFinding(a) {
  const f = a?.advice?.findings?.find((x) => x.pool === 'database' && x.kind === 'database-saturation');
  if (!f) return 'no server finding';
  const m = /served (\d+) requests\/s/.exec(f.message);
  return m ? `server-bound: served ${m[1]}/s` : 'hold grows with occupancy';
}
function sizeJudge(a, t, rule) {
  const r = rec(a, 'max_connections');
  const size = r?.to ?? null;
  return { advice: r ? `max ${r.from} -> ${r.to} (${r.rule})` : 'no max change', held: Boolean(r && r.rule === rule && Math.abs(r.to - t.c) <= 1), size };
}

/** Whether the model's need moves within 3 standard errors of the rate and hold (a size boundary is that close). */
function nearBoundary(a) {
  const p = a?.advice?.environments?.[0]?.pools?.[0];
  const input = p?.model?.input;
  if (!input) return null;
  const n = Math.max(1, p.acquires);
  const k = 3;
  const holdSe = (p.hold.cv / Math.sqrt(Math.max(1, p.hold.count))) * k;
  const rateSe = k / Math.sqrt(n);
  const scale = (f, h) => ({ ...input, meanHoldS: input.meanHoldS * h, arrivals: input.arrivals.kind === 'open' ? { ...input.arrivals, lambda: input.arrivals.lambda * f } : input.arrivals });
  const lo = smallestMeeting(scale(1 - rateSe, 1 - holdSe), TARGET_MS / 1000);
  const hi = smallestMeeting(scale(1 + rateSe, 1 + holdSe), TARGET_MS / 1000);
  return { lo, hi, near: lo !== hi };
}

const cluster = await startThrowaway({ maxConnections: 200 });
const url = cluster.url;
try {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query('CREATE TABLE IF NOT EXISTS bench_hot_row (id int PRIMARY KEY, n bigint NOT NULL); INSERT INTO bench_hot_row VALUES (1, 0) ON CONFLICT DO NOTHING');
  const version = (await admin.query('SHOW server_version')).rows[0].server_version;
  await admin.end();
  const cpu = cpus();
  out('# pool-advisor: advice on hard cases');
  out();
  out('Written by `npm run bench:advice` (bench/advice.mjs). Each row is one `analyze` run of 10 s (seed 1)');
  out('against one throwaway PostgreSQL on 127.0.0.1 (target kind "local": findings about the');
  out("server's own capacity inform and change no key). Ground truth is the queue model (Erlang C, or");
  out("M/M/c//N for the closed loop) on the workload's nominal rate (or callers and think time) and its");
  out("nominal mean hold plus the overhead one caller pays around it (measured by the run's calibration");
  out('phase, uncontended, before the load),');
  out('target P99 wait 10 ms; a size "held" when it is within one connection of it (the sampling');
  out('allowance may add one; for oversized, when it lowers max and stays at or above the truth minus one).');
  out();
  out(`- CPU: ${cpu.length} x ${cpu[0]?.model ?? 'unknown'}, shared with other work (measurements are noisy)`);
  out(`- memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB; Node ${process.version}; PostgreSQL ${version}`);
  out(`- date: ${new Date().toISOString()}`);
  out();
  out('| scenario | advice | ground truth | held |');
  out('|---|---|---|---|');
  const seedRows = [];
  let held = 0;
  for (const sc of SCENARIOS) {
    const runs = [];
    for (const seed of sc.sizing ? SEEDS : [1]) {
      const r = await analyze(url, sc, seed, sc.stall ?? 0);
      const t = sc.truth?.(r.data);
      runs.push({ seed, ...r, t, j: sc.judge(r.data, t, r.code), nb: sc.sizing ? nearBoundary(r.data) : null });
    }
    const first = runs[0];
    if (first.j.held) held++;
    out(`| ${sc.name} | ${first.j.advice.replace(/\|/g, '/')} | ${sc.truthText(first.t)} | ${first.j.held ? 'yes' : 'NO'} |`);
    if (sc.sizing) seedRows.push({ sc, runs });
  }
  out();
  out(`${held} of ${SCENARIOS.length} rows held.`);
  out();
  out('## 5 seeds of each sizing scenario (10 s each)');
  out();
  out('| scenario | truth (seeds 1-5) | sizes (seeds 1-5) | spread | held | model need / P99 in use (seeds 1-5) | model need within 3 SE | near a boundary |');
  out('|---|---|---|---|---|---|---|---|');
  const verdicts = [];
  for (const { sc, runs } of seedRows) {
    const sizes = runs.map((r) => r.j.size ?? '-');
    const nums = sizes.filter((x) => typeof x === 'number');
    const spread = nums.length ? Math.max(...nums) - Math.min(...nums) : null;
    const ranges = runs.map((r) => (r.nb ? (r.nb.lo === r.nb.hi ? `${r.nb.lo}` : `${r.nb.lo}-${r.nb.hi}`) : '?'));
    const near = runs.some((r) => r.nb?.near);
    // What the size was made of: the model's need (with its sampling allowance) and the time-weighted P99 in use, interpolated.
    const parts = runs.map((r) => {
      const p = r.data?.advice?.environments?.[0]?.pools?.[0];
      return p ? `${p.model?.needForTarget ?? '?'} / ${p.inUse?.p99Interpolated !== undefined ? p.inUse.p99Interpolated.toFixed(1) : '?'}` : '?';
    });
    out(`| ${sc.name} | ${runs.map((r) => r.t.c).join(', ')} | ${sizes.join(', ')} | ${spread ?? '-'} | ${runs.filter((r) => r.j.held).length}/5 | ${parts.join(', ')} | ${ranges.join(', ')} | ${near ? 'yes' : 'no'} |`);
    verdicts.push({ name: sc.name, near, same: spread === 0 && nums.length === runs.length });
  }
  out();
  const nearRows = verdicts.filter((v) => v.near);
  const clearRows = verdicts.filter((v) => !v.near);
  out(`Near a size boundary: ${nearRows.length ? nearRows.map((v) => `${v.name} (${v.same ? 'one size over the 5 seeds anyway' : 'sizes differ between seeds'})`).join('; ') : 'none'}.`);
  out(`Not near one (goal: one size for 5 of 5 seeds): ${clearRows.length ? clearRows.map((v) => `${v.name}: ${v.same ? 'met' : 'NOT met'}`).join('; ') : 'none'}.`);
  out();
  out('"Near a boundary": for at least one seed the need computed at the measured rate and hold minus');
  out('and plus 3 standard errors (rate: 1/sqrt(acquires); hold: cv/sqrt(holds)) differs, so the');
  out('size may rightly differ between seeds. Where it does not, all 5 seeds should give one size.');
  out('"Model need / P99 in use": the model\'s smallest size meeting the target (rate and hold each one');
  out('standard error up) and the time-weighted P99 of connections in use, interpolated between levels;');
  out('a lowered size is the largest of these (rounded) and a working pool (3 here: PGMQ shares the pool).');
} finally {
  await cluster.stop();
}
writeFileSync(join(ROOT, 'bench', 'advice.md'), `${lines.join('\n')}\n`);
