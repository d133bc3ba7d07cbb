// `node bench/settle.mjs` (after `npm run build`): the stopping rule of issue 35 against today's
// default and a long fixed run. For each scenario and seed, on one throwaway PostgreSQL:
//   - adaptive: `analyze` as it now runs by default (stops when settled, at most 30 s);
//   - fixed 60 s: `analyze --fixed-duration --duration 60s` with the same seed, the reference answer,
//     and whether its own joint box straddles a boundary (judgeEnvironment on it, its one look);
//   - today's default (fixed 30 s): once per scenario (seed 1), for the time it takes.
// Time to an answer is the whole process's wall time (start-up, warm-up and throwaway-free: the
// server is shared). Writes bench/settle.md.
//   node bench/settle.mjs [--seeds 5] [--scenarios healthy,pool-bound]
import { spawn } from 'node:child_process';
import { cpus, totalmem, tmpdir } from 'node:os';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configDir } from './taskerConfig.mjs';
import { startThrowaway } from '../dist/shell/throwawayPg.js';
import { evidenceFromRun } from '../dist/core/evidence/fromRun.js';
import { judgeEnvironment } from '../dist/core/rules/settled.js';
import { parseAdvisorConfig } from '../dist/core/advisor/parse.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'pool-advisor.js');
const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : def;
};
const SEEDS = Array.from({ length: Number(arg('--seeds', '5')) }, (_, i) => i + 1);

const SCENARIOS = [
  { id: 'healthy', name: 'healthy (100/s x 10 ms on 6)', keys: { max_connections: 6 }, workload: 'arrival = "poisson"\nrate = 100\nhold = "exponential"\nhold_mean = "10ms"' },
  { id: 'pool-bound', name: 'pool-bound (150/s x 20 ms on 4)', keys: { max_connections: 4 }, workload: 'arrival = "poisson"\nrate = 150\nhold = "exponential"\nhold_mean = "20ms"' },
  { id: 'oversized', name: 'oversized (100/s x 20 ms on 40)', keys: { max_connections: 40 }, workload: 'arrival = "poisson"\nrate = 100\nhold = "exponential"\nhold_mean = "20ms"' },
];
const only = arg('--scenarios', 'healthy,pool-bound').split(',');


const advisorText = (workload) => `[defaults]\nduration = "30s"\nwarmup = "2s"\ntarget_p99_wait = "10ms"\n[environments.test.workloads.database]\n${workload}\n`;

function advisorFile(workload) {
  const p = join(mkdtempSync(join(tmpdir(), 'pa-bench-settle-')), 'pool-advisor.toml');
  writeFileSync(p, advisorText(workload));
  return p;
}

function analyze(url, sc, seed, extra) {
  const runFile = join(mkdtempSync(join(tmpdir(), 'pa-bench-settle-')), 'run.json');
  const args = [BIN, 'analyze', '--config-dir', configDir(sc.keys, 'pa-bench-settle-'), '--advisor-config', advisorFile(sc.workload), '--env', 'test', '--pool', 'database', '--database-url', url, '--json', '--out', runFile, '--seed', String(seed), ...extra];
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, NO_COLOR: '1', CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => {
      const s = (performance.now() - t0) / 1000;
      let data = null;
      try {
        data = JSON.parse(stdout);
      } catch {}
      resolve({ code, data, stderr, s, runFile });
    });
  });
}

/** The answer: each changed key and its value, and each finding's kind and severity. */
function answerOf(data) {
  const recs = data?.advice?.recommendations ?? [];
  const findings = (data?.advice?.findings ?? []).filter((f) => f.pool === 'database');
  return {
    values: Object.fromEntries(recs.map((r) => [r.key, r.to])),
    verdicts: [...new Set(findings.map((f) => `${f.kind}:${f.severity}`))].sort().join(' '),
  };
}

const fmtValues = (v) => (Object.keys(v).length ? Object.entries(v).map(([k, x]) => `${k}=${x}`).join(', ') : 'no change');
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const cluster = await startThrowaway({ maxConnections: 200 });
const url = cluster.urlFor('postgres');
const lines = [];
const out = (s = '') => {
  console.log(s);
  lines.push(s);
};
try {
  out('# The stopping rule against today\'s default and a fixed 60 s run');
  out();
  out(`Measured by \`npm run build && node bench/settle.mjs --seeds ${SEEDS.length} --scenarios ${only.join(',')}\` on ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}; one throwaway PostgreSQL shared by every run (target kind local); warm-up 2 s, at most 30 s measured. Times are whole-process wall times (start-up and warm-up included).`);
  out();
  out('| scenario | seed | adaptive: time, how it ended | adaptive answer | fixed 60 s answer | 60 s interval straddles a boundary | same verdicts | values within one | acceptable |');
  out('|---|---|---|---|---|---|---|---|---|');
  const summary = [];
  for (const sc of SCENARIOS.filter((s) => only.includes(s.id))) {
    const today = await analyze(url, sc, 1, ['--fixed-duration']);
    const times = [];
    for (const seed of SEEDS) {
      const a = await analyze(url, sc, seed, []);
      const f = await analyze(url, sc, seed, ['--fixed-duration', '--duration', '60s']);
      const settle = a.data?.run?.environments?.[0]?.settle;
      const ended = settle ? (settle.settled ? `settled after ${settle.afterS} s` : `not settled after ${settle.afterS} s: ${settle.unsettled}`) : `exit ${a.code}`;
      const aa = answerOf(a.data);
      const fa = answerOf(f.data);
      let straddles = '?';
      if (f.data) {
        const ev = evidenceFromRun(JSON.parse(readFileSync(f.runFile, 'utf8')));
        // The 60 s run's own box at its one look, with the sample gate of the adaptive runs' 30 s
        // maximum (medium confidence: 1,000 acquires), so that "straddles" means a boundary.
        const o = judgeEnvironment(ev, 'test', parseAdvisorConfig(advisorText(sc.workload), 'pool-advisor.toml'), 1, 60, 30);
        straddles = o.settled ? 'no' : `yes (${o.why})`;
      }
      const sameVerdicts = aa.verdicts === fa.verdicts;
      const keys = new Set([...Object.keys(aa.values), ...Object.keys(fa.values)]);
      const within = [...keys].every((k) => aa.values[k] !== undefined && fa.values[k] !== undefined && Math.abs(aa.values[k] - fa.values[k]) <= 1);
      const same = [...keys].every((k) => aa.values[k] === fa.values[k]);
      const acceptable = straddles === 'no' ? sameVerdicts && within : !settle?.settled || (sameVerdicts && same);
      times.push(a.s);
      out(`| ${sc.name} | ${seed} | ${a.s.toFixed(1)} s, ${ended} | ${fmtValues(aa.values)}; ${aa.verdicts || '-'} | ${fmtValues(fa.values)}; ${fa.verdicts || '-'} | ${straddles} | ${sameVerdicts ? 'yes' : 'no'} | ${within ? 'yes' : 'no'} | ${acceptable ? 'yes' : '**no**'} |`);
    }
    summary.push({ sc, today: today.s, median: median(times) });
  }
  out();
  out('| scenario | today\'s default (fixed 30 s, seed 1) | adaptive, median of the seeds | ratio (goal <= 0.33) |');
  out('|---|---|---|---|');
  for (const s of summary) out(`| ${s.sc.name} | ${s.today.toFixed(1)} s | ${s.median.toFixed(1)} s | ${(s.median / s.today).toFixed(2)} |`);
} finally {
  await cluster.stop();
}
writeFileSync(join(ROOT, 'bench', 'settle.md'), `${lines.join('\n')}\n`);
