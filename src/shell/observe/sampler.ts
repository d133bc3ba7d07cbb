/**
 * The server-side sampler of `observe`: one connection of its own (autocommit, so every read is a
 * fresh statement with a fresh snapshot of the statistics), reading the client backends of
 * `pg_stat_activity` (its own pid left out) at a jittered interval, timing its own cost, and
 * reading `pg_stat_database` at the start and the end for a cross-check. It only reads.
 */
import pg from 'pg';
import { DatabaseError, InterruptedError, KnownError } from '../../core/errors.js';
import { READ_DEFAULTS } from '../../core/flags.js';
import { BOUNDS, outside } from '../../core/limits.js';
import { closeClient, guardedConnect, guardedQuery, serverGuardSql, type ReadGuard } from '../deadline.js';
import type { ActivityRow, ActivitySample } from '../../core/observe/types.js';
import type { SamplingCost } from '../../core/observe/file.js';
import type { QueryStatements } from '../../core/observe/crossCheck.js';
import { connectError, serverCount } from '../target.js';

// One statement per sample, with the server's clock even when no client is connected (the
// lateral join gives one row of NULLs then). Client backends with a state (the pools' connections,
// and the load they put on the server), and other backends only while they are active or wait on
// something other than their idle loop (their load; docs/observe.md, "Server load").
// leader_pid is PostgreSQL 13+.
const activitySql = (versionNum: number): string => `SELECT n.now, a.* FROM (SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now) n
LEFT JOIN LATERAL (
  SELECT pid,
    (extract(epoch FROM backend_start) * 1000)::float8 AS bs,
    coalesce(application_name, '') AS app,
    coalesce(host(client_addr), 'local') AS addr,
    coalesce(usename::text, '') AS usr,
    coalesce(datname::text, '') AS db,
    coalesce(state, '') AS state,
    (extract(epoch FROM state_change) * 1000)::float8 AS sc,
    left(coalesce(query, ''), 48) AS q,
    wait_event_type AS wt,
    wait_event AS we,
    coalesce(backend_type, '') AS bt,
    ${versionNum >= 130000 ? 'leader_pid' : 'NULL::int'} AS lp
  FROM pg_stat_activity
  WHERE pid <> pg_backend_pid() AND (
    (backend_type = 'client backend' AND state IS NOT NULL)
    OR (backend_type <> 'client backend' AND (state IN ('active', 'fastpath function call')
        OR (state IS NULL AND wait_event_type IS NOT NULL AND wait_event_type <> 'Activity'))))
) a ON true`;

const DATABASE_SQL = `SELECT datname, active_time, idle_in_transaction_time, session_time, sessions,
  sessions_abandoned, sessions_fatal, sessions_killed,
  (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now
FROM pg_stat_database WHERE datname IS NOT NULL`;

/** Cumulative per-database counters of `pg_stat_database` (PostgreSQL 14+). */
export interface DatabaseCounters {
  atMs: number;
  byDb: Array<{ datname: string; activeMs: number; idleInTxMs: number; sessionMs: number; sessions: number; abnormal: number }>;
}

/** Cumulative statement time and calls per role (pg_stat_statements). */
export interface RoleStatements {
  atMs: number;
  byRole: Array<{ role: string; execMs: number; calls: number }>;
  /** Entries pg_stat_statements has evicted so far (pg_stat_statements_info, PostgreSQL 14+); null when it cannot be read. */
  dealloc: number | null;
}

/** Most statements read from pg_stat_statements per snapshot. */
export const STATEMENT_ROWS = 20_000;

/** What the sampler learned about the server and its own access. */
export interface SamplerServer {
  version: string;
  versionNum: number;
  maxConnections: number;
  superuserReserved: number;
  /** reserved_connections (PostgreSQL 16 and later; 0 before). */
  reservedConnections: number;
  role: string;
}


