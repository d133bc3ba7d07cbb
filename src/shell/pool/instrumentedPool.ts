/**
 * The instrumented pool: wraps a `pg.Pool` (one it builds from a pool's settings, or one a
 * service hands it) and feeds the {@link Recorder}. As a library it changes nothing about the
 * pool's behaviour by default; `emulateSqlx` (used by `analyze`) behaves as Tasker's sqlx pool
 * does (sqlx.ts). Its parts: the settings as pg-pool options (options.ts), the close ledger that
 * decides why each connection closed (ledger.ts), the sqlx emulation (sqlx.ts) and the
 * slow-acquire log (slowLog.ts); this file measures the acquires and holds and wires them.
 *
 * pg-pool facts this relies on (docs/facts.md, "node-postgres pool"; its internals are checked by internals.ts): `remove` carries no reason (hence the ledger); a client
 * that expires while idle gets a fake `acquire`/`release` pair, which never passes through
 * `connect()` and so is never counted as an acquire here.
 */
import pg from 'pg';
import type { PoolSettings } from '../../core/config/pools.js';
import { Recorder, type AcquireOutcome } from '../../core/run/recorder.js';
import type { AcquirePath, PoolRun } from '../../core/run/types.js';
import { nowUs } from '../clock.js';
import { assertPoolInternals } from './internals.js';
import { CloseLedger, type PoolInternals } from './ledger.js';
import { pgOptionsFromSettings, settingsFromPool, type InstrumentOptions } from './options.js';
import { emulateSqlx, SQLX_BEHAVIOUR, type SqlxEmulation } from './sqlx.js';
import { slowAcquireLog } from './slowLog.js';

export { pgOptionsFromSettings, type InstrumentOptions } from './options.js';
export { SQLX_BEHAVIOUR } from './sqlx.js';

/** A pg pool with its recorder. */
export interface InstrumentedPool {
  /** The pool itself (its `connect()` and `query()` are measured). */
  readonly pool: pg.Pool;
  readonly recorder: Recorder;
  readonly name: string;
  /** Live gauges. */
  gauges(): { inUse: number; idle: number; waiting: number; total: number; oldestWaiterMs: number };
  /** With sqlx emulation: open min_connections now. Resolves when they are open. */
  start(): Promise<void>;
  /** Start a new measurement window (end of warm-up). */
  resetWindow(): void;
  /** Close the measurement window now (acquires in flight are still recorded until the snapshot). */
  endWindow(): void;
  /** A snapshot of the current window. */
  snapshot(): PoolRun;
  /** Close a timeline interval now (the timer does this every interval). */
  tick(): void;
  /**
   * Stop the timer, end the pool (connections close as 'shutdown'), and detach. A connection still
   * held (a hold that outlived the window) after `graceMs` is cut: its socket is destroyed, and the
   * server ends its statement within about a second (client_connection_check_interval).
   */
  close(graceMs?: number): Promise<void>;
  /** Stop recording and restore the pool's own methods (the pool stays open). */
  detach(): void;
}

