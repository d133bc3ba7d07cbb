/**
 * Deadlines, size caps and interrupts for every read from a server or the network
 * (docs/reliability.md, "Network and servers"): a query on a pg connection, an HTTP answer. Each
 * read gets a deadline for its WHOLE answer (not an idle-socket timeout: a server trickling one
 * byte a second is still past it), a cap on its bytes counted as they arrive, and the command's
 * abort signal; whichever comes first ends the read and destroys its socket, so nothing waits on.
 */
import type { Socket } from 'node:net';
import type pg from 'pg';
import { DatabaseError, InterruptedError } from '../core/errors.js';
import { fmtBytes, type ReadLimits } from '../core/flags.js';
import { CHECK_INTERVAL_SINCE, serverGuard } from '../core/limits.js';

/** What one read is bounded by. */
export interface ReadGuard extends ReadLimits {
  signal?: AbortSignal;
}

/** The line for a read past its deadline. */
export function pastDeadline(what: string, timeoutMs: number): DatabaseError {
  return new DatabaseError(`${what}: no whole answer within ${timeoutMs / 1000} s`, 'check the server; a slower one needs a longer --read-timeout');
}

/** The line for an answer past the size cap. */
export function pastCap(what: string, maxBytes: number): DatabaseError {
  return new DatabaseError(`${what}: the answer is larger than ${fmtBytes(maxBytes)}`, 'narrow what is read, or raise --read-limit');
}

/** Wait for `p`, but reject with {@link InterruptedError} as soon as `signal` aborts (`p` is left to settle). */
export function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      p.catch(() => {});
      reject(new InterruptedError());
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e: unknown) => (signal.removeEventListener('abort', onAbort), reject(e)),
    );
  });
}

/** The socket under a pg client (pg keeps it as `connection.stream`). */
function socketOf(client: pg.Client): Socket | undefined {
  return (client as unknown as { connection?: { stream?: Socket } }).connection?.stream;
}

/**
 * One query on `client` within `guard`: past the deadline or the cap, or on abort, the socket is
 * destroyed (the server notices and ends the statement: client_connection_check_interval) and the
 * query rejects with a one-line error naming `what` ({@link InterruptedError} on abort).
 */
export function guardedQuery<R extends pg.QueryResultRow>(client: pg.Client, sql: string, guard: ReadGuard, what: string, params?: unknown[]): Promise<pg.QueryResult<R>> {
  const socket = socketOf(client);
  return new Promise((resolve, reject) => {
    let failed: Error | undefined;
    let bytes = 0;
    const fail = (e: Error): void => {
      if (failed) return;
      failed = e;
      done();
      socket?.destroy();
      reject(e);
    };
    const onData = (b: Buffer): void => {
      bytes += b.length;
      if (bytes > guard.maxBytes) fail(pastCap(what, guard.maxBytes));
    };
    const onAbort = (): void => fail(new InterruptedError());
    const timer = setTimeout(() => fail(pastDeadline(what, guard.timeoutMs)), guard.timeoutMs);
    function done(): void {
      clearTimeout(timer);
      socket?.removeListener('data', onData);
      guard.signal?.removeEventListener('abort', onAbort);
    }
    if (guard.signal?.aborted) return onAbort();
    socket?.on('data', onData);
    guard.signal?.addEventListener('abort', onAbort, { once: true });
    client.query<R>(sql, params).then(
      (r) => {
        if (failed) return;
        done();
        resolve(r);
      },
      (e: unknown) => {
        if (failed) return;
        done();
        reject(e);
      },
    );
  });
}

/**
 * Connect `client` within the deadline, abortably: the socket is destroyed on either (pg's own
 * connectionTimeoutMillis is set by the caller too, this also covers an abort).
 */
export async function guardedConnect(client: pg.Client, guard: ReadGuard): Promise<void> {
  const p = client.connect();
  try {
    await abortable(p, guard.signal);
  } catch (e) {
    socketOf(client)?.destroy();
    throw e;
  }
}

/**
 * Close a pg client without waiting on a server that no longer answers: a polite end for up to
 * `ms`, then the socket is destroyed (the server ends anything still running within about a
 * second: client_connection_check_interval).
 */
export async function closeClient(client: pg.Client, ms = 500): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([client.end().catch(() => {}), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
  socketOf(client)?.destroy();
}

/**
 * The statement every connection the tool opens runs first, before it knows the server's version:
 * the server picks, by its own `server_version_num`, between the two settings of
 * {@link serverGuard} (src/core/limits.ts), with the same values.
 */
export function serverGuardSql(fallbackMs: number): string {
  const check = serverGuard(CHECK_INTERVAL_SINCE, fallbackMs);
  const fallback = serverGuard(0, fallbackMs);
  return `SELECT CASE WHEN current_setting('server_version_num')::int >= ${CHECK_INTERVAL_SINCE}
    THEN set_config('${check.name}', '${check.value}', false)
    ELSE set_config('${fallback.name}', '${fallback.value}', false) END`;
}

/** The startup option with the same effect (for pools, whose connections open later), given the server's version number. */
export function serverGuardOptions(versionNum: number, fallbackMs: number): string {
  const g = serverGuard(versionNum, fallbackMs);
  return `-c ${g.name}=${g.value}`;
}
