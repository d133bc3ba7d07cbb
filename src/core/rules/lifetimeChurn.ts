/**
 * lifetime-churn: connections expire often (over `expiriesPerMinute`, observed, or projected as
 * mean open connections / max_lifetime when the run is shorter than the lifetime) and it costs
 * something: expired connections are reopened on the acquire path, or they expire in bursts
 * (`expiryBurstSize` within a second: connections opened together expire together, as neither
 * sqlx nor pg-pool adds jitter) -> raise max_lifetime_seconds until the rate is under the
 * threshold (at least double, in 5-minute steps up to an hour and whole hours beyond, at most
 * Tasker's 86400).
 *
 * Thresholds: expiriesPerMinute, expiryBurstSize (RuleSettings).
 */
import { formatNum, formatS } from '../analysis/format.js';
import { currentValue, ev, roundUpTo } from './support.js';
import type { PoolRule } from './types.js';

export const lifetimeChurn: PoolRule = {
  id: 'lifetime-churn',
  scope: 'pool',
  evaluate(ctx) {
    const p = ctx.pool;
    const lifetime = currentValue(ctx, 'max_lifetime_seconds');
    if (lifetime <= 0) return { changes: [], findings: [] };
    const observed = p.expiries.count > 0;
    const rate = observed ? p.expiries.perMinute : (p.expiries.projectedPerMinute ?? 0);
    if (rate <= ctx.rules.expiriesPerMinute) return { changes: [], findings: [] };
    const bursty = p.expiries.maxBurst >= ctx.rules.expiryBurstSize;
    const minC = currentValue(ctx, 'min_connections');
    // Above min_connections sqlx does not replace an expired connection: the next acquire opens one.
    const reconnects = observed ? p.expiries.reconnectsOnAcquirePath > 0 : p.inUse.p95 > minC;
    if (!bursty && !reconnects) return { changes: [], findings: [] };
    const wanted = Math.ceil((p.total.mean * 60) / ctx.rules.expiriesPerMinute);
    const raw = Math.max(2 * lifetime, wanted);
    // Whole 5-minute steps up to an hour, whole hours beyond.
    const to = raw <= 3600 ? roundUpTo(raw, 300) : roundUpTo(raw, 3600);
    const cost = [
      bursty ? `up to ${p.expiries.maxBurst} within one second (connections opened together expire together)` : '',
      reconnects ? (observed ? `up to ${p.expiries.reconnectsOnAcquirePath} reopened on the acquire path` : `demand above min_connections (${minC}) means expired connections are reopened on the acquire path`) : '',
    ]
      .filter(Boolean)
      .join(', ');
    const rateText = observed
      ? `${formatNum(rate)} expiries per minute`
      : `a projected ${formatNum(rate)} expiries per minute (mean ${formatNum(p.total.mean, 1)} open connections / ${formatS(lifetime)} lifetime; the run was shorter than the lifetime)`;
    return {
      changes: [
        {
          setting: 'max_lifetime_seconds',
          to,
          evidence: [
            ev('expiries', 'expiries observed', p.expiries.count, 'count'),
            ev('expiriesPerMinute', observed ? 'expiries per minute (observed)' : 'expiries per minute (projected)', rate, 'per_min'),
            ev('maxBurst', 'most expiries within one second', p.expiries.maxBurst, 'count'),
            ev('reconnects', 'expiries reopened on the acquire path (at most)', p.expiries.reconnectsOnAcquirePath, 'count'),
            ev('totalMean', 'mean open connections', p.total.mean, 'connections'),
            ev('lifetime', 'max_lifetime_seconds', lifetime, 's'),
            ev('createP99', 'P99 connection open time', p.create.p99Us, 'us'),
          ],
          rationale: `${rateText}, ${cost}; ${to} s brings expiries under ${formatNum(ctx.rules.expiriesPerMinute)} per minute.`,
          ...(observed ? {} : { confidenceCap: 'medium' as const }),
        },
      ],
      findings: [],
    };
  },
};
