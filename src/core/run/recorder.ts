/**
 * The recorder: every figure the advisor prints comes from here. It takes events with their
 * timestamps (µs on the caller's monotonic clock) and keeps HDR histograms, counters, exact
 * occupancy and a bounded timeline. Pure: no timers, no pg; the shell's pool wrapper feeds it.
 *
 * The hot path (an acquire and its release) costs two clock reads in the caller, two histogram
 * records (wait by path, hold) and a few additions. Everything else happens once per tick.
 */
import type { PoolName, PoolSettings } from '../config/pools.js';
import { encode, newHistogram, recordUs, summarize, type Histogram } from './histogram.js';
import { boundLevels, LevelIntegrator } from './occupancy.js';
import { BoundedTimeline, round3 } from './timeline.js';
import type { AcquirePath, CloseReason, HoldByInUse, PoolCounters, PoolRun, TimelinePoint } from './types.js';

/** How an acquire ended. */
export type AcquireOutcome = 'ok' | 'timeout' | 'error';

/** The live gauges of a pool. */
export interface Gauges {
  inUse: number;
  idle: number;
  waiting: number;
  total: number;
}

/** Bound on the expiry times and idle-close ages kept per window. */
const MAX_EVENTS_KEPT = 2000;
/** Hold-by-level slices kept per window (adjacent pairs merge, doubling the slice, beyond this). */
const MAX_HOLD_SLICES = 64;
/** The first slice length, µs. */
const HOLD_SLICE_US = 1_000_000;

type HoldRows = Array<[number, number, number] | undefined>;

function addHold(rows: HoldRows, level: number, holdUs: number): void {
  const row = rows[level];
  if (row) {
    row[0]++;
    row[1] += holdUs;
    row[2] += holdUs * holdUs;
  } else rows[level] = [1, holdUs, holdUs * holdUs];
}

function addRows(into: HoldRows, from: HoldRows | undefined): void {
  if (!from) return;
  from.forEach((row, lv) => {
    if (!row) return;
    const cur = into[lv];
    if (cur) {
      cur[0] += row[0];
      cur[1] += row[1];
      cur[2] += row[2];
    } else into[lv] = [...row];
  });
}

function encodeRows(rows: HoldRows): HoldByInUse {
  return { levels: rows.flatMap((row, lv) => (row ? [[lv, row[0], row[1], row[2]] as [number, number, number, number]] : [])) };
}

/** How many slices the recent window (for /health) is made of, and how long each is. */
const RECENT_SLICES = 4;
const RECENT_SLICE_US = 15_000_000;

function emptyCounters(): PoolCounters {
  return {
    acquires: 0,
    byPath: { idle: 0, new: 0, queued: 0 },
    waited: 0,
    timeouts: 0,
    errors: 0,
    slow: 0,
    slowSuppressed: 0,
    created: 0,
    createErrors: 0,
    closed: { expired: 0, idle: 0, error: 0, shutdown: 0 },
    releases: 0,
  };
}

/** Options of a {@link Recorder}. */
export interface RecorderOptions {
  pool: PoolName | string;
  settings: PoolSettings;
  emulateSqlx: boolean;
  /** What the sqlx emulation does, in words (said in the run). */
  sqlxBehaviour?: readonly string[];
  /** Timeline interval, ms (default 1000). */
  intervalMs?: number;
  /** Timeline capacity before it downsamples (default 600). */
  timelineCapacity?: number;
}

/** Records what happens to one pool. */
export class Recorder {
  readonly pool: string;
  settings: PoolSettings;
  readonly emulateSqlx: boolean;
  private readonly sqlxBehaviour: readonly string[] | undefined;
  private readonly baseIntervalMs: number;

  counters: PoolCounters = emptyCounters();
  private waitByPath: Record<AcquirePath, Histogram> = { idle: newHistogram(), new: newHistogram(), queued: newHistogram() };
  private hold: Histogram = newHistogram();
  private create: Histogram = newHistogram();
  private holdByInUse: HoldRows = [];
  // Hold by level per slice of the window (by release time), to split the window into halves.
  private holdSlices: Array<HoldRows | undefined> = [];
  private holdSliceUs = HOLD_SLICE_US;

  readonly inUse: LevelIntegrator;
  readonly idle: LevelIntegrator;
  readonly waiting: LevelIntegrator;
  readonly total: LevelIntegrator;

  private timeline: BoundedTimeline;
  private windowStartUs: number;
  private windowStartEpochMs: number;
  private expiryTimes: number[] = [];
  private expiryTimesTruncated = false;
  private idleClosedAges: number[] = [];

