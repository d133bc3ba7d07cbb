import { describe, expect, it } from 'vitest';
import { erlangB, erlangC, mmcMeanWait, mmcWaitQuantile, modelError, predict, smallestMeeting, whatIf, type ModelInput } from '../../../src/core/model/queue.js';

describe('Erlang C', () => {
  it.each([
    [10, 8, 0.40918015],
    [2, 1, 0.33333333],
    [4, 3.2, 0.59643247],
  ])('C(%i, A=%f) = %f (docs/facts.md reference values, μ = 1)', (c, a, want) => {
    expect(Math.abs(erlangC(c, a) - want)).toBeLessThan(1e-6);
  });

  it('Erlang B matches the closed form for small c', () => {
    // B(2, A) = (A²/2) / (1 + A + A²/2)
    const a = 1.7;
    expect(erlangB(2, a)).toBeCloseTo(a ** 2 / 2 / (1 + a + a ** 2 / 2), 12);
  });

  it('is numerically stable for c up to 1000', () => {
    const c = erlangC(1000, 950);
    expect(Number.isFinite(c)).toBe(true);
    expect(c).toBeGreaterThan(0);
    expect(c).toBeLessThan(1);
    expect(erlangC(1000, 1000)).toBe(1);
    expect(erlangC(1000, 1)).toBeLessThan(1e-12);
  });

  it.each([
    [5, 0.554, 80.3],
    [6, 0.285, 33.5],
    // docs/tuning.md quotes this row too.
    [7, 0.135, 17.4],
    [8, 0.059, 8.9],
    [10, 0.009, 0],
  ])('worked example λ = 200/s, hold 20 ms: c=%i gives P(wait) %f and P99 wait %f ms', (c, pw, p99Ms) => {
    expect(erlangC(c, 4)).toBeCloseTo(pw, 3);
    expect(mmcWaitQuantile(c, 200, 0.02, 0.99) * 1000).toBeCloseTo(p99Ms, 1);
    const p = predict({ arrivals: { kind: 'open', lambda: 200, ca2: 1 }, meanHoldS: 0.02, cs2: 1 }, c);
    expect(p.p99WaitS * 1000).toBeCloseTo(p99Ms, 1);
    expect(p.method).toBe('erlang-c');
    expect(p.approximate).toBe(false);
  });

  it('the smallest size meeting a 10 ms P99 in the worked example is 8', () => {
    expect(smallestMeeting({ arrivals: { kind: 'open', lambda: 200, ca2: 1 }, meanHoldS: 0.02, cs2: 1 }, 0.01)).toBe(8);
  });

  it('mean wait is C / (cμ − λ), and unstable loads are infinite', () => {
    expect(mmcMeanWait(5, 200, 0.02)).toBeCloseTo(erlangC(5, 4) / 50, 12);
    expect(mmcMeanWait(4, 200, 0.02)).toBe(Infinity);
    expect(predict({ arrivals: { kind: 'open', lambda: 200, ca2: 1 }, meanHoldS: 0.02, cs2: 1 }, 3).stable).toBe(false);
  });

  it('zero arrivals or zero hold predict no wait', () => {
    expect(predict({ arrivals: { kind: 'open', lambda: 0, ca2: 1 }, meanHoldS: 0.02, cs2: 1 }, 3).p99WaitS).toBe(0);
    expect(predict({ arrivals: { kind: 'open', lambda: 10, ca2: 1 }, meanHoldS: 0, cs2: 1 }, 3).pWait).toBe(0);
  });
});

describe('Allen-Cunneen', () => {
  const base: ModelInput = { arrivals: { kind: 'open', lambda: 200, ca2: 1 }, meanHoldS: 0.02, cs2: 1 };
  it('scales the mean wait by (ca² + cs²) / 2 and marks percentiles approximate', () => {
    const exp = predict(base, 6);
    const constHold = predict({ ...base, cs2: 0 }, 6);
    expect(constHold.method).toBe('allen-cunneen');
    expect(constHold.approximate).toBe(true);
    expect(constHold.meanWaitS).toBeCloseTo(exp.meanWaitS / 2, 9);
    expect(constHold.p99WaitS).toBeCloseTo(exp.p99WaitS / 2, 6);
    const heavy = predict({ ...base, cs2: 4 }, 6);
    expect(heavy.meanWaitS).toBeCloseTo(exp.meanWaitS * 2.5, 9);
  });
  it('leaves near-exponential workloads alone', () => {
    expect(predict({ ...base, cs2: 1.1 }, 6).method).toBe('erlang-c');
  });
});

