/**
 * PgBouncer's own view, read from its admin console (`observe --pgbouncer-url`): behind a proxy the
 * server sees the proxy's connections, and the clients' waits for a server connection are the
 * proxy's to tell. `SHOW POOLS` (read through the window) gives the clients waiting and the longest
 * wait now; `SHOW STATS` (at the start and the end) the transactions and the total time clients
 * waited for a server connection. Pure: the rows come in as read.
 */
import type { ProxyPoolEvidence } from '../evidence/types.js';
import { BOUNDS, outside, rangeText, type Range } from '../limits.js';

/** One row of `SHOW POOLS` (PgBouncer 1.18's columns that are read). */
export interface PgBouncerPoolRow {
  database: string;
  user: string;
  clActive: number;
  clWaiting: number;
  svActive: number;
  svIdle: number;
  svUsed: number;
  /** The longest current wait, seconds (`maxwait` + `maxwait_us`). */
  maxwaitS: number;
  poolMode: string;
}

/** One row of `SHOW STATS` (cumulative; times in µs as PgBouncer counts them). */
export interface PgBouncerStatsRow {
  database: string;
  xacts: number;
  queries: number;
  xactTimeUs: number;
  waitTimeUs: number;
}

/** One row of `SHOW DATABASES` (the sizes read). */
export interface PgBouncerDatabaseRow {
  name: string;
  poolSize: number;
  reservePool: number;
  /** The database's max_db_connections (SHOW DATABASES' max_connections; 0: the global one, or no limit). */
  maxDbConnections?: number;
  /** The database's own pool_mode; null when it takes the default. */
  poolMode: string | null;
}

/** What the console gave over the window. */
export interface PgBouncerReadings {
  /** The console's address, password removed. */
  console: string;
  version: string;
  /** `SHOW DATABASES` at the start (absent when it could not be read). */
  databases?: PgBouncerDatabaseRow[];
  statsStart: { atMs: number; rows: PgBouncerStatsRow[] };
  /** `SHOW STATS` at the end; absent when the console stopped answering inside the window. */
  statsEnd?: { atMs: number; rows: PgBouncerStatsRow[] };
  pools: Array<{ atMs: number; rows: PgBouncerPoolRow[] }>;
  /** Why the console's readings stop early (it died, or passed the deadline), when they do. */
  error?: string;
}

/** Per pool (database and user) over the `SHOW POOLS` reads. */
export interface PgBouncerPoolFigures {
  database: string;
  user: string;
  poolMode: string;
  reads: number;
  clWaitingMean: number;
  clWaitingMax: number;
  maxwaitMaxS: number;
  clActiveMean: number;
  /** Most clients connected and in a transaction or waiting for one at a read (cl_active + cl_waiting). */
  clientsMax?: number;
  svActiveMean: number;
  svIdleMean: number;
}

/** Per database over the window, from the `SHOW STATS` deltas. */
export interface PgBouncerDatabaseFigures {
  database: string;
  xacts: number;
  queries: number;
  /** Total time clients waited for a server connection, seconds. */
  waitTotalS: number;
  /** That wait per transaction, ms (null without transactions). */
  waitPerXactMs: number | null;
  /** Mean clients waiting over the window (Little's law: the total wait over the window's length). */
  waitingMean: number;
  xactMeanMs: number | null;
  /** `pool_size` and `reserve_pool` from `SHOW DATABASES`; absent when not read. */
  poolSize?: number;
  reservePool?: number;
}

/** What the observation keeps of PgBouncer. */
export interface PgBouncerReading {
  console: string;
  version: string;
  startedAt: number;
  durationMs: number;
  pools: PgBouncerPoolFigures[];
  databases: PgBouncerDatabaseFigures[];
  /** Rows and figures of the console that cannot be (a negative count, a wait beyond a day), left out and said here. */
  refused?: string[];
  /** Why the readings stop before the window's end (the pools read until then are kept; no SHOW STATS delta). */
  error?: string;
}

/** Longest wait or transaction believed, seconds (24 h). */
const MAX_SPAN_S = BOUNDS.spanUs.max / 1e6;

/** The first figure of `checks` outside its range, as a reason; undefined when all are in range. */
function firstOutside(checks: ReadonlyArray<readonly [name: string, value: number, range: Range]>): string | undefined {
  for (const [name, value, range] of checks) {
    const why = outside(value, range);
    if (why !== undefined) return `${name} ${value} is not believed (${why}; expected ${range.integer ? 'an integer ' : ''}from ${rangeText(range)})`;
  }
  return undefined;
}

/** The admin console's own database: not a pool of the service. */
const ADMIN_DB = 'pgbouncer';

