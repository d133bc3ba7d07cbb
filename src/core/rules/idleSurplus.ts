/**
 * idle-surplus, two checks:
 * - min_connections above the P95 connections in use plus `idleHeadroom` keeps connections
 *   open for nothing -> lower min_connections to P95 + headroom (not in a fixed pool, min at or
 *   above max: it keeps min = max, and oversized cuts both);
 * - idle-timeout churn: connections closed by the idle timeout and opened again within
 *   `idleChurnWindowS`, more than `idleChurnPerMinute` times a minute -> raise
 *   idle_timeout_seconds past the observed close-to-reopen gap (1-minute steps), or, when that
 *   would pass Tasker's 3600, raise min_connections to the P95 in use.
 *
 * Thresholds: idleHeadroom, idleChurnWindowS, idleChurnPerMinute (RuleSettings).
 */
import { formatNum, formatRate, formatS } from '../units.js';
import { currentValue, ev, roundUpTo } from './support.js';
import { noSamples } from '../analysis/analyze.js';
import type { Change, PoolRule } from './types.js';

/** Tasker's ceiling for idle_timeout_seconds. */
const MAX_IDLE_TIMEOUT_S = 3600;

export const idleSurplus: PoolRule = {
  id: 'idle-surplus',
  scope: 'pool',
  needs: ['occupancy', 'churn'],
  judges: 'whether idle connections are kept or closed for nothing',
  evaluate(ctx) {
    const p = ctx.pool;
    if (noSamples(p)) return { changes: [], findings: [] };
    const minC = currentValue(ctx, 'min_connections');
    const maxC = currentValue(ctx, 'max_connections');
    const p95 = p.inUse.p95;
    const h = ctx.rules.idleHeadroom;
    const changes: Change[] = [];
    // A fixed pool (min_connections at or above max_connections) stays fixed: its size is oversized's to cut, both keys together.
    const fixed = p.settings.min_connections >= p.settings.max_connections;
    if (!fixed && minC > p95 + h) {
      const to = Math.ceil(p95) + h;
      changes.push({
        setting: 'min_connections',
        to,
        evidence: [
          ev('min', 'min_connections', minC, 'connections'),
          ev('inUseP95', 'P95 connections in use', p95, 'connections'),
          ev('inUseMean', 'mean connections in use', p.inUse.mean, 'connections'),
          ev('idleMean', 'mean idle connections', p.idle.mean, 'connections'),
          ev('headroom', 'headroom', h, 'connections'),
        ],
        rationale: `${p95} or fewer connections were in use 95% of the time, so min_connections ${minC} keeps about ${formatNum(minC - p95, 0)} open for nothing; ${to} leaves ${h} of headroom.`,
      });
      return { changes, findings: [] };
    }
    const ic = p.idleCloses;
    if (ic.reopened >= 2 && ic.reopenedPerMinute > ctx.rules.idleChurnPerMinute) {
      const idle = currentValue(ctx, 'idle_timeout_seconds');
      const gap = ic.maxReopenGapS ?? 0;
      const evidence = [
        ev('idleCloses', 'connections closed idle', ic.count, 'count'),
        ev('reopened', `closed idle and reopened within ${formatS(ctx.rules.idleChurnWindowS)}`, ic.reopened, 'count'),
        ev('reopenedPerMinute', 'idle churn per minute', ic.reopenedPerMinute, 'per_min'),
        ev('maxGap', 'longest close-to-reopen gap', gap, 's'),
        ev('medianAge', 'median age at idle close', ic.medianAgeS, 's'),
        ev('idleTimeout', 'idle_timeout_seconds', idle, 's'),
      ];
      const what = `${ic.reopened} connections closed by the ${formatS(idle)} idle timeout were opened again within ${formatS(ctx.rules.idleChurnWindowS)} (${formatRate(ic.reopenedPerMinute)} per minute, gaps up to ${formatS(gap)})`;
      const wanted = roundUpTo(idle + gap + 1, 60);
      if (wanted <= MAX_IDLE_TIMEOUT_S) {
        changes.push({ setting: 'idle_timeout_seconds', to: wanted, evidence, rationale: `${what}; ${wanted} s keeps them open through the lull.` });
      } else {
        const to = Math.min(maxC, Math.ceil(p95));
        if (to > minC) changes.push({ setting: 'min_connections', to, evidence, rationale: `${what}; the lull is longer than any idle timeout Tasker allows, so min_connections ${to} (the P95 in use) keeps them open.` });
      }
    }
    return { changes, findings: [] };
  },
};
