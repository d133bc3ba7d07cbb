/**
 * Sizing from occupancy alone (the server's view of a service: connections busy and open, no
 * acquires, no holds), used by `oversized` when the evidence lacks the acquire rate or holds.
 *
 * - Busy on the server is a lower bound of what the pool has checked out (a connection held between
 *   statements shows `idle`), so a cut never goes below the most connections seen open, nor below
 *   the size at which Erlang C at the mean busy count keeps P(wait) at 1% or under (the P99 wait is
 *   then zero, whatever the hold), nor below 2.
 * - It fires as `oversized` does: max_connections over `oversizedFactor` times that floor.
 * - When busy sat at the size for a large share of the window the demand is censored: a warning says
 *   so and what the share implies, and no key changes (the server cannot see whether the pool or the
 *   database limits; the service's own wait metrics would).
 */
import { formatNum, formatShare } from '../units.js';
import { NO_WAIT_PROBABILITY } from '../analysis/occupancyModel.js';
import { ev } from './support.js';
import { WORKING_POOL_MIN } from './consistency.js';
import type { PoolRuleContext, PoolRuleOutcome } from './types.js';


/** `oversized` (and the censored warning) on occupancy alone. */
export function oversizedFromOccupancy(ctx: PoolRuleContext): PoolRuleOutcome {
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
  if (m.needNoWait === null) return { changes: [], findings: [] };
  const floor = Math.max(m.needNoWait, m.maxOpenSeen, WORKING_POOL_MIN);
  if (max <= ctx.rules.oversizedFactor * floor) return { changes: [], findings: [] };
  return {
    changes: [
      {
        setting: 'max_connections',
        to: floor,
        confidenceCap: 'medium',
        evidence: [
          ev('meanBusy', 'mean connections busy (server side: a lower bound of checked out)', m.offeredLoad, 'connections'),
          ev('busyP99', 'P99 connections busy (time-weighted)', p.inUse.p99, 'connections'),
          ev('maxOpen', 'most connections seen open', m.maxOpenSeen, 'connections'),
          ev('needNoWait', `smallest size with P(wait) under ${formatShare(NO_WAIT_PROBABILITY)} (Erlang C at the mean busy count)`, m.needNoWait, 'connections'),
          ev('pWaitAtCurrent', 'P(wait) at the current size (Erlang C)', m.pWaitAtCurrent, 'share'),
        ],
        rationale: `${source} saw ${formatNum(m.offeredLoad, 2)} connections busy on average and at most ${m.maxOpenSeen} open of ${max}; at ${floor}, Erlang C at that load puts P(wait) under ${formatShare(NO_WAIT_PROBABILITY)} (a P99 wait of zero, whatever the hold), and it is not below the most seen open (busy on the server is a lower bound of what the pool has checked out); the other ${max - floor} only reserve database capacity.`,
      },
    ],
    findings: [],
  };
}
