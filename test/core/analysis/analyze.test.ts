import { describe, expect, it } from 'vitest';
import { evidenceFromRun, poolEvidenceFromRun } from '../../../src/core/evidence/fromRun.js';
import { defaultAdvisorConfig } from '../../../src/core/advisor/defaults.js';
import { analyzePool, analyzeEvidence, describeWorkload, idleReopens, maxInWindow, ratio } from '../../../src/core/analysis/analyze.js';
import { idleReopensFromTimes } from '../../../src/core/analysis/churn.js';
import { Recorder } from '../../../src/core/run/recorder.js';
import type { TimelinePoint } from '../../../src/core/run/types.js';
import { BASE_SETTINGS, HEALTHY, RULE_SCENARIOS, simulatePool, syntheticRun, WORKED_EXAMPLE, EXPIRY_BURSTS } from '../../helpers/syntheticRun.js';

const advisor = defaultAdvisorConfig();

/** Every number in a value, recursively, with its path. */
function numbers(v: unknown, path = ''): Array<[string, number]> {
  if (typeof v === 'number') return [[path, v]];
  if (Array.isArray(v)) return v.flatMap((x, i) => numbers(x, `${path}[${i}]`));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => numbers(x, `${path}.${k}`));
  return [];
}

describe('analyzePool on the worked example', () => {
  const run = syntheticRun([WORKED_EXAMPLE]);
  const p = analyzeEvidence(evidenceFromRun(run), advisor).environments[0]!.pools[0]!;

  it('measures the arrival rate, hold and offered load exactly', () => {
    expect(p.acquires).toBe(12000);
    expect(p.arrivalRate).toBe(200);
    expect(p.demandRate).toBe(200);
    expect(p.hold.meanUs).toBeGreaterThan(19_980);
    expect(p.hold.meanUs).toBeLessThan(20_020);
    expect(p.hold.cv).toBeCloseTo(1, 1);
    expect(p.offeredLoad).toBeCloseTo(4, 1);
  });

  it('reports time-weighted occupancy and utilisation', () => {
    expect(p.inUse.mean).toBeCloseTo(4, 0);
    expect(p.inUse.max).toBe(5);
    expect(p.inUse.p95).toBe(5);
    expect(p.utilisation).toBeCloseTo(0.8, 1);
    expect(p.total.max).toBe(5);
    expect(p.waiting.max).toBeGreaterThan(0);
  });

  it('reports the waits, by path, and the shares that waited', () => {
    expect(p.wait.count).toBe(12000);
    expect(p.wait.p50Us).toBeLessThanOrEqual(p.wait.p95Us);
    expect(p.wait.p99Us).toBeLessThanOrEqual(p.wait.p999Us);
    expect(p.wait.p999Us).toBeLessThanOrEqual(p.wait.maxUs);
    expect(p.waitByPath.idle.count + p.waitByPath.new.count + p.waitByPath.queued.count).toBe(12000);
    // Erlang C says 55.4% wait at c = 5.
    expect(p.queuedShare).toBeGreaterThan(0.45);
    expect(p.queuedShare).toBeLessThan(0.65);
    expect(p.waitedShare).toBeGreaterThanOrEqual(p.queuedShare);
    expect(p.meetsTarget).toBe(false);
  });

  it('fits Erlang C and reports its error against the measured percentiles', () => {
    const m = p.model;
    expect(m.current!.method).toBe('erlang-c');
    expect(m.current!.p99WaitS * 1000).toBeCloseTo(80.3, -1);
    expect(m.needForTarget).toBe(8);
    expect(m.error!.measured.p99S).toBe(p.wait.p99Us / 1e6);
    expect(m.error!.p99ErrorS).toBeCloseTo(m.current!.p99WaitS - p.wait.p99Us / 1e6, 9);
    expect(m.whatIf.map((w) => w.c)).toEqual(expect.arrayContaining([5, 6, 7, 8, 9, 10]));
  });

  it('projects expiries when the run is shorter than the lifetime, labelled projected', () => {
    expect(p.expiries.count).toBe(0);
    expect(p.expiries.perMinute).toBe(0);
    expect(p.expiries.projectedPerMinute).toBeCloseTo((p.total.mean / 1800) * 60, 9);
  });

  it('sees a flat hold-vs-occupancy trend for holds that do not depend on occupancy', () => {
    expect(p.holdTrend.ratio!).toBeGreaterThan(0.9);
    expect(p.holdTrend.ratio!).toBeLessThan(1.1);
    expect(p.holdTrend.growing).toBe(false);
  });

  it('keeps the generator’s figures beside the pool’s', () => {
    expect(p.generator).toMatchObject({ mode: 'open', targetRate: 200, achievedRate: 200, behind: false, lagP99Us: 50 });
    expect(p.generator!.workloads).toEqual(['database: open poisson 200/s, hold exponential mean 20 ms, 60 s']);
  });
});

