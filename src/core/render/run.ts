/**
 * The measured figures of a run, per environment and pool: acquire wait percentiles, how often
 * acquires waited or timed out, occupancy, connection churn, and the generator's own figures
 * beside them (never mixed in). Returns strings.
 */
import type { EnvironmentAnalysis, PoolAnalysis } from '../analysis/analyze.js';
import { Chalk } from 'chalk';
import type { EnvironmentEvidence, PoolEvidence } from '../evidence/types.js';
import type { PoolFigures } from '../analysis/figures.js';
import { compactTable } from './table.js';
import { fmtCount, fmtNum, fmtPct, fmtUs } from '../units.js';
import type { RenderOptions } from './options.js';
import { unseenLines } from './unseen.js';

/** What the terminal prints for a figure the source could not see. */
const UNSEEN = 'n/a';

const show = <T>(x: T | null, f: (v: T) => string): string => (x === null ? UNSEEN : f(x));

const SPARK = '▁▂▃▄▅▆▇█';

/** A sparkline of the P99 wait per timeline interval (log scale), for the terminal. */
export function waitSparkline(p: PoolEvidence, width = 48): string {
  if (!p.timeline || !p.wait) return '';
  const pts = p.timeline.points;
  if (pts.length === 0) return '';
  const step = Math.max(1, Math.ceil(pts.length / width));
  const vals: number[] = [];
  for (let i = 0; i < pts.length; i += step) vals.push(Math.max(...pts.slice(i, i + step).map((x) => x.waitP99Us)));
  const logs = vals.map((v) => Math.log10(Math.max(1, v)));
  const lo = Math.min(...logs);
  const hi = Math.max(...logs);
  return logs.map((l) => SPARK[hi - lo < 1e-9 ? 0 : Math.min(7, Math.floor(((l - lo) / (hi - lo)) * 7.999))]).join('');
}

/** A one-line wait histogram for the terminal: per non-empty decade a bar (linear, tallest = the mode) and the share. */
export function waitHistogram(d: PoolAnalysis['display']['decades']): string {
  if (d.length === 0) return '';
  const peak = Math.max(...d.map((x) => x.share));
  return d.map((x) => `${SPARK[Math.max(0, Math.ceil((x.share / peak) * 8) - 1)]} ${x.label} ${fmtPct(x.share)}`).join('  ');
}

function envHeader(e: EnvironmentEvidence, a: EnvironmentAnalysis, c: InstanceType<typeof Chalk>): string {
  const window = a.measured ? `measured ${fmtUs(e.durationMs * 1000)} after ${fmtUs(e.warmupMs * 1000)} warm-up` : `observed ${fmtUs(e.durationMs * 1000)}`;
  return `${c.bold(`Environment: ${e.env}`)}  (${window}${a.pgmqNote ? `; ${a.pgmqNote}` : ''})${e.interrupted ? c.yellow('  [interrupted: partial]') : ''}`;
}

