/**
 * The instrumented pool: wraps a `pg.Pool` (one it builds from a pool's settings, or one a
 * service hands it) and feeds the {@link Recorder}. As a library it changes nothing about the
 * pool's behaviour by default; `emulateSqlx` (used by `analyze`) behaves as Tasker's sqlx pool
 * does: it opens `min_connections` up front and replaces connections that close while the pool is
 * below min; it pings an idle connection before handing it out (sqlx's `test_before_acquire`, on
 * by default), inside the measured acquire; it reuses idle connections first-in first-out
 * (pg-pool: last-in first-out); and it closes a connection past its lifetime in the acquire that
 * finds it (or when it is released), instead of pg-pool's timer, so the reconnect is paid where
 * sqlx pays it.
 *
 * pg-pool facts this relies on (FACTS.md): `remove` carries no reason, so each client gets a
 * ledger entry and the reason is decided from what happened before its removal; a client that
 * expires while idle gets a fake `acquire`/`release` pair, which never passes through `connect()`
 * and so is never counted as an acquire here.
 */
import pg from 'pg';
import type { PoolName, PoolSettings } from '../../core/config/pools.js';
import { Recorder, type AcquireOutcome } from '../../core/run/recorder.js';
import { LogRateLimiter } from '../../core/run/rateLimit.js';
import type { AcquirePath, CloseReason, PoolRun } from '../../core/run/types.js';

/** Monotonic clock in µs. */
export function nowUs(): number {
  return Number(process.hrtime.bigint()) / 1000;
}

/** pg options for a pool's settings (Tasker key -> pg-pool option). */
export function pgOptionsFromSettings(s: Partial<PoolSettings>): pg.PoolConfig {
  if (s.max_connections !== undefined && s.max_connections < 1) {
    // pg-pool reads max with `||`, so 0 would silently become 10.
    throw new RangeError(`max_connections must be at least 1 (got ${s.max_connections})`);
  }
  return {
    ...(s.max_connections !== undefined ? { max: s.max_connections } : {}),
    ...(s.min_connections !== undefined ? { min: s.min_connections } : {}),
    ...(s.acquire_timeout_seconds !== undefined ? { connectionTimeoutMillis: Math.round(s.acquire_timeout_seconds * 1000) } : {}),
    ...(s.idle_timeout_seconds !== undefined ? { idleTimeoutMillis: Math.round(s.idle_timeout_seconds * 1000) } : {}),
    ...(s.max_lifetime_seconds !== undefined ? { maxLifetimeSeconds: s.max_lifetime_seconds } : {}),
  };
}

/** Settings as pg-pool sees them, for a pool built elsewhere. */
function settingsFromPool(pool: pg.Pool, given: Partial<PoolSettings>): PoolSettings {
  const o = (pool as unknown as { options: Record<string, number | undefined> }).options;
  return {
    max_connections: given.max_connections ?? o.max ?? 10,
    min_connections: given.min_connections ?? o.min ?? 0,
    acquire_timeout_seconds: given.acquire_timeout_seconds ?? (o.connectionTimeoutMillis ?? 0) / 1000,
    idle_timeout_seconds: given.idle_timeout_seconds ?? (o.idleTimeoutMillis ?? 10000) / 1000,
    max_lifetime_seconds: given.max_lifetime_seconds ?? o.maxLifetimeSeconds ?? 0,
    slow_acquire_threshold_ms: given.slow_acquire_threshold_ms ?? 100,
  };
}

/** Options of {@link instrumentPool}. */
export interface InstrumentOptions {
  /** The pool's name in every output (DESIGN.md's pool names for Tasker's pools). */
  name: PoolName | string;
  /** Settings to report and to use for the slow threshold (read from the pool when absent). */
  settings?: Partial<PoolSettings>;
  /** Emulate sqlx: open min up front, replace closed connections below min. Off by default. */
  emulateSqlx?: boolean;
  /** Receives one JSON line per slow acquire (rate-limited). Silent when absent. */
  logger?: (line: string) => void;
  /** Slow-acquire lines allowed per second (default 5). */
  slowLogPerSecond?: number;
  /** Timeline interval, ms (default 1000). */
  intervalMs?: number;
}

interface LedgerEntry {
  createdAtUs: number;
  createStartUs: number;
  /** Set before removal when the reason is known (expired or error). */
  reason?: CloseReason;
  opened: boolean;
  /** Handed out at least once (sqlx pings only connections coming back from idle). */
  used: boolean;
}

/** What the sqlx emulation does, said in the run. */
export const SQLX_BEHAVIOUR = [
  'min_connections opened up front and replaced while the pool is below it',
  'an idle connection is pinged before it is handed out (test_before_acquire), inside the measured acquire',
  'idle connections are reused first-in first-out',
  'a connection past max_lifetime is closed by the acquire that finds it (or on release, or by the reaper every min(max_lifetime, idle_timeout) while idle), and that acquire opens or takes another',
];

