/**
 * A measured run as evidence: the richest source, every part filled. Run files keep their own
 * layout on disk (RunFile: counters, histograms encoded); this is the one place that maps them,
 * old and new, into the evidence every later step reads.
 */
import type { EnvironmentRun, PoolRun, RunFile } from '../run/types.js';
import type { Distribution, EnvironmentEvidence, EvidenceFile, PoolEvidence } from './types.js';

const hdr = (encoded: string): Distribution => ({ form: 'hdr', encoded });

/** One pool of a measured run as evidence. `detail` says which run (password-free). */
export function poolEvidenceFromRun(p: PoolRun, detail: string): PoolEvidence {
  const c = p.counters;
  return {
    pool: p.pool,
    replica: null,
    source: { kind: 'measured-run', detail, startedAt: p.startedAt, durationMs: p.durationMs },
    settings: p.settings,
    validity: { valid: true, reasons: [] },
    wait: {
      all: hdr(p.histograms.wait),
      byPath: { idle: hdr(p.histograms.waitByPath.idle), new: hdr(p.histograms.waitByPath.new), queued: hdr(p.histograms.waitByPath.queued) },
      count: c.acquires,
      waited: c.waited,
      countByPath: { idle: c.byPath.idle, new: c.byPath.new, queued: c.byPath.queued },
    },
    hold: hdr(p.histograms.hold),
    create: hdr(p.histograms.create),
    arrival: { count: c.acquires, rate: p.durationMs > 0 ? c.acquires / (p.durationMs / 1000) : 0 },
    occupancy: { exact: true, inUse: p.occupancy.inUse, open: p.occupancy.total, idle: p.occupancy.idle, waiting: p.occupancy.waiting },
    churn: {
      opened: c.created,
      closed: { lifetime: c.closed.expired, idle: c.closed.idle, error: c.closed.error, shutdown: c.closed.shutdown, unattributed: 0 },
      expiryTimesMs: p.expiryTimes,
      expiryTimesTruncated: p.expiryTimesTruncated,
      idleClosedAgesS: p.idleClosedAges,
    },
    failures: { timeouts: c.timeouts, errors: c.errors, slow: c.slow, slowSuppressed: c.slowSuppressed, createErrors: c.createErrors },
    timeline: p.timeline,
    measured: { emulateSqlx: p.emulateSqlx, ...(p.sqlxBehaviour ? { sqlxBehaviour: p.sqlxBehaviour } : {}), holdByInUse: p.holdByInUse, ...(p.holdByInUseHalves ? { holdByInUseHalves: p.holdByInUseHalves } : {}), releases: c.releases },
  };
}

/** One environment of a measured run as evidence. */
export function environmentEvidenceFromRun(e: EnvironmentRun, detail: string): EnvironmentEvidence {
  // The environment's own fields (name, window, PGMQ sharing, workloads, config, overrides, the
  // window's checks) pass through as they are; its pools become evidence, and a run maps every pool.
  const { pools, interrupted, ...same } = e;
  return { ...same, interrupted: interrupted ?? false, pools: pools.map((p) => poolEvidenceFromRun(p, detail)), unmapped: [] };
}

/** A whole measured run (saved with `--out`, or just measured) as evidence. */
export function evidenceFromRun(run: RunFile): EvidenceFile {
  const detail = `analyze against ${run.target}${run.server ? ` (PostgreSQL ${run.server.version})` : ''}`;
  return {
    kind: 'run',
    schemaVersion: run.schemaVersion,
    tool: run.tool,
    createdAt: run.createdAt,
    target: run.target,
    ...(run.targetKind ? { targetKind: run.targetKind } : {}),
    ...(run.server ? { server: run.server } : {}),
    configDir: run.configDir,
    seed: run.seed,
    environments: run.environments.map((e) => environmentEvidenceFromRun(e, detail)),
    partial: run.partial,
    ...(run.error !== undefined ? { error: run.error } : {}),
  };
}
