/**
 * oversized: max_connections is far above what the pool needs (over `oversizedFactor` times the
 * larger of the P99.9 of time-weighted occupancy and the size floor: the model's smallest size
 * meeting the target, the P99 of time-weighted occupancy and a working pool, whichever is
 * largest), and the model agrees fewer suffice -> lower
 * max_connections to that floor, freeing database capacity (each connection costs the server
 * roughly 5-10 MB). Silent when another rule already changed max_connections, when the server is
 * the bottleneck, or when the generator sent less than asked (dropped requests, or fewer than the
 * target rate gives beyond Poisson noise: the demand is understated).
 *
 * The size is made of figures identical runs agree on: the model's need (from the mean rate and
 * mean hold) and the P99 of occupancy interpolated between levels and rounded to the nearest
 * connection (left out when the generator's lag mattered: its bunches, not the workload, then set
 * the occupancy's tail). Neither the busiest instant nor the P99.9 (set by a handful of excursions
 * in a short run, and by any stall of the machine running the load) moves the size; the P99.9 only
 * keeps the rule from firing on a pool within the factor of its peaks.
 *
 * Threshold: oversizedFactor (RuleSettings).
 */
import { formatNum, formatS, formatUs } from '../units.js';
import { predict } from '../model/queue.js';
import { busyMeasuresWorkload, busyP99, sizeFloor, workingFloor } from './consistency.js';
import { ev } from './support.js';
import { noSamples, saw } from '../analysis/analyze.js';
import { oversizedFromOccupancy } from './fromOccupancy.js';
import type { PoolRule } from './types.js';

export const oversized: PoolRule = {
  id: 'oversized',
  scope: 'pool',
  // With the acquire rate and holds the queue model sizes it; with occupancy alone, fromOccupancy.ts.
  needs: ['occupancy'],
  judges: 'whether max_connections is far above the need',
  evaluate(ctx) {
    const p = ctx.pool;
    if (!saw(p, 'arrival') || !saw(p, 'hold')) return oversizedFromOccupancy(ctx);
    const m = p.model;
    // A generator that only lagged still sent every request (its bunches overstate the occupancy's
    // tail, which the floor then leaves out); one that sent less than asked hides demand: then no lowering.
    if (ctx.proposed.has('max_connections') || (p.generator?.demandUnderstated ?? false) || p.holdTrend.growing || p.server.bound) return { changes: [], findings: [] };
    if (!m.sizingInput || m.needForTarget === null || noSamples(p)) return { changes: [], findings: [] };
    const max = p.settings.max_connections;
    const need = sizeFloor(p, ctx.env.pgmqShared);
    // Fires only far above even the P99.9 of occupancy (conservative: a pool near the factor is left
    // alone); the size it proposes never depends on that tail.
    if (max <= ctx.rules.oversizedFactor * Math.max(need, Math.ceil(p.inUse.p999))) return { changes: [], findings: [] };
    const at = predict(m.sizingInput, need);
    if (at.p99WaitS * 1000 > ctx.targetMs) return { changes: [], findings: [] };
    const busy = busyP99(p.inUse);
    const working = workingFloor(p.pool, ctx.env.pgmqShared);
    const measured = busyMeasuresWorkload(p);
    const by = need === m.needForTarget ? "the model's need" : measured && need === busy ? 'the P99 in use' : `a working pool${working > 2 ? " (2, plus PGMQ's LISTEN connection)" : ''}`;
    const lagNote = measured ? '' : `; the P99 in use is left out of the size: the generator started requests late (lag P99 ${formatUs(p.generator?.lagP99Us ?? 0)}) and sent the overdue ones together, so the occupancy's tail measures its bunches, not the workload`;
    return {
      changes: [
        {
          setting: 'max_connections',
          to: need,
          evidence: [
            ev('inUseP99', 'P99 connections in use (time-weighted, interpolated)', p.inUse.p99Interpolated, 'connections'),
            ev('inUseP999', 'P99.9 connections in use (time-weighted)', p.inUse.p999, 'connections'),
            ev('inUseMax', 'most connections ever in use', p.inUse.max, 'connections'),
            ev('need', 'smallest size meeting the target (model)', m.needForTarget, 'connections'),
            ev('workingPool', 'smallest working pool', working, 'connections'),
            ev('utilisation', 'mean utilisation', p.utilisation, 'share'),
            ev('modelP99AtTo', `modelled P99 wait at ${need}`, at.p99WaitS * 1e6, 'us'),
            ev('target', 'target P99 wait', ctx.targetMs, 'ms'),
          ],
          rationale: `${busy} or fewer of ${max} connections were in use 99% of the time (P99 ${formatNum(p.inUse.p99Interpolated, 1)} interpolated; ${p.inUse.max} at the busiest instant), the model needs ${m.needForTarget} to meet the target and a working pool needs ${working}; at ${need} (${by}) the model puts the P99 wait at ${formatS(at.p99WaitS)} (target ${formatUs(ctx.targetMs * 1000)}); the other ${max - need} only reserve database capacity${lagNote}.`,
        },
      ],
      findings: [],
    };
  },
};
