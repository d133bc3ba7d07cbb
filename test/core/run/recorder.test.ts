import { describe, expect, it } from 'vitest';
import { Recorder } from '../../../src/core/run/recorder.js';
import { decode, encode, mergeEncoded, newHistogram, recordUs, summarize } from '../../../src/core/run/histogram.js';
import { LevelIntegrator, levelPercentile, meanLevel } from '../../../src/core/run/occupancy.js';
import { BoundedTimeline } from '../../../src/core/run/timeline.js';
import { LogRateLimiter } from '../../../src/core/run/rateLimit.js';
import type { PoolSettings } from '../../../src/core/config/pools.js';
import { prng as rng } from '../../../src/core/load/schedule.js';

const SETTINGS: PoolSettings = { max_connections: 10, min_connections: 2, acquire_timeout_seconds: 10, idle_timeout_seconds: 300, max_lifetime_seconds: 1800, slow_acquire_threshold_ms: 100 };


function exactPercentile(sorted: number[], p: number): number {
  const idx = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.max(0, Math.min(sorted.length - 1, idx))]!;
}

describe('histogram percentiles', () => {
  for (const [name, gen] of [
    ['uniform 1 µs..1 s', (r: () => number) => 1 + r() * 1e6],
    ['lognormal around 200 µs', (r: () => number) => Math.exp(Math.log(200) + 1.2 * Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r()))],
    ['exponential mean 20 ms', (r: () => number) => -20_000 * Math.log(1 - r())],
  ] as const) {
    it(`agree with exact percentiles of the same raw samples within 1% (${name})`, () => {
      const r = rng(42);
      const h = newHistogram();
      const samples: number[] = [];
      for (let i = 0; i < 100_000; i++) {
        const v = Math.max(1, Math.round(gen(r)));
        samples.push(v);
        recordUs(h, v);
      }
      samples.sort((a, b) => a - b);
      const rt = decode(encode(h));
      for (const p of [50, 90, 95, 99, 99.9]) {
        const exact = exactPercentile(samples, p);
        const got = rt.getValueAtPercentile(p);
        expect(Math.abs(got - exact) / exact, `p${p}: ${got} vs ${exact}`).toBeLessThan(0.01);
      }
    });
  }

  it('merging encoded histograms adds their counts', () => {
    const a = newHistogram();
    const b = newHistogram();
    for (let i = 1; i <= 100; i++) recordUs(a, i);
    for (let i = 1000; i <= 1100; i++) recordUs(b, i);
    const m = summarize(decode(mergeEncoded(encode(a), encode(b))));
    expect(m.count).toBe(201);
    expect(m.min).toBe(1);
    expect(m.max).toBeGreaterThanOrEqual(1100);
  });
});

describe('occupancy integration', () => {
  it('is exact on a synthetic clock', () => {
    const g = new LevelIntegrator(0);
    g.set(2, 1_000_000); // 1 s at 0
    g.set(5, 3_000_000); // 2 s at 2
    g.set(1, 4_000_000); // 1 s at 5
    const t = g.snapshot(10_000_000); // 6 s at 1
    expect(t.levels).toEqual([
      [0, 1_000_000],
      [1, 6_000_000],
      [2, 2_000_000],
      [5, 1_000_000],
    ]);
    expect(meanLevel(t)).toBeCloseTo((0 * 1 + 1 * 6 + 2 * 2 + 5 * 1) / 10, 10);
    expect(levelPercentile(t, 50)).toBe(1);
    expect(levelPercentile(t, 95)).toBe(5);
    expect(t.max).toBe(5);
    expect(g.areaAt(10_000_000)).toBe(15_000_000);
  });
});

describe('timeline', () => {
  it('downsamples itself and keeps totals', () => {
    const tl = new BoundedTimeline(1000, 10);
    for (let i = 0; i < 1000; i++) {
      tl.push({ t: i * 1000, dt: 1000, acquires: 1, waited: 0, timeouts: 0, errors: 0, created: 0, expired: i === 500 ? 1 : 0, idleClosed: 0, waitP99Us: i, waitMaxUs: i, inUseMean: 1, inUseMax: 1, idleMean: 0, waitingMean: 0, waitingMax: 0, totalMax: 1, oldestWaiterMs: 0 });
    }
    const s = tl.snapshot();
    expect(s.points.length).toBeLessThanOrEqual(10);
    expect(s.points.reduce((a, p) => a + p.acquires, 0)).toBe(1000);
    expect(s.points.reduce((a, p) => a + p.expired, 0)).toBe(1);
    expect(s.points.reduce((a, p) => a + p.dt, 0)).toBe(1_000_000);
    expect(Math.max(...s.points.map((p) => p.waitMaxUs))).toBe(999);
  });
});

