// Startup: whole-process wall time of CLI commands and of importing each dependency alone, each
// against `node -e 0`, in alternating runs (medians). Both ways of loading the CLI are measured:
// the bundle with lazy chunks (bin/pool-advisor.js, what users run) and tsc's unbundled output
// (bench/unbundled-cli.mjs) with the same dynamic imports per command.
//   node bench/startup.mjs [--rounds 11]
//   node bench/startup.mjs --against DIR [--rounds 21]   # config lint only, this checkout beside
//     another built checkout (DIR, e.g. a `git worktree` of an older commit after `npm ci`), both
//     on the same files: this checkout's copy of Tasker's config and its example config
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './pool-overhead.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = join(ROOT, 'bin', 'pool-advisor.js');
const UNBUNDLED = join(ROOT, 'bench', 'unbundled-cli.mjs');
const TASKER_CONFIG = join(ROOT, 'test', 'fixtures', 'tasker-core', 'config', 'tasker');
const NODE0 = ['-e', '0'];
const PRELOAD = join(ROOT, 'bench', 'cpu-at-exit.cjs');
const CPU_FILE = join(mkdtempSync(join(tmpdir(), 'pa-bench-cpu-')), 'cpu');

/**
 * One `node ARGS` run in the package root: its wall time and its CPU time (user + system), ms.
 * Every run, the baseline included, has the same small preload that reports the CPU time at exit.
 * Throws when the command fails unexpectedly.
 */
function wall(args) {
  rmSync(CPU_FILE, { force: true });
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['-r', PRELOAD, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'ignore'], env: { ...process.env, NO_COLOR: '1', PA_BENCH_CPU_FILE: CPU_FILE } });
  const ms = performance.now() - t0;
  if (r.status !== 0 && r.status !== 1) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
  return { ms, cpuMs: Number(readFileSync(CPU_FILE, 'utf8')) / 1000 };
}

/**
 * Alternate `node -e 0` with every candidate, `rounds` times (the order of the candidates rotates
 * each round), and give each candidate's median and its ratio to the baseline's median.
 */
export function sideBySide(candidates, rounds) {
  const base = [];
  const times = candidates.map(() => []);
  for (let i = 0; i < rounds; i++) {
    base.push(wall(NODE0));
    for (let k = 0; k < candidates.length; k++) {
      const j = (k + i) % candidates.length;
      times[j].push(wall(candidates[j].args));
    }
  }
  const b = median(base.map((x) => x.ms));
  const bc = median(base.map((x) => x.cpuMs));
  return {
    baseMs: b,
    baseCpuMs: bc,
    rows: candidates.map((c, j) => {
      const ms = median(times[j].map((x) => x.ms));
      const cpuMs = median(times[j].map((x) => x.cpuMs));
      return { name: c.name, ms, ratio: ms / b, cpuMs, cpuRatio: cpuMs / bc, ...(c.target ? { target: c.target } : {}) };
    }),
  };
}

/** The commands the issue sets targets for, bundled and unbundled. */
export function benchCommands(runFile, rounds) {
  const cmds = [
    { name: '--help', args: ['--help'], target: 2.0 },
    { name: 'config lint (example config)', args: ['config', 'lint'], target: 2.0 },
    // Tasker's own config (test/fixtures/tasker-core, about 100 KB of TOML), when the fixture is present.
    ...(existsSync(TASKER_CONFIG) ? [{ name: "config lint (Tasker's real config)", args: ['config', 'lint', '--config-dir', TASKER_CONFIG], target: 2.0 }] : []),
    { name: 'recommend --from run.json', args: ['recommend', '--from', runFile], target: 2.5 },
    { name: 'check --from run.json', args: ['check', '--from', runFile], target: 2.5 },
  ];
  return sideBySide(
    cmds.flatMap((c) => [
      { name: `${c.name}`, args: [BIN, ...c.args], target: c.target },
      { name: `${c.name}, unbundled`, args: [UNBUNDLED, ...c.args] },
    ]),
    rounds,
  );
}

/**
 * `config lint` of this checkout and of another built checkout (`dir`) side by side, on the same
 * files: Tasker's real config (this checkout's fixture) and the example config (every run starts in
 * this checkout, whose ./config/tasker lint finds without a flag).
 */