  // Tick state: the cumulative wait histogram and counters at the previous tick, to diff.
  private lastTickUs: number;
  private lastTickWait: Histogram = newHistogram();
  private lastTickCounters: PoolCounters = emptyCounters();
  private lastTickArea = { inUse: 0, idle: 0, waiting: 0 };
  // Recent window for /health: cumulative wait histograms at slice boundaries.
  private recentSlices: Array<{ atUs: number; wait: Histogram; counters: PoolCounters; inUseArea: number }> = [];
  // Set by markWindowEnd: the window's length, occupancy and timeline as they were when it closed.
  private frozen: Pick<PoolRun, 'durationMs' | 'occupancy' | 'timeline'> | undefined;

  constructor(opts: RecorderOptions, nowUs: number, epochMs: number) {
    this.pool = opts.pool;
    this.settings = opts.settings;
    this.emulateSqlx = opts.emulateSqlx;
    this.sqlxBehaviour = opts.sqlxBehaviour;
    this.baseIntervalMs = opts.intervalMs ?? 1000;
    this.timeline = new BoundedTimeline(this.baseIntervalMs, opts.timelineCapacity);
    this.inUse = new LevelIntegrator(nowUs);
    this.idle = new LevelIntegrator(nowUs);
    this.waiting = new LevelIntegrator(nowUs);
    this.total = new LevelIntegrator(nowUs);
    this.windowStartUs = nowUs;
    this.windowStartEpochMs = epochMs;
    this.lastTickUs = nowUs;
    this.recentSlices.push({ atUs: nowUs, wait: newHistogram(), counters: emptyCounters(), inUseArea: 0 });
  }

  /** An acquire finished (or failed) after waiting `waitUs`. Returns whether it was slow. */
  acquired(path: AcquirePath, waitUs: number, outcome: AcquireOutcome): boolean {
    const c = this.counters;
    c.acquires++;
    c.byPath[path]++;
    if (path !== 'idle') c.waited++;
    if (outcome === 'timeout') c.timeouts++;
    else if (outcome === 'error') c.errors++;
    recordUs(this.waitByPath[path], waitUs);
    if (waitUs >= this.settings.slow_acquire_threshold_ms * 1000) {
      c.slow++;
      return true;
    }
    return false;
  }

  /**
   * A connection was handed back after `holdUs`; `inUseAtStart` counted it among the connections in
   * use. With the release time `nowUs`, the hold also counts in its slice of the window, so the
   * snapshot can split hold-by-level into the window's two halves.
   */
  released(holdUs: number, inUseAtStart: number, nowUs?: number): void {
    this.counters.releases++;
    recordUs(this.hold, holdUs);
    addHold(this.holdByInUse, inUseAtStart, holdUs);
    if (nowUs === undefined) return;
    let i = Math.max(0, Math.floor((nowUs - this.windowStartUs) / this.holdSliceUs));
    while (i >= MAX_HOLD_SLICES) {
      const merged: Array<HoldRows | undefined> = [];
      for (let k = 0; k < this.holdSlices.length; k += 2) {
        const a = this.holdSlices[k];
        const b = this.holdSlices[k + 1];
        if (!a && !b) continue;
        const rows: HoldRows = [];
        addRows(rows, a);
        addRows(rows, b);
        merged[k / 2] = rows;
      }
      this.holdSlices = merged;
      this.holdSliceUs *= 2;
      i = Math.floor((nowUs - this.windowStartUs) / this.holdSliceUs);
    }
    addHold((this.holdSlices[i] ??= []), inUseAtStart, holdUs);
  }

  /** Hold by level in the window's first and second half (a slice goes to the half holding its middle); undefined when no release time was given. */
  private holdHalves(durationUs: number): [HoldByInUse, HoldByInUse] | undefined {
    if (this.holdSlices.length === 0) return undefined;
    const first: HoldRows = [];
    const second: HoldRows = [];
    this.holdSlices.forEach((rows, i) => addRows((i + 0.5) * this.holdSliceUs < durationUs / 2 ? first : second, rows));
    return [encodeRows(first), encodeRows(second)];
  }

  /** A connection opened after `createUs`. */
  opened(createUs: number): void {
    this.counters.created++;
    recordUs(this.create, createUs);
  }

  /** A connection attempt failed. */
  openFailed(): void {
    this.counters.createErrors++;
  }

  /** A connection closed, for `reason`, after living `ageS` seconds. */
  closed(reason: CloseReason, ageS: number, nowUs: number): void {
    this.counters.closed[reason]++;
    if (reason === 'expired') {
      if (this.expiryTimes.length < MAX_EVENTS_KEPT) this.expiryTimes.push(Math.round((nowUs - this.windowStartUs) / 1000));
      else this.expiryTimesTruncated = true;
    } else if (reason === 'idle' && this.idleClosedAges.length < MAX_EVENTS_KEPT) {
      this.idleClosedAges.push(Math.round(ageS * 10) / 10);
    }
  }

