/**
 * oversized: max_connections is far above the peak need (over `oversizedFactor` times the larger
 * of the P99.9 of time-weighted occupancy and the model's smallest size meeting the target; not the
 * single busiest instant, which differs from run to run), and the model agrees fewer suffice ->
 * lower max_connections to the larger of the P99 of time-weighted occupancy and the model's need
 * (figures identical runs agree on), freeing
 * database capacity (each connection costs the server roughly 5-10 MB). Silent when another rule
 * already changed max_connections, when the server is the bottleneck, or when the generator sent
 * less than asked (dropped requests, or fewer than the target rate gives beyond Poisson noise: the
 * demand is understated).
 *
 * Threshold: oversizedFactor (RuleSettings).
 */
import { formatS, formatUs } from '../units.js';
import { predict } from '../model/queue.js';
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
    // A generator that only lagged still sent every request (its bunches overstate the peaks, which
    // errs towards a larger size); one that sent less than asked hides demand: then no lowering.
    if (ctx.proposed.has('max_connections') || (p.generator?.demandUnderstated ?? false) || p.holdTrend.growing || p.server.bound) return { changes: [], findings: [] };
    if (!m.sizingInput || m.needForTarget === null || noSamples(p)) return { changes: [], findings: [] };
    const max = p.settings.max_connections;
    // Fires on the P99.9 of occupancy (conservative), sizes to the P99 (stable from run to run; the
    // consistency pass never goes below it either) or the model's need, whichever is larger.
    const peak = Math.max(m.needForTarget, Math.ceil(p.inUse.p999), 1);
    if (max <= ctx.rules.oversizedFactor * peak) return { changes: [], findings: [] };
    const busy = Math.ceil(p.inUse.p99);
    const need = Math.max(m.needForTarget, busy, 1);
    const at = predict(m.sizingInput, need);
    if (at.p99WaitS * 1000 > ctx.targetMs) return { changes: [], findings: [] };
    return {
      changes: [
        {
          setting: 'max_connections',
          to: need,
          evidence: [
            ev('inUseP99', 'P99 connections in use (time-weighted)', p.inUse.p99, 'connections'),
            ev('inUseP999', 'P99.9 connections in use (time-weighted)', p.inUse.p999, 'connections'),
            ev('inUseMax', 'most connections ever in use', p.inUse.max, 'connections'),
            ev('need', 'smallest size meeting the target (model)', m.needForTarget, 'connections'),
            ev('utilisation', 'mean utilisation', p.utilisation, 'share'),
            ev('modelP99AtTo', `modelled P99 wait at ${need}`, at.p99WaitS * 1e6, 'us'),
            ev('target', 'target P99 wait', ctx.targetMs, 'ms'),
          ],
          rationale: `${busy} or fewer of ${max} connections were in use 99% of the time (${Math.ceil(p.inUse.p999)} for 99.9% of it, ${p.inUse.max} at the busiest instant) and the model puts ${need} at a P99 wait of ${formatS(at.p99WaitS)} (target ${formatUs(ctx.targetMs * 1000)}); the other ${max - need} only reserve database capacity.`,
        },
      ],
      findings: [],
    };
  },
};
