import { describe, expect, it } from 'vitest';
import { loadClass } from '../../../src/core/observe/load.js';
import { Reconstructor } from '../../../src/core/observe/reconstruct.js';
import { judgeServerLoad } from '../../../src/core/analysis/serverLoad.js';
import { DEFAULT_RULES } from '../../../src/core/advisor/defaults.js';
import { parseAdvisorConfig } from '../../../src/core/advisor/parse.js';
import type { ActivityRow } from '../../../src/core/observe/types.js';
import type { LoadProfile, ServerLoadEvidence } from '../../../src/core/evidence/types.js';

const T0 = 1_700_000_000_000;

function row(pid: number, over: Partial<ActivityRow> = {}): ActivityRow {
  return { pid, backendStartMs: T0 - 60_000, application_name: 'orders', client_addr: '10.0.0.2', usename: 'svc', datname: 'shop', state: 'idle', stateChangeMs: T0 - 1000, query: 'SELECT 1', waitEventType: null, waitEvent: null, backendType: 'client backend', leaderPid: null, ...over };
}

describe('loadClass: what counts as load on the server', () => {
  it('active with no wait event is CPU; a wait is its class; idle in transaction and idle are no load', () => {
    expect(loadClass(row(1, { state: 'active' }))).toBe('CPU');
    expect(loadClass(row(1, { state: 'fastpath function call' }))).toBe('CPU');
    expect(loadClass(row(1, { state: 'active', waitEventType: 'Lock' }))).toBe('Lock');
    expect(loadClass(row(1, { state: 'active', waitEventType: 'Timeout' }))).toBe('Timeout');
    expect(loadClass(row(1, { state: 'active', waitEventType: 'IO' }))).toBe('IO');
    expect(loadClass(row(1, { state: 'idle in transaction' }))).toBeNull();
    expect(loadClass(row(1, { state: 'idle', waitEventType: 'Client' }))).toBeNull();
  });

  it('background processes: active or waiting on something other than their idle loop; the Activity class never counts', () => {
    expect(loadClass(row(1, { backendType: 'autovacuum worker', state: 'active', waitEventType: null }))).toBe('CPU');
    expect(loadClass(row(1, { backendType: 'checkpointer', state: '', waitEventType: 'IO' }))).toBe('IO');
    expect(loadClass(row(1, { backendType: 'checkpointer', state: '', waitEventType: 'Activity' }))).toBeNull();
    expect(loadClass(row(1, { backendType: 'walsender', state: 'active', waitEventType: 'Activity' }))).toBeNull();
    expect(loadClass(row(1, { backendType: 'background writer', state: '', waitEventType: null }))).toBeNull();
  });
});

describe('the load accumulated by the Reconstructor', () => {
  it('per group and for the server; parallel workers count for their leader; background processes for the server only, in no pool', () => {
    const r = new Reconstructor();
    for (let i = 0; i < 40; i++) {
      r.add({
        atMs: T0 + i * 100,
        rows: [
          row(1, { state: 'active' }),
          row(2, { state: 'active', waitEventType: 'Lock', waitEvent: 'transactionid' }),
          row(3, { state: 'idle in transaction' }),
          row(9, { application_name: 'billing', state: i % 2 ? 'active' : 'idle' }),
          row(50, { backendType: 'parallel worker', application_name: '', state: 'active', waitEventType: 'IO', waitEvent: 'DataFileRead', leaderPid: 1 }),
          row(60, { backendType: 'autovacuum worker', application_name: '', usename: '', state: 'active' }),
        ],
      });
    }
    const obs = r.finish();
    // Background and parallel workers are not connections of any pool.
    expect(obs.groups.map((g) => g.id)).toEqual(['app=billing db=shop user=svc @10.0.0.2', 'app=orders db=shop user=svc @10.0.0.2']);
    expect(obs.groups[1]!.meanBusy).toBe(3);
    const l = obs.load!;
    const orders = l.groups['app=orders db=shop user=svc @10.0.0.2']!;
    expect(orders.aas.mean).toBe(3);
    expect(Object.fromEntries(orders.byClass.map((c) => [c.class, c.mean]))).toEqual({ CPU: 1, Lock: 1, IO: 1 });
    expect(orders.topEvents.map((e) => `${e.type}:${e.event}`)).toEqual(expect.arrayContaining(['Lock:transactionid', 'IO:DataFileRead']));
    expect(l.groups['app=billing db=shop user=svc @10.0.0.2']!.aas.mean).toBeCloseTo(0.5, 10);
    expect(l.clients.aas.mean).toBeCloseTo(3.5, 10);
    expect(l.background.aas.mean).toBe(1);
    expect(l.server.aas.mean).toBeCloseTo(4.5, 10);
    // A constant load has no spread; the alternating one has a small one.
    expect(orders.aas.stdErr).toBe(0);
    expect(l.samples).toBe(40);
  });

  it('samples saved before wait events were read (no backend type, no wait columns) still reconstruct, active counted as CPU', () => {
    const r = new Reconstructor();
    const old = (pid: number, state: string): ActivityRow => ({ pid, backendStartMs: T0, application_name: 'a', client_addr: 'x', usename: 'u', datname: 'd', state, stateChangeMs: null, query: '' });
    for (let i = 0; i < 10; i++) r.add({ atMs: T0 + i * 100, rows: [old(1, 'active'), old(2, 'idle')] });
    const obs = r.finish();
    expect(obs.groups[0]!.meanOpen).toBe(2);
    expect(obs.load!.server.byClass).toEqual([{ class: 'CPU', mean: 1, stdErr: 0 }]);
  });
});

