import { describe, expect, it } from 'vitest';
import { attributeClose, batchMeans, levelTimes, Reconstructor, shareAtLeast } from '../../../src/core/observe/reconstruct.js';
import { matchGroup, parseGroupBy, parseMapFlag } from '../../../src/core/observe/map.js';
import { crossCheckDatabases, crossCheckRoles, parseTaskerHealth } from '../../../src/core/observe/crossCheck.js';
import { summarizeGroup } from '../../../src/core/observe/summary.js';
import { observationValidity } from '../../../src/core/observe/file.js';
import { UsageError } from '../../../src/core/errors.js';
import type { ActivityRow, ActivitySample } from '../../../src/core/observe/types.js';

const T0 = 1_700_000_000_000;

function row(pid: number, over: Partial<ActivityRow> = {}): ActivityRow {
  return {
    pid,
    backendStartMs: T0 - 60_000,
    application_name: 'orders',
    client_addr: '10.0.0.2',
    usename: 'svc',
    datname: 'shop',
    state: 'idle',
    stateChangeMs: T0 - 1000,
    query: 'SELECT 1',
    ...over,
  };
}

function feed(samples: ActivitySample[], groupBy?: Parameters<typeof parseGroupBy>[0]) {
  const r = new Reconstructor(groupBy ? { groupBy: parseGroupBy(groupBy) } : {});
  for (const s of samples) r.add(s);
  return r.finish();
}

