import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { pgUrl } from '../../helpers/pg.js';
import { createInstrumentedPool, instrumentPool, type InstrumentedPool } from '../../../src/shell/pool/instrumentedPool.js';
import { decode } from '../../../src/core/run/histogram.js';
import type { PoolSettings } from '../../../src/core/config/pools.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let seq = 0;
const open: InstrumentedPool[] = [];

function settings(over: Partial<PoolSettings>): PoolSettings {
  return {
    max_connections: 4,
    min_connections: 0,
    acquire_timeout_seconds: 5,
    idle_timeout_seconds: 60,
    max_lifetime_seconds: 0,
    slow_acquire_threshold_ms: 100,
    ...over,
  };
}

function make(over: Partial<PoolSettings>, extra: { emulateSqlx?: boolean; logger?: (l: string) => void } = {}) {
  const app = `pa-test-${process.pid}-${++seq}`;
  const ip = createInstrumentedPool(settings(over), { connectionString: pgUrl(), application_name: app }, { name: 'database', ...extra });
  open.push(ip);
  return { ip, app };
}

async function backends(app: string): Promise<number[]> {
  const c = new pg.Client({ connectionString: pgUrl() });
  await c.connect();
  const r = await c.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1 ORDER BY pid', [app]);
  await c.end();
  return r.rows.map((x) => x.pid);
}

afterEach(async () => {
  while (open.length) await open.pop()!.close().catch(() => {});
});

