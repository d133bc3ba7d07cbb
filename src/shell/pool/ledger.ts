/**
 * The close ledger: pg-pool's `remove` event carries no reason (docs/facts.md), so each client gets an
 * entry when it is constructed, and why it closed is decided from what happened before its
 * removal: released with an error or broken (error, or shutdown while the pool ends), released
 * after pg-pool marked it expired, an `error` event while idle, a reason set by the sqlx emulation,
 * else an idle timeout (or shutdown when the pool is closing).
 */
import type pg from 'pg';
import type { CloseReason } from '../../core/run/types.js';

/** pg-pool's internals the instrumentation and the sqlx emulation read (checked by internals.ts). */
export type PoolInternals = pg.Pool & {
  Client: typeof pg.Client;
  options: { max: number; min: number };
  _expired: WeakSet<pg.PoolClient>;
  _idle: Array<{ client: pg.PoolClient }>;
  _remove(client: pg.PoolClient, callback: () => void): void;
  _pulseQueue(): void;
  ending: boolean;
};

/** What is known of one client. */
export interface LedgerEntry {
  createdAtUs: number;
  createStartUs: number;
  /** Set before removal when the reason is known (expired or error). */
  reason?: CloseReason;
  opened: boolean;
  /** Handed out at least once (sqlx pings only connections coming back from idle). */
  used: boolean;
}

/** One entry per client of a pool. */
export class CloseLedger {
  private readonly entries = new WeakMap<object, LedgerEntry>();

  /** A client was constructed at `t` (pg-pool connects it right after). */
  created(client: object, t: number): void {
    this.entries.set(client, { createdAtUs: t, createStartUs: t, opened: false, used: false });
  }

  get(client: object): LedgerEntry | undefined {
    return this.entries.get(client);
  }

  /** pg-pool's `release` event: a client released with an error or broken will close with that reason; one pg-pool marked expired, as expired. */
  released(err: Error | undefined, client: pg.PoolClient, pool: PoolInternals): void {
    const e = this.entries.get(client);
    if (!e || e.reason) return;
    const c = client as unknown as { _queryable?: boolean; _ending?: boolean };
    if (err || c._queryable === false || c._ending) e.reason = pool.ending ? 'shutdown' : 'error';
    else if (pool._expired.has(client)) e.reason = 'expired';
  }

  /** pg-pool's `error` event of an idle client. */
  errored(client: pg.PoolClient): void {
    const e = this.entries.get(client);
    if (e && !e.reason) e.reason = 'error';
  }

  /** Why an opened client is being removed: the reason recorded before, else idle (shutdown when the pool is closing). */
  static reasonOf(e: LedgerEntry, closing: boolean): CloseReason {
    return e.reason ?? (closing ? 'shutdown' : 'idle');
  }
}
