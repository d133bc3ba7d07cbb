/**
 * The measured figures of a run, per environment and pool: acquire wait percentiles, how often
 * acquires waited or timed out, occupancy, connection churn, and the generator's own figures
 * beside them (never mixed in). Returns strings.
 */
import { pgmqSharingNote } from '../analysis/analyze.js';
import { Chalk } from 'chalk';
import { decode, recordedValues, summarize } from '../run/histogram.js';
import type { EnvironmentEvidence, PoolEvidence } from '../evidence/types.js';
import { poolFigures, type PoolFigures } from '../analysis/figures.js';
import { compactTable } from './table.js';
import { fmtNum, fmtPct, fmtUs } from './units.js';
import type { RenderOptions } from './options.js';

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

/** Upper bounds (µs) of the decades of the terminal wait histogram; the last decade is open-ended. */
const DECADE_BOUNDS_US = [10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000];
const DECADE_LABELS = ['≤10 µs', '10-100 µs', '0.1-1 ms', '1-10 ms', '10-100 ms', '0.1-1 s', '1-10 s', '>10 s'];

/** The share of acquires whose wait fell in each decade (≤10 µs, 10-100 µs, ... >10 s); empty decades left out. */
export function waitDecades(p: PoolEvidence): Array<{ label: string; share: number }> {
  if (p.wait?.all.form !== 'hdr') return [];
  const h = decode(p.wait.all.encoded);
  if (h.totalCount === 0) return [];
  const counts = new Array<number>(DECADE_LABELS.length).fill(0);
  for (const v of recordedValues(h)) {
    const i = DECADE_BOUNDS_US.findIndex((b) => v.value <= b);
    counts[i < 0 ? DECADE_LABELS.length - 1 : i]! += v.count;
  }
  return counts.flatMap((n, i) => (n > 0 ? [{ label: DECADE_LABELS[i]!, share: n / h.totalCount }] : []));
}

/** A one-line wait histogram for the terminal: per non-empty decade a bar (linear, tallest = the mode) and the share. */
export function waitHistogram(p: PoolEvidence): string {
  const d = waitDecades(p);
  if (d.length === 0) return '';
  const peak = Math.max(...d.map((x) => x.share));
  return d.map((x) => `${SPARK[Math.max(0, Math.ceil((x.share / peak) * 8) - 1)]} ${x.label} ${fmtPct(x.share)}`).join('  ');
}

function envHeader(e: EnvironmentEvidence, c: InstanceType<typeof Chalk>): string {
  const shared = pgmqSharingNote(e.pgmqShared, e.workloads.map((w) => w.workload.pool));
  return `${c.bold(`Environment: ${e.env}`)}  (measured ${fmtUs(e.durationMs * 1000)} after ${fmtUs(e.warmupMs * 1000)} warm-up; ${shared})${e.interrupted ? c.yellow('  [interrupted: partial]') : ''}`;
}

/** The tables of one environment. */
export function renderEnvironment(e: EnvironmentEvidence, opts: RenderOptions): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const out: string[] = [envHeader(e, c)];
  const wait = compactTable(['pool', 'acquires', 'P50', 'P95', 'P99', 'P99.9', 'max', 'waited', 'timeouts', 'errors'], opts.color, ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right']);
  const occ = compactTable(['pool', 'max', 'in use mean/peak', 'idle mean', 'waiting mean/peak', 'util', 'created/min', 'expired/min', 'idle-closed/min'], opts.color, ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right']);
  for (const p of e.pools) {
    const f = poolFigures(p);
    const name = p.replica ? `${p.pool} (${p.replica})` : p.pool;
    const wq = (pick: (x: NonNullable<PoolFigures['wait']>) => number): string => show(f.wait, (x) => fmtUs(pick(x)));
    wait.push([name, show(f.acquires, String), wq((x) => x.p50), wq((x) => x.p95), wq((x) => x.p99), wq((x) => x.p999), wq((x) => x.max), show(f.waitedShare, fmtPct), show(f.timeouts, String), show(f.errors, String)]);
    occ.push([
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
  out.push(c.dim('Acquire wait (time inside pool.connect())'), wait.toString(), occ.toString());
  for (const p of e.pools) {
    const s = waitSparkline(p);
    if (s) out.push(`  ${p.pool} P99 wait over time (log scale): ${s}`);
    const h = waitHistogram(p);
    if (h) out.push(`  ${p.pool} wait histogram (share of acquires): ${h}`);
  }
  for (const w of e.workloads) {
    const g = w.generator;
    const arrival = w.workload.arrival.mode === 'open' ? `${w.workload.arrival.process} ${fmtNum(w.workload.arrival.rate)}/s` : `closed, ${w.workload.arrival.concurrency} callers`;
    let line = `  workload ${w.workload.pool} (${arrival}, hold ${describeHold(w)}) via ${w.through} pool: ${fmtNum(g.achievedRate)} req/s`;
    if (g.targetRate !== undefined) line += ` of ${fmtNum(g.targetRate)} target`;
    if (g.scheduleLatency) line += `; schedule latency P99 ${fmtUs(summarize(decode(g.scheduleLatency)).p99)}`;
    if (g.lag) line += `, generator lag P99 ${fmtUs(summarize(decode(g.lag)).p99)}`;
    if (g.failed > 0) line += c.yellow(`; ${g.failed} failed`);
    out.push(line);
    if (g.behind) out.push(c.yellow.bold(`  WARNING: the load generator could not keep its schedule for ${w.workload.pool}: ${g.behindReason}. These figures understate the load; do not blame the pool for them.`));
  }
  return out.join('\n');
}

function describeHold(w: EnvironmentEvidence['workloads'][number]): string {
  const h = w.workload.hold;
  if (h.kind === 'sql') return 'custom SQL';
  if (h.kind === 'queue') return `queue cycle, batch ${h.batch}`;
  if (h.dist === 'constant') return `${fmtNum(h.ms)} ms`;
  if (h.dist === 'exponential') return `exponential mean ${fmtNum(h.meanMs)} ms`;
  return `lognormal p50 ${fmtNum(h.p50Ms)} ms p99 ${fmtNum(h.p99Ms)} ms`;
}