describe('instrumented pool on a real PostgreSQL', () => {
  it('counts exactly the connections closed for age, cross-checked with the server, and no phantom acquires', async () => {
    const { ip, app } = make({ max_connections: 3, max_lifetime_seconds: 1, idle_timeout_seconds: 60 });
    // Open 3 connections at once, hold them, release: they sit idle and expire together ~1 s later.
    const clients = await Promise.all([1, 2, 3].map(() => ip.pool.connect()));
    const pidsBefore = await backends(app);
    expect(pidsBefore).toHaveLength(3);
    for (const c of clients) c.release();
    await sleep(1600);
    const pidsAfter = await backends(app);
    const gone = pidsBefore.filter((p) => !pidsAfter.includes(p));
    const snap = ip.snapshot();
    expect(gone).toHaveLength(3);
    expect(snap.counters.closed.expired).toBe(gone.length);
    expect(snap.counters.closed.idle).toBe(0);
    // pg-pool fires a fake acquire/release for each idle expiry: none may count.
    expect(snap.counters.acquires).toBe(3);
    expect(snap.counters.releases).toBe(3);
    expect(snap.counters.created).toBe(3);
    expect(snap.expiryTimes).toHaveLength(3);
  });

  it('a connection that expires while checked out is removed on release and counted as expired', async () => {
    const { ip } = make({ max_connections: 1, max_lifetime_seconds: 1 });
    const c = await ip.pool.connect();
    await sleep(1200);
    c.release();
    await sleep(100);
    expect(ip.snapshot().counters.closed).toEqual({ expired: 1, idle: 0, error: 0, shutdown: 0 });
  });

  it('counts idle-timeout closures as idle', async () => {
    const { ip, app } = make({ max_connections: 2, idle_timeout_seconds: 1 });
    const a = await ip.pool.connect();
    const b = await ip.pool.connect();
    a.release();
    b.release();
    expect(await backends(app)).toHaveLength(2);
    await sleep(1500);
    expect(await backends(app)).toHaveLength(0);
    const s = ip.snapshot();
    expect(s.counters.closed).toEqual({ expired: 0, idle: 2, error: 0, shutdown: 0 });
    expect(s.idleClosedAges).toHaveLength(2);
  });

  it('an exhausted pool times out: counted, kept in the distribution, and the caller gets pg\'s error', async () => {
    const { ip } = make({ max_connections: 1, acquire_timeout_seconds: 0.3 });
    const held = await ip.pool.connect();
    const err = await ip.pool.connect().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toBe('timeout exceeded when trying to connect');
    held.release();
    const s = ip.snapshot();
    expect(s.counters.timeouts).toBe(1);
    expect(s.counters.acquires).toBe(2);
    expect(s.counters.byPath.queued).toBe(1);
    const wait = decode(s.histograms.wait);
    expect(wait.totalCount).toBe(2);
    expect(wait.maxValue).toBeGreaterThanOrEqual(290_000);
  });

  it('the slow log fires above the threshold and never below, with the pool state', async () => {
    const lines: string[] = [];
    const { ip } = make({ max_connections: 1, slow_acquire_threshold_ms: 50 }, { logger: (l) => lines.push(l) });
    // Fast acquires: idle connection handed out, far below 50 ms.
    for (let i = 0; i < 20; i++) (await ip.pool.connect()).release();
    expect(lines).toHaveLength(0);
    const held = await ip.pool.connect();
    const waiter = ip.pool.connect();
    await sleep(120);
    held.release();
    (await waiter).release();
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ msg: 'slow acquire', pool: 'database', threshold_ms: 50, path: 'queued', max_connections: 1 });
    expect(entry.wait_ms).toBeGreaterThanOrEqual(100);
    expect(ip.snapshot().counters.slow).toBe(1);
  });

  it('the slow log is rate-limited and reports what it suppressed', async () => {
    const lines: string[] = [];
    const { ip } = make({ max_connections: 1, slow_acquire_threshold_ms: 10 }, { logger: (l) => lines.push(l) });
    const held = await ip.pool.connect();
    const waiters = Array.from({ length: 30 }, () => ip.pool.connect().then((c) => (c.release(), c)));
    await sleep(40);
    held.release();
    await Promise.all(waiters);
    const s = ip.snapshot();
    expect(s.counters.slow).toBeGreaterThanOrEqual(25);
    expect(lines.length).toBeLessThanOrEqual(5);
    expect(lines.length + s.counters.slowSuppressed).toBe(s.counters.slow);
  });

  it('with sqlx emulation, min connections exist right after start and stay at min when some expire', async () => {
    const { ip, app } = make({ max_connections: 5, min_connections: 3, max_lifetime_seconds: 1 }, { emulateSqlx: true });
    await ip.start();
    expect(await backends(app)).toHaveLength(3);
    const first = await backends(app);
    // sqlx's reaper runs every min(max_lifetime, idle_timeout) = 1 s: by 2.6 s it has closed and replaced them.
    await sleep(2600);
    const after = await backends(app);
    expect(after).toHaveLength(3);
    expect(after.filter((p) => first.includes(p))).toHaveLength(0);
    const s = ip.snapshot();
    expect(s.counters.closed.expired).toBeGreaterThanOrEqual(3);
    // Top-up connections are not acquires.
    expect(s.counters.acquires).toBe(0);
  });

  it('without emulation, an existing pool behaves exactly as before: no pre-open, no replacement', async () => {
    const app = `pa-test-${process.pid}-${++seq}`;
    const pool = new pg.Pool({ connectionString: pgUrl(), application_name: app, max: 3, min: 2, maxLifetimeSeconds: 1 });
    const ip = instrumentPool(pool, { name: 'svc' });
    open.push(ip);
    await ip.start();
    expect(await backends(app)).toHaveLength(0);
    const r = await pool.query('SELECT 41 + 1 AS v');
    expect(r.rows[0].v).toBe(42);
    expect(await backends(app)).toHaveLength(1);
    await sleep(1400);
    // pg-pool does not replace an expired connection.
    expect(await backends(app)).toHaveLength(0);
    const s = ip.snapshot();
    expect(s.counters).toMatchObject({ acquires: 1, releases: 1, created: 1, closed: { expired: 1, idle: 0, error: 0, shutdown: 0 } });
    ip.detach();
    expect((pool as unknown as { Client: unknown }).Client).toBe(pg.Client);
    await pool.end();
  });

  it('measures create, hold and exact occupancy', async () => {
    const { ip } = make({ max_connections: 2 });
    const c = await ip.pool.connect();
    await sleep(200);
    c.release();
    await sleep(200);
    const s = ip.snapshot();
    expect(decode(s.histograms.create).totalCount).toBe(1);
    const hold = decode(s.histograms.hold);
    expect(hold.totalCount).toBe(1);
    expect(hold.maxValue).toBeGreaterThanOrEqual(195_000);
    const inUse = s.occupancy.inUse;
    const at1 = inUse.levels.find(([lv]) => lv === 1)?.[1] ?? 0;
    expect(at1 / 1000).toBeGreaterThan(190);
    expect(at1 / 1000).toBeLessThan(300);
    expect(s.holdByInUse.levels).toEqual([[1, 1, expect.any(Number), expect.any(Number)]]);
  });

  it('a connection that fails to open counts as a create error and an acquire error', async () => {
    const ip = createInstrumentedPool(settings({ max_connections: 2 }), { host: '127.0.0.1', port: 1, user: 'x', database: 'x' }, { name: 'database' });
    open.push(ip);
    const err = await ip.pool.connect().then(
      () => undefined,
      (e: Error & { code?: string }) => e,
    );
    expect(err?.code).toBe('ECONNREFUSED');
    const s = ip.snapshot();
    expect(s.counters).toMatchObject({ acquires: 1, errors: 1, created: 0, createErrors: 1 });
  });

  it('shutdown closes count as shutdown', async () => {
    const { ip } = make({ max_connections: 2 });
    const a = await ip.pool.connect();
    a.release();
    const before = ip.recorder;
    await ip.close();
    open.pop();
    expect(before.counters.closed.shutdown).toBe(1);
  });
});
