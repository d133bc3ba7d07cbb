/**
 * Whether a run can be trusted at all. A run is invalid when the machine running pool-advisor
 * stalled (the measured window took much longer than planned, a timeline interval is a gap, the
 * generator started requests seconds late, the event loop was blocked), or when the workload's own
 * SQL failed: then the waits and rates describe the stall or the error, not the pool. An invalid
 * run's figures are still printed, with the reason; it changes no key (exit 4, or 3 when most
 * requests failed in SQL). Pure: the run comes in, a verdict goes out.
 */
import { DatabaseError, InvalidRunError, type KnownError } from '../errors.js';
import { summaryOf } from '../run/histogram.js';
import type { EnvironmentEvidence, EvidenceFile } from '../evidence/types.js';
import { isMeasuredRun } from '../evidence/parts.js';

/** The measured window may overrun its plan by this share plus {@link WINDOW_OVERRUN_SLACK_MS}. */
export const WINDOW_OVERRUN_SHARE = 0.25;
export const WINDOW_OVERRUN_SLACK_MS = 1000;
/** A timeline interval longer than this many intervals (and {@link TIMELINE_GAP_SLACK_MS} more than one) is a gap: the process did not run. */
export const TIMELINE_GAP_INTERVALS = 3;
export const TIMELINE_GAP_SLACK_MS = 2000;
/** The generator started a request this late: it stalled. */
export const GENERATOR_STALL_MS = 2000;
/** The event loop of pool-advisor was blocked this long at once. */
export const EVENT_LOOP_BLOCK_MS = 1000;
/** Requests failing in SQL above this share make a run invalid; above {@link SQL_FAILED_MOST} it failed against the database. */
export const SQL_FAILED_INVALID_SHARE = 0.01;
export const SQL_FAILED_MOST = 0.5;

/** Requests whose SQL failed, with the first error. */
export interface SqlFailures {
  count: number;
  requests: number;
  share: number;
  /** The first error, as the driver gave it (scrubbed of secrets where printed or saved). */
  first: string | null;
}

/** The verdict on one environment's run. */
export interface Validity {
  valid: boolean;
  /** Why the run is invalid, one sentence each with its figures (empty when valid). */
  reasons: string[];
  /** Checks that could not run (a run saved by an older version) and figures worth knowing. */
  notes: string[];
  /** Requests whose SQL failed (null when none did or the run predates the count). */
  sqlFailures: SqlFailures | null;
  /** Most requests failed in SQL: the run failed against the database. */
  failedInSql: boolean;
  /** Some reason is a stall of the machine running pool-advisor (not a source's own verdict, nor SQL). */
  stalled: boolean;
  /** The largest figures the checks read. */
  figures: { plannedMs: number | null; measuredMs: number; wallMs: number | null; maxIntervalMs: number | null; intervalMs: number | null; lagMaxMs: number | null; eventLoopMaxMs: number | null };
}

