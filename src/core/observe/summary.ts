/**
 * The figures `observe` prints and saves per group, computed once from the observation and the
 * mapping (so renderers only format): the settings the mapping brings, the share of time every
 * connection was busy, close attributions and the lifetimes and idle times at close. Pure.
 */
import type { PoolName } from '../config/pools.js';
import type { CloseAttribution, Observation, ObservedGroup } from './types.js';
import { attributeCloses, shareAtLeast } from './reconstruct.js';

/** Settings a group gets from `--map` (the Tasker config) or from Tasker's `/health/detailed`. */
export interface GroupSettings {
  env: string;
  pool: PoolName;
  /** The `--map` that matched. */
  map: string;
  maxConnections: number | null;
  /** Where maxConnections came from. */
  sizeSource: 'config' | 'tasker' | null;
  lifetimeS: number | null;
  idleTimeoutS: number | null;
}

/** Min, median and max of a list (seconds). */
export interface Spread {
  count: number;
  min: number;
  median: number;
  max: number;
}

/** Everything printed about one group. */
export interface GroupSummary {
  id: string;
  service: string;
  replica: string | null;
  settings: GroupSettings | null;
  samplesSeen: number;
  openMin: number;
  openMax: number;
  meanOpen: number;
  meanBusy: number;
  meanBusyStdErr: number | null;
  busyMax: number;
  reserved: number;
  /** Share of the time every connection the pool may open (less the reserved ones) was busy; null without a known size. */
  allBusyShare: number | null;
  /** True when busy sat at the size often enough that demand is censored: it was at least the size, how much more cannot be seen. */
  censored: boolean;
  births: number;
  deaths: number;
  /** Close attributions; null without a lifetime or idle timeout to attribute by. */
  closes: Record<CloseAttribution, number> | null;
  lifetimeAtClose: Spread | null;
  idleBeforeClose: Spread | null;
}

/**
 * Share of the window a pool's open count must sit at its size or above, with no idle close seen,
 * for the pool to count as held open (a fixed pool: HikariCP's default minimumIdle =
 * maximumPoolSize, psycopg_pool min_size = max_size, Go with idle = open, Tasker's min = max). The
 * rest allows a connection being replaced after its lifetime. Its open count is then its size, not
 * its need, and is no floor of it.
 */
export const HELD_OPEN_SHARE = 0.9;

/** Share of time all busy above which the demand counts as censored. */
export const CENSORED_SHARE = 0.2;

function spread(xs: readonly number[]): Spread | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return { count: s.length, min: s[0]!, median: s[Math.floor((s.length - 1) / 2)]!, max: s[s.length - 1]! };
}

/** Summarise one group with the settings its mapping gives. */
export function summarizeGroup(g: ObservedGroup, settings: GroupSettings | null): GroupSummary {
  const size = settings?.maxConnections ?? null;
  const usable = size === null ? null : Math.max(1, size - g.reserved);
  const allBusyShare = usable === null ? null : shareAtLeast(g.busy, usable);
  const attributable = settings !== null && (settings.lifetimeS !== null || settings.idleTimeoutS !== null);
  return {
    id: g.id,
    service: g.service,
    replica: g.replica,
    settings,
    samplesSeen: g.samplesSeen,
    openMin: g.openMin,
    openMax: g.open.max,
    meanOpen: g.meanOpen,
    meanBusy: g.meanBusy,
    meanBusyStdErr: g.meanBusyStdErr,
    busyMax: g.busy.max,
    reserved: g.reserved,
    allBusyShare,
    censored: allBusyShare !== null && allBusyShare >= CENSORED_SHARE,
    births: g.births,
    deaths: g.deaths,
    closes: attributable ? attributeCloses(g.closes, { lifetimeS: settings!.lifetimeS, idleTimeoutS: settings!.idleTimeoutS }) : null,
    // Midpoints of the bounds the samples give.
    lifetimeAtClose: spread(g.closes.map((c) => (c.ageMinS + c.ageMaxS) / 2)),
    idleBeforeClose: spread(g.closes.filter((c) => c.idleMinS !== null).map((c) => (c.idleMinS! + c.idleMaxS!) / 2)),
  };
}

/** Summarise every group; `settingsFor` gives a group's mapping (or null when unmapped). */
export function summarizeObservation(obs: Observation, settingsFor: (g: ObservedGroup) => GroupSettings | null): GroupSummary[] {
  return obs.groups.map((g) => summarizeGroup(g, settingsFor(g)));
}
