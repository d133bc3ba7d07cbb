/**
 * Adding up two snapshots of the same pool (two windows, or the same pool measured on two
 * instances): counters and histograms add, occupancy distributions add, timelines are laid end to
 * end. Pure.
 */
import { mergeEncoded } from './histogram.js';
import { mergeLevels } from './occupancy.js';
import { addCounts, halve, TIMELINE_CAPACITY } from './timeline.js';
import type { HoldByInUse, PoolCounters, PoolRun, TimelinePoint } from './types.js';

function addCounters(a: PoolCounters, b: PoolCounters): PoolCounters {
  return {
    acquires: a.acquires + b.acquires,
    byPath: addCounts(a.byPath, b.byPath, ['idle', 'new', 'queued']),
    ...addCounts(a, b, ['waited', 'timeouts', 'errors', 'slow', 'slowSuppressed', 'created', 'createErrors']),
    closed: addCounts(a.closed, b.closed, ['expired', 'idle', 'error', 'shutdown']),
    releases: a.releases + b.releases,
  };
}

/** Hold-by-level rows of two snapshots added level by level. */
function addHoldLevels(a: HoldByInUse, b: HoldByInUse): HoldByInUse {
  const holdLevels = new Map<number, [number, number, number]>();
  for (const [lv, n, s, s2] of [...a.levels, ...b.levels]) {
    const cur = holdLevels.get(lv) ?? [0, 0, 0];
    holdLevels.set(lv, [cur[0] + n, cur[1] + s, cur[2] + s2]);
  }
  return { levels: [...holdLevels.entries()].sort((x, y) => x[0] - y[0]).map(([lv, [n, s, s2]]) => [lv, n, s, s2]) };
}

/** Merge two snapshots of the same pool; `b` is taken to follow `a` in time. */
export function mergePoolRuns(a: PoolRun, b: PoolRun): PoolRun {
  if (a.pool !== b.pool) throw new RangeError(`cannot merge pool '${a.pool}' with pool '${b.pool}'`);
  const offset = a.durationMs;
  let points: TimelinePoint[] = [...a.timeline.points, ...b.timeline.points.map((p) => ({ ...p, t: p.t + offset }))];
  let intervalMs = Math.max(a.timeline.intervalMs, b.timeline.intervalMs);
  while (points.length > TIMELINE_CAPACITY) {
    points = halve(points);
    intervalMs *= 2;
  }
  return {
    pool: a.pool,
    settings: b.settings,
    emulateSqlx: a.emulateSqlx && b.emulateSqlx,
    startedAt: Math.min(a.startedAt, b.startedAt),
    durationMs: a.durationMs + b.durationMs,
    counters: addCounters(a.counters, b.counters),
    histograms: {
      wait: mergeEncoded(a.histograms.wait, b.histograms.wait),
      waitByPath: {
        idle: mergeEncoded(a.histograms.waitByPath.idle, b.histograms.waitByPath.idle),
        new: mergeEncoded(a.histograms.waitByPath.new, b.histograms.waitByPath.new),
        queued: mergeEncoded(a.histograms.waitByPath.queued, b.histograms.waitByPath.queued),
      },
      hold: mergeEncoded(a.histograms.hold, b.histograms.hold),
      create: mergeEncoded(a.histograms.create, b.histograms.create),
    },
    occupancy: {
      inUse: mergeLevels(a.occupancy.inUse, b.occupancy.inUse),
      idle: mergeLevels(a.occupancy.idle, b.occupancy.idle),
      waiting: mergeLevels(a.occupancy.waiting, b.occupancy.waiting),
      total: mergeLevels(a.occupancy.total, b.occupancy.total),
    },
    holdByInUse: addHoldLevels(a.holdByInUse, b.holdByInUse),
    // Halves add half by half (exact for two instances over one window, approximate for two windows).
    ...(a.holdByInUseHalves && b.holdByInUseHalves ? { holdByInUseHalves: [addHoldLevels(a.holdByInUseHalves[0], b.holdByInUseHalves[0]), addHoldLevels(a.holdByInUseHalves[1], b.holdByInUseHalves[1])] as [HoldByInUse, HoldByInUse] } : {}),
    timeline: { intervalMs, points },
    expiryTimes: [...a.expiryTimes, ...b.expiryTimes.map((t) => t + offset)].slice(0, 2000),
    expiryTimesTruncated: a.expiryTimesTruncated || b.expiryTimesTruncated || a.expiryTimes.length + b.expiryTimes.length > 2000,
    idleClosedAges: [...a.idleClosedAges, ...b.idleClosedAges].slice(0, 2000),
  };
}
