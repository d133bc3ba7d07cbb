/** Whether the server, not the pool, limited the run: the calibrated uncontended hold against the hold under load, the pool at its max, and (open load) what was served against what was asked. Pure. */
import type { RuleSettings } from '../advisor/types.js';
import type { WorkloadRun } from '../run/types.js';
import type { PoolEvidence } from '../evidence/types.js';
import { ratio } from './ratio.js';
import type { HoldFigures, ServerCapacity } from './types.js';

/** Server bound: the pool's mean utilisation at least this (the pool was at its max)... */
export const SERVER_BOUND_UTILISATION = 0.8;

/** ...holds under load at least `holdGrowthRatio` times the calibrated uncontended hold, and longer by at least this (µs; below it the difference is the client's own noise)... */
export const SERVER_BOUND_MIN_EXTRA_US = 500;

/** ...and calibration holds needed to trust the uncontended hold. */
export const CALIBRATION_MIN_HOLDS = 5;

/** Open load: the pool served less than this share of what was asked. */
export const SERVER_BOUND_COMPLETED_SHARE = 0.9;

/**
 * Whether the server, not the pool, limited the run: the pool stayed near its max, holds under load
 * are far above the uncontended hold of the calibration phase (not read from the spread of
 * occupancy, which a pool pinned at its max does not have), and, for an open load, it completed
 * far less than asked.
 */
export function serverCapacity(p: PoolEvidence, acquires: number, workloads: WorkloadRun[], hold: HoldFigures, utilisation: number, durationS: number, rules: RuleSettings): ServerCapacity {
  // utilisation x max = mean connections in use.
  const cals = workloads.map((w) => w.calibration).filter((c): c is NonNullable<WorkloadRun['calibration']> => c !== undefined && c.holds > 0);
  const calHolds = cals.reduce((s, c) => s + c.holds, 0);
  // Sleep holds: the distribution's mean plus the overhead measured around the sleeps asked for.
  const uncontendedOf = (c: (typeof cals)[number]): number => (c.specMeanUs !== undefined && c.requestedMeanUs !== undefined ? c.specMeanUs + Math.max(0, c.meanUs - c.requestedMeanUs) : c.meanUs);
  const uncontended = calHolds > 0 ? cals.reduce((s, c) => s + c.holds * uncontendedOf(c), 0) / calHolds : null;
  const servedRate = ratio(utilisation * p.settings.max_connections * 1e6, hold.meanUs);
  const open = workloads.length > 0 && workloads.every((w) => w.generator.mode === 'open');
  const demandRate = open ? ratio(workloads.reduce((s, w) => s + w.generator.requests, 0), durationS) : null;
  const inflation = uncontended !== null && uncontended > 0 && hold.count > 0 ? hold.meanUs / uncontended : null;
  const note = workloads.length > 0 && cals.length === 0 ? (workloads.some((w) => w.calibration) ? 'the calibration phase recorded no hold' : 'no calibration phase (run saved by an older pool-advisor): the server is judged by the hold-versus-occupancy trend only') : null;
  const inflated = inflation !== null && calHolds >= CALIBRATION_MIN_HOLDS && inflation >= rules.holdGrowthRatio && hold.meanUs - uncontended! >= SERVER_BOUND_MIN_EXTRA_US;
  const full = utilisation >= SERVER_BOUND_UTILISATION;
  const short = demandRate === null || servedRate < SERVER_BOUND_COMPLETED_SHARE * demandRate;
  return { uncontendedHoldUs: uncontended, calibrationHolds: calHolds, holdInflation: inflation, servedRate, demandRate, bound: inflated && full && short && acquires > 0, note };
}
