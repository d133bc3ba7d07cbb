// Proof that a change altered no figure the tool reports: runs `recommend --from` (terminal,
// --json, --report) and `check --from` (text, json) on saved run files and writes every output to
// a directory, with a sha256 manifest. Capture at a base commit, again after the change, and
// compare:
//   node scripts/saved-run-outputs.mjs capture OUTDIR RUN.json...
//   node scripts/saved-run-outputs.mjs compare BASEDIR NEWDIR
//   node scripts/saved-run-outputs.mjs bound OUTDIR RUN.json...
// `bound` writes copies of run files with their waiting levels bounded as `analyze` now saves
// them (boundLevels): capture outputs from the copies (same base names) and compare with the
// exact files' outputs captured before bounding existed.
// Exit 1 when any output differs (the differing files are named). `*.check-other-percentiles.txt`
// holds percentiles a bounded waiting distribution does not keep exact (see boundLevels).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = process.env.POOL_ADVISOR_BIN ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'pool-advisor.js');
const env = { ...process.env, NO_COLOR: '1' };
const GAUGE_THRESHOLDS = ['in_use', 'idle', 'waiting'].flatMap((g) => ['value', 'mean', 'max', 'p(50)', 'p(90)', 'p(95)', 'p(99)', 'p(99.9)'].map((a) => `*.${g}: ${a} < 1`));
const OTHER_PERCENTILES = ['p(75)', 'p(97)', 'p(99.99)'].map((a) => `*.waiting: ${a} < 1`);

function run(args) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env });
  return `exit ${r.status}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
}

function capture(outDir, runs) {
  mkdirSync(outDir, { recursive: true });
  const manifest = [];
  for (const file of runs) {
    const name = basename(file, '.json');
    const report = join(outDir, `${name}.report.html`);
    const outputs = {
      [`${name}.recommend.txt`]: run(['recommend', '--from', file]),
      [`${name}.recommend.json.txt`]: run(['recommend', '--from', file, '--json']),
      [`${name}.recommend-report.txt`]: run(['recommend', '--from', file, '--report', report]),
      [`${name}.check.txt`]: run(['check', '--from', file]),
      [`${name}.check.json.txt`]: run(['check', '--from', file, '--format', 'json']),
      // Every reading of the occupancy a threshold can ask, on each gauge (a long queue's waiting
      // levels are bounded in the run file; these must read the same).
      [`${name}.check-gauges.json.txt`]: run(['check', '--from', file, '--format', 'json', ...GAUGE_THRESHOLDS.flatMap((t) => ['--threshold', t])]),
      // Percentiles a bounded distribution does not keep exact: reported apart, as they may differ.
      [`${name}.check-other-percentiles.txt`]: run(['check', '--from', file, ...OTHER_PERCENTILES.flatMap((t) => ['--threshold', t])]),
    };
    // The report path is in the terminal output; name it by its base name so two dirs compare.
    for (const [k, v] of Object.entries(outputs)) writeFileSync(join(outDir, k), v.split(outDir).join('<OUT>'));
  }
  // compare between each pair in order, and generate --from (dry run) on each.
  for (let i = 0; i + 1 < runs.length; i++) {
    const a = runs[i], b = runs[i + 1];
    const name = `${basename(a, '.json')}-vs-${basename(b, '.json')}`;
    const report = join(outDir, `${name}.compare.html`);
    const outputs = {
      [`${name}.compare.txt`]: run(['compare', a, b]),
      [`${name}.compare.json.txt`]: run(['compare', a, b, '--json']),
      [`${name}.compare-report.txt`]: run(['compare', a, b, '--report', report]),
    };
    for (const [k, v] of Object.entries(outputs)) writeFileSync(join(outDir, k), v.split(outDir).join('<OUT>'));
  }
  for (const file of runs) {
    const name = basename(file, '.json');
    writeFileSync(join(outDir, `${name}.generate-dry.txt`), run(['generate', '--from', file, '--dry-run', '--config-dir', 'config/tasker']));
    writeFileSync(join(outDir, `${name}.generate-dry.json.txt`), run(['generate', '--from', file, '--dry-run', '--json', '--config-dir', 'config/tasker']));
  }
  // Commands with no run file, whose output a lazy-loading CLI must not change either.
  const global = {
    'help.txt': ['--help'],
    'analyze-help.txt': ['analyze', '--help'],
    'check-help.txt': ['check', '--help'],
    'config-lint.txt': ['config', 'lint'],
    'config-show.txt': ['config', 'show'],
    'config-show.json.txt': ['config', 'show', '--json'],
    'usage-error.txt': ['recommend'],
    'unknown-command.txt': ['nosuch'],
    'version.txt': ['--version'],
  };
  for (const [k, args] of Object.entries(global)) writeFileSync(join(outDir, k), run(args));
  for (const f of readdirSync(outDir).sort()) {
    if (f === 'MANIFEST') continue;
    manifest.push(`${createHash('sha256').update(readFileSync(join(outDir, f))).digest('hex')}  ${f}`);
  }
  writeFileSync(join(outDir, 'MANIFEST'), `${manifest.join('\n')}\n`);
  console.log(`${manifest.length} outputs written to ${outDir}`);
}

function compare(a, b) {
  const la = readFileSync(join(a, 'MANIFEST'), 'utf8');
  const lb = readFileSync(join(b, 'MANIFEST'), 'utf8');
  const ma = new Map(la.trim().split('\n').map((l) => l.split('  ').reverse()));
  const mb = new Map(lb.trim().split('\n').map((l) => l.split('  ').reverse()));
  const diff = [...new Set([...ma.keys(), ...mb.keys()])].filter((k) => ma.get(k) !== mb.get(k));
  for (const k of ma.keys()) console.log(`${ma.get(k) === mb.get(k) ? 'identical' : 'DIFFERENT'}  ${k}`);
  for (const k of mb.keys()) if (!ma.has(k)) console.log(`NEW        ${k}`);
  console.log(diff.length === 0 ? `all ${ma.size} outputs byte-identical` : `${diff.length} outputs differ`);
  process.exitCode = diff.length === 0 ? 0 : 1;
}

async function bound(outDir, runs) {
  const { boundLevels } = await import('../dist/core/run/occupancy.js');
  mkdirSync(outDir, { recursive: true });
  for (const file of runs) {
    const run = JSON.parse(readFileSync(file, 'utf8'));
    let bounded = 0;
    for (const e of run.environments) {
      for (const p of e.pools) {
        const before = p.occupancy.waiting.levels.length;
        p.occupancy.waiting = boundLevels(p.occupancy.waiting);
        if (p.occupancy.waiting.exact) bounded++;
        console.log(`${basename(file)}: ${e.env}.${p.pool}: ${before} waiting levels -> ${p.occupancy.waiting.levels.length} rows`);
      }
    }
    const text = `${JSON.stringify(run)}\n`;
    writeFileSync(join(outDir, basename(file)), text);
    console.log(`${basename(file)}: ${readFileSync(file).length} -> ${Buffer.byteLength(text)} bytes (${bounded} pools bounded)`);
  }
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'capture' && rest.length >= 2) capture(rest[0], rest.slice(1));
else if (mode === 'bound' && rest.length >= 2) await bound(rest[0], rest.slice(1));
else if (mode === 'compare' && rest.length === 2) compare(rest[0], rest[1]);
else {
  console.error('usage: saved-run-outputs.mjs capture OUTDIR RUN.json... | compare BASEDIR NEWDIR | bound OUTDIR RUN.json...');
  process.exitCode = 2;
}