/** Options of {@link Sampler.run}. */
export interface SampleRunOptions {
  intervalMs: number;
  durationMs: number;
  /** Each gap is the interval times 1 ± jitter, uniformly (default 0.2), so a periodic workload cannot alias. */
  jitter?: number;
  signal?: AbortSignal;
  random?: () => number;
  onSample: (s: ActivitySample, queryUs: number) => void;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, Math.max(0, ms));
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Whether a read failed because the server refused the statement (a missing extension, no grant), not because it is gone or slow. */
/** A statement row's time (ms) and calls within the bounds of outside figures; a row outside them is left out of the cross-check. */
function inBounds(ms: number, calls: number): boolean {
  return outside(ms, BOUNDS.total) === undefined && outside(calls, BOUNDS.count) === undefined;
}

function isSqlRefusal(e: unknown): boolean {
  const code = (e as { pgCode?: string }).pgCode;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('08') && !code.startsWith('57');
}

/** One connection that samples the server's view of its clients. */
export class Sampler {
  private readonly client: pg.Client;
  private readonly queryUs: number[] = [];
  /** Samples whose read took longer than the interval, and by how much (ms) in all and at most. */
  private late = 0;
  private latenessMsTotal = 0;
  private latenessMsMax = 0;
  private readonly activitySql: string;
  private cpuStart = process.cpuUsage();
  private wallStart = 0;
  private wallEnd = 0;

  private constructor(
    client: pg.Client,
    readonly server: SamplerServer,
    private readonly guard: ReadGuard,
  ) {
    this.client = client;
    this.activitySql = activitySql(server.versionNum);
  }

  private async query<R extends pg.QueryResultRow>(sql: string, what: string): Promise<pg.QueryResult<R>> {
    try {
      return await guardedQuery<R>(this.client, sql, this.guard, `${what} on ${this.display}`);
    } catch (e) {
      if (e instanceof KnownError || e instanceof InterruptedError) throw e;
      // The server went away, or refused: one line naming the read (statementsByRole turns a missing extension into null itself).
      throw Object.assign(new DatabaseError(`${what} on ${this.display} failed: ${String((e as Error)?.message ?? e).split('\n')[0]}`, 'check the server; the partial observation was printed (and saved with --out)'), { pgCode: (e as { code?: string }).code });
    }
  }

  private display = '';

  /**
   * Connect and check the grants: without pg_read_all_stats (or pg_monitor, or superuser) other
   * roles' rows hide their state and query, and the reconstruction would be wrong (exit 3).
   */
  static async open(cfg: pg.ClientConfig, display: string, guard: ReadGuard = { ...READ_DEFAULTS, timeoutMs: 5000 }): Promise<Sampler> {
    const client = new pg.Client({ ...cfg, application_name: 'pool-advisor-observe', connectionTimeoutMillis: guard.timeoutMs });
    client.on('error', () => {});
    try {
      await guardedConnect(client, guard);
    } catch (e) {
      await closeClient(client);
      if (e instanceof KnownError || e instanceof InterruptedError) throw e;
      // observe never starts a throwaway server: its hint is about the target only.
      throw new DatabaseError(connectError(display, e).message, 'check the URL, that the server is up and reachable from here, and the credentials');
    }
    try {
      // Nothing of ours outlives the tool: the server ends a read about a second after our socket goes.
      await guardedQuery(client, serverGuardSql(guard.timeoutMs), guard, `setting up the sampler's connection to ${display}`);
      const r = await guardedQuery<{ ok: boolean; su: boolean; u: string; v: string; vn: string; mc: string; res: string; rc: string | null }>(
        client,
        `SELECT pg_has_role('pg_read_all_stats', 'USAGE') AS ok, current_user AS u,
                (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS su,
                current_setting('server_version') AS v, current_setting('server_version_num') AS vn,
                current_setting('max_connections') AS mc, current_setting('superuser_reserved_connections') AS res,
                current_setting('reserved_connections', true) AS rc`,
        guard,
        `reading the grants on ${display}`,
      );
      const row = r.rows[0]!;
      if (!row.ok && !row.su) {
        const role = `"${row.u.replace(/"/g, '""')}"`;
        throw new DatabaseError(
          `role ${role} cannot see other roles' connections in pg_stat_activity on ${display}: as a superuser run  GRANT pg_read_all_stats TO ${role};  (or GRANT pg_monitor TO ${role};) and observe again`,
        );
      }
      const sampler = new Sampler(client, { version: row.v, versionNum: Number(row.vn), maxConnections: serverCount(row.mc), superuserReserved: serverCount(row.res), reservedConnections: serverCount(row.rc), role: row.u }, guard);
      sampler.display = display;
      return sampler;
    } catch (e) {
      await closeClient(client);
      if (e instanceof KnownError || e instanceof InterruptedError) throw e;
      throw new DatabaseError(`cannot read the grants on ${display}: ${String((e as Error)?.message ?? e).split('\n')[0]}`, 'check the server and the role');
    }
  }