describe('Reconstructor', () => {
  it('groups by service and replica, and integrates open and busy over time', () => {
    const obs = feed([
      { atMs: T0, rows: [row(1, { state: 'active' }), row(2), row(3, { client_addr: '10.0.0.3', state: 'idle in transaction' })] },
      { atMs: T0 + 100, rows: [row(1), row(2), row(3, { client_addr: '10.0.0.3' })] },
      { atMs: T0 + 200, rows: [row(1, { state: 'active' }), row(2, { state: 'active' }), row(3, { client_addr: '10.0.0.3' })] },
      { atMs: T0 + 300, rows: [row(1), row(2), row(3, { client_addr: '10.0.0.3' })] },
    ]);
    expect(obs.groups.map((g) => g.id)).toEqual(['app=orders db=shop user=svc @10.0.0.2', 'app=orders db=shop user=svc @10.0.0.3']);
    const a = obs.groups[0]!;
    expect(a.replica).toBe('10.0.0.2');
    expect(a.service).toBe('app=orders db=shop user=svc');
    // busy 1, 0, 2, 0 for 100 ms each
    expect(a.meanBusy).toBeCloseTo(0.75, 10);
    expect(a.busy).toEqual({ levels: [[0, 200_000], [1, 100_000], [2, 100_000]], max: 2, last: 0 });
    // Idle is open less busy (issue 31: the idle-surplus evidence read 0 idle without it).
    expect(a.idle).toEqual({ levels: [[0, 100_000], [1, 100_000], [2, 200_000]], max: 2, last: 2 });
    expect(a.open.max).toBe(2);
    expect(a.openMin).toBe(2);
    expect(a.initial).toBe(2);
    expect(a.births).toBe(0);
    expect(obs.groups[1]!.meanBusy).toBeCloseTo(0.25, 10);
    expect(obs.samples).toBe(4);
    expect(obs.meanIntervalMs).toBe(100);
    expect(obs.durationMs).toBe(400);
  });

  it('counts births and deaths by pid and backend start, and bounds age and idle time at close', () => {
    const born = T0 + 150;
    const obs = feed([
      { atMs: T0, rows: [row(1, { backendStartMs: T0 - 10_000, stateChangeMs: T0 - 500 })] },
      { atMs: T0 + 200, rows: [row(1, { backendStartMs: T0 - 10_000, stateChangeMs: T0 - 500 }), row(2, { backendStartMs: born, state: 'active' })] },
      // pid 1 gone; pid 2 reused by a new backend (another backend_start): one death, one birth
      { atMs: T0 + 400, rows: [row(2, { backendStartMs: T0 + 390, state: 'active' })] },
      { atMs: T0 + 600, rows: [row(2, { backendStartMs: T0 + 390 })] },
    ]);
    const g = obs.groups[0]!;
    expect(g.initial).toBe(1);
    expect(g.births).toBe(2);
    expect(g.deaths).toBe(2);
    const [c1, c2] = g.closes;
    expect(c1).toEqual({ ageMinS: 10.2, ageMaxS: 10.4, idleMinS: 0.7, idleMaxS: 0.9, goneAtMs: T0 + 400 });
    // Births at their backends' start; closes when first seen gone (to pair a close with a reopen).
    expect(g.birthsAtMs).toEqual([born, T0 + 390]);
    expect(c2!.goneAtMs).toBe(T0 + 400);
    // pid 2's first backend was active when last seen: no idle time
    expect(c2!.idleMinS).toBeNull();
    expect(c2!.ageMinS).toBeCloseTo(0.05, 10);
    expect(c2!.ageMaxS).toBeCloseTo(0.25, 10);
  });

  it('counts a LISTEN connection as reserved, apart from busy, and says pools may be merged', () => {
    const obs = feed([
      { atMs: T0, rows: [row(1, { query: 'LISTEN pgmq_q' }), row(2, { state: 'active' })] },
      { atMs: T0 + 100, rows: [row(1, { query: 'LISTEN pgmq_q' }), row(2, { state: 'active' })] },
    ]);
    const g = obs.groups[0]!;
    expect(g.reserved).toBe(1);
    expect(g.open.max).toBe(2);
    expect(g.meanBusy).toBe(1);
    expect(obs.notes.some((n) => n.includes('LISTEN') && n.includes('merged'))).toBe(true);
  });

  it('merges replicas when --group-by leaves out client_addr, and says so', () => {
    const obs = feed([{ atMs: T0, rows: [row(1), row(2, { client_addr: '10.0.0.3' })] }], ['application_name']);
    expect(obs.groups.map((g) => [g.id, g.replica, g.open.max])).toEqual([['app=orders', null, 2]]);
    expect(obs.notes[0]).toMatch(/^replicas merged/);
  });

  it('says when no application_name leaves the pools of a process merged', () => {
    const obs = feed([{ atMs: T0, rows: [row(1, { application_name: '' })] }]);
    expect(obs.groups[0]!.id).toBe('app=(none) db=shop user=svc @10.0.0.2');
    expect(obs.notes.some((n) => n.includes('no application_name'))).toBe(true);
  });

  it.each([
    ['a pooler by its name', [row(1, { application_name: 'pgbouncer' })], [], /pgbouncer/],
    ['DISCARD ALL left by a proxy reset', [row(1, { query: 'DISCARD ALL' })], [], /DISCARD ALL/],
    [
      'backends of one address changing between non-empty names again and again',
      [row(1, { application_name: 'web' }), row(2, { application_name: 'worker' })],
      [row(1, { application_name: 'worker' }), row(2, { application_name: 'web' })],
      /changed their application_name between non-empty names again and again.*or an application that sets application_name per job/,
    ],
  ])('detects a proxy: %s', (_name, first, second, re) => {
    const samples: ActivitySample[] = [{ atMs: T0, rows: first }];
    if (second.length) samples.push({ atMs: T0 + 100, rows: second }, { atMs: T0 + 200, rows: first });
    const obs = feed(samples);
    expect(obs.proxy.detected).toBe(true);
    expect(obs.proxy.signs.join('\n')).toMatch(re);
    expect(observationValidity(obs).valid).toBe(false);
  });

  it('sees no proxy in plain pools', () => {
    expect(feed([{ atMs: T0, rows: [row(1), row(2, { state: 'active' })] }]).proxy).toEqual({ detected: false, signs: [] });
  });

  it('handles a long window (200,000 samples) and keeps the saved timeline bounded', () => {
    const r = new Reconstructor();
    for (let i = 0; i < 200_000; i++) r.add({ atMs: T0 + i * 200, rows: [row(1, { state: i % 4 === 0 ? 'active' : 'idle' })] });
    const g = r.finish().groups[0]!;
    expect(g.meanBusy).toBeCloseTo(0.25, 6);
    expect(g.open.max).toBe(1);
    expect(g.timeline.length).toBeLessThanOrEqual(300);
    expect(g.batches).toBe(20);
  });

  it('ignores a sample older than the last one', () => {
    const r = new Reconstructor();
    r.add({ atMs: T0 + 100, rows: [row(1)] });
    r.add({ atMs: T0, rows: [row(1), row(2)] });
    expect(r.samples).toBe(1);
  });
});

