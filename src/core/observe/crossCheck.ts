/**
 * Two cross-checks of an observation, from figures other than the samples: `pg_stat_database`'s
 * cumulative busy time (PostgreSQL 14+) and Tasker's `/health/detailed` pool data. Pure.
 */
import type { PoolName } from '../config/pools.js';
import type { Observation } from './types.js';
import { BOUNDS, outside, rangeText, type Range } from '../limits.js';

/** One database's counters at one time (ms of busy time, sessions opened). */
export interface DbCounterRow {
  datname: string;
  activeMs: number;
  idleInTxMs: number;
  sessions: number;
  abnormal: number;
}

/** The samples' busy figure beside the server's own for one database. */
export interface DbCrossCheck {
  datname: string;
  /** Mean busy backends by Δ(active_time + idle_in_transaction_time) / Δt (every client, the sampler too). */
  serverMeanBusy: number;
  /** The same from the samples (the groups of this database, or every group when not grouped by database). */
  sampledMeanBusy: number;
  /** Sessions opened, by the server's counter and by the samples' births. */
  serverSessions: number;
  sampledBirths: number;
  /** Sessions that ended abnormally (abandoned, fatal, killed). */
  abnormal: number;
  windowMs: number;
}

/**
 * Compare the two: the server flushes its counters at most about once a second, so short windows
 * disagree by that much; databases no group used are left out.
 */
export function crossCheckDatabases(
  start: { atMs: number; byDb: readonly DbCounterRow[] },
  end: { atMs: number; byDb: readonly DbCounterRow[] },
  obs: Observation,
): DbCrossCheck[] {
  const windowMs = end.atMs - start.atMs;
  if (windowMs <= 0) return [];
  const byDb = obs.groupBy.includes('datname');
  const out: DbCrossCheck[] = [];
  for (const e of end.byDb) {
    const s = start.byDb.find((x) => x.datname === e.datname);
    if (!s) continue;
    const groups = obs.groups.filter((g) => !byDb || g.fields.some(([f, v]) => f === 'datname' && v === e.datname));
    if (groups.length === 0) continue;
    out.push({
      datname: e.datname,
      serverMeanBusy: (e.activeMs + e.idleInTxMs - s.activeMs - s.idleInTxMs) / windowMs,
      sampledMeanBusy: groups.reduce((a, g) => a + g.meanBusy, 0),
      serverSessions: e.sessions - s.sessions,
      sampledBirths: groups.reduce((a, g) => a + g.births, 0),
      abnormal: e.abnormal - s.abnormal,
      windowMs,
    });
  }
  return out;
}

/** Statement time of one role (pg_stat_statements) beside the samples' busy figure. */
export interface RoleCrossCheck {
  role: string;
  /** Δ(total_exec_time) / Δt: a lower bound of busy (it leaves out the gaps inside transactions and the round trips). */
  statementsMeanBusy: number;
  /** The groups of this role, or every group when not grouped by role. */
  sampledMeanBusy: number;
  /** Statements run (calls are statements, not checkouts). */
  calls: number;
  windowMs: number;
  /**
   * Whether the counts are whole: pg_stat_statements evicted no entry inside the window (an evicted
   * entry takes its calls with it). Absent in observations saved before it was checked.
   */
  countsComplete?: boolean;
}

/** Compare pg_stat_statements' time per role with the samples (roles no group used are left out). */
export function crossCheckRoles(
  start: { atMs: number; byRole: ReadonlyArray<{ role: string; execMs: number; calls: number }>; dealloc?: number | null },
  end: { atMs: number; byRole: ReadonlyArray<{ role: string; execMs: number; calls: number }>; dealloc?: number | null },
  obs: Observation,
): RoleCrossCheck[] {
  const windowMs = end.atMs - start.atMs;
  if (windowMs <= 0) return [];
  const byRole = obs.groupBy.includes('usename');
  const out: RoleCrossCheck[] = [];
  for (const e of end.byRole) {
    const s = start.byRole.find((x) => x.role === e.role) ?? { execMs: 0, calls: 0 };
    const groups = obs.groups.filter((g) => !byRole || g.fields.some(([f, v]) => f === 'usename' && v === e.role));
    if (groups.length === 0) continue;
    out.push({
      role: e.role,
      statementsMeanBusy: (e.execMs - s.execMs) / windowMs,
      sampledMeanBusy: groups.reduce((a, g) => a + g.meanBusy, 0),
      calls: e.calls - s.calls,
      windowMs,
      countsComplete: start.dealloc != null && start.dealloc === end.dealloc,
    });
  }
  return out;
}

/** One pool as Tasker's `/health/detailed` reports it. */
export interface TaskerPoolReading {
  pool: PoolName;
  maxConnections: number | null;
  active: number | null;
  idle: number | null;
}

/** What one `/health/detailed` answer says about the pools. */
export interface TaskerHealth {
  pools: TaskerPoolReading[];
  /** Whether pgmq has a pool of its own (a `pgmq_pool` entry), or null when the answer does not say. */
  pgmqOwnPool: boolean | null;
  /** Figures of the answer that cannot be (a size of -5 or 2.5), said plainly: each was left out. */
  refused?: string[];
}

