/**
 * database-saturation: hold time grows with the number of connections in use, so the server
 * (CPU, locks, I/O), not the pool, is the bottleneck. Erlang C assumes holds do not depend on
 * occupancy; here more connections make every hold longer and add no throughput, so the rule
 * never raises max_connections. When fewer connections sustained the same throughput (the knee
 * of level / mean hold), it lowers max_connections to that knee.
 *
 * Thresholds (RuleSettings): holdGrowthRatio (mean hold at high occupancy / at low occupancy),
 * holdTrendMinSamples (holds needed at each end), throughputPlateauShare (what counts as "the
 * same throughput").
 */
import { formatNum, formatShare, formatUs } from '../analysis/format.js';
import { smallestMeeting } from '../model/queue.js';
import { currentValue, ev } from './support.js';
import type { PoolRule } from './types.js';

export const databaseSaturation: PoolRule = {
  id: 'database-saturation',
  scope: 'pool',
  evaluate(ctx) {
    const p = ctx.pool;
    const t = p.holdTrend;
    if (!t.growing || !t.low || !t.high || t.ratio === null) return { changes: [], findings: [] };
    const max = currentValue(ctx, 'max_connections');
    const range = (g: { fromLevel: number; toLevel: number }): string => (g.fromLevel === g.toLevel ? `${g.fromLevel}` : `${g.fromLevel}-${g.toLevel}`);
    const evidence = [
      ev('holdLow', `mean hold at ${range(t.low)} in use`, t.low.meanUs, 'us'),
      ev('holdHigh', `mean hold at ${range(t.high)} in use`, t.high.meanUs, 'us'),
      ev('holdGrowth', 'hold growth (high / low occupancy)', t.ratio, 'ratio'),
      ev('holdSlope', 'hold growth per extra connection in use', t.slopeUsPerConnection, 'us'),
      ev('maxThroughput', 'best throughput at any occupancy', t.maxThroughput, 'per_s'),
      ev('kneeLevel', `fewest connections reaching ${formatNum(ctx.rules.throughputPlateauShare * 100, 0)}% of it`, t.kneeLevel, 'connections'),
      ev('arrivalRate', 'acquire rate', p.arrivalRate, 'per_s'),
    ];
    const why = `mean hold grows from ${formatUs(t.low.meanUs)} at ${range(t.low)} connections in use to ${formatUs(t.high.meanUs)} at ${range(t.high)} (x${formatNum(t.ratio)}): the database, not the pool, is the bottleneck`;
    const notRaised = [
      {
        env: p.env,
        pool: p.pool,
        kind: 'database-saturation' as const,
        severity: 'warning' as const,
        message: `${why}; more connections would lengthen every hold and add no throughput, so max_connections is not raised`,
        evidence,
      },
    ];
    if (t.kneeLevel === null || !p.model.sizingInput) return { changes: [], findings: notRaised };
    // Never below what the workload would need even if holds stayed at their low-occupancy length.
    const floor = smallestMeeting({ ...p.model.sizingInput, meanHoldS: (t.low.meanUs / 1e6) * (p.model.sizingInput.meanHoldS / p.model.input!.meanHoldS) }, ctx.targetMs / 1000) ?? t.kneeLevel;
    const to = Math.max(1, t.kneeLevel, floor);
    if (to >= max) return { changes: [], findings: notRaised };
    const floorNote = to > t.kneeLevel ? ` (${to}, not ${t.kneeLevel}: fewer would queue in the pool even at the low-occupancy hold)` : '';
    return {
      changes: [
        {
          setting: 'max_connections',
          to,
          evidence: [...evidence, ev('floor', 'modelled need at the low-occupancy hold', floor, 'connections')],
          rationale: `${why}; ${t.kneeLevel} connections already sustain ${formatShare(ctx.rules.throughputPlateauShare)} of the best measured throughput (${formatNum(t.maxThroughput ?? 0, 0)} acquires/s), so more only queue inside the database${floorNote}.`,
        },
      ],
      findings: [],
    };
  },
};