describe('attributeClose', () => {
  const s = { lifetimeS: 1800, idleTimeoutS: 600 };
  it.each([
    ['age at 0.95x the lifetime', { ageMinS: 1700, ageMaxS: 1710.1, idleMinS: 700, idleMaxS: 700 }, 'lifetime'],
    ['age just short of it, idle past the timeout', { ageMinS: 1700, ageMaxS: 1709, idleMinS: 599.9, idleMaxS: 600.1 }, 'idle'],
    ['neither', { ageMinS: 50, ageMaxS: 51, idleMinS: 1, idleMaxS: 1.2 }, 'unattributed'],
    ['busy when last seen (killed, error)', { ageMinS: 50, ageMaxS: 51, idleMinS: null, idleMaxS: null }, 'unattributed'],
  ] as const)('%s', (_n, c, want) => {
    expect(attributeClose(c, s)).toBe(want);
  });
  it('needs the setting it attributes by', () => {
    expect(attributeClose({ ageMinS: 5000, ageMaxS: 5000, idleMinS: 900, idleMaxS: 900 }, { lifetimeS: null, idleTimeoutS: null })).toBe('unattributed');
  });
});

describe('batchMeans', () => {
  it('is null under 10 samples', () => {
    expect(batchMeans([1, 2, 3], [1, 1, 1]).stdErr).toBeNull();
  });
  it('is 0 for a constant series', () => {
    expect(batchMeans(new Array(100).fill(3), new Array(100).fill(1))).toEqual({ stdErr: 0, batches: 20 });
  });
  it('is the standard error of the batch means', () => {
    // 10 batches of 5: means alternate 0 and 2 -> sd of means = sqrt(10/9), SE = sqrt(10/9/10)
    const xs = Array.from({ length: 50 }, (_, i) => (Math.floor(i / 5) % 2 ? 2 : 0));
    const r = batchMeans(xs, new Array(50).fill(1));
    expect(r.batches).toBe(10);
    expect(r.stdErr).toBeCloseTo(Math.sqrt(1 / 9), 12);
  });
});

describe('levels and shares', () => {
  it('weights each level by its time', () => {
    const l = levelTimes([0, 3, 3, 1], [100, 50, 50, 200]);
    expect(l).toEqual({ levels: [[0, 100_000], [1, 200_000], [3, 100_000]], max: 3, last: 1 });
    expect(shareAtLeast(l, 3)).toBe(0.25);
    expect(shareAtLeast(l, 1)).toBe(0.75);
    expect(shareAtLeast({ levels: [], max: 0, last: 0 }, 1)).toBe(0);
  });
});

describe('summarizeGroup', () => {
  it('takes the reserved listener out of the size for the share all busy, and calls pinned demand censored', () => {
    const obs = feed([
      { atMs: T0, rows: [row(1, { query: 'LISTEN q' }), row(2, { state: 'active' }), row(3, { state: 'active' })] },
      { atMs: T0 + 100, rows: [row(1, { query: 'LISTEN q' }), row(2, { state: 'active' }), row(3)] },
    ]);
    const settings = { env: 'production', pool: 'pgmq' as const, map: 'app:orders=production.pgmq', maxConnections: 3, sizeSource: 'config' as const, lifetimeS: null, idleTimeoutS: null };
    const s = summarizeGroup(obs.groups[0]!, settings);
    expect(s.allBusyShare).toBe(0.5);
    expect(s.censored).toBe(true);
    expect(s.closes).toBeNull();
    expect(summarizeGroup(obs.groups[0]!, null).allBusyShare).toBeNull();
  });
});