const s1 = (ms: number): string => (ms >= 10_000 ? `${Math.round(ms / 1000)} s` : ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${Math.round(ms)} ms`);

/** Judge one environment's run. */
export function validateEnvironment(env: EnvironmentEvidence): Validity {
  const reasons: string[] = [];
  const notes: string[] = [];
  const interrupted = env.interrupted;
  // The checks of pool-advisor's own machine (the window against its plan, the wall clock, the
  // event loop) are a measured run's: an observation's source judges its own window.
  const ownRun = isMeasuredRun(env);
  const planned = env.plannedDurationMs ?? (env.workloads.length > 0 ? Math.max(...env.workloads.map((w) => w.workload.durationS)) * 1000 : null);
  const measured = env.durationMs;
  if (planned !== null && planned > 0 && measured > planned * (1 + WINDOW_OVERRUN_SHARE) + WINDOW_OVERRUN_SLACK_MS) {
    reasons.push(`the ${s1(planned)} measured window took ${s1(measured)}: the machine running pool-advisor stalled`);
  }
  const wall = env.wallDurationMs ?? null;
  if (wall === null) {
    if (ownRun) notes.push('wall-clock length of the window not recorded (run saved by an older pool-advisor): checked against the plan only');
  } else if (!interrupted && planned !== null && planned > 0 && wall > planned * (1 + WINDOW_OVERRUN_SHARE) + WINDOW_OVERRUN_SLACK_MS && !reasons.length) {
    reasons.push(`the ${s1(planned)} measured window took ${s1(wall)} of wall-clock time`);
  }
  let sourceVerdicts = 0;
  let maxInterval: number | null = null;
  let interval: number | null = null;
  for (const p of env.pools) {
    // A source's own verdict on its window (an observation that lost samples, a scrape gap).
    for (const r of p.validity.reasons) reasons.push(`${p.pool}${p.replica ? ` (${p.replica})` : ''}: ${r}`);
    sourceVerdicts += p.validity.reasons.length;
    if (!p.timeline) continue;
    const iv = p.timeline.intervalMs;
    interval = Math.max(interval ?? 0, iv);
    const longest = p.timeline.points.reduce((m, x) => Math.max(m, x.dt ?? 0), 0);
    maxInterval = Math.max(maxInterval ?? 0, longest);
    if (longest > Math.max(TIMELINE_GAP_INTERVALS * iv, iv + TIMELINE_GAP_SLACK_MS)) {
      reasons.push(`${p.pool}: one timeline interval lasted ${s1(longest)} (intervals are ${s1(iv)}): nothing was recorded for that long`);
    }
  }
  let lagMax: number | null = null;
  for (const w of env.workloads) {
    if (!w.generator.lag) continue;
    const s = summaryOf(w.generator.lag);
    if (s.count === 0) continue;
    lagMax = Math.max(lagMax ?? 0, s.max / 1000);
  }
  if (lagMax !== null && lagMax >= GENERATOR_STALL_MS) reasons.push(`the load generator started a request ${s1(lagMax)} late: it stalled, so the requests it held back arrived at once`);
  const loop = env.eventLoop ?? null;
  if (loop === null) {
    if (ownRun) notes.push('event-loop delay not recorded (run saved by an older pool-advisor): that check was skipped');
  } else if (loop.maxMs >= EVENT_LOOP_BLOCK_MS) reasons.push(`pool-advisor's event loop was blocked for ${s1(loop.maxMs)}: timers, acquires and releases were all late`);
  // SQL failures: counted by runs that record them; older runs only have `failed` (acquire failures included).
  let sql: SqlFailures | null = null;
  const recorded = env.workloads.some((w) => w.generator.sqlFailed !== undefined);
  if (recorded) {
    const count = env.workloads.reduce((s, w) => s + (w.generator.sqlFailed ?? 0), 0);
    const requests = env.workloads.reduce((s, w) => s + w.generator.completed + w.generator.failed, 0);
    if (count > 0) sql = { count, requests, share: requests > 0 ? count / requests : 1, first: env.workloads.find((w) => w.generator.firstSqlError)?.generator.firstSqlError ?? null };
  } else if (env.workloads.length > 0) notes.push('SQL failures not counted apart from acquire failures (run saved by an older pool-advisor)');
  const failedInSql = sql !== null && sql.share > SQL_FAILED_MOST;
  // Every reason so far but the sources' own verdicts is a stall of this machine.
  const stalled = reasons.length > sourceVerdicts;
  if (sql && sql.share >= SQL_FAILED_INVALID_SHARE) {
    reasons.push(`${sql.count} of ${sql.requests} requests failed in SQL${sql.first ? ` (first error: ${sql.first})` : ''}: the workload did not run as written`);
  } else if (sql) notes.push(`${sql.count} of ${sql.requests} requests failed in SQL${sql.first ? ` (first error: ${sql.first})` : ''}`);
  return {
    valid: reasons.length === 0,
    reasons,
    notes,
    sqlFailures: sql,
    failedInSql,
    stalled,
    figures: { plannedMs: planned, measuredMs: measured, wallMs: wall, maxIntervalMs: maxInterval, intervalMs: interval, lagMaxMs: lagMax, eventLoopMaxMs: loop?.maxMs ?? null },
  };
}

/**
 * The error for a run that is not valid in any of `envs` (all when none given), or null: most
 * requests failed in SQL -> the run failed against the database (exit 3); otherwise an invalid
 * run (exit 4). `label` names the run (a file, or "this run").
 */
export function invalidRunError(run: EvidenceFile, label: string, envs?: readonly string[]): KnownError | null {
  const bad = run.environments.filter((e) => !envs || envs.includes(e.env)).map((e) => ({ env: e.env, v: validateEnvironment(e) })).filter((x) => !x.v.valid);
  if (bad.length === 0) return null;
  const sql = bad.find((x) => x.v.failedInSql);
  if (sql) {
    const f = sql.v.sqlFailures!;
    return new DatabaseError(
      `${label}: ${sql.env}: ${f.count} of ${f.requests} requests failed in SQL${f.first ? ` (first error: ${f.first})` : ''}: the run failed against the database, so no key is changed`,
      "fix the workload's SQL (the advisor config's hold) or the database it runs against, and measure again",
    );
  }
  // The hint follows the reason: a stalled machine is measured again elsewhere; a source's own
  // verdict (a proxy, too few samples) or SQL failures say in their words what to change.
  const hint = bad.some((x) => x.v.stalled)
    ? 'measure again on a machine that is not stalled (fewer other processes, a shorter --duration), and keep this run only for reference'
    : bad.some((x) => x.v.sqlFailures !== null && x.v.sqlFailures.share >= SQL_FAILED_INVALID_SHARE)
      ? "fix the workload's SQL (the advisor config's hold) or the database it runs against, and measure again"
      : 'do what the reason above says, then observe or measure again; keep this file only for reference';
  const what = run.kind === 'observation' ? 'observation' : 'run';
  return new InvalidRunError(`${label}: the ${what} is invalid, so no key is changed: ${bad.map((x) => `${x.env}: ${x.v.reasons.join('; ')}`).join(' | ')}`, hint);
}