describe('slow-log rate limit', () => {
  it('allows perSecond lines a second and counts the rest', () => {
    const l = new LogRateLimiter(5);
    const allowed = Array.from({ length: 100 }, (_, i) => l.take(i * 1000)).filter((x) => x >= 0).length;
    expect(allowed).toBe(5);
    expect(l.totalSuppressed).toBe(95);
    // A second later, the next line carries the count suppressed since the last one.
    expect(l.take(1_100_000)).toBe(95);
  });
});

describe('Recorder on a synthetic clock', () => {
  it('a 10-minute run at 2,000 acquires/s gives a snapshot of tens of kilobytes, and memory stays flat', () => {
    const r = new Recorder({ pool: 'database', settings: SETTINGS, emulateSqlx: true }, 0, 1_700_000_000_000);
    const rand = rng(7);
    let t = 0;
    let inUse = 0;
    const heapAt: number[] = [];
    for (let sec = 0; sec < 600; sec++) {
      for (let i = 0; i < 2000; i++) {
        t += 500;
        const wait = rand() < 0.9 ? 1 + rand() * 5 : 100 + rand() * 20_000;
        r.acquired(rand() < 0.9 ? 'idle' : 'queued', wait, 'ok');
        inUse = 1 + Math.floor(rand() * 8);
        r.gauges({ inUse, idle: 10 - inUse, waiting: 0, total: 10 }, t);
        r.released(1000 + rand() * 5000, inUse);
      }
      if (sec % 300 === 299) r.closed('expired', 1800, t);
      r.tick(t, 0);
      if (sec === 299 || sec === 599) {
        const gc = (globalThis as { gc?: () => void }).gc;
        gc?.();
        heapAt.push(JSON.stringify(r.snapshot(t)).length);
      }
    }
    const snap = r.snapshot(t);
    const size = JSON.stringify(snap).length;
    expect(snap.counters.acquires).toBe(1_200_000);
    expect(snap.durationMs).toBe(600_000);
    expect(size).toBeLessThan(80_000);
    // Once the timeline has reached its capacity (5 min), the state stops growing.
    expect(heapAt[1]! / heapAt[0]!).toBeLessThan(1.2);
    expect(snap.timeline.points.length).toBeLessThanOrEqual(300);
    expect(summarize(decode(snap.histograms.wait)).count).toBe(1_200_000);
  });

  it('reset starts a new window but keeps the gauges', () => {
    const r = new Recorder({ pool: 'database', settings: SETTINGS, emulateSqlx: false }, 0, 0);
    r.gauges({ inUse: 3, idle: 1, waiting: 0, total: 4 }, 1000);
    r.acquired('new', 5000, 'ok');
    r.reset(2_000_000, 2000);
    const s = r.snapshot(3_000_000);
    expect(s.counters.acquires).toBe(0);
    expect(s.occupancy.inUse.levels).toEqual([[3, 1_000_000]]);
    expect(s.durationMs).toBe(1000);
  });
});

describe('snapshots round-trip through JSON and merge', async () => {
  const { mergePoolRuns } = await import('../../../src/core/run/merge.js');
  function window(seed: number, seconds: number) {
    const r = new Recorder({ pool: 'database', settings: SETTINGS, emulateSqlx: true }, 0, 1000);
    const rand = rng(seed);
    let t = 0;
    for (let s = 0; s < seconds; s++) {
      for (let i = 0; i < 100; i++) {
        t += 10_000;
        r.acquired(rand() < 0.8 ? 'idle' : 'queued', 1 + rand() * 10_000, rand() < 0.01 ? 'timeout' : 'ok');
        r.gauges({ inUse: 1 + Math.floor(rand() * 3), idle: 2, waiting: 0, total: 5 }, t);
        r.released(500 + rand() * 1000, 2);
      }
      if (s === 3) r.closed('expired', 60, t);
      r.tick(t, 0);
    }
    return r.snapshot(t);
  }

  it('a snapshot is plain data: JSON round trip is lossless', () => {
    const s = window(1, 5);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });

  it('two snapshots of the same pool add up', () => {
    const a = window(1, 5);
    const b = window(2, 7);
    const m = mergePoolRuns(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));
    expect(m.counters.acquires).toBe(a.counters.acquires + b.counters.acquires);
    expect(m.counters.timeouts).toBe(a.counters.timeouts + b.counters.timeouts);
    expect(m.counters.closed.expired).toBe(2);
    expect(m.durationMs).toBe(a.durationMs + b.durationMs);
    expect(summarize(decode(m.histograms.wait)).count).toBe(a.counters.acquires + b.counters.acquires);
    expect(summarize(decode(m.histograms.hold)).count).toBe(a.counters.releases + b.counters.releases);
    const timeIn = (x: typeof a) => x.occupancy.inUse.levels.reduce((s, [, us]) => s + us, 0);
    expect(timeIn(m)).toBe(timeIn(a) + timeIn(b));
    expect(m.timeline.points.reduce((s, p) => s + p.acquires, 0)).toBe(m.counters.acquires);
    expect(m.expiryTimes[1]).toBeGreaterThan(a.durationMs);
    expect(() => mergePoolRuns(a, { ...b, pool: 'pgmq' })).toThrow(/cannot merge/);
  });
});

