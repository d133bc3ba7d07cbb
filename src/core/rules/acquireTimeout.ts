/**
 * acquire-timeout: acquires timed out, or the P99.9 wait came within reach of the timeout
 * (over `timeoutReachShare` of it) -> raise acquire_timeout_seconds so the P99.9 wait sits under
 * that share, or, when pool-saturation already raises max_connections, let the bigger pool fix
 * it (a timeout is a symptom of the waits, not their cause).
 *
 * Threshold: timeoutReachShare (RuleSettings).
 */
import { formatS, formatShare, formatUs } from '../units.js';
import { currentValue, ev } from './support.js';
import { noSamples } from '../analysis/analyze.js';
import type { PoolRule } from './types.js';

export const acquireTimeout: PoolRule = {
  id: 'acquire-timeout',
  scope: 'pool',
  needs: ['wait', 'failures'],
  judges: 'whether the acquire timeout fits the waits',
  evaluate(ctx) {
    const p = ctx.pool;
    const timeoutS = currentValue(ctx, 'acquire_timeout_seconds');
    if (timeoutS <= 0 || noSamples(p)) return { changes: [], findings: [] };
    const reach = p.wait.p999Us / (timeoutS * 1e6);
    const near = reach >= ctx.rules.timeoutReachShare;
    if (p.timeouts === 0 && !near) return { changes: [], findings: [] };
    const evidence = [
      ev('timeouts', 'acquires that timed out', p.timeouts, 'count'),
      ev('timeoutShare', 'share of acquires that timed out', p.timeoutShare, 'share'),
      ev('waitP999', 'P99.9 acquire wait', p.wait.p999Us, 'us'),
      ev('timeout', 'acquire timeout', timeoutS, 's'),
      ev('reach', 'P99.9 wait / timeout', reach, 'share'),
    ];
    const what =
      p.timeouts > 0
        ? `${p.timeouts} acquires (${formatShare(p.timeoutShare)}) timed out after ${formatS(timeoutS)}`
        : `the P99.9 wait (${formatUs(p.wait.p999Us)}) is ${formatShare(reach)} of the ${formatS(timeoutS)} acquire timeout`;
    if (p.server.bound || p.holdTrend.growing || p.serverLoad?.limitsThisPool) {
      return {
        changes: [],
        findings: [{ env: p.env, pool: p.pool, kind: 'acquire-timeout', severity: 'info', message: `${what}: these waits come from the server, not the pool (see database-saturation); a longer timeout would only let more requests queue behind it, and no pool setting addresses them`, evidence }],
      };
    }
    const raised = ctx.proposed.get('max_connections');
    if (raised && raised.to > p.settings.max_connections && raised.rule === 'pool-saturation') {
      return {
        changes: [],
        findings: [{ env: p.env, pool: p.pool, kind: 'acquire-timeout', severity: 'info', message: `${what}: a symptom of the waits, which the max_connections change (${raised.to}) addresses`, evidence }],
      };
    }
    // HDR reports a bucket's upper edge: a wait recorded at exactly the timeout reads a little over it.
    const to = Math.max(timeoutS + 1, Math.ceil(p.wait.p999Us / 1e6 / ctx.rules.timeoutReachShare - 0.01));
    return {
      changes: [
        {
          setting: 'acquire_timeout_seconds',
          to,
          evidence,
          rationale: `${what}; ${to} s keeps the P99.9 wait under ${formatShare(ctx.rules.timeoutReachShare)} of the timeout, so only a real outage times out.`,
        },
      ],
      findings: [],
    };
  },
};
