/**
 * Sizing from occupancy alone (the server's view of a service: connections busy and open, no
 * acquires, no holds), used by `oversized` when the evidence lacks the acquire rate or holds.
 *
 * - Busy on the server is a lower bound of what the pool has checked out (a connection held between
 *   statements shows `idle`), so a cut never goes below the most connections seen open, nor below
 *   the size at which Erlang C at the mean busy count keeps P(wait) at 1% or under (the P99 wait is
 *   then zero, whatever the hold), nor below 2.
 * - When the busy count is much smoother than an open load's (a closed loop of workers: see the
 *   occupancy model's dispersion), Erlang C at its mean over-states the need, and the floor is the
 *   most seen busy at once instead (and still not below the most seen open, nor 2).
 * - It fires as `oversized` does: max_connections over `oversizedFactor` times that floor.
 * - When busy sat at the size for a large share of the window the demand is censored: a warning says
 *   so and what the share implies, and no key changes (the server cannot see whether the pool or the
 *   database limits; the service's own wait metrics would).
 * - With the pool's own role's statements (a lower bound of the hold), a finding gives the waits at
 *   the current size, each a lower bound, beside the target: a note, not a size (the hold's bound
 *   is loose where transactions hold connections between statements).
 */
import { formatNum, formatShare, formatUs } from '../units.js';
import { HELD_OPEN_SHARE, NO_WAIT_PROBABILITY, type Dispersion, type OccupancyModel } from '../analysis/occupancyModel.js';
import { ev } from './support.js';
import { WORKING_POOL_MIN } from './consistency.js';
import type { EvidenceItem, Finding, PoolRuleContext, PoolRuleOutcome } from './types.js';


/** `oversized` (and the censored warning) on occupancy alone, with the waits' lower bounds when the hold has one. */
export function oversizedFromOccupancy(ctx: PoolRuleContext): PoolRuleOutcome {
  const out = sizeFromOccupancy(ctx);
  const f = waitsFinding(ctx);
  return f ? { changes: out.changes, findings: [...out.findings, f] } : out;
}

/** The waits at the current size from a lower bound of the hold, beside the target. */
function waitsFinding(ctx: PoolRuleContext): Finding | null {
  const p = ctx.pool;
  const m = p.occupancyModel;
  const w = m?.waitsAtLeast;
  // A P99 of zero (P(wait) under 1%) bounds nothing from below: no finding.
  if (!m || !w || !(w.p99Us > 0)) return null;
  const over = w.p99Us > ctx.targetMs * 1000;
  return {
    env: ctx.env.env,
    pool: p.pool,
    kind: 'pool-saturation',
    severity: over ? 'warning' : 'info',
    message: `waits at ${p.settings.max_connections} connections, at least: P99 ${formatUs(w.p99Us)}, mean ${formatUs(w.meanUs)} (Erlang C at ${formatNum(m.offeredLoad, 2)} busy on average, with ${w.holdFrom}, ${formatUs(w.holdUs)}, as the hold: a checkout holds its connection at least that long)${over ? `: over the ${formatNum(ctx.targetMs, 0)} ms target even so; whether the pool or the database is the limit the server cannot see, the service's own wait metrics would` : `; a lower bound under the ${formatNum(ctx.targetMs, 0)} ms target does not show the target is met`}`,
    evidence: [
      ev('holdAtLeast', `${w.holdFrom} (at most the mean hold)`, w.holdUs, 'us'),
      ev('p99WaitAtLeast', 'P99 wait at the current size (a lower bound)', w.p99Us, 'us'),
      ev('meanWaitAtLeast', 'mean wait at the current size (a lower bound)', w.meanUs, 'us'),
    ],
  };
}