  /** Update the gauges at time `nowUs` (call at every event that can change them). */
  gauges(g: Gauges, nowUs: number): void {
    this.setGauges(g.inUse, g.idle, g.waiting, g.total, nowUs);
  }

  /** {@link gauges} without an object, for the acquire hot path. */
  setGauges(inUse: number, idle: number, waiting: number, total: number, nowUs: number): void {
    this.inUse.set(inUse, nowUs);
    this.idle.set(idle, nowUs);
    this.waiting.set(waiting, nowUs);
    this.total.set(total, nowUs);
  }

  /** The wait histogram of every path together, into `into` (reset first) or a new histogram. */
  private cumulativeWait(into?: Histogram): Histogram {
    const h = into ?? newHistogram();
    if (into) into.reset();
    h.add(this.waitByPath.idle);
    h.add(this.waitByPath.new);
    h.add(this.waitByPath.queued);
    return h;
  }

  // Scratch histograms reused by every tick: allocating ~100 KB per tick made the garbage
  // collector pause the event loop (and with it the load generator) for tens of milliseconds.
  private scratchCum: Histogram = newHistogram();
  private scratchInterval: Histogram = newHistogram();
  private scratchRecent: Histogram = newHistogram();

  /** Close a timeline interval at `nowUs`; `oldestWaiterMs` is the age of the oldest pending acquire. */
  tick(nowUs: number, oldestWaiterMs: number): void {
    const dtUs = nowUs - this.lastTickUs;
    if (dtUs <= 0) return;
    const cum = this.cumulativeWait(this.scratchCum);
    const interval = this.scratchInterval;
    interval.reset();
    interval.add(cum);
    interval.subtract(this.lastTickWait);
    const s = summarize(interval);
    const c = this.counters;
    const p = this.lastTickCounters;
    const area = { inUse: this.inUse.areaAt(nowUs), idle: this.idle.areaAt(nowUs), waiting: this.waiting.areaAt(nowUs) };
    const point: TimelinePoint = {
      t: Math.round((this.lastTickUs - this.windowStartUs) / 1000),
      dt: round3(dtUs / 1000),
      acquires: c.acquires - p.acquires,
      waited: c.waited - p.waited,
      timeouts: c.timeouts - p.timeouts,
      errors: c.errors - p.errors,
      created: c.created - p.created,
      expired: c.closed.expired - p.closed.expired,
      idleClosed: c.closed.idle - p.closed.idle,
      waitP99Us: s.p99,
      waitMaxUs: s.max,
      inUseMean: round3((area.inUse - this.lastTickArea.inUse) / dtUs),
      inUseMax: this.inUse.takeIntervalMax(),
      idleMean: round3((area.idle - this.lastTickArea.idle) / dtUs),
      waitingMean: round3((area.waiting - this.lastTickArea.waiting) / dtUs),
      waitingMax: this.waiting.takeIntervalMax(),
      totalMax: this.total.takeIntervalMax(),
      oldestWaiterMs: round3(oldestWaiterMs),
    };
    this.idle.takeIntervalMax();
    this.timeline.push(point);
    this.lastTickUs = nowUs;
    // `cum` is the scratch histogram the next tick overwrites: keep copies of it, never the scratch itself.
    this.lastTickWait.reset();
    this.lastTickWait.add(cum);
    this.lastTickCounters = structuredClone(c);
    this.lastTickArea = area;
    const lastSlice = this.recentSlices[this.recentSlices.length - 1]!;
    if (nowUs - lastSlice.atUs >= RECENT_SLICE_US) {
      const wait = newHistogram();
      wait.add(cum);
      this.recentSlices.push({ atUs: nowUs, wait, counters: structuredClone(c), inUseArea: area.inUse });
      if (this.recentSlices.length > RECENT_SLICES + 1) this.recentSlices.shift();
    }
  }

  /**
   * Acquire-wait summary over the recent window (the last 45-60 s, or since the start), for
   * `/health`; µs.
   */
  recent(): { waitUs: ReturnType<typeof summarize>; windowStartUs: number } {
    const oldest = this.recentSlices[0]!;
    const h = this.cumulativeWait(this.scratchRecent);
    h.subtract(oldest.wait);
    return { waitUs: summarize(h), windowStartUs: oldest.atUs };
  }