/** The tables of one environment: the evidence's timeline and workloads, the analysis's figures (its pools and workloads in the evidence's order). */
export function renderEnvironment(e: EnvironmentEvidence, a: EnvironmentAnalysis, opts: RenderOptions): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const out: string[] = [envHeader(e, a, c)];
  const waitRows: string[][] = [];
  const occRows: string[][] = [];
  for (const [i, p] of e.pools.entries()) {
    const f = a.pools[i]!.display.table;
    const name = p.replica ? `${p.pool} (${p.replica})` : p.pool;
    const wq = (pick: (x: NonNullable<PoolFigures['wait']>) => number): string => show(f.wait, (x) => fmtUs(pick(x)));
    waitRows.push([name, show(f.acquires, fmtCount), wq((x) => x.p50), wq((x) => x.p95), wq((x) => x.p99), wq((x) => x.p999), wq((x) => x.max), show(f.waitedShare, fmtPct), show(f.timeouts, fmtCount), show(f.errors, fmtCount)]);
    occRows.push([
      name,
      String(p.settings.max_connections),
      f.inUseMean === null ? UNSEEN : `${fmtNum(f.inUseMean)} / ${f.inUsePeak}`,
      show(f.idleMean, fmtNum),
      f.waitingMean === null ? UNSEEN : `${fmtNum(f.waitingMean)} / ${f.waitingPeak}`,
      show(f.utilization, fmtPct),
      show(f.createdPerMin, fmtNum),
      show(f.expiredPerMin, fmtNum),
      show(f.idleClosedPerMin, fmtNum),
    ]);
  }
  // A column no pool's source could see is left out (a table with no such column at all, too);
  // what the sources could not see is said once, below the tables.
  const waitTable = seenColumns(['pool', 'acquires', 'P50', 'P95', 'P99', 'P99.9', 'max', 'waited', 'timeouts', 'errors'], waitRows, opts.color);
  const occTable = seenColumns(['pool', 'max', 'in use mean/peak', 'idle mean', 'waiting mean/peak', 'util', 'created/min', 'expired/min', 'idle-closed/min'], occRows, opts.color, 2);
  if (waitTable) out.push(c.dim('Acquire wait (time inside pool.connect())'), waitTable);
  if (occTable) out.push(occTable);
  for (const l of unseenLines(a)) out.push(c.dim(`  ${l}`));
  for (const [i, p] of e.pools.entries()) {
    const s = waitSparkline(p);
    if (s) out.push(`  ${p.pool} P99 wait over time (log scale): ${s}`);
    const h = waitHistogram(a.pools[i]!.display.decades);
    if (h) out.push(`  ${p.pool} wait histogram (share of acquires): ${h}`);
  }
  for (const [i, w] of e.workloads.entries()) {
    const g = w.generator;
    const gf = a.generators[i]!;
    const arrival = w.workload.arrival.mode === 'open' ? `${w.workload.arrival.process} ${fmtNum(w.workload.arrival.rate)}/s` : `closed, ${w.workload.arrival.concurrency} callers`;
    let line = `  workload ${w.workload.pool} (${arrival}, hold ${describeHold(w)}) via ${w.through} pool: ${fmtNum(g.achievedRate)} req/s`;
    if (g.targetRate !== undefined) line += ` of ${fmtNum(g.targetRate)} target`;
    if (gf.scheduleLatencyP99Us !== null) line += `; schedule latency P99 ${fmtUs(gf.scheduleLatencyP99Us)}`;
    if (gf.lagP99Us !== null) line += `, generator lag P99 ${fmtUs(gf.lagP99Us)}`;
    if (g.failed > 0) line += c.yellow(`; ${g.failed} failed`);
    out.push(line);
    if (g.behind) out.push(c.yellow.bold(`  WARNING: the load generator could not keep its schedule for ${w.workload.pool}: ${g.behindReason}. These figures understate the load; do not blame the pool for them.`));
  }
  return out.join('\n');
}

/** A table of the columns that have at least one seen cell (the first `given` columns, the row's name and what the config gives, always); null when only those are left. */
function seenColumns(head: string[], rows: string[][], color: boolean, given = 1): string | null {
  const keep = head.map((_, j) => j < given || rows.some((r) => r[j] !== UNSEEN));
  if (keep.filter(Boolean).length <= given) return null;
  const t = compactTable(head.filter((_, j) => keep[j]), color, head.filter((_, j) => keep[j]).map((_, j) => (j === 0 ? 'left' : 'right')));
  for (const r of rows) t.push(r.filter((_, j) => keep[j]));
  return t.toString();
}

function describeHold(w: EnvironmentEvidence['workloads'][number]): string {
  const h = w.workload.hold;
  if (h.kind === 'sql') return 'custom SQL';
  if (h.kind === 'queue') return `queue cycle, batch ${h.batch}`;
  if (h.dist === 'constant') return `${fmtNum(h.ms)} ms`;
  if (h.dist === 'exponential') return `exponential mean ${fmtNum(h.meanMs)} ms`;
  return `lognormal p50 ${fmtNum(h.p50Ms)} ms p99 ${fmtNum(h.p99Ms)} ms`;
}

