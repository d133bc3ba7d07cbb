/**
 * What the instrumented pool measures must be what Tasker's pools do: acquires classified by what
 * happened (issue 13, defect 4), and, under sqlx emulation, sqlx's acquire (defect 11): a ping
 * before an idle connection is handed out, idle connections reused first-in first-out, and a
 * connection past its lifetime closed by the acquire that finds it. All on the real PostgreSQL.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { pgUrl } from '../../helpers/pg.js';
import { createInstrumentedPool, type InstrumentedPool } from '../../../src/shell/pool/instrumentedPool.js';
import type { PoolSettings } from '../../../src/core/config/pools.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let seq = 0;
const open: InstrumentedPool[] = [];

function make(over: Partial<PoolSettings>, emulateSqlx: boolean) {
  const app = `pa-sqlx-${process.pid}-${++seq}`;
  const settings: PoolSettings = { max_connections: 4, min_connections: 0, acquire_timeout_seconds: 5, idle_timeout_seconds: 3600, max_lifetime_seconds: 0, slow_acquire_threshold_ms: 100, ...over };
  const ip = createInstrumentedPool(settings, { connectionString: pgUrl(), application_name: app }, { name: 'database', emulateSqlx });
  open.push(ip);
  return { ip, app };
}

async function admin<T>(f: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: pgUrl() });
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end();
  }
}

const pidOf = async (c: pg.PoolClient): Promise<number> => (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

afterEach(async () => {
  while (open.length) await open.pop()!.close().catch(() => {});
});

describe('acquire paths are classified by what happened', () => {
  for (const emulateSqlx of [false, true]) {
    it(`light load on 20 idle connections: every acquire is "idle", none "waited"${emulateSqlx ? ' (sqlx emulation)' : ''}`, async () => {
      const { ip } = make({ max_connections: 20, min_connections: 20 }, emulateSqlx);
      // Open all 20 and let them go idle.
      const warm = await Promise.all(Array.from({ length: 20 }, () => ip.pool.connect()));
      for (const c of warm) c.release();
      ip.resetWindow();
      // Bursts of 4 acquires in the same tick, well under the 20 idle: pg-pool routes each through its
      // pending queue until the next tick, which must not count as queueing.
      for (let i = 0; i < 25; i++) {
        const cs = await Promise.all([1, 2, 3, 4].map(() => ip.pool.connect()));
        await Promise.all(cs.map((c) => c.query('SELECT 1')));
        for (const c of cs) c.release();
      }
      const s = ip.snapshot();
      expect(s.counters.acquires).toBe(100);
      expect(s.counters.byPath).toEqual({ idle: 100, new: 0, queued: 0 });
      expect(s.counters.waited).toBe(0);
    });
  }

  it('a full pool still counts "queued", and a pool with room "new"', async () => {
    const { ip } = make({ max_connections: 2 }, false);
    const [a, b] = await Promise.all([ip.pool.connect(), ip.pool.connect()]);
    const third = ip.pool.connect();
    await sleep(20);
    a!.release();
    (await third).release();
    b!.release();
    expect(ip.snapshot().counters.byPath).toEqual({ idle: 0, new: 2, queued: 1 });
  });
});

describe('sqlx emulation', () => {
  it('pings an idle connection before handing it out: a backend killed while idle is replaced inside the acquire, and the caller never sees it', async () => {
    const { ip } = make({ max_connections: 1 }, true);
    const c1 = await ip.pool.connect();
    const pid = await pidOf(c1);
    c1.release();
    await admin((c) => c.query('SELECT pg_terminate_backend($1)', [pid]));
    await sleep(100);
    const c2 = await ip.pool.connect();
    // Without the ping this query would fail on the dead connection.
    const pid2 = await pidOf(c2);
    c2.release();
    expect(pid2).not.toBe(pid);
    expect(ip.recorder.counters.created).toBe(2);
  });

  it('reuses idle connections first-in first-out (pg-pool: last-in first-out)', async () => {
    const order = async (emulate: boolean): Promise<number[]> => {
      const { ip } = make({ max_connections: 3 }, emulate);
      const cs = await Promise.all([1, 2, 3].map(() => ip.pool.connect()));
      const pids = await Promise.all(cs.map(pidOf));
      for (const c of cs) c.release();
      // Three single acquires in a row: FIFO rotates through all three, LIFO takes the same one.
      const seen: number[] = [];
      for (let i = 0; i < 3; i++) {
        const c = await ip.pool.connect();
        seen.push(pids.indexOf(await pidOf(c)));
        c.release();
      }
      return seen;
    };
    expect(await order(true)).toEqual([0, 1, 2]);
    expect(new Set(await order(false)).size).toBe(1);
  });

  it('closes a connection past its lifetime in the acquire that finds it, and that acquire opens another', async () => {
    // Lifetime 3 s: the reaper runs at 3 s and 6 s; the connection opened at about 1 s is 2 s old at
    // the first run, and expired but not yet reaped at about 4.5 s, when the acquire finds it.
    const { ip } = make({ max_connections: 2, max_lifetime_seconds: 3 }, true);
    await sleep(1000);
    const c1 = await ip.pool.connect();
    const pid = await pidOf(c1);
    c1.release();
    await sleep(3500);
    const before = ip.recorder.counters.closed.expired;
    const c2 = await ip.pool.connect();
    const pid2 = await pidOf(c2);
    c2.release();
    expect(before, 'reaped before the acquire').toBe(0);
    expect(pid2).not.toBe(pid);
    // The close is counted when pg-pool removes the client, after its connection has ended (a round trip later).
    for (let i = 0; i < 100 && ip.recorder.counters.closed.expired === 0; i++) await sleep(20);
    expect(ip.recorder.counters.closed.expired).toBe(1);
    expect(ip.recorder.counters.created).toBe(2);
    expect(ip.snapshot().sqlxBehaviour?.join(' ')).toContain('first-in first-out');
  });
});
