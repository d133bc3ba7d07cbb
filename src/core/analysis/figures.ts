/**
 * The figures of a pool's evidence as the terminal table and `compare` show them, straight from
 * the evidence (null where the evidence has no such part). Pure.
 */
import { meanLevel } from '../run/occupancy.js';
import { summarizeDistribution } from '../evidence/distribution.js';
import type { PoolEvidence } from '../evidence/types.js';

/** Per-minute rate of a count over a window of `ms`; 0 for an empty window. */
export function perMinute(count: number, ms: number): number {
  return ms > 0 ? (count * 60_000) / ms : 0;
}

/** A pool's figures as the terminal table shows them; null where the evidence has no such part. */
export interface PoolFigures {
  acquires: number | null;
  wait: { p50: number; p95: number; p99: number; p999: number; max: number } | null;
  waitedShare: number | null;
  timeouts: number | null;
  errors: number | null;
  inUseMean: number | null;
  inUsePeak: number | null;
  idleMean: number | null;
  waitingMean: number | null;
  waitingPeak: number | null;
  utilization: number | null;
  createdPerMin: number | null;
  expiredPerMin: number | null;
  idleClosedPerMin: number | null;
}

/** The figures shown for a pool (also compared by `compare`). */
export function poolFigures(p: PoolEvidence): PoolFigures {
  const ms = p.source.durationMs;
  const w = p.wait && p.wait.all.form !== 'mean' ? summarizeDistribution(p.wait.all) : null;
  const o = p.occupancy;
  const inUseMean = o?.inUse ? meanLevel(o.inUse) : null;
  const count = p.wait?.count ?? p.arrival?.count ?? null;
  return {
    acquires: count,
    wait: w ? { p50: w.p50Us ?? 0, p95: w.p95Us ?? 0, p99: w.p99Us ?? 0, p999: w.p999Us ?? 0, max: w.maxUs ?? 0 } : null,
    waitedShare: p.wait?.waited !== undefined ? (p.wait.count > 0 ? p.wait.waited / p.wait.count : 0) : null,
    timeouts: p.failures?.timeouts ?? null,
    errors: p.failures?.errors ?? null,
    inUseMean,
    inUsePeak: o?.inUse ? o.inUse.max : null,
    idleMean: o?.idle ? meanLevel(o.idle) : null,
    waitingMean: o?.waiting ? meanLevel(o.waiting) : null,
    waitingPeak: o?.waiting ? o.waiting.max : null,
    utilization: inUseMean !== null ? (p.settings.max_connections > 0 ? inUseMean / p.settings.max_connections : 0) : null,
    createdPerMin: p.churn ? perMinute(p.churn.opened, ms) : null,
    expiredPerMin: p.churn ? perMinute(p.churn.closed.lifetime, ms) : null,
    idleClosedPerMin: p.churn ? perMinute(p.churn.closed.idle, ms) : null,
  };
}
