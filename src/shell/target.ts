/**
 * Which database `analyze` drives, and whether it is safe to: `--database-url`, else
 * DATABASE_URL, else the standard PG* variables, else a throwaway PostgreSQL. A target that is
 * not on this machine needs `--yes`, so a variable left in the shell never aims a load generator
 * at a shared database.
 */
import { isIP } from 'node:net';
import pg from 'pg';
import { parse as parseConn } from 'pg-connection-string';
import { DatabaseError, InterruptedError, KnownError, UsageError } from '../core/errors.js';
import { READ_DEFAULTS } from '../core/flags.js';
import { closeClient, guardedConnect, guardedQuery, serverGuardSql, type ReadGuard } from './deadline.js';
import { redactUrl } from '../core/redact.js';
import { readBoundedFile } from './configDir.js';

/** Where the target came from. */
export type TargetSource = '--database-url' | 'DATABASE_URL' | '--pgmq-database-url' | 'PGMQ_DATABASE_URL' | 'PG* variables' | 'throwaway';

/** A resolved target (before any connection). */
export interface Target {
  source: TargetSource;
  /** Connection string; undefined for PG* variables (pg reads them itself). */
  url?: string;
  /** For messages: the target with any password removed. */
  display: string;
  host: string;
  port: number;
  database: string;
}

const PG_VARS = ['PGHOST', 'PGPORT', 'PGDATABASE', 'PGUSER', 'PGPASSWORD', 'PGHOSTADDR', 'PGSERVICE'];

/**
 * Resolve the target from the flag and the environment; undefined means "start a throwaway".
 * `names` are the flag and variable to name in messages (PGMQ's target has its own).
 */
export function resolveTarget(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  names: { flag: '--database-url' | '--pgmq-database-url'; variable: 'DATABASE_URL' | 'PGMQ_DATABASE_URL' } = { flag: '--database-url', variable: 'DATABASE_URL' },
): Target | undefined {
  if (flag !== undefined && flag.trim() === '') throw new UsageError(`${names.flag} is empty`, 'pass a connection URL such as postgresql://user@host:5432/db, or leave the flag out to use a throwaway database');
  const url = flag ?? (env[names.variable] ? env[names.variable] : undefined);
  if (url !== undefined && url.includes('@') && !/^[a-z][a-z0-9+.-]*:\/\//i.test(url.trim()) && !url.includes('=')) {
    // pg would read `u:pw@host/db` as a socket path or a database name: never what was meant.
    throw new UsageError(`${flag !== undefined ? names.flag : names.variable}: '${redactUrl(url)}' is not a connection URL (no scheme)`, 'use the form postgresql://user@host:5432/database');
  }
  if (url !== undefined) {
    const where = flag !== undefined ? names.flag : names.variable;
    assertPostgresUrl(where, url);
    let c;
    try {
      c = parseConn(url);
    } catch {
      throw new UsageError(`${where}: cannot parse '${redactUrl(url)}' as a connection URL`, 'use the form postgresql://user@host:5432/database');
    }
    return {
      source: flag !== undefined ? names.flag : names.variable,
      url,
      display: redactUrl(url),
      host: c.host ?? env.PGHOST ?? 'localhost',
      port: Number(c.port || env.PGPORT || 5432),
      database: c.database ?? env.PGDATABASE ?? env.PGUSER ?? 'postgres',
    };
  }
  if (PG_VARS.some((v) => env[v])) {
    const host = env.PGHOSTADDR ?? env.PGHOST ?? 'localhost';
    const port = Number(env.PGPORT ?? 5432);
    const database = env.PGDATABASE ?? env.PGUSER ?? 'postgres';
    return { source: 'PG* variables', display: `host=${host} port=${port} dbname=${database}${env.PGUSER ? ` user=${env.PGUSER}` : ''}`, host, port, database };
  }
  return undefined;
}

/** Largest certificate or key file read from a connection URL. */
const MAX_TLS_FILE_BYTES = 1024 * 1024;

/**
 * Refuse, in one line naming the flag, what is not a PostgreSQL connection URL: another scheme
 * (`mysql://` would otherwise be connected to as PostgreSQL), or a libpq keyword/value string
 * (pg would read it as a database name on the host 'base'). Its TLS files (`sslrootcert`,
 * `sslcert`, `sslkey`) must be readable regular files: they are read here (and so count as
 * inputs no output may overwrite), and a missing one is named as such.
 */
export function assertPostgresUrl(where: string, url: string): void {
  const text = url.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1];
  if (scheme === undefined && /^[a-z_]+\s*=/i.test(text)) {
    throw new UsageError(`${where}: '${redactUrl(url)}' is a keyword/value connection string; pool-advisor reads a connection URL`, 'write it as postgresql://user@host:5432/database (options after ?, e.g. ?sslmode=require), or set the PG* variables (PGHOST, PGDATABASE, ...)');
  }
  if (scheme === undefined) return;
  if (!/^postgres(ql)?$/i.test(scheme)) throw new UsageError(`${where}: '${redactUrl(url)}' is a ${scheme}:// URL; pool-advisor connects to PostgreSQL only`, 'use the form postgresql://user@host:5432/database');
  let params: URLSearchParams;
  try {
    params = new URL(text).searchParams;
  } catch {
    return;
  }
  for (const key of ['sslrootcert', 'sslcert', 'sslkey']) {
    const file = params.get(key);
    if (file) readBoundedFile(file, `${where}: ${key}=${file}`, MAX_TLS_FILE_BYTES, 'a PEM file', `check the ${key} path in ${where} (read relative to the current directory)`);
  }
}

