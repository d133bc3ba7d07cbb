// `npm run bench`: every figure pool-advisor quotes, measured side by side in one run on this
// machine, printed as ratios, and written to bench/results.md with the machine's description and
// the commands to reproduce. `--smoke` runs each part briefly (CI proves the scripts still work;
// smoke figures are not quotable and are not written to results.md).
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startThrowaway } from '../dist/shell/throwawayPg.js';
import { benchPoolOverhead } from './pool-overhead.mjs';
import { benchOpenLoop, formatOpenLoop } from './open-loop.mjs';
import { writeSyntheticRun } from './synthetic-run.mjs';
import { benchObserveCost, formatObserveCost } from './observe-cost.mjs';
import { benchFleet, formatFleet } from './fleet.mjs';
import { benchCeiling, formatCeiling } from './ceiling.mjs';
import { benchCommands, benchImports, formatImports, formatSideBySide } from './startup.mjs';
import { benchGrowth, formatGrowth } from './growth.mjs';
import { formatSoak, soak } from './soak.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
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
    `- load average at the start (1, 5, 15 min): ${loadavg().map((x) => x.toFixed(2)).join(', ')} (the machine's 2 cores may be shared: every figure is a ratio measured side by side)`,
  ];
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
  const ct = await benchCeiling(cluster.url, S({ rounds: 24, seconds: 1.5, pgbenchSeconds: 5 }, { rounds: 2, seconds: 0.5, pgbenchSeconds: 1 }));
  for (const l of formatCeiling(ct)) out(l);
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

  out('## Startup and the saved-run commands vs `node -e 0`');
  const runFile = join(mkdtempSync(join(tmpdir(), 'pa-bench-')), 'run-10min.json');
  const size = writeSyntheticRun(runFile, S(600, 60));
  const rounds = S(11, 2);
  out(`Whole-process wall time, medians of ${rounds} alternating runs (each round: \`node -e 0\`, then every command in a rotating order). The run file: a synthetic ${S(10, 1)}-minute run (${(size / 1024).toFixed(0)} KiB, 2,000 acquires/s, recorded by the real Recorder on a synthetic clock). Each command is loaded when it runs; \`bin/pool-advisor.js\` runs the bundle (scripts/bundle.mjs: the command tree up front, one lazy chunk per command), the \`unbundled\` rows run tsc's output with the same dynamic imports (bench/unbundled-cli.mjs).`);
  out();
  for (const l of formatSideBySide(benchCommands(runFile, rounds), 'command')) out(l);
  out();
  out('Import cost of each dependency alone, same method (`node --input-type=module -e "await import(...)"`):');
  out();
  for (const l of formatImports(benchImports(rounds))) out(l);
  out();

  out('## Run length: the run file and `recommend --from`');
  const minutes = S([1, 10, 60], [0.25, 1, 2]);
  out(`Synthetic runs of ${minutes.join(', ')} minutes (2,000 acquires/s); recommend's wall time, medians of ${S(7, 2)} alternating runs with \`node -e 0\`. Growth no faster than linear: each growth factor at most the run-length factor.`);
  out();
  for (const l of formatGrowth(benchGrowth(minutes, S(7, 2)))) out(l);
  out();

  out('## Soak: a long run at a fixed rate');
  const soakS = S(600, 6);
  const soakRate = S(5000, 1000);
  const firstS = S(60, 3);
  const rs = await soak({ seconds: soakS, rate: soakRate, firstS });
  out(`\`analyze\` at ${soakRate.toLocaleString('en-US')} acquires/s (Poisson, \`SELECT 1\`, 16 connections) for ${soakS} s with \`--out\`, twice, one after the other, each against a fresh throwaway server: plain, and with \`--metrics-port\` scraped every second. RSS sampled every second from /proc; growth = the highest RSS after the first ${firstS} s minus the peak of the first ${firstS} s (target < 10%); run file target < 200 KB; backends left = client backends on the server after analyze exited (target 0). Not sent: requests the open-loop generator dropped because 20,000 were already in flight; a run with any fell behind its schedule (the machine, not the tool, ran out of CPU), is reported as behind by analyze itself, and measured its own backlog, not the steady state. Peak waiting: the most callers queued in the pool at once (from 256 up, the run file keeps the queue's levels in buckets, so its size does not depend on it).`);
  out();
  for (const l of formatSoak(rs, firstS)) out(l);
  out();
  out('## Reading a fleet from Prometheus');
  if (spawnSync('promtool', ['--version']).error || spawnSync('prometheus', ['--version']).error) {
    out('prometheus and promtool are not on PATH: skipped (Debian: apt-get install prometheus).');
  } else {
    const fl = await benchFleet(S({ replicas: 100, pools: 4, minutes: 60, intervalS: 15, rounds: 3 }, { replicas: 5, pools: 2, minutes: 5, intervalS: 15, rounds: 1 }));
    out(formatFleet(fl));
  }
  out();
  out(`Load average at the end (1, 5, 15 min): ${loadavg().map((x) => x.toFixed(2)).join(', ')}.`);
  out();
  out('## Reproduce');
  out();
  out("```sh\nnpm install\nnpm run bench              # all of the above; rewrites bench/results.md\nnode bench/pool-overhead.mjs   # one part alone\nnode bench/open-loop.mjs --rates 1000,5000 --seconds 10\nnode bench/ceiling.mjs          # the generator's top rate vs a bare pg loop and pgbench\nnode bench/startup.mjs          # startup of each command and the import cost of each dependency\nnode bench/growth.mjs           # run file and recommend --from at 1, 10, 60 minutes\nnode bench/soak.mjs             # analyze at 5,000 acquires/s for 10 minutes, plain and scraped\nnode bench/observe-cost.mjs --rounds 5 --seconds 6\nnode bench/fleet.mjs --replicas 100 --pools 4 --minutes 60 --interval 15\nnode scripts/saved-run-outputs.mjs capture DIR run.json...   # outputs of saved runs, to compare across commits\n```");
} finally {
  await cluster.stop();
}
if (!smoke) writeFileSync(join(ROOT, 'bench', 'results.md'), `${lines.join('\n')}\n`);
