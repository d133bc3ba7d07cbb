/** A run in words: a workload in one line, and how PGMQ shared the database pool. Pure. */
import type { WorkloadSpec } from '../run/types.js';
import { formatSpecNum } from '../units.js';

/** A workload in one line: `database: open poisson 200/s, hold exponential mean 20 ms, 60 s`. */
export function describeWorkload(w: WorkloadSpec): string {
  const a = w.arrival;
  const arrival = a.mode === 'open' ? `open ${a.process} ${formatSpecNum(a.rate)}/s` : `closed ${a.concurrency} callers, think ${formatSpecNum(a.thinkMs)} ms`;
  const h = w.hold;
  const hold =
    h.kind === 'sleep'
      ? h.dist === 'constant'
        ? `hold constant ${formatSpecNum(h.ms)} ms`
        : h.dist === 'exponential'
          ? `hold exponential mean ${formatSpecNum(h.meanMs)} ms`
          : `hold lognormal p50 ${formatSpecNum(h.p50Ms)} ms p99 ${formatSpecNum(h.p99Ms)} ms`
      : h.kind === 'sql'
        ? `hold sql ${h.source ?? JSON.stringify(h.sql.length > 40 ? `${h.sql.slice(0, 37)}...` : h.sql)}`
        : `hold queue batch ${h.batch}`;
  const burst = w.burst ? `, bursts x${formatSpecNum(w.burst.factor)} for ${formatSpecNum(w.burst.onS)} s every ${formatSpecNum(w.burst.onS + w.burst.offS)} s` : '';
  return `${w.pool}: ${arrival}, ${hold}${burst}, ${formatSpecNum(w.durationS)} s`;
}

/** How PGMQ's work went, in words: shared or not, and which workloads this run drove. */
export function pgmqSharingNote(shared: boolean, drivenPools: readonly string[], measured = true, configKnown = true): string {
  // An observation drives nothing: only the config says whether PGMQ shares the pool, and an
  // environment of unmapped groups has no config to say it.
  if (!measured) return !configKnown ? '' : shared ? 'PGMQ shares the database pool' : 'PGMQ has its own pool';
  if (!shared) return 'PGMQ has its own pool';
  const db = drivenPools.includes('database');
  const q = drivenPools.includes('pgmq');
  if (db && q) return 'PGMQ shares the database pool: both workloads go through it';
  if (q) return "PGMQ shares the database pool: PGMQ's workload goes through it";
  return "PGMQ shares the database pool (PGMQ's workload was not driven in this run)";
}