export function benchLintAgainst(dir, rounds) {
  const other = join(dir, 'bin', 'pool-advisor.js');
  if (!existsSync(TASKER_CONFIG)) throw new Error(`${TASKER_CONFIG} is missing: the comparison needs Tasker's config`);
  if (!existsSync(other)) throw new Error(`${other} is missing: pass the root of a built checkout`);
  return sideBySide(
    [
      { name: `config lint (Tasker's real config), ${dir}`, args: [other, 'config', 'lint', '--config-dir', TASKER_CONFIG], target: 2.0 },
      { name: "config lint (Tasker's real config), this checkout", args: [BIN, 'config', 'lint', '--config-dir', TASKER_CONFIG], target: 2.0 },
      { name: `config lint (example config), ${dir}`, args: [other, 'config', 'lint'], target: 2.0 },
      { name: 'config lint (example config), this checkout', args: [BIN, 'config', 'lint'], target: 2.0 },
    ],
    rounds,
  );
}

/** Import cost of each dependency alone (and of the modules of hdr-histogram-js the tool uses). */
export function benchImports(rounds) {
  const imp = (spec) => ['--input-type=module', '-e', `await import(${JSON.stringify(spec)})`];
  const deps = ['pg', 'prom-client', 'hdr-histogram-js', 'cli-table3', 'chalk', 'commander', 'smol-toml', 'pg-connection-string'];
  return sideBySide(
    [
      ...deps.map((d) => ({ name: d, args: imp(d) })),
      { name: 'hdr-histogram-js, the two modules used (dist/HistogramBuilder.js, dist/encoding.js)', args: ['--input-type=module', '-e', "await import('hdr-histogram-js/dist/HistogramBuilder.js'); await import('hdr-histogram-js/dist/encoding.js')"] },
    ],
    rounds,
  );
}

/** Markdown table of a side-by-side result. */
export function formatSideBySide(r, label) {
  const lines = [
    `| ${label} | wall, median ms | wall ratio to \`node -e 0\` (${r.baseMs.toFixed(0)} ms) | CPU, median ms | CPU ratio to \`node -e 0\` (${r.baseCpuMs.toFixed(0)} ms) | target |`,
    '|---|---|---|---|---|---|',
  ];
  const b = (x, bold) => (bold ? `**${x.toFixed(2)}**` : x.toFixed(2));
  for (const row of r.rows) lines.push(`| ${row.name} | ${row.ms.toFixed(0)} | ${b(row.ratio, row.target)} | ${row.cpuMs.toFixed(0)} | ${b(row.cpuRatio, row.target)} | ${row.target ? `<= ${row.target.toFixed(1)}` : ''} |`);
  return lines;
}

/** The same, with each row as the added ms over `node -e 0` (import cost). */
export function formatImports(r) {
  const lines = [`| import alone | wall, median ms | added over \`node -e 0\` (${r.baseMs.toFixed(0)} ms) | CPU, median ms | added over \`node -e 0\` (${r.baseCpuMs.toFixed(0)} ms) |`, '|---|---|---|---|---|'];
  for (const row of r.rows) lines.push(`| ${row.name} | ${row.ms.toFixed(0)} | +${(row.ms - r.baseMs).toFixed(0)} ms | ${row.cpuMs.toFixed(0)} | +${(row.cpuMs - r.baseCpuMs).toFixed(0)} ms |`);
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { writeSyntheticRun } = await import('./synthetic-run.mjs');
  const i = process.argv.indexOf('--rounds');
  const a = process.argv.indexOf('--against');
  const rounds = i > 0 ? Number(process.argv[i + 1]) : a > 0 ? 21 : 11;
  if (a > 0) {
    for (const l of formatSideBySide(benchLintAgainst(process.argv[a + 1], rounds), 'command')) console.log(l);
    process.exit(0);
  }
  const runFile = join(mkdtempSync(join(tmpdir(), 'pa-bench-')), 'run-10min.json');
  writeSyntheticRun(runFile, 600);
  for (const l of formatSideBySide(benchCommands(runFile, rounds), 'command')) console.log(l);
  console.log();
  for (const l of formatImports(benchImports(rounds))) console.log(l);
}