/** Whether a host is this machine: loopback addresses, localhost, or a unix socket directory. */
export function isLocalHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  if (h === '' || h.startsWith('/')) return true;
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1';
  return false;
}

/** Refuse a non-local target unless `--yes` was given (exit 2, before any connection). */
export function assertSafeTarget(t: Target, yes: boolean): void {
  if (isLocalHost(t.host) || yes) return;
  throw new UsageError(
    `refusing to drive load at ${t.display} (from ${t.source}): it is not on this machine`,
    'pass --yes if you really mean to load that server, or unset the variable / pass a local --database-url',
  );
}

/** pg connection config for a target (application_name marks every connection as ours). */
export function connectionConfig(t: Target | { url: string }, database?: string): pg.ClientConfig {
  const base: pg.ClientConfig = { application_name: 'pool-advisor' };
  if ('url' in t && t.url) return { ...base, connectionString: t.url, ...(database ? { database } : {}) };
  return { ...base, ...(database ? { database } : {}) };
}

/** What the probe learned about the server. */
export interface ServerFacts {
  version: string;
  /** server_version_num (e.g. 150004). */
  versionNum: number;
  maxConnections: number;
  superuserReserved: number;
  /** reserved_connections (PostgreSQL 16 and later; 0 before). */
  reservedConnections: number;
  /** Connections open now (all clients). */
  current: number;
}

/** Turn a connection failure into one line naming the target and the reason (exit 3); `flag` is the flag (or variable) that named the target, for the hint. */
export function connectError(display: string, e: unknown, flag = '--database-url'): DatabaseError {
  const err = e as { code?: string; message?: string };
  const reason =
    err.code === 'ECONNREFUSED'
      ? 'connection refused (is the server running, and on that port?)'
      : err.code === 'ENOTFOUND'
        ? 'host not found'
        : err.code === '28P01'
          ? 'password authentication failed'
          : err.code === '3D000'
            ? 'the database does not exist'
            : /timeout/i.test(err.message ?? '')
              ? 'timed out connecting'
              : (err.message ?? String(e)).split('\n')[0];
  return new DatabaseError(`cannot connect to ${display}: ${reason}`, `check the URL, that the server is up, and the credentials; or leave ${flag} out to use ${flag === '--database-url' ? 'a throwaway database' : 'the default'}`);
}

/** A connection count setting as the server gives it, bounded (max_connections is at most 262143); null (no such setting before PostgreSQL 16) is 0. */
export function serverCount(text: string | null): number {
  const n = text === null ? 0 : Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 262_143) throw new DatabaseError(`the server gave a connection setting of ${JSON.stringify(String(text).slice(0, 20))}, not a count in 0..262143`, 'check the server is PostgreSQL');
  return n;
}

/** Connect once (within the guard: the deadline, the cap, the interrupt), read the server's limits and current connection count. */
export async function probe(cfg: pg.ClientConfig, display: string, guard: ReadGuard = { ...READ_DEFAULTS, timeoutMs: 5000 }, flag?: string): Promise<ServerFacts> {
  const c = new pg.Client({ ...cfg, connectionTimeoutMillis: guard.timeoutMs, application_name: 'pool-advisor-probe' });
  c.on('error', () => {});
  try {
    await guardedConnect(c, guard);
  } catch (e) {
    await closeClient(c);
    if (e instanceof KnownError || e instanceof InterruptedError) throw e;
    throw connectError(display, e, flag);
  }
  try {
    // Like every connection of the tool: the server ends the read about a second after our socket goes.
    await guardedQuery(c, serverGuardSql(guard.timeoutMs), guard, `setting up the connection to ${display}`);
    const r = await guardedQuery<{ v: string; vn: string; mc: string; res: string; rc: string | null; cur: string }>(
      c,
      `SELECT current_setting('server_version') AS v, current_setting('server_version_num') AS vn, current_setting('max_connections') AS mc,
              current_setting('superuser_reserved_connections') AS res, current_setting('reserved_connections', true) AS rc,
              (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend') AS cur`,
      guard,
      `reading the limits of ${display}`,
    );
    const row = r.rows[0]!;
    return { version: row.v, versionNum: Number(row.vn), maxConnections: serverCount(row.mc), superuserReserved: serverCount(row.res), reservedConnections: serverCount(row.rc), current: Number(row.cur) };
  } catch (e) {
    if (e instanceof KnownError || e instanceof InterruptedError) throw e;
    throw new DatabaseError(`cannot read the limits of ${display}: ${String((e as Error)?.message ?? e).split('\n')[0]}`, 'check the server and the role');
  } finally {
    await closeClient(c);
  }
}

/** Exit 2 when the planned pools would not fit in what the server has left. */
export function assertFits(facts: ServerFacts, planned: number, what: string): void {
  const free = facts.maxConnections - facts.superuserReserved - facts.reservedConnections - facts.current;
  if (planned > free) {
    throw new UsageError(
      `the planned pools need up to ${planned} connections (${what}), but the server allows ${facts.maxConnections} (max_connections) - ${facts.superuserReserved} reserved${facts.reservedConnections > 0 ? ` - ${facts.reservedConnections} reserved_connections` : ''} - ${facts.current} in use = ${free}`,
      'lower max_connections for this run with --set ENV.POOL.max_connections=N, run fewer pools with --pool, or use a server with more room',
    );
  }
}