  /** One read of pg_stat_activity. */
  async sample(): Promise<{ sample: ActivitySample; queryUs: number }> {
    const t = process.hrtime.bigint();
    const r = await this.query<{ pid: number | null; bs: number; app: string; addr: string; usr: string; db: string; state: string; sc: number | null; q: string; wt: string | null; we: string | null; bt: string; lp: number | null; now: number }>(this.activitySql, 'a sample of pg_stat_activity');
    const queryUs = Number(process.hrtime.bigint() - t) / 1000;
    this.queryUs.push(queryUs);
    const rows: ActivityRow[] = r.rows.filter((x) => x.pid !== null).map((x) => ({
      pid: x.pid!,
      backendStartMs: x.bs,
      application_name: x.app,
      client_addr: x.addr,
      usename: x.usr,
      datname: x.db,
      state: x.state,
      stateChangeMs: x.sc,
      query: x.q,
      waitEventType: x.wt,
      waitEvent: x.we,
      backendType: x.bt,
      leaderPid: x.lp,
    }));
    return { sample: { atMs: r.rows[0]!.now, rows }, queryUs };
  }

  /** Cumulative pg_stat_database counters; null before PostgreSQL 14, which has none. */
  async databaseCounters(): Promise<DatabaseCounters | null> {
    if (this.server.versionNum < 140000) return null;
    const r = await this.query<{ datname: string; active_time: number; idle_in_transaction_time: number; session_time: number; sessions: string; sessions_abandoned: string; sessions_fatal: string; sessions_killed: string; now: number }>(DATABASE_SQL, 'reading pg_stat_database');
    return {
      atMs: r.rows[0]?.now ?? Date.now(),
      byDb: r.rows.map((x) => ({
        datname: x.datname,
        activeMs: Number(x.active_time),
        idleInTxMs: Number(x.idle_in_transaction_time),
        sessionMs: Number(x.session_time),
        sessions: Number(x.sessions),
        abnormal: Number(x.sessions_abandoned) + Number(x.sessions_fatal) + Number(x.sessions_killed),
      })),
    };
  }

  /** pg_stat_statements' count of evicted entries so far; null where the server does not keep it (before PostgreSQL 14). */
  private async evictions(): Promise<number | null> {
    try {
      const n = Number((await this.query<{ dealloc: string }>('SELECT dealloc FROM pg_stat_statements_info', 'reading pg_stat_statements_info')).rows[0]?.dealloc ?? NaN);
      return Number.isFinite(n) ? n : null;
    } catch (e) {
      // A deadline, a cap or an interrupt is not "the view is missing".
      if (!isSqlRefusal(e)) throw e;
      return null;
    }
  }

  /**
   * Statement time per role from pg_stat_statements, when the extension is installed in the
   * sampler's database and loaded; null otherwise (it is optional, and only a cross-check).
   */
  async statementsByRole(): Promise<RoleStatements | null> {
    try {
      const r = await this.query<{ role: string; ms: number; calls: number; now: number }>(
        `SELECT r.rolname AS role, sum(s.total_exec_time)::float8 AS ms, sum(s.calls)::float8 AS calls,
                (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now
         FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid GROUP BY r.rolname`,
        'reading pg_stat_statements',
      );
      // An eviction inside the window takes an entry's calls with it: the deltas then undercount.
      const dealloc = await this.evictions();
      return { atMs: r.rows[0]?.now ?? Date.now(), byRole: r.rows.filter((x) => inBounds(x.ms, x.calls)).map((x) => ({ role: x.role, execMs: x.ms, calls: x.calls })), dealloc };
    } catch (e) {
      if (!isSqlRefusal(e)) throw e;
      return null;
    }
  }

