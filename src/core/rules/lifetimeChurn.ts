/**
 * lifetime-churn: connection expiries cost the work, not merely happen. It fires when the rate is
 * over `expiriesPerMinute` (observed, or projected as mean open connections / max_lifetime when
 * the run is shorter than the lifetime) and, relative to the work, either
 * - reconnects are paid on the acquire path: more than `expiriesPerThousandAcquires` per thousand
 *   acquires (observed; or projected from the expiry rate per acquire and the share of time an
 *   acquire that finds an expired connection has no idle one to step over to), or
 * - expiries come in bursts (`expiryBurstSize` within a second: connections opened together expire
 *   together, as neither sqlx nor pg-pool adds jitter) that reach the waits (an interval with a
 *   burst has a P99 wait over the target).
 * A busy pool with Tasker's 1800 s default and dozens of connections expires more than once a
 * minute, yet pays nothing when thousands of acquires share each reconnect: no change then.
 *
 * Evidence without acquire counts (the server's view) still judges the rate: expiries are seen
 * whole, so a rate under the threshold needs no acquires to leave alone. Over it, the cost per
 * acquire needs the acquires; the statements of the pool's own role (pg_stat_statements) are at
 * least as many, so reconnects per thousand statements is a lower bound: over the threshold it
 * fires; under it nothing can be concluded, and the finding says so. Without them: cannot judge.
 * -> raise max_lifetime_seconds until the rate is under the threshold (at least double, in
 * 5-minute steps up to an hour and whole hours beyond, at most Tasker's 86400).
 *
 * Thresholds: expiriesPerMinute, expiriesPerThousandAcquires, expiryBurstSize (RuleSettings).
 */
import { saw } from '../analysis/analyze.js';
import { cannotJudge } from '../evidence/parts.js';
import { formatNum, formatRate, formatS } from '../units.js';
import { currentValue, ev, roundUpTo } from './support.js';
import type { PoolRule } from './types.js';

export const lifetimeChurn: PoolRule = {
  id: 'lifetime-churn',
  scope: 'pool',
  // The rate needs only the churn; its cost per acquire needs the acquires, or a bound on them.
  needs: ['churn', 'occupancy'],
  judges: 'whether connections expire too often',
  evaluate(ctx) {
    const p = ctx.pool;
    const lifetime = currentValue(ctx, 'max_lifetime_seconds');
    if (lifetime <= 0) return { changes: [], findings: [] };
    const observed = p.expiries.count > 0;
    const rate = observed ? p.expiries.perMinute : (p.expiries.projectedPerMinute ?? 0);
    if (rate <= ctx.rules.expiriesPerMinute) return { changes: [], findings: [] };
    const bound = p.acquires === 0 ? p.expiries.perThousandOf : undefined;
    const finding = (message: string) => ({ changes: [], findings: [{ env: p.env, pool: p.pool, kind: 'lifetime-churn' as const, severity: 'info' as const, message, evidence: [] }] });
    const rateWords = `${formatRate(rate)} expiries per minute${observed ? '' : ' (projected)'}`;
    if (p.acquires === 0 && !bound) {
      return finding(
        `${rateWords}, over ${formatRate(ctx.rules.expiriesPerMinute)}; ${cannotJudge('what they cost per acquire', ['arrival'], p.coverage?.source.kind ?? 'measured-run')} (observe bounds it from pg_stat_statements when the pool has a role of its own and the observation is grouped by role)`,
      );
    }
    const perThousand = p.expiries.reconnectsPerThousand;
    const reconnects = perThousand > ctx.rules.expiriesPerThousandAcquires;
    const burstsHurt = p.expiries.burstsReachingWaits > 0;
    if (!reconnects && !burstsHurt) {
      if (!bound) return { changes: [], findings: [] };
      return finding(
        `${rateWords}, with at least ${formatRate(perThousand)} reconnects per thousand acquires (per thousand of role ${bound.role}'s ${formatNum(bound.statements, 0)} statements, which are at least the acquires): under ${formatRate(ctx.rules.expiriesPerThousandAcquires)}, which does not rule out more; the pool's own metrics would tell`,
      );
    }
    // Evidence that does not see how acquires were served infers the reconnects (analysis.ts).
    const paths = saw(p, 'waitPaths');
    const wanted = Math.ceil((p.total.mean * 60) / ctx.rules.expiriesPerMinute);
    const raw = Math.max(2 * lifetime, wanted);
    // Whole 5-minute steps up to an hour, whole hours beyond.
    const to = raw <= 3600 ? roundUpTo(raw, 300) : roundUpTo(raw, 3600);
    const cost = [
      burstsHurt ? `bursts of up to ${p.expiries.maxBurst} within one second reached the waits in ${p.expiries.burstsReachingWaits} interval(s) (connections opened together expire together)` : '',
      reconnects
        ? bound
          ? `at least ${formatRate(perThousand)} reconnects per thousand acquires (per thousand of role ${bound.role}'s ${formatNum(bound.statements, 0)} statements, which are at least the acquires)`
          : `${formatRate(perThousand)} reconnects per thousand acquires ${observed && paths ? 'paid on the acquire path' : 'projected on the acquire path'}`
        : '',
    ]
      .filter(Boolean)
      .join(', ');
    const rateText = observed
      ? `${formatRate(rate)} expiries per minute`
      : `a projected ${formatRate(rate)} expiries per minute (mean ${formatNum(p.total.mean, 1)} open connections / ${formatS(lifetime)} lifetime; the run was shorter than the lifetime)`;
    return {
      changes: [
        {
          setting: 'max_lifetime_seconds',
          to,
          evidence: [
            ev('expiries', 'expiries observed', p.expiries.count, 'count'),
            ev('expiriesPerMinute', observed ? 'expiries per minute (observed)' : 'expiries per minute (projected)', rate, 'per_min'),
            ev('reconnectsPerThousand', bound ? 'reconnects per thousand acquires (at least: per thousand statements of the pool\'s role)' : 'reconnects on the acquire path per thousand acquires', perThousand, 'count'),
            ev('maxBurst', 'most expiries within one second', p.expiries.maxBurst, 'count'),
            ev('burstsReachingWaits', 'intervals where a burst of expiries met a P99 wait over the target', p.expiries.burstsReachingWaits, 'count'),
            ev('reconnects', 'expiries reopened on the acquire path (at most)', paths ? p.expiries.reconnectsOnAcquirePath : null, 'count'),
            ev('totalMean', 'mean open connections', p.total.mean, 'connections'),
            ev('lifetime', 'max_lifetime_seconds', lifetime, 's'),
            ev('createP99', 'P99 connection open time', saw(p, 'create') ? p.create.p99Us : null, 'us'),
          ],
          rationale: `${rateText}, ${cost}; ${to} s brings expiries under ${formatRate(ctx.rules.expiriesPerMinute)} per minute.`,
          ...(observed && paths ? {} : { confidenceCap: 'medium' as const }),
        },
      ],
      findings: [],
    };
  },
};
