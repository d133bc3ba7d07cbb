import { describe, expect, it } from 'vitest';
import { proxyPoolFindings, PROXY_MIN_XACTS } from '../../../src/core/rules/proxyPool.js';
import { erlangC } from '../../../src/core/model/queue.js';
import type { ProxyPoolEvidence } from '../../../src/core/evidence/types.js';

// 80 transactions a second holding a server connection 30 ms on PgBouncer's 3 (offered load 2.4),
// over 15 s, clients waiting 30 ms per transaction by the console's count (which counts that wait in
// the transaction's time: 60 ms).
const BASE: ProxyPoolEvidence = {
  proxy: 'PgBouncer 1.18.0',
  console: 'postgresql://stats@127.0.0.1:6432/pgbouncer',
  database: 'app',
  poolMode: 'transaction',
  users: 1,
  size: 3,
  reservePool: 0,
  xacts: 1200,
  xactMeanUs: 60_000,
  waitTotalUs: 1200 * 30_000,
  waitingMean: 2.4,
  waitingMax: 9,
  maxwaitUs: 180_000,
  startedAt: 0,
  windowMs: 15_000,
};
const run = (over: Partial<ProxyPoolEvidence> = {}, targetMs = 10) => proxyPoolFindings('(unmapped)', { ...BASE, ...over }, targetMs, 2);
const evidence = (f: ReturnType<typeof run>[number]) => Object.fromEntries(f.evidence.map((e) => [e.name, e.value]));

describe('proxy-pool: a proxy\'s own pool judged as a queue', () => {
  it('80/s of 30 ms on 3: Erlang C by hand (C = 0.647, mean 32.4 ms, P99 208.5 ms), over the 10 ms target; 7 meets it (6 gives 11.5 ms, 7 gives 1.5 ms): raise pool_size, not the services\' pools', () => {
    const [f, ...rest] = run();
    expect(rest).toEqual([]);
    expect([f!.kind, f!.severity, f!.pool]).toEqual(['proxy-pool', 'warning', null]);
    const e = evidence(f!);
    // λ = 80/s, μ = 1/0.03 s; cμ − λ = 100 − 80 = 20/s.
    const c3 = erlangC(3, 2.4);
    expect(c3).toBeCloseTo(0.6472, 4);
    expect(e.modelMeanWait as number).toBeCloseTo((c3 / 20) * 1e6, 3);
    expect(e.modelP99Wait as number).toBeCloseTo((Math.log(c3 / 0.01) / 20) * 1e6, 3);
    expect(Math.log(erlangC(6, 2.4) / 0.01) / (200 - 80)).toBeGreaterThan(0.01);
    expect(Math.log(erlangC(7, 2.4) / 0.01) / (7 / 0.03 - 80)).toBeLessThanOrEqual(0.01);
    expect(e.sizeForTarget).toBe(7);
    expect(e.offeredLoad as number).toBeCloseTo(2.4, 12);
    expect(e.measuredMeanWait).toBe(30_000);
    expect(e.holdMean).toBe(30_000);
    expect(f!.message).toBe(
      "PgBouncer 1.18.0's pool for database 'app': 1200 transactions in 15 s (80/s) holding a server connection 30 ms each, clients waited 30 ms per transaction for one; Erlang C at 3 gives a mean wait of 32.4 ms and a P99 of 209 ms, over the 10 ms target. 7 server connections meet it: raise PgBouncer's pool_size for 'app' (pool_size= in its [databases] line, else default_pool_size) from 3 to 7, not the services' own pools (their connections to the proxy are not what clients wait for).",
    );
  });

  it('a measured wait far from the model\'s says the size is approximate; a reserve pool is said to be left out', () => {
    const [f] = run({ waitTotalUs: 1200 * 2_000, xactMeanUs: 32_000, reservePool: 2 });
    expect(f!.message).toContain('differ by more than 2x');
    expect(f!.message).toContain('Its reserve_pool of 2 adds connections only after clients waited reserve_pool_timeout');
  });

  it("the counted wait far under the model's because the clients were few: the queue reached its ceiling inside PgBouncer and the rest waited in the services' pools", () => {
    // 6 clients on 3 server connections: at most 3 wait inside PgBouncer, and 3 did at once.
    const [f] = run({ waitTotalUs: 1200 * 12_000, xactMeanUs: 42_000, clientsMax: 6, waitingMax: 3 });
    expect(f!.message).toContain("at most 6 clients were connected, so at most 3 could wait inside PgBouncer (and 3 did at once), and the rest of the queue waited in the services' own pools");
    expect(f!.message).not.toContain('take the size as approximate');
    expect(evidence(f!).sizeForTarget).toBe(7);
    // Many clients, the ceiling never reached: the other explanation.
    const [g] = run({ waitTotalUs: 1200 * 12_000, xactMeanUs: 42_000, clientsMax: 40, waitingMax: 9 });
    expect(g!.message).toContain('take the size as approximate');
  });

  it('at or past capacity: no mean from the model, still the size that meets the target', () => {
    // 120/s of 30 ms is a load of 3.6 on 3.
    const [f] = run({ xacts: 1800, waitTotalUs: 1800 * 30_000 });
    expect(f!.severity).toBe('warning');
    expect(evidence(f!).modelP99Wait).toBeNull();
    expect(f!.message).toContain('Erlang C puts the load of 3.6 connections at or past its 3');
    expect(evidence(f!).sizeForTarget as number).toBeGreaterThan(3);
  });

  it('within the target: an info; far above what meets it: it could come down', () => {
    const [ok] = run({ size: 8, waitTotalUs: 0, xactMeanUs: 30_000 });
    expect(ok!.severity).toBe('info');
    expect(ok!.message).toContain('within the 10 ms target.');
    expect(ok!.message).not.toContain('could come down');
    const [big] = run({ size: 20, waitTotalUs: 0, xactMeanUs: 30_000 });
    expect(big!.message).toContain('could come down from 20 to 7');
  });

  it('no size in session mode, with several users\' pools in one database\'s counts, without pool_size, or with too few transactions', () => {
    for (const [over, says] of [
      [{ poolMode: 'session' }, 'in session mode'],
      [{ users: 2 }, 'its 2 pools (one per user) share these counts'],
      [{ users: 0, poolMode: '' }, 'SHOW POOLS had no row for it'],
      [{ size: null }, 'its pool_size was not read'],
      [{ xactMeanUs: 30_000 }, 'no transaction time beyond the wait'],
      [{ xacts: PROXY_MIN_XACTS - 1, waitTotalUs: 0 }, `fewer than ${PROXY_MIN_XACTS} transactions`],
    ] as Array<[Partial<ProxyPoolEvidence>, string]>) {
      const [f] = run(over);
      expect(f!.severity).toBe('info');
      expect(f!.message).toContain(says);
      expect(f!.evidence.map((e) => e.name)).not.toContain('sizeForTarget');
    }
  });
});
