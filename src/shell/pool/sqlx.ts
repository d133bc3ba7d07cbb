/**
 * The sqlx emulation (`emulateSqlx`, used by `analyze`): Tasker's sqlx pool opens
 * `min_connections` up front and replaces connections that close while the pool is below min; it
 * pings an idle connection before handing it out (`test_before_acquire`, on by default), inside
 * the measured acquire; it reuses idle connections first-in first-out (pg-pool: last-in
 * first-out); and it closes a connection past its lifetime in the acquire that finds it (or when
 * it is released, or by its reaper), instead of pg-pool's timer, so the reconnect is paid where
 * sqlx pays it.
 */
import type pg from 'pg';
import type { PoolSettings } from '../../core/config/pools.js';
import type { CloseReason } from '../../core/run/types.js';
import { nowUs } from '../clock.js';
import type { CloseLedger, LedgerEntry, PoolInternals } from './ledger.js';

/** What the sqlx emulation does, said in the run. */
export const SQLX_BEHAVIOUR = [
  'min_connections opened up front and replaced while the pool is below it',
  'an idle connection is pinged before it is handed out (test_before_acquire), inside the measured acquire',
  'idle connections are reused first-in first-out',
  'a connection past max_lifetime is closed by the acquire that finds it (or on release, or by the reaper every min(max_lifetime, idle_timeout) while idle), and that acquire opens or takes another',
];

/** sqlx's behaviour on a pg pool. */
export interface SqlxEmulation {
  /** Open what is missing up to min_connections, outside the acquire figures. */
  topUp(): Promise<void>;
  /** sqlx's acquire: take a connection, close it when past its lifetime, ping it when it comes from idle; `taken` runs once pg-pool has answered the first request. */
  acquire(taken: () => void): Promise<pg.PoolClient>;
  /** Whether a client is past its lifetime at `t` (µs). */
  expired(e: LedgerEntry | undefined, t: number): boolean;
  /** Stop the reaper. */
  stopReaper(): void;
  /** Stop the reaper and give the pool back its own idle order. */
  uninstall(): void;
}

/** Put sqlx's behaviour on a pool; `connect` is the pool's own connect(), `closing` whether the instrumented pool is being closed. */
export function emulateSqlx(pool: PoolInternals, connect: () => Promise<pg.PoolClient>, settings: PoolSettings, ledger: CloseLedger, closing: () => boolean): SqlxEmulation {
  /**
   * sqlx keeps min_connections open: open what is missing, outside the acquire figures. pg-pool
   * hands out an idle connection before it opens a new one, so the connections taken here are
   * held until the pool has reached min, then all released together.
   */
  let toppingUp = false;
  const topUp = async (): Promise<void> => {
    if (toppingUp || closing()) return;
    toppingUp = true;
    const held: pg.PoolClient[] = [];
    try {
      // Never more than max: a min above max (refused by the CLI, possible from code) would hold
      // every connection while waiting for one that can never come, and the pool could not close.
      const want = Math.min(settings.min_connections, pool.options.max ?? settings.min_connections);
      for (let i = 0; i < want && !closing() && !pool.ending; i++) {
        // A pool with waiters is busy growing anyway; and never take more than min.
        if (pool.totalCount >= want || pool.waitingCount > 0) break;
        const c = await connect();
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

  const lifetimeUs = settings.max_lifetime_seconds > 0 ? settings.max_lifetime_seconds * 1e6 : 0;
  const expired = (e: LedgerEntry | undefined, t: number): boolean => lifetimeUs > 0 && e !== undefined && e.opened && t - e.createdAtUs >= lifetimeUs;
  /** Close a client the pool handed out (pg-pool destroys a client released with an error). */
  const discard = (client: pg.PoolClient, reason: CloseReason, err?: Error): void => {
    const e = ledger.get(client);
    if (e && !e.reason) e.reason = reason;
    client.release(err ?? new Error(`closed by the sqlx emulation (${reason})`));
  };
  const acquire = async (taken: () => void): Promise<pg.PoolClient> => {
    let first = true;
    for (;;) {
      let client: pg.PoolClient;
      try {
        client = await connect();
      } finally {
        if (first) taken();
        first = false;
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
    const idleNow = pool._idle;
    const t = nowUs();
    for (const item of [...idleNow]) {
      const e = ledger.get(item.client);
      if (!expired(e, t)) continue;
      e!.reason ??= 'expired';
      pool._remove(item.client, () => pool._pulseQueue());
    }
  };
  const reaper = reapEveryMs > 0 ? setInterval(reap, reapEveryMs) : undefined;
  reaper?.unref();
  // FIFO idle reuse: pg-pool takes idle clients with pop(); make its idle list hand out the oldest.
  Object.defineProperty(pool._idle, 'pop', { value: function (this: unknown[]) { return this.shift(); }, configurable: true, writable: true });
  const stopReaper = (): void => {
    if (reaper) clearInterval(reaper);
  };

  return {
    topUp,
    acquire,
    expired,
    stopReaper,
    uninstall: () => {
      stopReaper();
      if (Object.prototype.hasOwnProperty.call(pool._idle, 'pop')) delete (pool._idle as { pop?: unknown }).pop;
    },
  };
}