function sizeFromOccupancy(ctx: PoolRuleContext): PoolRuleOutcome {
  const p = ctx.pool;
  const m = p.occupancyModel;
  if (!m || ctx.proposed.has('max_connections')) return { changes: [], findings: [] };
  const max = p.settings.max_connections;
  const source = p.coverage?.source.detail ?? 'this source';
  if (m.censored) {
    const est =
      m.estimatedNeed !== null && m.estimatedLoad !== null
        ? ` If the pool, not the database, is the limit, that share means an offered load of about ${formatNum(m.estimatedLoad, 1)} connections (Erlang C at ${m.usable}), which ${m.estimatedNeed} connections would serve with P(wait) under ${formatShare(NO_WAIT_PROBABILITY)}.`
        : '';
    return {
      changes: [],
      findings: [
        {
          env: ctx.env.env,
          pool: p.pool,
          kind: 'pool-saturation',
          severity: 'warning',
          message: `every one of the ${m.usable} usable connections was busy ${formatShare(m.allBusyShare)} of the window: demand was at least ${m.usable}, how much more ${source} cannot see, so no size is advised.${est} The service's own acquire-wait metrics (observe --prometheus) would tell whether callers waited.`,
          evidence: [
            ev('allBusyShare', 'share of the window with every usable connection busy', m.allBusyShare, 'share'),
            ev('meanBusy', 'mean connections busy (a lower bound of checked out)', m.offeredLoad, 'connections'),
            ev('estimatedNeed', `size for P(wait) under ${formatShare(NO_WAIT_PROBABILITY)} at the load the share implies`, m.estimatedNeed, 'connections'),
          ],
        },
      ],
    };
  }
  const d = m.dispersion;
  if (d?.smooth) return sizeClosedLoop(ctx, m, d, source);
  if (m.needNoWait === null) return { changes: [], findings: [] };
  if (m.openHeld) return sizeHeldOpen(ctx, m, source);
  const floor = Math.max(m.needNoWait, m.maxOpenSeen, WORKING_POOL_MIN);
  if (max <= ctx.rules.oversizedFactor * floor) return { changes: [], findings: [] };
  return cut(
    ctx,
    floor,
    [
      ...busyEvidence(ctx, m, true),
      maxOpenEvidence(m),
      ev('needNoWait', NEED_NO_WAIT, m.needNoWait, 'connections'),
      ev('pWaitAtCurrent', 'P(wait) at the current size (Erlang C)', m.pWaitAtCurrent, 'share'),
      ...(d ? [ev('busyDispersion', DISPERSION, d.index, 'ratio')] : []),
    ],
    `${source} saw ${formatNum(m.offeredLoad, 2)} connections busy on average and at most ${m.maxOpenSeen} open of ${max}; at ${floor}, Erlang C at that load puts P(wait) under ${formatShare(NO_WAIT_PROBABILITY)} (a P99 wait of zero, whatever the hold), and it is not below the most seen open (busy on the server is a lower bound of what the pool has checked out); the other ${max - floor} only reserve database capacity.`,
  );
}

const DISPERSION = 'variance over mean of the busy count (1 for an open load)';
const NEED_NO_WAIT = `smallest size with P(wait) under ${formatShare(NO_WAIT_PROBABILITY)} (Erlang C at the mean busy count)`;

/** The evidence every size from occupancy shows: the mean busy count, and (for an open load) its P99. */
function busyEvidence(ctx: PoolRuleContext, m: OccupancyModel, withP99: boolean): EvidenceItem[] {
  return [
    ev('meanBusy', 'mean connections busy (server side: a lower bound of checked out)', m.offeredLoad, 'connections'),
    ...(withP99 ? [ev('busyP99', 'P99 connections busy (time-weighted)', ctx.pool.inUse.p99, 'connections')] : []),
  ];
}

const maxBusyEvidence = (m: OccupancyModel): EvidenceItem => ev('maxBusy', 'most connections seen busy at once', m.maxBusySeen, 'connections');
const maxOpenEvidence = (m: OccupancyModel, what = 'most connections seen open'): EvidenceItem => ev('maxOpen', what, m.maxOpenSeen, 'connections');

/**
 * What a size from the busy count alone rests on, for a pool whose open count says nothing of its
 * need (it kept its size open).
 */
export const BUSY_ONLY_ASSUMPTION =
  'this rests on connections being checked out only while they run a statement or hold a transaction: a connection the service holds between statements looks idle to the server, and would make the need larger than this';

/**
 * `max_connections` down to `floor`, confidence at most medium (the server's view), `low` when the
 * size rests on the busy count alone. A pool the config keeps fixed (min_connections at or above
 * max_connections) keeps min = max: min_connections goes down with it.
 */
function cut(ctx: PoolRuleContext, floor: number, evidence: EvidenceItem[], rationale: string, confidenceCap: 'medium' | 'low' = 'medium'): PoolRuleOutcome {
  const s = ctx.pool.settings;
  const changes: PoolRuleOutcome['changes'] = [{ setting: 'max_connections', to: floor, confidenceCap, evidence, rationale }];
  if (s.min_connections >= s.max_connections) {
    changes.push({ setting: 'min_connections', to: floor, confidenceCap, evidence, rationale: `the pool is fixed (min_connections ${s.min_connections}, max_connections ${s.max_connections}) and stays so: min_connections goes to the new max_connections ${floor}.` });
  }
  return { changes, findings: [] };
}