  /**
   * Execution time and calls per statement (`queryid`) from pg_stat_statements, for the statements
   * that carried the load in the window; null when it cannot be read. At most STATEMENT_ROWS rows
   * (pg_stat_statements.max is 5000 by default).
   */
  async statementsByQuery(): Promise<QueryStatements | null> {
    try {
      const r = await this.query<{ qid: string; q: string; ms: number; calls: number; now: number }>(
        `SELECT s.queryid::text AS qid, left(min(s.query), 80) AS q, sum(s.total_exec_time)::float8 AS ms, sum(s.calls)::float8 AS calls,
                (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now
         FROM pg_stat_statements s WHERE s.queryid IS NOT NULL GROUP BY s.queryid ORDER BY s.queryid LIMIT ${STATEMENT_ROWS}`,
        'reading pg_stat_statements by query',
      );
      const dealloc = await this.evictions();
      return { atMs: r.rows[0]?.now ?? Date.now(), byQuery: r.rows.filter((x) => inBounds(x.ms, x.calls)).map((x) => ({ queryid: x.qid, query: x.q ?? '', execMs: x.ms, calls: x.calls })), dealloc };
    } catch (e) {
      // A deadline, a cap or an interrupt is not "the extension is missing".
      if (!isSqlRefusal(e)) throw e;
      return null;
    }
  }

  /**
   * Sample until the duration has passed or the signal fires. A slow sample is data (a saturated
   * server answers slowly): a read longer than the interval is kept and counted as late, with its
   * lateness. Only a read past the deadline (`--read-timeout`), or any other failure, ends the run
   * with the error (the samples so far stay with the caller). An interrupt abandons the read in
   * flight and returns at once.
   */
  async run(o: SampleRunOptions): Promise<void> {
    const jitter = o.jitter ?? 0.2;
    const random = o.random ?? Math.random;
    this.cpuStart = process.cpuUsage();
    this.wallStart = performance.now();
    const end = this.wallStart + o.durationMs;
    const take = async (): Promise<void> => {
      const { sample, queryUs } = await this.sample();
      const lateMs = queryUs / 1000 - o.intervalMs;
      if (lateMs > 0) {
        this.late++;
        this.latenessMsTotal += lateMs;
        this.latenessMsMax = Math.max(this.latenessMsMax, lateMs);
      }
      o.onSample(sample, queryUs);
    };
    try {
      while (!o.signal?.aborted) {
        await take();
        const gap = o.intervalMs * (1 + jitter * (2 * random() - 1));
        const now = performance.now();
        if (now + gap > end) {
          await sleep(end - now, o.signal);
          if (!o.signal?.aborted && performance.now() >= end - 1) await take();
          break;
        }
        await sleep(gap, o.signal);
      }
    } catch (e) {
      if (!(e instanceof InterruptedError)) throw e;
    } finally {
      this.wallEnd = performance.now();
    }
  }

  /** The sampler's own cost so far. */
  cost(): SamplingCost {
    const sorted = [...this.queryUs].sort((a, b) => a - b);
    const cpu = process.cpuUsage(this.cpuStart);
    const cpuUs = cpu.user + cpu.system;
    const wallUs = Math.max(1, ((this.wallEnd || performance.now()) - this.wallStart) * 1000);
    return {
      samples: sorted.length,
      queryUsP50: quantile(sorted, 0.5),
      queryUsP99: quantile(sorted, 0.99),
      queryUsMax: sorted.length ? sorted[sorted.length - 1]! : 0,
      cpuUsPerSample: sorted.length ? cpuUs / sorted.length : 0,
      cpuShareOfCore: cpuUs / wallUs,
      late: this.late,
      latenessMsMean: this.late ? this.latenessMsTotal / this.late : 0,
      latenessMsMax: this.latenessMsMax,
    };
  }

  /** Close the connection. */
  async close(): Promise<void> {
    await closeClient(this.client);
  }
}
