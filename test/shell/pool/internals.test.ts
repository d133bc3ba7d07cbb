/**
 * The private parts of pg-pool, pg and hdr-histogram-js this project reads. An upgrade that renames
 * or reshapes any of them fails here with a message that names the part and the version, before a
 * run can fail half way (the pins are in package.json; the checks in src/shell/pool/internals.ts and
 * src/core/run/histogram.ts). The behaviour behind them (FIFO reuse, the reaper, expired closes) is
 * tested against a real PostgreSQL in sqlx.test.ts and instrumentedPool.test.ts.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { assertPoolInternals, installedVersion as versionOf, missingInternals, TESTED_PG_POOL } from '../../../src/shell/pool/internals.js';

describe("pg-pool's internals", () => {
  const pgPool = versionOf('pg-pool');

  it(`the installed pg-pool is the one the internals were read from (${TESTED_PG_POOL})`, () => {
    expect(pgPool, `pg-pool ${pgPool} is installed; src/shell/pool/internals.ts was checked against ${TESTED_PG_POOL}: re-read its internals, then update TESTED_PG_POOL and the override in package.json`).toBe(TESTED_PG_POOL);
  });

  it('a pool has every internal the instrumentation and the sqlx emulation use, of the kind they use', async () => {
    const pool = new pg.Pool({ max: 2 });
    try {
      for (const use of ['instrumentation', 'sqlx emulation'] as const) {
        expect(missingInternals(pool, use), `pg-pool ${pgPool} changed the internals the ${use} reads`).toEqual([]);
      }
    } finally {
      await pool.end();
    }
  });

  it('a pool without them is refused with one line naming each part and the versions', () => {
    const fake = { Client: pg.Client, options: {}, _idle: {}, _remove: () => undefined };
    expect(missingInternals(fake, 'instrumentation')).toEqual(['_expired (WeakSet)']);
    expect(missingInternals(fake, 'sqlx emulation')).toEqual(['_idle (Array)', '_pulseQueue (function)']);
    expect(() => assertPoolInternals(fake, 'sqlx emulation')).toThrow(
      `the pg pool lacks pg-pool internals the sqlx emulation needs: _idle (Array), _pulseQueue (function) (pool-advisor is tested with pg-pool ${TESTED_PG_POOL}; this process resolves pg-pool ${pgPool})`,
    );
  });

  it("pg's Client has the state flags the close ledger reads (_queryable, _ending)", () => {
    const c = new pg.Client() as unknown as Record<string, unknown>;
    expect([typeof c._queryable, typeof c._ending], `pg ${versionOf('pg')} changed Client's _queryable/_ending`).toEqual(['boolean', 'boolean']);
  });
});