describe('other workloads', () => {
  it('observes expiries, their bursts and the reconnects they cause', () => {
    const p = analyzeEvidence(evidenceFromRun(syntheticRun([EXPIRY_BURSTS])), advisor).environments[0]!.pools[0]!;
    expect(p.expiries.count).toBeGreaterThan(30);
    expect(p.expiries.perMinute).toBeCloseTo((p.expiries.count * 60) / 300, 9);
    expect(p.expiries.projectedPerMinute).toBeNull();
    expect(p.expiries.maxBurst).toBeGreaterThanOrEqual(8);
  });

  it('sees idle closes reopened within the churn window, and models bursts as a mixture', () => {
    const p = analyzeEvidence(evidenceFromRun(syntheticRun([RULE_SCENARIOS['idle-surplus (churn)']])), advisor).environments[0]!.pools[0]!;
    expect(p.idleCloses.count).toBeGreaterThan(10);
    expect(p.idleCloses.reopened).toBeGreaterThan(10);
    expect(p.idleCloses.maxReopenGapS!).toBeLessThanOrEqual(300);
    expect(p.model.current!.method).toBe('burst-mixture');
    expect(p.model.notes.join(' ')).toContain('on/off bursts');
  });

  it('sees hold time grow with occupancy on a database-bound workload', () => {
    const p = analyzeEvidence(evidenceFromRun(syntheticRun([RULE_SCENARIOS['database-saturation']])), advisor).environments[0]!.pools[0]!;
    expect(p.holdTrend.growing).toBe(true);
    expect(p.holdTrend.slopeUsPerConnection!).toBeGreaterThan(0);
    expect(p.model.notes.join(' ')).toContain('hold time grows');
  });

  it('uses the finite-source model for a closed loop', () => {
    const run = syntheticRun([{ durationS: 30, arrivals: { kind: 'closed', callers: 12, thinkMs: 20 }, hold: { dist: 'exponential', meanMs: 10 }, settings: { max_connections: 5, min_connections: 5 } }]);
    const p = analyzeEvidence(evidenceFromRun(run), advisor).environments[0]!.pools[0]!;
    expect(p.model.current!.method).toBe('finite-source');
    expect(p.model.input!.arrivals).toEqual({ kind: 'closed', callers: 12, thinkS: 0.02 });
    // The model's throughput matches what the closed loop achieved within 10%.
    expect(p.model.current!.throughput / p.arrivalRate).toBeGreaterThan(0.9);
    expect(p.model.current!.throughput / p.arrivalRate).toBeLessThan(1.1);
  });

  it('counts timeouts, and the demand of an overloaded pool beyond what it served', () => {
    const { pool, workload } = simulatePool({ durationS: 5, arrivals: { kind: 'constant', rate: 400 }, hold: { dist: 'constant', ms: 50 }, settings: { max_connections: 5, min_connections: 0, acquire_timeout_seconds: 1 } });
    const p = analyzePool('test', poolEvidenceFromRun(pool, 'test'), [workload], advisor);
    expect(p.timeouts).toBeGreaterThan(0);
    expect(p.timeoutShare).toBeCloseTo(p.timeouts / p.acquires, 12);
    expect(p.demandRate).toBeGreaterThan(p.arrivalRate);
    expect(p.demandRate).toBeCloseTo(400, 0);
  });
});