describe('--group-by and --map', () => {
  it('parses fields and aliases in a fixed order', () => {
    expect(parseGroupBy(['client_addr,app', 'db'])).toEqual(['application_name', 'datname', 'client_addr']);
    expect(parseGroupBy(undefined)).toEqual(['application_name', 'datname', 'usename', 'client_addr']);
    expect(() => parseGroupBy(['client_port'])).toThrow(/unknown field 'client_port'/);
  });

  it('parses SELECTOR=ENV.POOL and matches groups', () => {
    const all = parseGroupBy(undefined);
    const r = parseMapFlag('app:orders,addr:10.0.0.2=production.database', ['production', 'test'], all);
    expect(r).toMatchObject({ env: 'production', pool: 'database', selector: [['application_name', 'orders'], ['client_addr', '10.0.0.2']] });
    const bare = parseMapFlag('orders=test.pgmq', ['production', 'test'], all);
    expect(bare.selector).toEqual([['application_name', 'orders']]);
    const g = { fields: [['application_name', 'orders'], ['client_addr', '10.0.0.3']] as Array<[never, string]> };
    expect(matchGroup(g as never, [r, bare])).toBe(bare);
  });

  it.each([
    ['orders', /expected SELECTOR=ENV.POOL/],
    ['app:orders=production', /is not ENV.POOL/],
    ['app:orders=staging.database', /no environment 'staging'/],
    ['app:orders=production.web', /unknown pool 'web'/],
    ['port:5=production.database', /unknown field 'port'/],
  ])('refuses --map %s', (v, re) => {
    expect(() => parseMapFlag(v, ['production'], parseGroupBy(undefined))).toThrow(UsageError);
    expect(() => parseMapFlag(v, ['production'], parseGroupBy(undefined))).toThrow(re);
  });

  it('refuses a selector on a field --group-by leaves out', () => {
    expect(() => parseMapFlag('addr:10.0.0.2=production.database', ['production'], ['application_name'])).toThrow(/leaves out/);
  });
});

describe('cross-checks', () => {
  it('reads pool_utilization from orchestration and worker answers', () => {
    const pool = (max: number) => ({ active_connections: 2, idle_connections: 3, max_connections: max, utilization_percent: 20 });
    expect(parseTaskerHealth({ status: 'healthy', pool_utilization: { tasker_pool: pool(25), pgmq_pool: pool(10) } })).toEqual({
      pools: [
        { pool: 'database', maxConnections: 25, active: 2, idle: 3 },
        { pool: 'pgmq', maxConnections: 10, active: 2, idle: 3 },
      ],
      pgmqOwnPool: true,
    });
    expect(parseTaskerHealth({ system_info: { pool_utilization: { tasker_pool: pool(8) } } })).toEqual({ pools: [{ pool: 'database', maxConnections: 8, active: 2, idle: 3 }], pgmqOwnPool: false });
    expect(parseTaskerHealth({ status: 'ok' })).toBeNull();
    expect(parseTaskerHealth('nope')).toBeNull();
  });

  it('compares pg_stat_statements time per role with the samples', () => {
    const obs = feed([
      { atMs: T0, rows: [row(1, { state: 'active' }), row(2, { usename: 'other' })] },
      { atMs: T0 + 1000, rows: [row(1, { state: 'active' }), row(2, { usename: 'other' })] },
    ]);
    const out = crossCheckRoles(
      { atMs: T0, byRole: [{ role: 'svc', execMs: 100, calls: 10 }] },
      { atMs: T0 + 2000, byRole: [{ role: 'svc', execMs: 1700, calls: 90 }, { role: 'nobody-seen', execMs: 5, calls: 1 }] },
      obs,
    );
    // No eviction count read: the counts cannot be called whole.
    expect(out).toEqual([{ role: 'svc', statementsMeanBusy: 0.8, sampledMeanBusy: 1, calls: 80, windowMs: 2000, countsComplete: false }]);
    const whole = (dealloc: number) => crossCheckRoles({ atMs: T0, byRole: [{ role: 'svc', execMs: 100, calls: 10 }], dealloc: 4 }, { atMs: T0 + 2000, byRole: [{ role: 'svc', execMs: 1700, calls: 90 }], dealloc }, obs);
    expect(whole(4)[0]!.countsComplete).toBe(true);
    // An entry evicted inside the window took its calls with it.
    expect(whole(5)[0]!.countsComplete).toBe(false);
  });

  it('compares pg_stat_database busy time with the samples per database', () => {
    const obs = feed([
      { atMs: T0, rows: [row(1, { state: 'active' }), row(2, { datname: 'other', state: 'active' })] },
      { atMs: T0 + 1000, rows: [row(1, { state: 'active' }), row(2, { datname: 'other' })] },
    ]);
    const db = (activeMs: number, sessions: number) => [{ datname: 'shop', activeMs, idleInTxMs: 0, sessions, abnormal: 0 }];
    const out = crossCheckDatabases({ atMs: T0, byDb: db(0, 5) }, { atMs: T0 + 2000, byDb: db(1900, 7) }, obs);
    expect(out).toEqual([{ datname: 'shop', serverMeanBusy: 0.95, sampledMeanBusy: 1, serverSessions: 2, sampledBirths: 0, abnormal: 0, windowMs: 2000 }]);
  });
});