type PoolInternals = pg.Pool & {
  Client: typeof pg.Client;
  options: { max: number; min: number };
  _expired?: WeakSet<pg.PoolClient>;
  ending: boolean;
};

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
  /** Stop the timer, end the pool (connections close as 'shutdown'), and detach. */
  close(): Promise<void>;
  /** Stop recording and restore the pool's own methods (the pool stays open). */
  detach(): void;
}

/** Instrument an existing pool. */
export function instrumentPool(pool: pg.Pool, opts: InstrumentOptions): InstrumentedPool {
  const p = pool as PoolInternals;
  const settings = settingsFromPool(pool, opts.settings ?? {});
  const recorder = new Recorder({ pool: opts.name, settings, emulateSqlx: opts.emulateSqlx ?? false, intervalMs: opts.intervalMs, ...(opts.emulateSqlx ? { sqlxBehaviour: SQLX_BEHAVIOUR } : {}) }, nowUs(), Date.now());
  const ledger = new WeakMap<object, LedgerEntry>();
  const limiter = new LogRateLimiter(opts.slowLogPerSecond ?? 5);
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
      const t = nowUs();
      ledger.set(this, { createdAtUs: t, createStartUs: t, opened: false, used: false });
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

  const onConnect = (client: pg.PoolClient): void => {
    const e = ledger.get(client);
    const t = nowUs();
    openClients++;
    if (e) {
      e.opened = true;
      e.createdAtUs = t;
      recorder.opened(t - e.createStartUs);
    }
    updateGauges(t);
  };
  const onRelease = (err: Error | undefined, client: pg.PoolClient): void => {
    const e = ledger.get(client);
    if (!e || e.reason) return;
    const c = client as unknown as { _queryable?: boolean; _ending?: boolean };
    if (err || c._queryable === false || c._ending) e.reason = p.ending ? 'shutdown' : 'error';
    else if (p._expired?.has(client)) e.reason = 'expired';
  };
  const onError = (_err: Error, client: pg.PoolClient): void => {
    const e = ledger.get(client);
    if (e && !e.reason) e.reason = 'error';
  };
  const onRemove = (client: pg.PoolClient): void => {
    const e = ledger.get(client);
    const t = nowUs();
    if (e?.opened) {
      openClients--;
      if (openClients === 0) allClosed?.();
    }
    if (e && e.opened && !detached) {
      const reason: CloseReason = e.reason ?? (closing || p.ending ? 'shutdown' : 'idle');
      recorder.closed(reason, (t - e.createdAtUs) / 1e6, t);
    }
    updateGauges(t);
    if (opts.emulateSqlx && !closing && !p.ending) void topUp();
  };
  pool.on('connect', onConnect);
  pool.on('release', onRelease);
  pool.on('error', onError);
  pool.on('remove', onRemove);

  /**
   * sqlx keeps min_connections open: open what is missing, outside the acquire figures. pg-pool
   * hands out an idle connection before it opens a new one, so the connections taken here are
   * held until the pool has reached min, then all released together.
   */
  let toppingUp = false;
  const topUp = async (): Promise<void> => {
    if (toppingUp || closing) return;
    toppingUp = true;
    const held: pg.PoolClient[] = [];
    try {
      // Never more than max: a min above max (refused by the CLI, possible from code) would hold
      // every connection while waiting for one that can never come, and the pool could not close.
      const want = Math.min(settings.min_connections, p.options.max ?? settings.min_connections);
      for (let i = 0; i < want && !closing && !p.ending; i++) {
        // A pool with waiters is busy growing anyway; and never take more than min.
        if (pool.totalCount >= want || pool.waitingCount > 0) break;
        const c = await (origConnect.call(pool) as Promise<pg.PoolClient>);
        // Pre-opened connections wait in idle like any other: sqlx pings them at their first acquire.
        const e = ledger.get(c);
        if (e) e.used = true;
        held.push(c);
      }
    } catch {
      // The server refused a connection: the next close or the next run will try again.
    } finally {
      for (const c of held) c.release();
      toppingUp = false;
    }
  };

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

  const lifetimeUs = opts.emulateSqlx && settings.max_lifetime_seconds > 0 ? settings.max_lifetime_seconds * 1e6 : 0;
  const expired = (e: LedgerEntry | undefined, t: number): boolean => lifetimeUs > 0 && e !== undefined && e.opened && t - e.createdAtUs >= lifetimeUs;
  /** Close a client the pool handed out (pg-pool destroys a client released with an error). */
  const discard = (client: pg.PoolClient, reason: CloseReason, err?: Error): void => {
    const e = ledger.get(client);
    if (e && !e.reason) e.reason = reason;
    client.release(err ?? new Error(`closed by the sqlx emulation (${reason})`));
  };
  /** sqlx's acquire: take a connection, close it when past its lifetime, ping it when it comes from idle. */
  const acquireSqlx = async (claimed: boolean): Promise<pg.PoolClient> => {
    let claim = claimed;
    for (;;) {
      let client: pg.PoolClient;
      try {
        client = await (origConnect.call(pool) as Promise<pg.PoolClient>);
      } finally {
        if (claim) idleClaims--;
        claim = false;
      }
      const e = ledger.get(client);
      if (expired(e, nowUs())) {
        discard(client, 'expired');
        continue;
      }
      if (e?.used) {
        try {
          await client.query('');
        } catch (err) {
          discard(client, 'error', err as Error);
          continue;
        }
      }
      if (e) e.used = true;
      return client;
    }
  };
  /**
   * sqlx's reaper: every min(max_lifetime, idle_timeout) it closes the idle connections past their
   * lifetime (and tops the pool back up to min). Between its runs an acquire that finds an expired
   * connection closes it itself.
   */
  const reapEveryMs = lifetimeUs > 0 ? Math.min(settings.max_lifetime_seconds, settings.idle_timeout_seconds > 0 ? settings.idle_timeout_seconds : Infinity) * 1000 : 0;
  const reap = (): void => {
    const idleNow = (p as unknown as { _idle: Array<{ client: pg.PoolClient }> })._idle;
    const t = nowUs();
    for (const item of [...idleNow]) {
      const e = ledger.get(item.client);
      if (!expired(e, t)) continue;
      e!.reason ??= 'expired';
      (p as unknown as { _remove(c: pg.PoolClient, cb: () => void): void })._remove(item.client, () => (p as unknown as { _pulseQueue(): void })._pulseQueue());
    }
  };
  const reaper = reapEveryMs > 0 ? setInterval(reap, reapEveryMs) : undefined;
  reaper?.unref();
  // FIFO idle reuse: pg-pool takes idle clients with pop(); make its idle list hand out the oldest.
  const idleList = (p as unknown as { _idle?: unknown[] })._idle;
  if (opts.emulateSqlx && Array.isArray(idleList)) {
    Object.defineProperty(idleList, 'pop', { value: function (this: unknown[]) { return this.shift(); }, configurable: true, writable: true });
  }

  const slowLog = (waitUs: number, path: AcquirePath, t: number): void => {
    if (!opts.logger) return;
    const suppressed = limiter.take(t);
    if (suppressed < 0) {
      recorder.counters.slowSuppressed++;
      return;
    }
    const g = gaugesNow();
    opts.logger(
      JSON.stringify({
        level: 'warn',
        msg: 'slow acquire',
        pool: opts.name,
        wait_ms: Math.round(waitUs / 100) / 10,
        threshold_ms: settings.slow_acquire_threshold_ms,
        path,
        active_connections: g.inUse,
        idle_connections: g.idle,
        waiting: g.waiting,
        total_connections: g.total,
        max_connections: settings.max_connections,
        ...(suppressed > 0 ? { suppressed } : {}),
      }),
    );
  };

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
          recorder.released(rt - heldFrom, level);
          // sqlx closes a connection past its lifetime when it comes back.
          if (!releaseErr && expired(ledger.get(client), rt)) {
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
    if (opts.emulateSqlx) {
      const promise = acquireSqlx(claimed).then(
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
    const promise = (origConnect.call(pool) as Promise<pg.PoolClient>).then(
      (client) => {
        if (claimed) idleClaims--;
        finish(path, start, id, undefined, client);
        return client;
      },
      (err: Error) => {
        if (claimed) idleClaims--;
        finish(path, start, id, err, undefined);
        throw err;
      },
    );
    updateGauges(start);
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
    if (reaper) clearInterval(reaper);
    pool.connect = origConnect as unknown as typeof pool.connect;
    p.Client = OrigClient;
    if (idleList && Object.prototype.hasOwnProperty.call(idleList, 'pop')) delete (idleList as { pop?: unknown }).pop;
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
      if (opts.emulateSqlx) await topUp();
    },
    resetWindow: () => recorder.reset(nowUs(), Date.now()),
    endWindow: () => recorder.markWindowEnd(nowUs(), oldestWaiterMs()),
    snapshot: () => recorder.snapshot(nowUs()),
    tick,
    close: async () => {
      closing = true;
      clearInterval(timer);
      if (reaper) clearInterval(reaper);
      // pg-pool resolves end() before it emits 'remove' for each client (after the client's own end):
      // wait for those so every close is counted, but never longer than a few seconds.
      const drained = openClients === 0 ? Promise.resolve() : new Promise<void>((r) => (allClosed = r));
      if (!p.ending) await pool.end();
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