/**
 * A pool that kept its size open (a fixed pool): its open count is its size, no floor of its need.
 * The size comes from the busy count alone - Erlang C's size for P(wait) under 1% at its mean, and
 * not below the most seen busy at once - with the assumption it rests on said, at low confidence.
 */
function sizeHeldOpen(ctx: PoolRuleContext, m: OccupancyModel, source: string): PoolRuleOutcome {
  const p = ctx.pool;
  const max = p.settings.max_connections;
  // Not below the peak the samples likely missed: the pool's size must hold its busiest instant.
  const peak = m.peakEstimate !== null ? m.peakEstimate + m.reserved : 0;
  const floor = Math.max(m.needNoWait ?? 0, m.maxBusySeen + m.reserved, peak, WORKING_POOL_MIN);
  if (max <= ctx.rules.oversizedFactor * floor) return { changes: [], findings: [] };
  return cut(
    ctx,
    floor,
    [
      ...busyEvidence(ctx, m, true),
      maxBusyEvidence(m),
      maxOpenEvidence(m, 'most connections seen open (the size the pool keeps open: not a need)'),
      ev('needNoWait', NEED_NO_WAIT, m.needNoWait, 'connections'),
      ev('peakBetweenSamples', 'most busy likely reached between samples (an open load over the independent looks)', m.peakEstimate, 'connections'),
      ...(m.dispersion ? [ev('busyDispersion', DISPERSION, m.dispersion.index, 'ratio'), ev('independentLooks', 'independent looks at the busy count', m.dispersion.independentLooks, 'count')] : []),
    ],
    `${source} saw the pool keep its ${max} connections open (no idle close; open at its size ${formatShare(HELD_OPEN_SHARE)} of the window or more), so its open count is its size, not its need; it saw ${formatNum(m.offeredLoad, 2)} busy on average and at most ${m.maxBusySeen} at once. At ${floor}, Erlang C at that load puts P(wait) under ${formatShare(NO_WAIT_PROBABILITY)}, and it is not below the most seen busy${m.peakEstimate !== null ? ` nor the ${m.peakEstimate} an open load at that mean likely reached between the samples` : ''}; ${BUSY_ONLY_ASSUMPTION} (hence low confidence; the service's own in-use metrics, observe --prometheus, would settle it). The other ${max - floor} only reserve database capacity.`,
    'low',
  );
}

/**
 * A busy count much smoother than Poisson (a closed loop of workers): Erlang C at its mean would
 * ask for connections no worker could use, so the floor is the most seen busy at once and the most
 * seen open.
 */
function sizeClosedLoop(ctx: PoolRuleContext, m: OccupancyModel, d: Dispersion, source: string): PoolRuleOutcome {
  const p = ctx.pool;
  const max = p.settings.max_connections;
  // A pool that kept its size open: its open count is no floor (the busy count is, with the assumption said).
  const floor = Math.max(m.maxBusySeen + m.reserved, m.openHeld ? 0 : m.maxOpenSeen, WORKING_POOL_MIN);
  if (max <= ctx.rules.oversizedFactor * floor) return { changes: [], findings: [] };
  return cut(
    ctx,
    floor,
    [
      ...busyEvidence(ctx, m, false),
      ev('busyDispersion', DISPERSION, d.index, 'ratio'),
      ev('independentLooks', 'independent looks at the busy count (variance over the squared standard error of its mean)', d.independentLooks, 'count'),
      maxBusyEvidence(m),
      maxOpenEvidence(m),
      ...(m.needNoWait !== null ? [ev('needNoWait', `Erlang C's size for P(wait) under ${formatShare(NO_WAIT_PROBABILITY)} were the load open (not used)`, m.needNoWait, 'connections')] : []),
    ],
    `${source} saw ${formatNum(m.offeredLoad, 2)} connections busy on average, at most ${m.maxBusySeen} busy and ${m.maxOpenSeen} open of ${max}, with a spread far under an open load's (variance ${formatNum(d.index, 2)} times the mean, against 1 for callers arriving at random, over ${formatNum(d.independentLooks, 0)} independent looks): a closed loop of workers, which never has more busy than it has workers. ${floor} covers the most seen busy${m.openHeld ? ` (the ${m.maxOpenSeen} open are the size the pool keeps open, not a need: ${BUSY_ONLY_ASSUMPTION})` : ' and open'}; the other ${max - floor} only reserve database capacity.`,
    m.openHeld ? 'low' : 'medium',
  );
}