describe('guards', () => {
  it('an empty, zero-length window gives finite zeros, not NaN', () => {
    const rec = new Recorder({ pool: 'database', settings: BASE_SETTINGS, emulateSqlx: true }, 0, 0);
    const p = analyzePool('test', poolEvidenceFromRun(rec.snapshot(0), 'test'), [], advisor);
    for (const [path, n] of numbers(p)) expect(Number.isNaN(n), path).toBe(false);
    expect(p.arrivalRate).toBe(0);
    expect(p.waitedShare).toBe(0);
    expect(p.expiries.perMinute).toBe(0);
    expect(p.model.input).toBeNull();
    expect(p.model.notes[0]).toContain('nothing to model');
  });

  it('ratio guards zero and non-finite denominators', () => {
    expect(ratio(1, 0)).toBe(0);
    expect(ratio(1, Infinity)).toBe(0);
    expect(ratio(1, 0, -1)).toBe(-1);
    expect(ratio(6, 3)).toBe(2);
  });

  it('a healthy run analyses without NaN anywhere', () => {
    const a = analyzeEvidence(evidenceFromRun(syntheticRun([HEALTHY])), advisor);
    for (const [path, n] of numbers(a)) expect(Number.isNaN(n), path).toBe(false);
  });
});

describe('helpers', () => {
  it('maxInWindow finds the densest second', () => {
    expect(maxInWindow([], 1000)).toBe(0);
    expect(maxInWindow([5000, 0, 10, 20, 3000, 999], 1000)).toBe(4);
    expect(maxInWindow([0, 1000, 2000], 1000)).toBe(1);
  });

  it('idleReopensFromTimes pairs single closes and opens the same way (a close and an open at one instant pair)', () => {
    // Closes at 1 s and 5 s; opens at 2 s (pairs the first), 5 s (pairs the second: same instant),
    // 3 s (no close pending) and 400 s (past the 300 s window of nothing pending).
    expect(idleReopensFromTimes([1000, 5000], [2000, 3000, 5000, 400_000], 300)).toEqual({ reopened: 2, maxGapS: 1 });
    // An open 301 s after the close is past the window.
    expect(idleReopensFromTimes([0], [301_000], 300)).toEqual({ reopened: 0, maxGapS: null });
    expect(idleReopensFromTimes([], [], 300)).toEqual({ reopened: 0, maxGapS: null });
  });

  it('idleReopens pairs closes with the opens that follow within the window', () => {
    const pt = (t: number, idleClosed: number, created: number): TimelinePoint => ({
      t,
      dt: 1000,
      acquires: 0,
      waited: 0,
      timeouts: 0,
      errors: 0,
      created,
      expired: 0,
      idleClosed,
      waitP99Us: 0,
      waitMaxUs: 0,
      inUseMean: 0,
      inUseMax: 0,
      idleMean: 0,
      waitingMean: 0,
      waitingMax: 0,
      totalMax: 0,
      oldestWaiterMs: 0,
    });
    // 3 closed at 10 s; 2 reopened at 40 s; 1 open at 400 s is past a 300 s window.
    expect(idleReopens([pt(0, 0, 1), pt(10_000, 3, 0), pt(40_000, 0, 2), pt(400_000, 0, 1)], 300)).toEqual({ reopened: 2, maxGapS: 30 });
    expect(idleReopens([], 300)).toEqual({ reopened: 0, maxGapS: null });
  });

  it('describeWorkload says it in one line', () => {
    expect(
      describeWorkload({ pool: 'pgmq', arrival: { mode: 'closed', concurrency: 8, thinkMs: 5 }, hold: { kind: 'sleep', dist: 'lognormal', p50Ms: 5, p99Ms: 80 }, warmupS: 2, rampS: 0, durationS: 30, burst: { onS: 10, offS: 20, factor: 3 } }),
    ).toBe('pgmq: closed 8 callers, think 5 ms, hold lognormal p50 5 ms p99 80 ms, bursts x3 for 10 s every 30 s, 30 s');
  });
});