/** The figures of a window of console reads. */
export function summarizePgBouncer(r: PgBouncerReadings): PgBouncerReading {
  const endMs = r.statsEnd?.atMs ?? r.pools[r.pools.length - 1]?.atMs ?? r.statsStart.atMs;
  const durationMs = Math.max(1, endMs - r.statsStart.atMs);
  const refused: string[] = [];
  const byPool = new Map<string, PgBouncerPoolRow[]>();
  for (const read of r.pools) {
    for (const row of read.rows) {
      if (row.database === ADMIN_DB) continue;
      // Every figure of the row bounded where it enters; a row with an impossible one is left out.
      const bad = firstOutside([
        ['cl_active', row.clActive, BOUNDS.level],
        ['cl_waiting', row.clWaiting, BOUNDS.level],
        ['sv_active', row.svActive, BOUNDS.level],
        ['sv_idle', row.svIdle, BOUNDS.level],
        ['sv_used', row.svUsed, BOUNDS.level],
        ['maxwait (s)', row.maxwaitS, { min: 0, max: MAX_SPAN_S }],
      ]);
      if (bad) {
        refused.push(`SHOW POOLS ${row.database}/${row.user}: ${bad}; the row is left out`);
        continue;
      }
      const key = `${row.database}\u0000${row.user}`;
      const list = byPool.get(key) ?? [];
      list.push(row);
      byPool.set(key, list);
    }
  }
  const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, x) => a + x, 0) / xs.length : 0);
  const pools: PgBouncerPoolFigures[] = [...byPool.values()].map((rows) => ({
    database: rows[0]!.database,
    user: rows[0]!.user,
    poolMode: rows[rows.length - 1]!.poolMode,
    reads: rows.length,
    clWaitingMean: mean(rows.map((x) => x.clWaiting)),
    clWaitingMax: rows.reduce((m, x) => Math.max(m, x.clWaiting), -Infinity),
    maxwaitMaxS: rows.reduce((m, x) => Math.max(m, x.maxwaitS), -Infinity),
    clActiveMean: mean(rows.map((x) => x.clActive)),
    clientsMax: rows.reduce((m, x) => Math.max(m, x.clActive + x.clWaiting), -Infinity),
    svActiveMean: mean(rows.map((x) => x.svActive)),
    svIdleMean: mean(rows.map((x) => x.svIdle)),
  }));
  const start = new Map(r.statsStart.rows.map((x) => [x.database, x]));
  const databases: PgBouncerDatabaseFigures[] = [];
  for (const end of r.statsEnd?.rows ?? []) {
    if (end.database === ADMIN_DB) continue;
    const s = start.get(end.database) ?? { database: end.database, xacts: 0, queries: 0, xactTimeUs: 0, waitTimeUs: 0 };
    const xacts = end.xacts - s.xacts;
    const waitTotalS = (end.waitTimeUs - s.waitTimeUs) / 1e6;
    // The counters' deltas over the window (a restart in between makes them negative), and what follows from them.
    const bad = firstOutside([
      ['total_xact_count (change over the window)', xacts, BOUNDS.count],
      ['total_query_count (change over the window)', end.queries - s.queries, BOUNDS.count],
      ['total_xact_time (µs, change over the window)', end.xactTimeUs - s.xactTimeUs, BOUNDS.total],
      ['total_wait_time (µs, change over the window)', end.waitTimeUs - s.waitTimeUs, BOUNDS.total],
      ['mean transaction (s)', xacts > 0 ? (end.xactTimeUs - s.xactTimeUs) / 1e6 / xacts : 0, { min: 0, max: MAX_SPAN_S }],
      ['mean clients waiting', waitTotalS / (durationMs / 1000), BOUNDS.level],
    ]);
    if (bad) {
      refused.push(`SHOW STATS ${end.database}: ${bad}; the database is left out`);
      continue;
    }
    const found = r.databases?.find((d) => d.name === end.database);
    const sizeBad = found ? firstOutside([['pool_size', found.poolSize, BOUNDS.poolSize], ['reserve_pool', found.reservePool, BOUNDS.poolSize]]) : undefined;
    if (sizeBad) refused.push(`SHOW DATABASES ${end.database}: ${sizeBad}; its size is left out`);
    const size = sizeBad ? undefined : found;
    databases.push({
      database: end.database,
      xacts,
      queries: end.queries - s.queries,
      waitTotalS,
      waitPerXactMs: xacts > 0 ? (waitTotalS * 1000) / xacts : null,
      waitingMean: waitTotalS / (durationMs / 1000),
      xactMeanMs: xacts > 0 ? (end.xactTimeUs - s.xactTimeUs) / 1000 / xacts : null,
      ...(size ? { poolSize: size.poolSize, reservePool: size.reservePool } : {}),
    });
  }
  return { console: r.console, version: r.version, startedAt: r.statsStart.atMs, durationMs, pools, databases, ...(refused.length ? { refused } : {}), ...(r.error !== undefined ? { error: r.error } : {}) };
}

/** The proxy sign the console gives: it answered, so the server's connections are its. */
export function pgBouncerSign(p: PgBouncerReading): string {
  const modes = [...new Set(p.pools.map((x) => x.poolMode))];
  return `${p.version}'s admin console at ${p.console} answered${modes.length ? ` (pool_mode ${modes.join(', ')})` : ''}: the server's connections are its pools'`;
}

/**
 * The proxy's pools as evidence, one per database with transactions in the window: what its console
 * said, for the proxy-pool rule (src/core/rules/proxyPool.ts).
 */
export function pgBouncerPoolEvidence(p: PgBouncerReading): ProxyPoolEvidence[] {
  const out: ProxyPoolEvidence[] = [];
  for (const d of p.databases) {
    if (!(d.xacts > 0)) continue;
    const pools = p.pools.filter((x) => x.database === d.database);
    out.push({
      proxy: p.version,
      console: p.console,
      database: d.database,
      poolMode: pools[0]?.poolMode ?? '',
      users: pools.length,
      size: d.poolSize ?? null,
      reservePool: d.reservePool ?? null,
      xacts: d.xacts,
      xactMeanUs: d.xactMeanMs === null ? null : d.xactMeanMs * 1000,
      waitTotalUs: d.waitTotalS * 1e6,
      waitingMean: pools.reduce((a, x) => a + x.clWaitingMean, 0),
      waitingMax: pools.reduce((a, x) => Math.max(a, x.clWaitingMax), 0),
      ...(pools.every((x) => x.clientsMax !== undefined) && pools.length > 0 ? { clientsMax: pools.reduce((a, x) => a + x.clientsMax!, 0) } : {}),
      maxwaitUs: pools.reduce((a, x) => Math.max(a, x.maxwaitMaxS * 1e6), 0),
      startedAt: p.startedAt,
      windowMs: p.durationMs,
    });
  }
  return out;
}
