/** PgBouncer's admin console readings into figures (src/core/observe/pgbouncer.ts). */
import { describe, expect, it } from 'vitest';
import { pgBouncerPoolEvidence, pgBouncerSign, summarizePgBouncer, type PgBouncerPoolRow } from '../../../src/core/observe/pgbouncer.js';

const pool = (database: string, clWaiting: number, maxwaitS: number, over: Partial<PgBouncerPoolRow> = {}): PgBouncerPoolRow => ({
  database,
  user: 'app',
  clActive: 4,
  clWaiting,
  svActive: 3,
  svIdle: 0,
  svUsed: 0,
  maxwaitS,
  poolMode: 'transaction',
  ...over,
});

describe('summarizePgBouncer', () => {
  const reading = summarizePgBouncer({
    console: 'postgresql://stats@bouncer:6432/pgbouncer',
    version: 'PgBouncer 1.18.0',
    databases: [
      { name: 'app', poolSize: 3, reservePool: 1, poolMode: null },
      { name: 'pgbouncer', poolSize: 2, reservePool: 0, poolMode: 'statement' },
    ],
    statsStart: {
      atMs: 1_000,
      rows: [
        { database: 'app', xacts: 100, queries: 150, xactTimeUs: 1_000_000, waitTimeUs: 2_000_000 },
        { database: 'pgbouncer', xacts: 5, queries: 5, xactTimeUs: 0, waitTimeUs: 0 },
      ],
    },
    statsEnd: {
      atMs: 11_000,
      rows: [
        { database: 'app', xacts: 600, queries: 900, xactTimeUs: 11_000_000, waitTimeUs: 7_000_000 },
        { database: 'new', xacts: 10, queries: 10, xactTimeUs: 100_000, waitTimeUs: 0 },
        { database: 'pgbouncer', xacts: 9, queries: 9, xactTimeUs: 0, waitTimeUs: 0 },
      ],
    },
    pools: [
      { atMs: 2_000, rows: [pool('app', 0, 0), pool('pgbouncer', 0, 0, { user: 'pgbouncer', poolMode: 'statement' })] },
      { atMs: 3_000, rows: [pool('app', 3, 0.04)] },
      { atMs: 4_000, rows: [pool('app', 1, 0.012)] },
    ],
  });

  it('takes the SHOW STATS deltas per database over the window, the admin console left out', () => {
    expect(reading.durationMs).toBe(10_000);
    expect(reading.databases.map((d) => d.database)).toEqual(['app', 'new']);
    const app = reading.databases[0]!;
    expect(app.xacts).toBe(500);
    expect(app.queries).toBe(750);
    expect(app.waitTotalS).toBeCloseTo(5, 9);
    expect(app.waitPerXactMs).toBeCloseTo(10, 9);
    // Little's law: 5 s of waiting over a 10 s window.
    expect(app.waitingMean).toBeCloseTo(0.5, 9);
    expect(app.xactMeanMs).toBeCloseTo(20, 9);
    // A database that appeared during the window counts from zero.
    expect(reading.databases[1]!.xacts).toBe(10);
  });

  it('averages SHOW POOLS per database and user, with the most waiting and the longest wait seen', () => {
    expect(reading.pools).toHaveLength(1);
    const p = reading.pools[0]!;
    expect([p.database, p.user, p.poolMode, p.reads]).toEqual(['app', 'app', 'transaction', 3]);
    expect(p.clWaitingMean).toBeCloseTo(4 / 3, 9);
    expect(p.clWaitingMax).toBe(3);
    expect(p.maxwaitMaxS).toBeCloseTo(0.04, 9);
    // Clients active (4 at every read) and waiting (0, 3, 1) at once: at most 7.
    expect(p.clientsMax).toBe(7);
    expect(pgBouncerSign(reading)).toBe("PgBouncer 1.18.0's admin console at postgresql://stats@bouncer:6432/pgbouncer answered (pool_mode transaction): the server's connections are its pools'");
  });

  it('as evidence: a proxy pool per database with transactions, its size from SHOW DATABASES (none read: null)', () => {
    const [app, fresh, ...rest] = pgBouncerPoolEvidence(reading);
    expect(rest).toEqual([]);
    expect(app).toEqual({
      proxy: 'PgBouncer 1.18.0',
      console: 'postgresql://stats@bouncer:6432/pgbouncer',
      database: 'app',
      poolMode: 'transaction',
      users: 1,
      size: 3,
      reservePool: 1,
      xacts: 500,
      xactMeanUs: 20_000,
      waitTotalUs: 5_000_000,
      waitingMean: 4 / 3,
      waitingMax: 3,
      clientsMax: 7,
      maxwaitUs: 40_000,
      startedAt: 1_000,
      windowMs: 10_000,
    });
    // A database SHOW DATABASES did not list, and no SHOW POOLS row: no size, no mode, no pools.
    expect([fresh!.database, fresh!.size, fresh!.reservePool, fresh!.users, fresh!.poolMode]).toEqual(['new', null, null, 0, '']);
  });
});
