/**
 * `observe --pgbouncer-url`: PgBouncer's admin console (its `pgbouncer` database), read on one
 * connection of its own with the simple query protocol the console speaks: `SHOW STATS` at the
 * start and the end, `SHOW POOLS` about once a second in between. It only reads.
 */
import pg from 'pg';
import { DatabaseError, InterruptedError, KnownError, UsageError } from '../../core/errors.js';
import { READ_DEFAULTS } from '../../core/flags.js';
import { closeClient, guardedConnect, guardedQuery, type ReadGuard } from '../deadline.js';
import { redactUrl } from '../../core/redact.js';
import { assertPostgresUrl } from '../target.js';
import type { PgBouncerDatabaseRow, PgBouncerPoolRow, PgBouncerStatsRow } from '../../core/observe/pgbouncer.js';

/** Check a `--pgbouncer-url` before any connection (exit 2); the console's database is `pgbouncer`. */
export function parsePgBouncerUrl(v: string): { url: string; display: string } {
  const display = redactUrl(v);
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new UsageError(`--pgbouncer-url '${display}': not a URL`, 'write e.g. --pgbouncer-url postgresql://stats@pgbouncer:6432/pgbouncer');
  }
  if (u.protocol !== 'postgresql:' && u.protocol !== 'postgres:') throw new UsageError(`--pgbouncer-url '${display}': not a postgresql:// URL`, 'write e.g. --pgbouncer-url postgresql://stats@pgbouncer:6432/pgbouncer');
  if (u.pathname !== '/pgbouncer') throw new UsageError(`--pgbouncer-url '${display}': the admin console is the database 'pgbouncer', not '${u.pathname.slice(1)}'`, 'end the URL with /pgbouncer');
  assertPostgresUrl('--pgbouncer-url', v);
  return { url: v, display };
}

const num = (v: unknown): number => Number(v ?? 0);

/** One connection to the console. */
export class PgBouncerConsole {
  private constructor(
    private readonly client: pg.Client,
    readonly display: string,
    readonly version: string,
    private readonly guard: ReadGuard,
  ) {}

  /** One console command within the guard (deadline for the whole answer, size cap, interrupt). */
  private async query<R extends pg.QueryResultRow>(sql: string): Promise<pg.QueryResult<R>> {
    try {
      return await guardedQuery<R>(this.client, sql, this.guard, `PgBouncer's admin console at ${this.display} (${sql})`);
    } catch (e) {
      if (e instanceof KnownError || e instanceof InterruptedError) throw e;
      throw new DatabaseError(`PgBouncer's admin console at ${this.display} failed (${sql}): ${String((e as Error)?.message ?? e).split('\n')[0]}`, 'check PgBouncer; the observation is saved without its console when it fails mid-window');
    }
  }

  /** Connect (exit 3 with the reason when it cannot) and read the version. */
  static async open(url: string, display: string, guard: ReadGuard = { ...READ_DEFAULTS, timeoutMs: 5000 }): Promise<PgBouncerConsole> {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: guard.timeoutMs });
    client.on('error', () => {});
    try {
      await guardedConnect(client, guard);
      const v = await guardedQuery<{ version: string }>(client, 'SHOW VERSION', guard, `PgBouncer's admin console at ${display} (SHOW VERSION)`);
      return new PgBouncerConsole(client, display, String(v.rows[0]?.version ?? 'PgBouncer').slice(0, 200), guard);
    } catch (e) {
      await closeClient(client);
      if (e instanceof KnownError || e instanceof InterruptedError) throw e;
      const err = e as { code?: string; message?: string };
      const reason = err.code === 'ECONNREFUSED' ? 'connection refused (is PgBouncer running, and on that port?)' : String(err.message ?? e).split('\n')[0];
      throw new DatabaseError(`cannot read PgBouncer's admin console at ${display}: ${reason}`, "check --pgbouncer-url, and that the user is in PgBouncer's admin_users or stats_users");
    }
  }

  /** `SHOW STATS`: cumulative per database. */
  async stats(): Promise<{ atMs: number; rows: PgBouncerStatsRow[] }> {
    const r = await this.query<Record<string, string>>('SHOW STATS');
    return {
      atMs: Date.now(),
      rows: r.rows.map((x) => ({ database: String(x.database), xacts: num(x.total_xact_count), queries: num(x.total_query_count), xactTimeUs: num(x.total_xact_time), waitTimeUs: num(x.total_wait_time) })),
    };
  }

  /** `SHOW DATABASES`: each database's pool size and reserve (the effective ones: default_pool_size where it sets none). */
  async databases(): Promise<PgBouncerDatabaseRow[]> {
    const r = await this.query<Record<string, string | number | null>>('SHOW DATABASES');
    return r.rows.map((x) => ({ name: String(x.name), poolSize: num(x.pool_size), reservePool: num(x.reserve_pool ?? x.reserve_pool_size), maxDbConnections: num(x.max_connections), poolMode: x.pool_mode === null || x.pool_mode === undefined ? null : String(x.pool_mode) }));
  }

  /** `SHOW CONFIG`: every setting, key to value (at most a few hundred rows). */
  async config(): Promise<Record<string, string>> {
    const r = await this.query<Record<string, string | null>>('SHOW CONFIG');
    return Object.fromEntries(r.rows.slice(0, 1000).map((x) => [String(x.key), String(x.value ?? '')]));
  }

  /** `SHOW POOLS`: now, per database and user. */
  async pools(): Promise<{ atMs: number; rows: PgBouncerPoolRow[] }> {
    const r = await this.query<Record<string, string | number>>('SHOW POOLS');
    return {
      atMs: Date.now(),
      rows: r.rows.map((x) => ({
        database: String(x.database),
        user: String(x.user),
        clActive: num(x.cl_active),
        clWaiting: num(x.cl_waiting),
        svActive: num(x.sv_active),
        svIdle: num(x.sv_idle),
        svUsed: num(x.sv_used),
        maxwaitS: num(x.maxwait) + num(x.maxwait_us) / 1e6,
        poolMode: String(x.pool_mode ?? ''),
      })),
    };
  }

  async close(): Promise<void> {
    await closeClient(this.client);
  }
}
