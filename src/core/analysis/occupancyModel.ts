/**
 * The queue model on occupancy alone, for evidence that sees connections but not acquires (the
 * server's view of a service): the mean number busy is the offered load (Little's law: arrival
 * rate times mean hold), which is all Erlang C needs for the probability that an acquire waits.
 * Wait *times* need the hold, which this evidence lacks, so sizes are for P(wait) at most 1% - the
 * size at which the P99 wait is zero, whatever the hold - a size that meets any P99 target.
 *
 * When busy sits at the pool's size for a large share of the window, demand is censored: it was at
 * least the size, and how much more cannot be seen from the mean. The share itself still speaks:
 * in M/M/c the share of time every server is busy is the probability of waiting, so the offered
 * load is the one whose Erlang C at the usable size equals that share - an estimate, said as one.
 * Pure.
 */
import { shareAtLeast } from '../observe/reconstruct.js';
import { CENSORED_SHARE } from '../observe/summary.js';
import type { OccupancyEvidence } from '../evidence/types.js';
import { erlangC, MAX_CONNECTIONS } from '../model/queue.js';
import { meanLevel, totalTime } from '../run/occupancy.js';

/** P(wait) a size from occupancy alone keeps to: at or under it the P99 wait is zero. */
export const NO_WAIT_PROBABILITY = 0.01;

/** What the model says from occupancy alone. */
export interface OccupancyModel {
  /** Mean connections busy: the offered load (a lower bound when the source sees busy as a lower bound of checked out). */
  offeredLoad: number;
  offeredLoadIsLowerBound: boolean;
  /** Connections held for good (LISTEN), not in the offered load. */
  reserved: number;
  /** max_connections less the reserved ones. */
  usable: number;
  /** Share of the window every usable connection was busy. */
  allBusyShare: number;
  /** Busy sat at the size often enough ({@link CENSORED_SHARE}) that demand is only known to be at least the size. */
  censored: boolean;
  /** Erlang C at the current size and the offered load. */
  pWaitAtCurrent: number;
  /** Smallest size (reserved included) with P(wait) at most {@link NO_WAIT_PROBABILITY} at the offered load. */
  needNoWait: number | null;
  /** When censored: the offered load whose Erlang C at the usable size is the share of time all were busy, and the size that load needs. */
  estimatedLoad: number | null;
  estimatedNeed: number | null;
  /** Most connections seen open at once. */
  maxOpenSeen: number;
}

/** Smallest c with Erlang C at or under `p` for offered load `a`; null past the model's range. */
export function smallestNoWait(a: number, p = NO_WAIT_PROBABILITY): number | null {
  for (let c = Math.max(1, Math.floor(a) + 1); c <= MAX_CONNECTIONS; c++) if (erlangC(c, a) <= p) return c;
  return null;
}

/** The offered load at which Erlang C at `c` is `share` (bisection: C grows with the load). */
export function loadForWaitShare(c: number, share: number): number {
  let lo = 0;
  let hi = c;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (erlangC(c, mid) < share) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** The model on occupancy alone; null when the occupancy lacks what it needs. */
export function occupancyModel(occ: OccupancyEvidence | undefined, maxConnections: number): OccupancyModel | null {
  if (!occ?.inUse || !occ.open || maxConnections <= 0) return null;
  if (!(totalTime(occ.inUse) > 0)) return null;
  const offeredLoad = meanLevel(occ.inUse);
  const reserved = occ.reserved ?? 0;
  const usable = Math.max(1, maxConnections - reserved);
  const allBusyShare = shareAtLeast(occ.inUse, usable);
  const censored = allBusyShare >= CENSORED_SHARE;
  const need = smallestNoWait(offeredLoad);
  let estimatedLoad: number | null = null;
  let estimatedNeed: number | null = null;
  if (censored && allBusyShare < 1) {
    estimatedLoad = Math.max(offeredLoad, loadForWaitShare(usable, allBusyShare));
    const n = smallestNoWait(estimatedLoad);
    estimatedNeed = n === null ? null : n + reserved;
  }
  return {
    offeredLoad,
    offeredLoadIsLowerBound: occ.inUseIsLowerBound ?? false,
    reserved,
    usable,
    allBusyShare,
    censored,
    pWaitAtCurrent: erlangC(usable, offeredLoad),
    needNoWait: need === null ? null : need + reserved,
    estimatedLoad,
    estimatedNeed,
    maxOpenSeen: occ.open.max,
  };
}