const profile = (classes: Record<string, number>): LoadProfile => ({
  aas: { mean: Object.values(classes).reduce((a, b) => a + b, 0), stdErr: 0.05 },
  byClass: Object.entries(classes).map(([c, mean]) => ({ class: c as never, mean, stdErr: 0.05 })),
  topEvents: [],
});
const ev = (server: Record<string, number>, pool: Record<string, number>, cores: number | null): ServerLoadEvidence => ({ cores, coresSource: cores === null ? 'unknown' : '--server-cores', server: profile(server), pool: profile(pool), samples: 100, intervalMs: 200 });

describe('judgeServerLoad', () => {
  it('CPU sessions at the share of the cores: the server limits every pool', () => {
    const j = judgeServerLoad(ev({ CPU: 3.5 }, { CPU: 0.1 }, 4), 0.2, false, DEFAULT_RULES);
    expect(j).toMatchObject({ limit: 'server', limitClass: 'CPU', limitsThisPool: true });
    // Just under the share: no limit.
    expect(judgeServerLoad(ev({ CPU: 3.1 }, { CPU: 0.1 }, 4), 0.2, false, DEFAULT_RULES).limitClass).toBeNull();
  });

  it('Lock dominating limits only the pools whose own sessions wait on it; Timeout and Client are the application\'s time', () => {
    const server = { Lock: 3, CPU: 0.2, Timeout: 10 };
    expect(judgeServerLoad(ev(server, { Lock: 2, Timeout: 1 }, 2), 1, true, DEFAULT_RULES)).toMatchObject({ limit: 'server', limitClass: 'Lock', limitsThisPool: true });
    expect(judgeServerLoad(ev(server, { Timeout: 4 }, 2), 1, true, DEFAULT_RULES)).toMatchObject({ limit: 'server', limitClass: 'Lock', limitsThisPool: false });
    // Under the minimum load the class does not count.
    expect(judgeServerLoad(ev({ Lock: 0.5, CPU: 0.1 }, { Lock: 0.5 }, 2), 1, true, DEFAULT_RULES).limitClass).toBeNull();
  });

  it('a mostly idle server while the pool is full: the pool is the limit; with cores unknown CPU is not judged, and said', () => {
    expect(judgeServerLoad(ev({ Timeout: 4, CPU: 0.1 }, { Timeout: 4 }, 2), 0.95, true, DEFAULT_RULES)).toMatchObject({ limit: 'pool', limitsThisPool: false });
    const u = judgeServerLoad(ev({ CPU: 30 }, { CPU: 1 }, null), 0.95, true, DEFAULT_RULES);
    expect(u.limitClass).toBeNull();
    expect(u.limit).toBeNull();
    expect(u.notes.join(' ')).toMatch(/core count is unknown.*--server-cores/);
  });

  it('the thresholds are [rules] keys', () => {
    const a = parseAdvisorConfig('[rules]\nserver_cpu_share = 0.5\nserver_class_share = 0.6\nserver_min_load = 2\n', 'x.toml');
    expect(a.rules).toMatchObject({ serverCpuShare: 0.5, serverClassShare: 0.6, serverMinLoad: 2 });
  });
});

describe('statementsInWindow: the statements that carried the load', () => {
  it('differences by queryid over the window, most first; a statement new in the window counts from zero; evictions are said', async () => {
    const { statementsInWindow } = await import('../../../src/core/observe/crossCheck.js');
    const start = { atMs: 0, dealloc: 0, byQuery: [{ queryid: '1', query: 'SELECT a', execMs: 1000, calls: 10 }, { queryid: '2', query: 'UPDATE b', execMs: 50, calls: 5 }] };
    const end = { atMs: 10_000, dealloc: 0, byQuery: [{ queryid: '1', query: 'SELECT a', execMs: 6000, calls: 60 }, { queryid: '2', query: 'UPDATE b', execMs: 50, calls: 5 }, { queryid: '3', query: 'SELECT c', execMs: 20_000, calls: 2 }] };
    const w = statementsInWindow(start, end)!;
    expect(w.top.map((x) => [x.queryid, x.activeSessions, x.calls])).toEqual([['3', 2, 2], ['1', 0.5, 50]]);
    expect(w.totalActiveSessions).toBeCloseTo(2.5, 10);
    expect(w.countsComplete).toBe(true);
    expect(w.top[1]!.meanMs).toBe(100);
    expect(statementsInWindow(start, { ...end, dealloc: 3 })!.countsComplete).toBe(false);
    expect(statementsInWindow(start, { ...end, atMs: 0 })).toBeNull();
  });
});

