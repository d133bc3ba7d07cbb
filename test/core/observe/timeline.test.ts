/**
 * The saved timeline of an observation (src/core/observe/timeline.ts): samples cut into fixed
 * buckets, per pool and replica (open, busy, opens and closes by reason), PgBouncer's clients
 * waiting and the server's load by class; small for a 10-minute window at 200 ms; read back and
 * checked by the one reader (src/core/evidence/read.ts), and an older observation without it read
 * as before.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Reconstructor } from '../../../src/core/observe/reconstruct.js';
import { bucketMsFor, observedTimeline } from '../../../src/core/observe/timeline.js';
import { summarizeObservation } from '../../../src/core/observe/summary.js';
import type { ActivityRow } from '../../../src/core/observe/types.js';
import { parseEvidenceFile } from '../../../src/core/evidence/read.js';
import { UsageError } from '../../../src/core/errors.js';
import { configSnapshot, BASE_SETTINGS } from '../../helpers/syntheticRun.js';

const T0 = 1_800_000_000_000;
const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'observations');

function row(pid: number, state: string, extra: Partial<ActivityRow> = {}): ActivityRow {
  return { pid, backendStartMs: T0 - 60_000 + pid, application_name: 'orders', client_addr: '10.0.0.7', usename: 'app', datname: 'app', state, stateChangeMs: T0 - 1000, query: 'SELECT 1', waitEventType: null, waitEvent: null, ...extra };
}

describe('the timeline of an observation', () => {
  it('cuts the samples into buckets: the most open, the mean and most busy, opens and closes by reason, the load by class', () => {
    const rec = new Reconstructor();
    // 10 samples, 200 ms apart (2 s: two buckets of 1 s). Connections 1 and 2 open throughout; 3
    // opens at sample 3 and is gone at sample 7 (a lifetime close of 2 s after 100 s: older than
    // the 60 s lifetime); busy: sample i has (i % 3) of 1 and 2 active.
    for (let i = 0; i < 10; i++) {
      const at = T0 + i * 200;
      const rows = [row(1, i % 3 >= 1 ? 'active' : 'idle'), row(2, i % 3 >= 2 ? 'active' : 'idle', { waitEventType: 'Lock', waitEvent: 'tuple' })];
      if (i >= 3 && i < 7) rows.push(row(3, 'idle', { backendStartMs: T0 - 100_000 }));
      if (i === 4) rows.push(row(4, 'idle', { backendStartMs: at - 50 }));
      rec.add({ atMs: at, rows });
    }
    const obs = rec.finish();
    const summaries = summarizeObservation(obs, () => ({ env: 'production', pool: 'database', map: 'app:orders=production.database', maxConnections: 10, sizeSource: 'config', lifetimeS: 60, idleTimeoutS: null }));
    const t = observedTimeline({
      series: rec.series(),
      durationMs: obs.durationMs,
      intervalMs: 200,
      groups: obs.groups,
      summaries,
      envs: [{ env: 'production', pgmqShared: false, config: { database: configSnapshot('database', { ...BASE_SETTINGS, max_connections: 10 }) } }],
      pgbouncer: {
        pools: [
          { atMs: T0 + 100 - 5000, rows: [{ database: 'app', user: 'app', clActive: 1, clWaiting: 3, svActive: 1, svIdle: 0, svUsed: 0, maxwaitS: 0, poolMode: 'transaction' }, { database: 'pgbouncer', user: 'pgbouncer', clActive: 1, clWaiting: 9, svActive: 0, svIdle: 0, svUsed: 0, maxwaitS: 0, poolMode: 'statement' }] },
          { atMs: T0 + 1100 - 5000, rows: [{ database: 'app', user: 'app', clActive: 1, clWaiting: 1, svActive: 1, svIdle: 0, svUsed: 0, maxwaitS: 0, poolMode: 'transaction' }] },
          { atMs: T0 + 1500 - 5000, rows: [{ database: 'app', user: 'app', clActive: 1, clWaiting: 2, svActive: 1, svIdle: 0, svUsed: 0, maxwaitS: 0, poolMode: 'transaction' }] },
        ],
      },
      // PgBouncer's reads were taken on a clock 5 s behind the server's.
      clockOffsetMs: 5000,
      cores: { count: 4, source: '--server-cores' },
    })!;
    expect(t.bucketMs).toBe(1000);
    expect(t.buckets).toBe(2);
    expect(t.pools).toHaveLength(1);
    const p = t.pools[0]!;
    expect([p.env, p.pool, p.replica]).toEqual(['production', 'database', '10.0.0.7']);
    // Bucket 0: samples 0-4 (open 2,2,2,3,4), bucket 1: samples 5-9 (open 3,3,2,2,2).
    expect(p.openMax).toEqual([4, 3]);
    // Busy by sample: 0,1,2,0,1 | 2,0,1,2,0 (equal weights but the last sample's, the mean interval: also 200).
    expect(p.busyMean).toEqual([0.8, 1]);
    expect(p.busyMax).toEqual([2, 2]);
    // Connection 4 opened at sample 4 and was gone at sample 5 (no idle timeout: other); 3 closed at sample 7 by its lifetime.
    expect(p.opened).toEqual([2, 0]);
    expect(p.closedOther).toEqual([0, 1]);
    expect(p.closedLifetime).toEqual([0, 1]);
    expect(p.closedIdle).toEqual([0, 0]);
    // PgBouncer's clients waiting, placed by the offset; the console's own pool left out.
    expect(t.proxyWaiting).toEqual([{ database: 'app', user: 'app', waitingMean: [3, 1.5], waitingMax: [3, 2] }]);
    // The load: CPU = active with no wait event (connection 1 when only it is active), Lock for 2.
    expect(t.load!.cores).toBe(4);
    const cls = Object.fromEntries(t.load!.byClass.map((c) => [c.class, c.aas]));
    expect(cls.CPU).toEqual([0.6, 0.6]);
    expect(cls.Lock).toEqual([0.2, 0.4]);
  });

  it('stays small for a 10-minute window at 200 ms: 120 buckets of 5 s, under 8 KB for a pool of 10 with churn and four load classes', () => {
    const rec = new Reconstructor();
    let seed = 7;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const classes: Array<[string | null, string | null]> = [[null, null], ['Lock', 'tuple'], ['IO', 'DataFileRead'], ['LWLock', 'WALWrite']];
    const starts = new Map<number, number>();
    for (let i = 0; i < 3000; i++) {
      const at = T0 + i * 200;
      const rows: ActivityRow[] = [];
      for (let pid = 1; pid <= 10; pid++) {
        // Each connection is replaced now and then (a new backend start): churn in every bucket or so.
        if (!starts.has(pid) || rand() < 0.002) starts.set(pid, at - 10);
        const [type, event] = classes[Math.floor(rand() * classes.length)]!;
        rows.push(row(pid, rand() < 0.4 ? 'active' : 'idle', { backendStartMs: starts.get(pid)!, waitEventType: type, waitEvent: event }));
      }
      rec.add({ atMs: at, rows });
    }
    const obs = rec.finish();
    const t = observedTimeline({ series: rec.series(), durationMs: obs.durationMs, intervalMs: 200, groups: obs.groups, summaries: summarizeObservation(obs, () => null), envs: [], cores: { count: 8, source: 'this machine' } })!;
    expect(t.bucketMs).toBe(5000);
    expect(t.buckets).toBe(120);
    expect(t.pools[0]!.env).toBe('unmapped');
    expect(t.load!.byClass.map((c) => c.class).sort()).toEqual(['CPU', 'IO', 'LWLock', 'Lock']);
    const bytes = JSON.stringify(t).length;
    console.log(`timeline of a 10-minute window at 200 ms, one pool of 10, four load classes: ${bytes} bytes`);
    expect(bytes).toBeLessThan(8000);
  });

  it('picks the shortest bucket no shorter than the interval that keeps at most 150', () => {
    expect(bucketMsFor(20_000, 200)).toBe(1000);
    expect(bucketMsFor(600_000, 200)).toBe(5000);
    expect(bucketMsFor(600_000, 7000)).toBe(10_000);
    expect(bucketMsFor(86_400_000, 200)).toBe(600_000);
  });
});

describe('reading a saved timeline', () => {
  const text = readFileSync(join(FIXTURES, 'fleet-timeline.json'), 'utf8');

  it('reads the timeline an observation saved, and an older observation without one as before', () => {
    const f = parseEvidenceFile(text, 'fleet-timeline.json');
    expect(f.observedTimeline!.pools.map((p) => p.replica)).toEqual(['127.0.0.2', '127.0.0.3']);
    expect(parseEvidenceFile(readFileSync(join(FIXTURES, 'server-only.json'), 'utf8'), 'server-only.json').observedTimeline).toBeUndefined();
  });

  const broken = (edit: (t: Record<string, any>) => void): string => {
    const data = JSON.parse(text) as { observedTimeline: Record<string, any> };
    edit(data.observedTimeline);
    return JSON.stringify(data);
  };
  const refusal = (s: string): string => {
    try {
      parseEvidenceFile(s, 'obs.json');
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      return (e as Error).message;
    }
    throw new Error('read without a complaint');
  };

  it('refuses a series without one value per bucket, a value out of bounds, a bucket count past the cap and an unknown class, naming the path', () => {
    expect(refusal(broken((t) => t.pools[1].busyMean.pop()))).toMatch(/^obs\.json: observedTimeline\.pools\.1\.busyMean: expected 21 values, one per bucket, got 20$/);
    expect(refusal(broken((t) => (t.pools[0].openMax[3] = 1e12)))).toMatch(/^obs\.json: observedTimeline\.pools\.0\.openMax\.3: 1000000000000 is out of range \(above the maximum 524286; expected an integer from 0 to 524286\)$/);
    expect(refusal(broken((t) => (t.pools[0].opened[0] = -1)))).toMatch(/observedTimeline\.pools\.0\.opened\.0: -1 is out of range \(below the minimum 0/);
    expect(refusal(broken((t) => (t.buckets = 151)))).toMatch(/observedTimeline\.buckets: 151 is out of range/);
    expect(refusal(broken((t) => (t.load.byClass[0].class = 'Nap')))).toMatch(/observedTimeline\.load\.byClass\.0\.class: expected one of CPU, /);
    expect(refusal(broken((t) => (t.load.cores = 0)))).toMatch(/observedTimeline\.load\.cores: 0 is out of range/);
    expect(refusal(broken((t) => (t.pools = 'all')))).toMatch(/observedTimeline\.pools: expected an array/);
  });
});
