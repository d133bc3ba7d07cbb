/**
 * A throwaway PostgreSQL cluster: created in a temp dir with trust auth on 127.0.0.1 and a free
 * port, used by the tests and by `analyze` when no database is configured, and stopped and
 * deleted on every exit path. A cluster orphaned by a killed process is found (its temp dir
 * carries the owner's pid) and removed at the next start.
 */
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';
import { KnownError, ExitCode, InterruptedError } from '../core/errors.js';
import { abortable } from './deadline.js';

/** Prefix of the temp dirs; the owner's pid follows it. */
const DIR_PREFIX = 'pool-advisor-pg-';

/** What a started cluster offers. */
export interface ThrowawayCluster {
  /** `postgresql://postgres@127.0.0.1:<port>/postgres` */
  url: string;
  port: number;
  host: string;
  /** The temp dir holding data, socket and log. */
  dir: string;
  /** URL of another database on the same cluster. */
  urlFor(database: string): string;
  /** Create a database (idempotent). */
  createDatabase(name: string): Promise<void>;
  /** Stop the server at once and delete the temp dir. Safe to call twice. */
  stop(): Promise<void>;
  /** The same, synchronously (for `process.on('exit')`). */
  stopSync(): void;
}

/** Options for {@link startThrowaway}. */
export interface ThrowawayOptions {
  /** Server max_connections (default 300). */
  maxConnections?: number;
  /** Databases to create besides `postgres`. */
  databases?: string[];
  /**
   * Require this password over TCP (scram-sha-256) instead of trust; the unix socket stays trust.
   * The URL then carries it. For tests of authentication failures.
   */
  password?: string;
  /** Extra server settings (name -> value as written in postgresql.conf), e.g. shared_preload_libraries. */
  settings?: Record<string, string>;
  /** Also stop on SIGINT/SIGTERM and re-raise the signal (for test harnesses; the CLI handles signals itself). */
  handleSignals?: boolean;
  /** Stops the start (initdb, the server's start, creating the databases): the cluster is removed, and the start rejects with an exit-130 outcome. */
  signal?: AbortSignal;
  /** Pin the server to these CPUs (`taskset -c`, e.g. '1'; tests of a server on one core). */
  cpus?: string;
}

/** No PostgreSQL binaries were found. */
export class NoPostgresError extends KnownError {
  constructor(detail: string) {
    super(
      `no PostgreSQL server binaries (initdb, pg_ctl) found to start a throwaway database (${detail})`,
      ExitCode.Database,
      "pass --database-url (or set DATABASE_URL / PG* variables) to use an existing server, or install PostgreSQL (Debian: 'apt-get install postgresql')",
    );
  }
}

function isExecutable(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Find the directory holding initdb and pg_ctl: PATH, `pg_config --bindir`, then /usr/lib/postgresql/<newest>/bin. */
export function findPgBinDir(env: NodeJS.ProcessEnv = process.env): string {
  const tried: string[] = [];
  for (const d of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    if (isExecutable(join(d, 'initdb')) && isExecutable(join(d, 'pg_ctl'))) return d;
  }
  tried.push('PATH');
  try {
    const d = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (isExecutable(join(d, 'initdb')) && isExecutable(join(d, 'pg_ctl'))) return d;
  } catch {
    // pg_config absent: try the next place.
  }
  tried.push('pg_config --bindir');
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) {
      const d = join(root, v, 'bin');
      if (isExecutable(join(d, 'initdb')) && isExecutable(join(d, 'pg_ctl'))) return d;
    }
  }
  tried.push('/usr/lib/postgresql/*/bin');
  throw new NoPostgresError(`looked in ${tried.join(', ')}`);
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

interface Ids {
  uid: number;
  gid: number;
}

/** The `postgres` OS user, needed when running as root (PostgreSQL refuses to run as root). */
function postgresUser(): Ids | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) {
    throw new KnownError(
      'running as root, and PostgreSQL refuses to run as root, but there is no postgres OS user to run the throwaway database as',
      ExitCode.Database,
      "create one ('useradd --system postgres', or install the postgresql package), run as another user, or pass --database-url",
    );
  }
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Stop the postmaster of a data dir, if one runs, without waiting for clients. */
function killPostmaster(dataDir: string): void {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    // SIGQUIT is PostgreSQL's "immediate shutdown".
    process.kill(pid, 'SIGQUIT');
  } catch {
    return;
  }
  const deadline = Date.now() + 5000;
  while (pidAlive(pid) && Date.now() < deadline) spawnSync('sleep', ['0.05']);
  if (pidAlive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Remove clusters left by processes that no longer exist. Returns the dirs removed. */
export function sweepOrphans(base = tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(base);
  } catch {
    return removed;
  }
  for (const n of names) {
    if (!n.startsWith(DIR_PREFIX)) continue;
    const pid = Number(n.slice(DIR_PREFIX.length).split('-')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || pidAlive(pid)) continue;
    const dir = join(base, n);
    killPostmaster(join(dir, 'data'));
    rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

/**
 * Run initdb or pg_ctl. An interrupt (the signal aborting, or Ctrl-C reaching the child through the
 * terminal's process group) is exit 130, never "initdb failed": the child is stopped and the
 * caller removes the cluster.
 */
function run(bin: string, args: string[], ids: Ids | undefined, what: string, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new InterruptedError());
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(ids ? { uid: ids.uid, gid: ids.gid } : {}), env: { ...process.env, LC_ALL: 'C' } });
    let out = '';
    const onAbort = (): void => {
      child.kill('SIGTERM');
      reject(new InterruptedError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (e) => reject(new KnownError(`${what} failed: ${e.message}`, ExitCode.Database)));
    child.on('close', (code, sig) => {
      signal?.removeEventListener('abort', onAbort);
      if (code === 0) resolve();
      else if (signal?.aborted || sig === 'SIGINT' || sig === 'SIGTERM' || sig === 'SIGHUP') reject(new InterruptedError());
      else reject(new KnownError(`${what} failed (exit ${code ?? sig}): ${out.trim().split('\n').slice(-3).join(' | ')}`, ExitCode.Database));
    });
  });
}