/**
 * A figure of the answer within `range` (the bounds a saved observation's reader uses), else null
 * with the reason noted: an impossible value is not believed.
 */
function bounded(x: unknown, range: Range, where: string, refused: string[]): number | null {
  if (x === undefined || x === null) return null;
  const why = typeof x === 'number' ? outside(x, range) : `not a number (${typeof x})`;
  if (why === undefined) return x as number;
  refused.push(`${where} ${JSON.stringify(x) ?? String(x)} is not believed (${why}; expected ${range.integer ? 'an integer ' : ''}from ${rangeText(range)}); left out`);
  return null;
}

function findKey(x: unknown, key: string, depth: number): unknown {
  if (depth < 0 || x === null || typeof x !== 'object') return undefined;
  if (Object.prototype.hasOwnProperty.call(x, key)) return (x as Record<string, unknown>)[key];
  for (const v of Object.values(x as Record<string, unknown>)) {
    const found = findKey(v, key, depth - 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Read `pool_utilization.{tasker_pool,pgmq_pool}` from a `/health/detailed` answer (orchestration
 * puts it at the top, workers under `system_info`); null when there is none.
 */
export function parseTaskerHealth(body: unknown): TaskerHealth | null {
  const pu = findKey(body, 'pool_utilization', 4);
  if (pu === null || typeof pu !== 'object') return null;
  const pools: TaskerPoolReading[] = [];
  const refused: string[] = [];
  const read = (name: string, pool: PoolName): boolean => {
    const p = Object.hasOwn(pu, name) ? (pu as Record<string, unknown>)[name] : undefined;
    if (p === null || typeof p !== 'object') return false;
    const o = p as Record<string, unknown>;
    const at = (k: string) => `pool_utilization.${name}.${k}`;
    pools.push({
      pool,
      maxConnections: bounded(o.max_connections, { ...BOUNDS.poolSize, min: 1 }, at('max_connections'), refused),
      active: bounded(o.active_connections, BOUNDS.poolSize, at('active_connections'), refused),
      idle: bounded(o.idle_connections, BOUNDS.poolSize, at('idle_connections'), refused),
    });
    return true;
  };
  read('tasker_pool', 'database');
  const pgmq = read('pgmq_pool', 'pgmq');
  if (pools.length === 0) return null;
  return { pools, pgmqOwnPool: pgmq, ...(refused.length ? { refused } : {}) };
}

/** Cumulative pg_stat_statements counters per statement (`queryid`, summed over roles and databases). */
export interface QueryStatements {
  atMs: number;
  byQuery: ReadonlyArray<{ queryid: string; query: string; execMs: number; calls: number }>;
  dealloc: number | null;
}

/** A statement's share of the window: its execution time over the window as average active sessions. */
export interface StatementLoad {
  queryid: string;
  /** The statement's text as pg_stat_statements normalised it (its first 80 characters). */
  query: string;
  /** Execution time in the window / the window: average sessions executing it. */
  activeSessions: number;
  calls: number;
  meanMs: number | null;
}

/** The statements that carried the load in the window. */
export interface StatementsInWindow {
  windowMs: number;
  /** Every statement's execution time in the window, as average active sessions. */
  totalActiveSessions: number;
  /** False when pg_stat_statements evicted entries inside the window (their time is lost), null when it cannot tell. */
  countsComplete: boolean | null;
  top: StatementLoad[];
}

/** Statements kept in {@link StatementsInWindow.top}. */
export const TOP_STATEMENTS = 10;

/**
 * The statements that carried the load between two snapshots by `queryid`: the time each spent
 * executing in the window, most first. An entry evicted and re-created inside the window reads a
 * negative difference: it is counted from zero, and `countsComplete` says the window saw evictions.
 */
export function statementsInWindow(start: QueryStatements, end: QueryStatements): StatementsInWindow | null {
  const windowMs = end.atMs - start.atMs;
  if (windowMs <= 0) return null;
  const before = new Map(start.byQuery.map((x) => [x.queryid, x]));
  const loads: StatementLoad[] = [];
  let total = 0;
  for (const e of end.byQuery) {
    const s = before.get(e.queryid);
    const fresh = !s || e.execMs < s.execMs || e.calls < s.calls;
    const ms = fresh ? e.execMs : e.execMs - s.execMs;
    const calls = fresh ? e.calls : e.calls - s.calls;
    if (!(ms > 0) && !(calls > 0)) continue;
    total += ms;
    loads.push({ queryid: e.queryid, query: e.query, activeSessions: ms / windowMs, calls, meanMs: calls > 0 ? ms / calls : null });
  }
  loads.sort((a, b) => b.activeSessions - a.activeSessions);
  const countsComplete = start.dealloc === null || end.dealloc === null ? null : start.dealloc === end.dealloc;
  return { windowMs, totalActiveSessions: total / windowMs, countsComplete, top: loads.slice(0, TOP_STATEMENTS) };
}
