/**
 * pool-saturation: acquires wait often (share waited over `saturationWaitedShare`) or long (P99
 * wait over the target) -> raise max_connections to the smallest size whose modelled P99 wait
 * meets the target, with no headroom added. The raise is capped by the connection budget (and
 * says so), clamped to Tasker's 1-1000, and never made when the database is the bottleneck
 * (database-saturation). When the load generator fell behind its schedule, its late requests
 * arrive in bunches and the measured waits are not the pool's alone: the size still comes from the
 * model of the rate and hold (which the lag does not inflate), with low confidence, and waits
 * over the target that the model does not explain are put down to the generator.
 *
 * Thresholds: saturationWaitedShare (RuleSettings); the target P99 wait (advisor config,
 * `targetP99WaitMs`, per environment and pool, 10 ms by default).
 */
import { formatNum, formatS, formatShare, formatUs } from '../units.js';
import { MAX_CONNECTIONS, predict } from '../model/queue.js';
import { capFor, layerOf } from '../budget/model.js';
import { currentValue, ev } from './support.js';
import { noSamples } from '../analysis/analyze.js';
import type { Change, Finding, PoolRule } from './types.js';

export const poolSaturation: PoolRule = {
  id: 'pool-saturation',
  scope: 'pool',
  needs: ['wait', 'arrival', 'hold'],
  judges: 'whether acquires wait too often or too long',
  evaluate(ctx) {
    const p = ctx.pool;
    const targetUs = ctx.targetMs * 1000;
    const overShare = p.waitedShare > ctx.rules.saturationWaitedShare;
    const overTarget = p.wait.p99Us > targetUs;
    if (noSamples(p) || (!overShare && !overTarget)) return { changes: [], findings: [] };
    const what = [overShare ? `${formatShare(p.waitedShare)} of acquires waited` : '', overTarget ? `the P99 wait ${formatUs(p.wait.p99Us)} is over the ${formatUs(targetUs)} target` : `the P99 wait ${formatUs(p.wait.p99Us)} is within the ${formatUs(targetUs)} target`]
      .filter(Boolean)
      .join(' and ');
    const baseEvidence = [
      ev('waitedShare', 'acquires that waited', p.waitedShare, 'share'),
      ev('waitP99', 'P99 acquire wait', p.wait.p99Us, 'us'),
      ev('target', 'target P99 wait', ctx.targetMs, 'ms'),
      ev('arrivalRate', 'acquire rate', p.arrivalRate, 'per_s'),
      ...(p.demandRate > p.arrivalRate ? [ev('demandRate', 'rate the workload asked for', p.demandRate, 'per_s')] : []),
      ev('holdMean', 'mean hold', p.hold.meanUs, 'us'),
      ev('offeredLoad', 'offered load (rate x mean hold)', p.offeredLoad, 'connections'),
    ];
    const finding = (severity: Finding['severity'], message: string): { changes: Change[]; findings: Finding[] } => ({
      changes: [],
      findings: [{ env: p.env, pool: p.pool, kind: 'pool-saturation', severity, message, evidence: baseEvidence }],
    });
    if (p.server.bound) return finding('info', `${what}, but the server, not the pool, limited this run (see database-saturation): these waits are the server's, and raising max_connections would not help`);
    if (p.serverLoad?.limitsThisPool) return finding('info', `${what}, but the server, not the pool, is the limit (${p.serverLoad.limitClass} load; see database-saturation): these waits are the server's, and raising max_connections would not help`);
    if (p.holdTrend.growing) return finding('info', `${what}, but hold time grows with the connections in use (see database-saturation): raising max_connections would not help`);
    const m = p.model;
    if (!m.sizingInput || !m.current) return { changes: [], findings: [] };
    const max = currentValue(ctx, 'max_connections');
    // A size that meets the target on both counts (measured and modelled P99) is kept: the sampling allowance only breaks ties the measurement leaves open.
    if (!overTarget && m.current.p99WaitS * 1000 <= ctx.targetMs && m.needAtMeasured !== null && m.needAtMeasured <= max) {
      return finding('info', `${what}; ${max} connections meet the target on both counts (measured P99 ${formatUs(p.wait.p99Us)}, modelled ${formatS(m.current.p99WaitS)}), so the size is kept`);
    }
    const need = m.needForTarget ?? MAX_CONNECTIONS;
    if (need <= max) {
      if (!overTarget) return finding('info', `${what}: the waits are short, and the model agrees ${max} connections meet the target`);
      if (ctx.generatorBehind) {
        return finding('info', `${what}, yet the model predicts ${max} connections give a P99 of ${formatS(m.current.p99WaitS)}: the load generator fell behind its schedule and its late requests arrived in bunches, so the pool is not blamed`);
      }
      return finding(
        'warning',
        `${what}, yet the model predicts ${max} connections give a P99 of ${formatS(m.current.p99WaitS)}: the waits come from something the model does not see (bursts, connection opens, a closed loop), so no size is recommended`,
      );
    }
    let to = need;
    let limitedBy: Change['limitedBy'];
    let capNote = '';
    if (ctx.budget) {
      const cap = capFor(ctx.budget.budget, ctx.budget.input, p.pool, p.settings.max_connections);
      const capping = ctx.budget.budget.pgbouncer ? layerOf(ctx.budget.budget, 'pgbouncer') : layerOf(ctx.budget.budget, 'server');
      const available = capping?.allowed ?? 0;
      const demand = capping?.used?.peak ?? 0;
      const layerNote = ctx.budget.budget.pgbouncer ? " (PgBouncer's max_client_conn × instances)" : '';
      const peakNote = ctx.budget.budget.clients.peak !== ctx.budget.budget.clients.steady ? ' at the rollout peak' : '';
      if (cap !== null && cap < need) {
        if (cap <= max) {
          return {
            changes: [],
            findings: [
              {
                env: p.env,
                pool: p.pool,
                kind: 'pool-saturation',
                severity: 'error',
                message: `${what}; ${need} connections would meet the target, but the connection budget${layerNote} (${available} available, ${demand} already asked for${peakNote}) leaves no room to raise max_connections from ${max}: raise the server's max_connections or lower other pools`,
                evidence: [...baseEvidence, ev('need', 'modelled need', need, 'connections'), ev('budgetCap', 'most the budget allows', cap, 'connections')],
              },
            ],
          };
        }
        to = cap;
        limitedBy = 'budget';
        capNote = `; capped at ${cap} by the connection budget${layerNote} (${available} connections available${peakNote}, the model wants ${need})`;
      }
    }
    const at = predict(m.sizingInput, to);
    const model = m.current.method === 'erlang-c' ? 'Erlang C' : m.current.method === 'finite-source' ? 'the finite-source model' : 'the queue model (approximate)';
    const noise =
      m.needAtMeasured !== null && m.needAtMeasured < to && limitedBy === undefined
        ? ` (the measured rate and hold alone give ${m.needAtMeasured}; one standard error of a ${p.acquires}-acquire run makes it ${to})`
        : '';
    const unmet = need >= MAX_CONNECTIONS && (m.needForTarget === null || at.p99WaitS * 1000 > ctx.targetMs) ? ` (no size up to ${MAX_CONNECTIONS} meets the target)` : '';
    return {
      changes: [
        {
          setting: 'max_connections',
          to,
          evidence: [
            ...baseEvidence,
            ev('need', 'smallest size meeting the target (model, allowing for sampling error)', m.needForTarget, 'connections'),
            ev('needAtMeasured', 'smallest size meeting the target (model, measured figures as they are)', m.needAtMeasured, 'connections'),
            ev('modelP99AtTo', `modelled P99 wait at ${to}`, at.p99WaitS * 1e6, 'us'),
            ev('modelP99Current', `modelled P99 wait at ${max}`, m.current.p99WaitS * 1e6, 'us'),
            ev('modelError', 'model P99 error at the current size', m.error ? m.error.p99ErrorS * 1e6 : null, 'us'),
            ev('modelMethod', 'model', m.current.method, undefined),
          ],
          rationale:
            (at.stable
              ? `${what}; ${model} puts ${to} connections at a P99 wait of ${formatS(at.p99WaitS)}${noise}${unmet}${capNote}.`
              : `${what}; the workload keeps ${formatNum(p.offeredLoad, 0)} connections busy on average, more than ${to} can serve${unmet}${capNote}.`) +
            (ctx.generatorBehind ? ' The load generator fell behind its schedule: the size comes from the rate and hold, which its lag does not inflate, but confidence is low.' : ''),
          ...(m.current.approximate ? { confidenceCap: 'medium' as const } : {}),
          ...(limitedBy ? { limitedBy } : {}),
        },
      ],
      findings: [],
    };
  },
};