  /**
   * The recent window up to `nowUs` (the last 45-60 s, or since the start), for `/health`: its
   * start and length (µs), the acquires in it with their wait summary (µs), and the time-weighted
   * mean number of connections in use.
   */
  recentWindow(nowUs: number): { startUs: number; durationUs: number; acquires: number; waitUs: ReturnType<typeof summarize>; inUseMean: number } {
    const oldest = this.recentSlices[0]!;
    const h = this.cumulativeWait();
    h.subtract(oldest.wait);
    const durationUs = Math.max(0, nowUs - oldest.atUs);
    return {
      startUs: oldest.atUs,
      durationUs,
      acquires: this.counters.acquires - oldest.counters.acquires,
      waitUs: summarize(h),
      inUseMean: durationUs > 0 ? (this.inUse.areaAt(nowUs) - oldest.inUseArea) / durationUs : this.inUse.current,
    };
  }

  /** Summary of the whole window's wait (µs), for /health and /metrics. */
  waitSummary(): ReturnType<typeof summarize> {
    return summarize(this.cumulativeWait());
  }

  /** Live histograms (read-only use: /metrics reads them at scrape time). */
  liveHistograms(): { wait: Histogram; hold: Histogram; create: Histogram } {
    return { wait: this.cumulativeWait(), hold: this.hold, create: this.create };
  }

  /** Start a new measurement window at `nowUs` (the end of warm-up): figures restart, gauges keep their levels. */
  reset(nowUs: number, epochMs: number): void {
    this.counters = emptyCounters();
    this.waitByPath = { idle: newHistogram(), new: newHistogram(), queued: newHistogram() };
    this.hold = newHistogram();
    this.create = newHistogram();
    this.holdByInUse = [];
    this.holdSlices = [];
    this.holdSliceUs = HOLD_SLICE_US;
    for (const g of [this.inUse, this.idle, this.waiting, this.total]) g.reset(nowUs);
    this.timeline.reset(this.baseIntervalMs);
    this.windowStartUs = nowUs;
    this.windowStartEpochMs = epochMs;
    this.expiryTimes = [];
    this.expiryTimesTruncated = false;
    this.idleClosedAges = [];
    this.lastTickUs = nowUs;
    this.lastTickWait = newHistogram();
    this.lastTickCounters = emptyCounters();
    this.lastTickArea = { inUse: 0, idle: 0, waiting: 0 };
    this.recentSlices = [{ atUs: nowUs, wait: newHistogram(), counters: emptyCounters(), inUseArea: 0 }];
    this.frozen = undefined;
  }

  /**
   * Close the measurement window at `nowUs`: its length, occupancy and timeline stop there.
   * Acquires still in flight keep being recorded until the snapshot, so the waits of requests
   * issued inside the window are never cut off (no survivorship bias in a saturated run).
   */
  markWindowEnd(nowUs: number, oldestWaiterMs: number): void {
    this.tick(nowUs, oldestWaiterMs);
    this.frozen = {
      durationMs: Math.max(0, (nowUs - this.windowStartUs) / 1000),
      occupancy: {
        inUse: this.inUse.snapshot(nowUs),
        idle: this.idle.snapshot(nowUs),
        waiting: boundLevels(this.waiting.snapshot(nowUs)),
        total: this.total.snapshot(nowUs),
      },
      timeline: this.timeline.snapshot(),
    };
  }

  /** A plain, serialisable snapshot of the window up to `nowUs` (or to its marked end). */
  snapshot(nowUs: number): PoolRun {
    const wait = this.cumulativeWait();
    const f = this.frozen;
    const halves = this.holdHalves(f ? f.durationMs * 1000 : Math.max(0, nowUs - this.windowStartUs));
    return {
      pool: this.pool as PoolName,
      settings: { ...this.settings },
      emulateSqlx: this.emulateSqlx,
      ...(this.sqlxBehaviour ? { sqlxBehaviour: [...this.sqlxBehaviour] } : {}),
      startedAt: this.windowStartEpochMs,
      durationMs: f ? f.durationMs : Math.max(0, (nowUs - this.windowStartUs) / 1000),
      counters: structuredClone(this.counters),
      histograms: {
        wait: encode(wait),
        waitByPath: { idle: encode(this.waitByPath.idle), new: encode(this.waitByPath.new), queued: encode(this.waitByPath.queued) },
        hold: encode(this.hold),
        create: encode(this.create),
      },
      occupancy: f
        ? f.occupancy
        : { inUse: this.inUse.snapshot(nowUs), idle: this.idle.snapshot(nowUs), waiting: boundLevels(this.waiting.snapshot(nowUs)), total: this.total.snapshot(nowUs) },
      holdByInUse: encodeRows(this.holdByInUse),
      ...(halves ? { holdByInUseHalves: halves } : {}),
      timeline: f ? f.timeline : this.timeline.snapshot(),
      expiryTimes: [...this.expiryTimes],
      expiryTimesTruncated: this.expiryTimesTruncated,
      idleClosedAges: [...this.idleClosedAges],
    };
  }
}