const live = new Set<ThrowawayCluster>();
let hooksInstalled = false;
let signalHooksInstalled = false;

function installHooks(handleSignals: boolean): void {
  if (!hooksInstalled) {
    hooksInstalled = true;
    process.on('exit', () => {
      for (const c of live) c.stopSync();
    });
  }
  if (handleSignals && !signalHooksInstalled) {
    signalHooksInstalled = true;
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      const handler = (): void => {
        for (const c of live) c.stopSync();
        process.removeListener(sig, handler);
        process.kill(process.pid, sig);
      };
      process.on(sig, handler);
    }
  }
}

/** Start a throwaway cluster. */
export async function startThrowaway(opts: ThrowawayOptions = {}): Promise<ThrowawayCluster> {
  sweepOrphans();
  const bin = findPgBinDir();
  const ids = postgresUser();
  const dir = mkdtempSync(join(tmpdir(), `${DIR_PREFIX}${process.pid}-`));
  const dataDir = join(dir, 'data');
  if (ids) {
    chownSync(dir, ids.uid, ids.gid);
    chmodSync(dir, 0o700);
  }
  const port = await freePort();
  const host = '127.0.0.1';
  const auth = opts.password !== undefined ? `:${encodeURIComponent(opts.password)}` : '';
  let stopped = false;
  const stopSync = (): void => {
    if (stopped) return;
    stopped = true;
    live.delete(cluster);
    if (existsSync(join(dataDir, 'postmaster.pid'))) {
      spawnSync(join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop'], { stdio: 'ignore', ...(ids ? { uid: ids.uid, gid: ids.gid } : {}) });
      killPostmaster(dataDir);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const cluster: ThrowawayCluster = {
    url: `postgresql://postgres${auth}@${host}:${port}/postgres`,
    port,
    host,
    dir,
    urlFor: (db) => `postgresql://postgres${auth}@${host}:${port}/${encodeURIComponent(db)}`,
    async createDatabase(name: string) {
      const c = new pg.Client({ connectionString: cluster.url, application_name: 'pool-advisor-setup' });
      await c.connect();
      try {
        const r = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (r.rowCount === 0) await c.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      } finally {
        await c.end();
      }
    },
    stop: async () => stopSync(),
    stopSync,
  };
  live.add(cluster);
  installHooks(opts.handleSignals ?? false);
  try {
    const authArgs = ['--auth=trust'];
    if (opts.password !== undefined) {
      const pwfile = join(dir, 'pwfile');
      writeFileSync(pwfile, `${opts.password}\n`, { mode: 0o600 });
      if (ids) chownSync(pwfile, ids.uid, ids.gid);
      authArgs.splice(0, 1, '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${pwfile}`);
    }
    await run(join(bin, 'initdb'), ['-D', dataDir, ...authArgs, '--no-sync', '-U', 'postgres', '-E', 'UTF8', '--locale=C'], ids, 'initdb', opts.signal);
    // Clients may connect from any loopback source address (the observe tests stand in for
    // replicas with 127.0.0.2 and 127.0.0.3); initdb only admits 127.0.0.1.
    appendFileSync(join(dataDir, 'pg_hba.conf'), `host all all 127.0.0.0/8 ${opts.password !== undefined ? 'scram-sha-256' : 'trust'}\n`);
    writeFileSync(
      join(dataDir, 'postgresql.auto.conf'),
      [
        `port = ${port}`,
        `listen_addresses = '${host}'`,
        `unix_socket_directories = '${dir}'`,
        `max_connections = ${opts.maxConnections ?? 300}`,
        'fsync = off',
        'synchronous_commit = off',
        'full_page_writes = off',
        'shared_buffers = 64MB',
        "log_min_messages = 'warning'",
        ...Object.entries(opts.settings ?? {}).map(([k, v]) => `${k} = ${v}`),
        '',
      ].join('\n'),
    );
    if (ids) chownSync(join(dataDir, 'postgresql.auto.conf'), ids.uid, ids.gid);
    const start = ['-D', dataDir, '-l', join(dir, 'server.log'), '-w', '-t', '30', 'start'];
    // The postmaster and every backend inherit pg_ctl's CPU affinity.
    if (opts.cpus !== undefined) await run('taskset', ['-c', opts.cpus, join(bin, 'pg_ctl'), ...start], ids, 'taskset pg_ctl start', opts.signal);
    else await run(join(bin, 'pg_ctl'), start, ids, 'pg_ctl start', opts.signal);
    for (const db of opts.databases ?? []) await abortable(cluster.createDatabase(db), opts.signal);
  } catch (e) {
    stopSync();
    throw e;
  }
  return cluster;
}