/** Instrument an existing pool. */
export function instrumentPool(pool: pg.Pool, opts: InstrumentOptions): InstrumentedPool {
  assertPoolInternals(pool, 'instrumentation');
  if (opts.emulateSqlx) assertPoolInternals(pool, 'sqlx emulation');
  const p = pool as PoolInternals;
  const settings = settingsFromPool(pool, opts.settings ?? {});
  const recorder = new Recorder({ pool: opts.name, settings, emulateSqlx: opts.emulateSqlx ?? false, intervalMs: opts.intervalMs, ...(opts.emulateSqlx ? { sqlxBehaviour: SQLX_BEHAVIOUR } : {}) }, nowUs(), Date.now());
  const ledger = new CloseLedger();
  const pending = new Map<number, number>();
  let pendingSeq = 0;
  let inUse = 0;
  let openClients = 0;
  let allClosed: (() => void) | undefined;
  let closing = false;
  let detached = false;

  const gaugesNow = (): { inUse: number; idle: number; waiting: number; total: number } => ({ inUse, idle: pool.idleCount, waiting: pool.waitingCount, total: pool.totalCount });
  const updateGauges = (t: number): void => {
    if (!detached) recorder.setGauges(inUse, pool.idleCount, pool.waitingCount, pool.totalCount, t);
  };

  // Measure connection creation: pg-pool constructs `new this.Client()` right before connecting it.
  const OrigClient = p.Client;
  const origConnect = pool.connect as unknown as (this: pg.Pool, cb?: unknown) => Promise<pg.PoolClient> | undefined;
  class MeasuredClient extends OrigClient {
    constructor(...args: ConstructorParameters<typeof pg.Client>) {
      super(...args);
      ledger.created(this, nowUs());
    }

    // pg-pool emits no event when a new connection fails to open: count it here.
    // pg's typings overload connect() (promise, or a callback); this keeps both, so its type is open.
    override connect(cb?: any): any {
      if (typeof cb === 'function') {
        return super.connect((err: Error | null) => {
          if (err && !detached) recorder.openFailed();
          cb(err);
        });
      }
      return super.connect().catch((err: unknown) => {
        if (!detached) recorder.openFailed();
        throw err;
      });
    }
  }
  p.Client = MeasuredClient as unknown as typeof pg.Client;

  // Every client the pool has opened and not yet removed: close() cuts the ones still held.
  const live = new Set<pg.PoolClient>();
  const onConnect = (client: pg.PoolClient): void => {
    const e = ledger.get(client);
    const t = nowUs();
    openClients++;
    live.add(client);
    if (e) {
      e.opened = true;
      e.createdAtUs = t;
      recorder.opened(t - e.createStartUs);
    }
    updateGauges(t);
  };
  const onRelease = (err: Error | undefined, client: pg.PoolClient): void => ledger.released(err, client, p);
  const onError = (_err: Error, client: pg.PoolClient): void => ledger.errored(client);
  const onRemove = (client: pg.PoolClient): void => {
    live.delete(client);
    const e = ledger.get(client);
    const t = nowUs();
    if (e?.opened) {
      openClients--;
      if (openClients === 0) allClosed?.();
    }
    if (e && e.opened && !detached) {
      recorder.closed(CloseLedger.reasonOf(e, closing || p.ending), (t - e.createdAtUs) / 1e6, t);
    }
    updateGauges(t);
    if (sqlx && !closing && !p.ending) void sqlx.topUp();
  };
  pool.on('connect', onConnect);
  pool.on('release', onRelease);
  pool.on('error', onError);
  pool.on('remove', onRemove);

  /**
   * How an acquire will be served, from the pool's state when it begins. pg-pool routes every
   * connect() through its pending queue until the next tick whenever a client is idle, so its
   * queue length says nothing: an acquire is `idle` when an idle client is free (not already
   * promised to an acquire begun earlier in the same tick), `new` when the pool can still open
   * one, and `queued` only when the pool is full.
   */
  let idleClaims = 0;
  const classify = (): AcquirePath => {
    if (pool.idleCount - idleClaims > 0) return 'idle';
    if (pool.totalCount < p.options.max) return 'new';
    return 'queued';
  };

  const sqlx: SqlxEmulation | undefined = opts.emulateSqlx ? emulateSqlx(p, () => origConnect.call(pool) as Promise<pg.PoolClient>, settings, ledger, () => closing) : undefined;
  const slowLog = slowAcquireLog({ name: opts.name, logger: opts.logger, perSecond: opts.slowLogPerSecond ?? 5, settings, recorder, gauges: gaugesNow });

  const finish = (path: AcquirePath, start: number, id: number, err: Error | undefined, client: pg.PoolClient | undefined): void => {
    const t = nowUs();
    pending.delete(id);
    if (detached) return;
    const wait = t - start;
    let outcome: AcquireOutcome = 'ok';
    if (err) outcome = /timeout/i.test(err.message) ? 'timeout' : 'error';
    if (recorder.acquired(path, wait, outcome)) slowLog(wait, path, t);
    if (client) {
      inUse++;
      const heldFrom = t;
      const level = inUse;
      const release = client.release;
      let released = false;
      client.release = ((releaseErr?: Error | boolean) => {
        if (!released) {
          released = true;
          const rt = nowUs();
          inUse--;
          recorder.released(rt - heldFrom, level, rt);
          // sqlx closes a connection past its lifetime when it comes back.
          if (!releaseErr && sqlx?.expired(ledger.get(client), rt)) {
            const e = ledger.get(client)!;
            e.reason ??= 'expired';
            releaseErr = new Error('closed by the sqlx emulation (expired)');
          }
          const r = release.call(client, releaseErr as Error);
          updateGauges(rt);
          return r;
        }
        return release.call(client, releaseErr as Error);
      }) as typeof client.release;
    }
    updateGauges(t);
  };

  const measuredConnect = function (this: pg.Pool, cb?: (err: Error | undefined, client?: pg.PoolClient, done?: (release?: unknown) => void) => void): unknown {
    if (detached) return origConnect.call(pool, cb as never);
    const path = classify();
    const claimed = path === 'idle';
    if (claimed) idleClaims++;
    const id = ++pendingSeq;
    const start = nowUs();
    pending.set(id, start);
    if (sqlx) {
      const promise = sqlx
        .acquire(() => {
          if (claimed) idleClaims--;
        })
        .then(
        (client) => {
          finish(path, start, id, undefined, client);
          return client;
        },
        (err: Error) => {
          finish(path, start, id, err, undefined);
          throw err;
        },
      );
      updateGauges(start);
      if (typeof cb !== 'function') return promise;
      promise.then(
        (client) => cb(undefined, client, (e?: unknown) => client.release(e as Error)),
        (err: Error) => cb(err),
      );
      return undefined;
    }
    if (typeof cb === 'function') {
      origConnect.call(pool, ((err: Error | undefined, client: pg.PoolClient | undefined) => {
        if (claimed) idleClaims--;
        finish(path, start, id, err, err ? undefined : client);
        cb(err, client, client ? (e?: unknown) => client.release(e as Error) : undefined);
      }) as never);
      updateGauges(start);
      return undefined;
    }
    // pg-pool's callback form under one promise of ours: pg-pool's own promise and a .then() on it
    // would be two promises and an extra turn of the microtask queue per acquire.
    let settled = false;
    const promise = new Promise<pg.PoolClient>((resolve, reject) => {
      origConnect.call(pool, ((err: Error | undefined, client: pg.PoolClient | undefined) => {
        settled = true;
        if (claimed) idleClaims--;
        finish(path, start, id, err, err ? undefined : client);
        if (err) reject(err);
        else resolve(client!);
      }) as never);
    });
    // A pool that is ending answers at once; otherwise the acquire is pending now.
    if (!settled) updateGauges(start);
    return promise;
  };
  pool.connect = measuredConnect as typeof pool.connect;

  const oldestWaiterMs = (): number => {
    const first = pending.values().next();
    return first.done ? 0 : Math.max(0, (nowUs() - first.value) / 1000);
  };
  const tick = (): void => {
    if (!detached) recorder.tick(nowUs(), oldestWaiterMs());
  };
  const timer = setInterval(tick, opts.intervalMs ?? 1000);
  timer.unref();

  const detach = (): void => {
    if (detached) return;
    detached = true;
    clearInterval(timer);
    sqlx?.uninstall();
    pool.connect = origConnect as unknown as typeof pool.connect;
    p.Client = OrigClient;
    pool.removeListener('connect', onConnect);
    pool.removeListener('release', onRelease);
    pool.removeListener('error', onError);
    pool.removeListener('remove', onRemove);
  };

  return {
    pool,
    recorder,
    name: String(opts.name),
    gauges: () => ({ ...gaugesNow(), oldestWaiterMs: oldestWaiterMs() }),
    start: async () => {
      if (sqlx) await sqlx.topUp();
    },
    resetWindow: () => recorder.reset(nowUs(), Date.now()),
    endWindow: () => recorder.markWindowEnd(nowUs(), oldestWaiterMs()),
    snapshot: () => recorder.snapshot(nowUs()),
    tick,
    close: async (graceMs = 1000) => {
      closing = true;
      clearInterval(timer);
      sqlx?.stopReaper();
      // pg-pool resolves end() before it emits 'remove' for each client (after the client's own end):
      // wait for those so every close is counted, but never longer than a few seconds.
      const drained = openClients === 0 ? Promise.resolve() : new Promise<void>((r) => (allClosed = r));
      let graceTimer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((r) => (graceTimer = setTimeout(r, graceMs)));
      const ended = p.ending ? Promise.resolve() : pool.end();
      await Promise.race([ended, grace]);
      clearTimeout(graceTimer);
      for (const c of live) (c as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      await ended.catch(() => {});
      await Promise.race([drained, new Promise((r) => setTimeout(r, 3000).unref())]);
      detach();
    },
    detach,
  };
}

/** Build a pool from a pool's settings and a connection config, and instrument it. */
export function createInstrumentedPool(settings: PoolSettings, connection: pg.PoolConfig, opts: Omit<InstrumentOptions, 'settings'>): InstrumentedPool {
  const options = pgOptionsFromSettings(settings);
  // Under sqlx emulation the wrapper closes expired connections where sqlx does (in the acquire, on release), not pg-pool's timer.
  if (opts.emulateSqlx) delete options.maxLifetimeSeconds;
  const pool = new pg.Pool({ ...connection, ...options });
  // A pool error (a backend killed while idle) must not crash the process; it is counted.
  pool.on('error', () => {});
  return instrumentPool(pool, { ...opts, settings });
}