describe('the rules on the observed load', () => {
  const classes = (c: Record<string, number>): LoadProfile => ({ aas: { mean: Object.values(c).reduce((a, b) => a + b, 0), stdErr: 0.05 }, byClass: Object.entries(c).map(([k, mean]) => ({ class: k as never, mean, stdErr: 0.05 })), topEvents: [] });
  // A saturated pool seen through its metrics (waits, rate, mean hold) with the server's load beside it.
  const file = async (server: Record<string, number>, pool: Record<string, number>, targetKind: 'remote' | 'local') => {
    const { parseEvidenceFile } = await import('../../../src/core/evidence/read.js');
    return parseEvidenceFile(
      JSON.stringify({
        kind: 'observation',
        schemaVersion: 1,
        createdAt: '2026-12-07T20:00:00.000Z',
        target: 'postgresql://o@db.example/x',
        targetKind,
        partial: false,
        environments: [{ env: 'production', durationMs: 60_000, warmupMs: 0, pgmqShared: true, interrupted: false, unmapped: [], workloads: [], config: {}, overrides: [], pools: [{
          pool: 'database',
          replica: null,
          source: { kind: 'prometheus', detail: 'Prometheus', startedAt: 0, durationMs: 60_000 },
          settings: { max_connections: 5, min_connections: 1, acquire_timeout_seconds: 30, idle_timeout_seconds: 600, max_lifetime_seconds: 1800, slow_acquire_threshold_ms: 100 },
          validity: { valid: true, reasons: [] },
          wait: { all: { form: 'buckets', upperUs: [1000, 10_000, 100_000, 1_000_000, null], counts: [1000, 500, 2000, 2500, 0] }, count: 6000, waited: 5000 },
          hold: { form: 'mean', count: 6000, meanUs: 45_000 },
          arrival: { rate: 100, count: 6000 },
          serverLoad: { cores: 4, coresSource: '--server-cores', server: classes(server), pool: classes(pool), samples: 300, intervalMs: 200 },
        }] }],
      }),
      'obs.json',
    );
  };
  const maxRec = (a: { recommendations: Array<{ key: string; to: number }> }) => a.recommendations.find((r) => r.key === 'max_connections');

  it('server CPU at its cores: max_connections is not raised although the pool waits; the finding names CPU', async () => {
    const { adviseEvidence } = await import('../../../src/core/rules/index.js');
    const { defaultAdvisorConfig } = await import('../../../src/core/advisor/defaults.js');
    const { advice } = adviseEvidence(await file({ CPU: 3.9 }, { CPU: 3.9 }, 'remote'), defaultAdvisorConfig());
    const env = advice.environments[0]!;
    expect(maxRec(env)).toBeUndefined();
    expect(env.findings.find((f) => f.kind === 'database-saturation')!.message).toMatch(/the server, not the pool, is the limit \(CPU\)/);
    expect(env.findings.find((f) => f.kind === 'pool-saturation')!.message).toMatch(/is the limit \(CPU load/);
  });

  it('the server idle, the pool full: the pool is the limit and max_connections is raised', async () => {
    const { adviseEvidence } = await import('../../../src/core/rules/index.js');
    const { defaultAdvisorConfig } = await import('../../../src/core/advisor/defaults.js');
    const { advice } = adviseEvidence(await file({ Timeout: 4.5, CPU: 0.1 }, { Timeout: 4.5 }, 'remote'), defaultAdvisorConfig());
    const env = advice.environments[0]!;
    expect(maxRec(env)!.to).toBeGreaterThan(5);
    expect(env.findings.find((f) => f.kind === 'database-saturation')!.message).toMatch(/the pool, not the server, is the limit/);
  });

  it('Lock dominating: not raised for a pool waiting on the lock, raised for one that does not', async () => {
    const { adviseEvidence } = await import('../../../src/core/rules/index.js');
    const { defaultAdvisorConfig } = await import('../../../src/core/advisor/defaults.js');
    expect(maxRec(adviseEvidence(await file({ Lock: 3, Timeout: 1, CPU: 0.2 }, { Lock: 3, Timeout: 1 }, 'remote'), defaultAdvisorConfig()).advice.environments[0]!)).toBeUndefined();
    expect(maxRec(adviseEvidence(await file({ Lock: 3, Timeout: 5, CPU: 0.2 }, { Timeout: 4.5 }, 'remote'), defaultAdvisorConfig()).advice.environments[0]!)!.to).toBeGreaterThan(5);
  });
});
