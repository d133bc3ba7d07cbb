/**
 * PgBouncer's own view, read from its admin console (`observe --pgbouncer-url`): behind a proxy the
 * server sees the proxy's connections, and the clients' waits for a server connection are the
 * proxy's to tell. `SHOW POOLS` (read through the window) gives the clients waiting and the longest
 * wait now; `SHOW STATS` (at the start and the end) the transactions and the total time clients
 * waited for a server connection. Pure: the rows come in as read.
 */
import type { ProxyPoolEvidence } from '../evidence/types.js';

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
  statsEnd: { atMs: number; rows: PgBouncerStatsRow[] };
  pools: Array<{ atMs: number; rows: PgBouncerPoolRow[] }>;
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
}

/** The admin console's own database: not a pool of the service. */
const ADMIN_DB = 'pgbouncer';

/** The figures of a window of console reads. */
export function summarizePgBouncer(r: PgBouncerReadings): PgBouncerReading {
  const durationMs = Math.max(1, r.statsEnd.atMs - r.statsStart.atMs);
  const byPool = new Map<string, PgBouncerPoolRow[]>();
  for (const read of r.pools) {
    for (const row of read.rows) {
      if (row.database === ADMIN_DB) continue;
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
    clWaitingMax: Math.max(...rows.map((x) => x.clWaiting)),
    maxwaitMaxS: Math.max(...rows.map((x) => x.maxwaitS)),
    clActiveMean: mean(rows.map((x) => x.clActive)),
    clientsMax: Math.max(...rows.map((x) => x.clActive + x.clWaiting)),
    svActiveMean: mean(rows.map((x) => x.svActive)),
    svIdleMean: mean(rows.map((x) => x.svIdle)),
  }));
  const start = new Map(r.statsStart.rows.map((x) => [x.database, x]));
  const databases: PgBouncerDatabaseFigures[] = [];
  for (const end of r.statsEnd.rows) {
    if (end.database === ADMIN_DB) continue;
    const s = start.get(end.database) ?? { database: end.database, xacts: 0, queries: 0, xactTimeUs: 0, waitTimeUs: 0 };
    const xacts = end.xacts - s.xacts;
    const waitTotalS = (end.waitTimeUs - s.waitTimeUs) / 1e6;
    const size = r.databases?.find((d) => d.name === end.database);
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
  return { console: r.console, version: r.version, startedAt: r.statsStart.atMs, durationMs, pools, databases };
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