describe('bursts (quasi-static mixture)', () => {
  it('a single phase equals Erlang C; a burst phase over capacity makes the tail unbounded', () => {
    const one = predict({ arrivals: { kind: 'open', lambda: 200, ca2: 1, phases: [{ rate: 200, weight: 1 }] }, meanHoldS: 0.02, cs2: 1 }, 8);
    expect(one.p99WaitS * 1000).toBeCloseTo(8.9, 1);
    const over = predict({ arrivals: { kind: 'open', lambda: 200, ca2: 1, phases: [{ rate: 100, weight: 0.5 }, { rate: 500, weight: 0.5 }] }, meanHoldS: 0.02, cs2: 1 }, 8);
    expect(over.stable).toBe(false);
    expect(over.p99WaitS).toBe(Infinity);
    expect(over.method).toBe('burst-mixture');
  });
  it('needs more connections than the average rate alone suggests', () => {
    const flat = smallestMeeting({ arrivals: { kind: 'open', lambda: 200, ca2: 1 }, meanHoldS: 0.02, cs2: 1 }, 0.01)!;
    const burst = smallestMeeting({ arrivals: { kind: 'open', lambda: 200, ca2: 1, phases: [{ rate: 100, weight: 0.5 }, { rate: 300, weight: 0.5 }] }, meanHoldS: 0.02, cs2: 1 }, 0.01)!;
    expect(burst).toBeGreaterThan(flat);
  });
});

describe('finite source M/M/c//N', () => {
  it('with many callers that rarely call, it approaches Erlang C', () => {
    // N callers thinking Z seconds: λ ≈ N / Z when the pool is rarely full.
    const n = 20000;
    const thinkS = n / 200;
    const fs = predict({ arrivals: { kind: 'closed', callers: n, thinkS }, meanHoldS: 0.02, cs2: 1 }, 8);
    expect(fs.method).toBe('finite-source');
    expect(fs.pWait).toBeCloseTo(erlangC(8, 4), 2);
    expect(fs.p99WaitS * 1000).toBeCloseTo(8.9, 0);
  });
  it('never waits when callers fit in the pool', () => {
    const p = predict({ arrivals: { kind: 'closed', callers: 5, thinkS: 0 }, meanHoldS: 0.02, cs2: 1 }, 5);
    expect(p.pWait).toBe(0);
    expect(p.p99WaitS).toBe(0);
  });
  it('with no think time and N > c, every acquire waits for N − c releases', () => {
    const p = predict({ arrivals: { kind: 'closed', callers: 10, thinkS: 0 }, meanHoldS: 0.02, cs2: 1 }, 5);
    expect(p.pWait).toBe(1);
    // Erlang(5, 250/s): mean 20 ms; throughput is c / hold.
    expect(p.meanWaitS).toBeCloseTo(0.02, 9);
    expect(p.throughput).toBeCloseTo(250, 9);
    expect(p.utilisation).toBe(1);
  });
  it('is stable for a thousand callers', () => {
    const p = predict({ arrivals: { kind: 'closed', callers: 1000, thinkS: 0.5 }, meanHoldS: 0.02, cs2: 1 }, 30);
    expect(Number.isFinite(p.p99WaitS)).toBe(true);
    expect(p.pWait).toBeGreaterThan(0);
  });
});

describe('whatIf and model error', () => {
  it('gives one prediction per candidate, P(wait) falling with size', () => {
    const rows = whatIf(200, 0.02, { ca2: 1, cs2: 1 }, [5, 6, 8, 10]);
    expect(rows.map((r) => r.c)).toEqual([5, 6, 8, 10]);
    expect(rows.map((r) => Math.round(r.p99WaitS * 10000) / 10)).toEqual([80.3, 33.5, 8.9, 0]);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.pWait).toBeLessThan(rows[i - 1]!.pWait);
  });
  it('reports predicted minus measured', () => {
    const e = modelError({ arrivals: { kind: 'open', lambda: 200, ca2: 1 }, meanHoldS: 0.02, cs2: 1 }, 8, { pWait: 0.05, p50S: 0, p95S: 0.002, p99S: 0.01 });
    expect(e.p99ErrorS).toBeCloseTo(0.0089 - 0.01, 4);
    expect(e.p99RelativeError).toBeCloseTo(0.11, 2);
  });
});
