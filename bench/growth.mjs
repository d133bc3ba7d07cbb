// How the run file and `recommend --from` grow with the run's length: synthetic runs (the real
// Recorder on a synthetic clock, 2,000 acquires/s) of 1, 10 and 60 minutes; the file's size and
// recommend's wall time (median of alternating runs against `node -e 0`).
//   node bench/growth.mjs [--minutes 1,10,60] [--rounds 7]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSyntheticRun } from './synthetic-run.mjs';
import { BIN, sideBySide } from './startup.mjs';

/** One row per length: minutes, bytes, recommend's median ms, the baseline's, and the ratio. */
export function benchGrowth(minutes, rounds) {
  const dir = mkdtempSync(join(tmpdir(), 'pa-bench-'));
  const files = minutes.map((m) => {
    const path = join(dir, `run-${m}min.json`);
    return { minutes: m, path, bytes: writeSyntheticRun(path, Math.round(m * 60)) };
  });
  const r = sideBySide(files.map((f) => ({ name: `${f.minutes}`, args: [BIN, 'recommend', '--from', f.path] })), rounds);
  return { baseMs: r.baseMs, baseCpuMs: r.baseCpuMs, rows: files.map((f, i) => ({ minutes: f.minutes, bytes: f.bytes, ms: r.rows[i].ms, ratio: r.rows[i].ratio, cpuMs: r.rows[i].cpuMs, cpuRatio: r.rows[i].cpuRatio })) };
}

/** Markdown table: per length, and each figure relative to the shortest run per minute of run. */
export function formatGrowth(g) {
  const first = g.rows[0];
  const lines = [
    `| run length | run file | bytes per minute of run | recommend --from wall, ms (ratio to \`node -e 0\`, ${g.baseMs.toFixed(0)} ms) | CPU, ms (ratio, ${g.baseCpuMs.toFixed(0)} ms) | CPU over \`node -e 0\`, ms | growth vs ${first.minutes} min: size / CPU over node | run length vs ${first.minutes} min |`,
    '|---|---|---|---|---|---|---|---|',
  ];
  const firstOver = first.cpuMs - g.baseCpuMs;
  for (const r of g.rows) {
    const over = r.cpuMs - g.baseCpuMs;
    lines.push(`| ${r.minutes} min | ${(r.bytes / 1024).toFixed(1)} KiB | ${(r.bytes / r.minutes).toFixed(0)} | ${r.ms.toFixed(0)} (${r.ratio.toFixed(2)}) | ${r.cpuMs.toFixed(0)} (${r.cpuRatio.toFixed(2)}) | ${over.toFixed(0)} | ${(r.bytes / first.bytes).toFixed(2)}x / ${firstOver > 0 ? `${(over / firstOver).toFixed(2)}x` : 'n/a'} | ${(r.minutes / first.minutes).toFixed(0)}x |`);
  }
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const minutes = (arg('--minutes') ?? '1,10,60').split(',').map(Number);
  const g = benchGrowth(minutes, Number(arg('--rounds') ?? 7));
  for (const l of formatGrowth(g)) console.log(l);
}