describe('a connection named after it connected (issue 31, item 1)', () => {
  // pgJDBC by default, HikariCP's connectionInitSql, psycopg's configure, pgx's AfterConnect: the
  // backend shows '' for a moment, then the service's name.
  it('belongs to the group of its first name from its birth, and is no proxy sign, in a pool that churns', () => {
    const samples: ActivitySample[] = [];
    // Two connections open; every 400 ms the older one closes and a new one opens: it shows '' in
    // its first sample (busy running the SET), then 'orders'.
    let conns: Array<{ pid: number; start: number; bornAt: number }> = [
      { pid: 1, start: T0 - 5000, bornAt: -1 },
      { pid: 2, start: T0 - 4000, bornAt: -1 },
    ];
    let pid = 3;
    for (let i = 0; i < 40; i++) {
      const at = T0 + i * 100;
      if (i > 0 && i % 4 === 0) conns = [...conns.slice(1), { pid: pid++, start: at - 5, bornAt: i }];
      samples.push({ atMs: at, rows: conns.map((c) => row(c.pid, { backendStartMs: c.start, application_name: c.bornAt === i ? '' : 'orders', state: c.bornAt === i ? 'active' : 'idle' })) });
    }
    // One connection named at once, for comparison: open at the first sample without a name.
    samples[0]!.rows[0] = row(1, { backendStartMs: T0 - 5000, application_name: '' });
    const obs = feed(samples);
    expect(obs.proxy).toEqual({ detected: false, signs: [] });
    expect(obs.groups.map((g) => g.id)).toEqual(['app=orders db=shop user=svc @10.0.0.2']);
    const g = obs.groups[0]!;
    expect(g.initial).toBe(2);
    expect(g.births).toBe(9);
    expect(g.birthsAtMs).toHaveLength(9);
    expect(g.deaths).toBe(9);
    expect(g.openMin).toBe(2);
    // Busy in each new connection's first sample (9 of 40).
    expect(g.meanBusy).toBeCloseTo(9 / 40, 10);
    expect(observationValidity(obs).valid).toBe(true);
  });

  it('is no proxy sign when a backend changes name once (a driver default, then the service name), on every backend', () => {
    const named = (n: string) => [row(1, { application_name: n }), row(2, { application_name: n, backendStartMs: T0 - 1 })];
    const obs = feed([
      { atMs: T0, rows: named('PostgreSQL JDBC Driver') },
      { atMs: T0 + 100, rows: named('orders') },
      { atMs: T0 + 200, rows: named('orders') },
    ]);
    expect(obs.proxy.detected).toBe(false);
  });

  it('stays without a name when it had none for longer than a start', () => {
    const r = new Reconstructor();
    for (let i = 0; i < 300; i++) r.add({ atMs: T0 + i * 200, rows: [row(1, { application_name: '' })] });
    r.add({ atMs: T0 + 300 * 200, rows: [row(1, { application_name: 'job-42' })] });
    const obs = r.finish();
    expect(obs.groups.map((g) => g.service)).toEqual(['app=(none) db=shop user=svc']);
    expect(obs.proxy.detected).toBe(false);
  });
});