describe('timeline intervals', () => {
  it('each interval has the P99 of its own acquires, not of the whole run', () => {
    const r = new Recorder({ pool: 'database', settings: SETTINGS, emulateSqlx: false }, 0, 0);
    let t = 0;
    const waits = [100, 50_000, 200, 9_000];
    for (const w of waits) {
      for (let i = 0; i < 100; i++) r.acquired('queued', w, 'ok');
      t += 1_000_000;
      r.tick(t, 0);
    }
    const p99s = r.snapshot(t).timeline.points.map((p) => p.waitP99Us);
    expect(p99s.map((x, i) => Math.abs(x - waits[i]!) / waits[i]! < 0.01)).toEqual([true, true, true, true]);
    expect(r.recent().waitUs.count).toBe(400);
  });
});

describe('timeline jitter', () => {
  it('a tick that fires a little early still closes its own interval', () => {
    const tl = new BoundedTimeline(1000, 10);
    const base = { acquires: 1, waited: 0, timeouts: 0, errors: 0, created: 0, expired: 0, idleClosed: 0, waitP99Us: 1, waitMaxUs: 1, inUseMean: 0, inUseMax: 0, idleMean: 0, waitingMean: 0, waitingMax: 0, totalMax: 0, oldestWaiterMs: 0 };
    for (let i = 0; i < 5; i++) tl.push({ ...base, t: i * 999.6, dt: 999.6 });
    expect(tl.snapshot().points.map((p) => p.dt)).toEqual([999.6, 999.6, 999.6, 999.6, 999.6]);
  });
});

describe('hold by occupancy per half of the window', () => {
  it('splits holds by release time into the first and second half, also after the slices coarsen, and is reset with the window', () => {
    for (const seconds of [10, 600]) {
      const r = new Recorder({ pool: 'database', settings: SETTINGS, emulateSqlx: false }, 0, 0);
      const end = seconds * 1e6;
      // One release every 10 ms: level 1 with 1 ms holds in the first 40% of the window, level 3
      // with 9 ms holds in the last 40%, level 2 between.
      for (let t = 5_000; t < end; t += 10_000) {
        const at = t / end;
        if (at < 0.4) r.released(1_000, 1, t);
        else if (at >= 0.6) r.released(9_000, 3, t);
        else r.released(4_000, 2, t);
      }
      r.markWindowEnd(end, 0);
      const s = r.snapshot(end);
      const [h0, h1] = s.holdByInUseHalves!;
      const count = (h: { levels: Array<[number, number, number, number]> }, lv: number) => h.levels.find((x) => x[0] === lv)?.[1] ?? 0;
      const n = seconds * 100;
      expect(count(h0, 1)).toBe(0.4 * n);
      expect(count(h1, 1)).toBe(0);
      expect(count(h1, 3)).toBe(0.4 * n);
      expect(count(h0, 3)).toBe(0);
      // Level 2 straddles the middle: split at a slice boundary (1 s, or coarser for a long window).
      expect(count(h0, 2) + count(h1, 2)).toBe(0.2 * n);
      expect(Math.abs(count(h0, 2) - count(h1, 2))).toBeLessThanOrEqual((0.2 * n) / 4);
      // The halves add up to the whole.
      for (const lv of [1, 2, 3]) expect(count(h0, lv) + count(h1, lv)).toBe(count(s.holdByInUse, lv));
      r.reset(end, 0);
      expect(r.snapshot(end).holdByInUseHalves).toBeUndefined();
    }
  });
});
