/**
 * database-saturation: the server (CPU, locks, I/O), not the pool, is the bottleneck. Two signals:
 * - the calibration phase (analysis `server.bound`): the pool stayed near its max, holds under
 *   load are far above the uncontended hold measured on one connection before the load, and an
 *   open load completed far less than it asked; this does not need occupancy to vary, so it holds
 *   for a pool pinned at its max for the whole run;
 * - hold time grows with the number of connections in use (the hold-versus-occupancy trend).
 * Either way max_connections is never raised (the other rules see this finding and stand down).
 * A server's capacity is only as good as the server measured: on a throwaway or local target the
 * finding is informational and changes no key. Against a remote server, when fewer connections
 * sustained the same throughput (the knee of level / mean hold) and the trend is stable (ratio
 * well clear of the threshold, many holds at both ends, and the verdict holding in each half of the
 * measured window on its own), it lowers max_connections to that knee; otherwise the finding is
 * informational and says which of these failed.
 *
 * Thresholds (RuleSettings): holdGrowthRatio (hold under load / uncontended hold, and mean hold
 * at high / low occupancy), holdTrendMinSamples (holds needed at each end),
 * throughputPlateauShare (what counts as "the same throughput"); STABLE_* and trendStability below.
 */
import { formatNum, formatShare, formatUs } from '../units.js';
import { smallestMeeting } from '../model/queue.js';
import { canJudgeServer, describeTarget } from '../analysis/target.js';
import { currentValue, ev } from './support.js';
import type { HoldTrend } from '../analysis/analyze.js';
import type { RuleSettings } from '../advisor/types.js';
import type { Finding, PoolRule } from './types.js';

/** A stable trend against a remote server: the ratio at least this far over holdGrowthRatio... */
export const STABLE_RATIO_MARGIN = 1.3;
/** ...with this many times holdTrendMinSamples holds at each end... */
export const STABLE_SAMPLES_FACTOR = 4;
/**
 * Whether a growing hold trend is a signal stable enough to change a key, and if not, why: the
 * ratio at least STABLE_RATIO_MARGIN times holdGrowthRatio, STABLE_SAMPLES_FACTOR times
 * holdTrendMinSamples holds at each end, and the verdict itself (ratio over holdGrowthRatio with
 * holdTrendMinSamples holds at each end) in each half of the measured window on its own.
 */
export function trendStability(t: HoldTrend, halves: readonly [HoldTrend, HoldTrend] | null, rules: Pick<RuleSettings, 'holdGrowthRatio' | 'holdTrendMinSamples'>): { stable: boolean; reasons: string[] } {
  const reasons: string[] = [];
  const needRatio = rules.holdGrowthRatio * STABLE_RATIO_MARGIN;
  const needHolds = STABLE_SAMPLES_FACTOR * rules.holdTrendMinSamples;
  const ends = (x: HoldTrend): string => `${x.low?.count ?? 0} and ${x.high?.count ?? 0} holds at the two ends`;
  if ((t.ratio ?? 0) < needRatio) reasons.push(`the growth x${formatNum(t.ratio ?? 0)} is not well clear of the x${formatNum(rules.holdGrowthRatio)} threshold (x${formatNum(needRatio)} needed)`);
  if ((t.low?.count ?? 0) < needHolds || (t.high?.count ?? 0) < needHolds) reasons.push(`${ends(t)} (${needHolds} needed at each)`);
  if (!halves) reasons.push('the run has no per-half figures to check the trend across the window (saved by an older pool-advisor)');
  else if (!halves[0].growing || !halves[1].growing) {
    const half = (x: HoldTrend, name: string): string => `${name} ${x.ratio === null ? 'no two occupancy groups to compare' : `x${formatNum(x.ratio)}`}, ${ends(x)}${x.growing ? '' : ' (not growing)'}`;
    reasons.push(`it did not hold in both halves of the window (${half(halves[0], 'first half')}; ${half(halves[1], 'second half')}; each half needs over x${formatNum(rules.holdGrowthRatio)} with ${rules.holdTrendMinSamples} holds at each end)`);
  }
  return { stable: reasons.length === 0, reasons };
}

/** A load as "2.31 ± 0.12". */
function aas(m: { mean: number; stdErr: number | null }): string {
  return `${formatNum(m.mean, 2)}${m.stdErr !== null ? ` ± ${formatNum(m.stdErr, 2)}` : ''}`;
}

/**
 * The third signal, from an observation's samples of the server's wait events: who limits, the
 * server (by what) or the pool. It never changes a key: it keeps max_connections from being raised
 * (the engine and the later rules read `limitsThisPool`), or says the pool is the limit.
 */
export function observedLoadFindings(ctx: Parameters<PoolRule['evaluate']>[0]): Finding[] {
  const p = ctx.pool;
  const j = p.serverLoad;
  if (!j) return [];
  const target = ctx.env.target;
  const judge = canJudgeServer(target);
  const cores = j.cores !== null ? `${j.cores} core${j.cores === 1 ? '' : 's'} (${j.coresSource})` : `an unknown number of cores (${j.coresSource})`;
  const classes = j.server.byClass.map((c) => `${c.class} ${aas(c)}`).join(', ') || 'none';
  const events = j.server.topEvents.map((e) => `${e.type}:${e.event} ${formatNum(e.mean, 2)}`).join(', ');
  const load = `the server averaged ${aas(j.server.aas)} active sessions over ${j.samples} samples (${classes}${events ? `; top waits ${events}` : ''}) on ${cores}; this pool ${aas(j.pool.aas)}`;
  const evidence = [
    ev('serverActiveSessions', 'server average active sessions', j.server.aas.mean, 'connections'),
    ev('serverCpuSessions', 'server sessions on a CPU', j.cpu, 'connections'),
    ev('serverOwnSessions', "server's own active sessions (Timeout and Client left out)", j.serverOwn, 'connections'),
    ev('serverCores', 'server cores', j.cores, 'count'),
    ...(j.dominant ? [ev('dominantClass', `${j.dominant.class} share of the server's own time`, j.dominant.share, 'share')] : []),
    ev('poolActiveSessions', "this pool's average active sessions", j.pool.aas.mean, 'connections'),
    ev('poolLockShare', "share of this pool's active time waiting on locks", j.poolLockShare, 'share'),
    ev('target', 'server observed', `${target.kind}: ${target.display}`),
  ];
  const limits = ' (a 200 ms sample misses waits much shorter than the interval; docs/observe.md)';
  const base = { env: p.env, pool: p.pool, kind: 'database-saturation' as const, evidence };
  const scope = judge ? '' : `; observed on ${describeTarget(target)}: informational, no key of this pool is changed`;
  if (j.limit === 'server' && j.limitClass) {
    const why =
      j.limitClass === 'CPU'
        ? `its sessions on a CPU (${aas({ mean: j.cpu, stdErr: j.cpuStdErr })}) reach ${formatShare(ctx.rules.serverCpuShare)} of its ${j.cores} core${j.cores === 1 ? '' : 's'}`
        : `${j.limitClass} carries ${formatShare(j.dominant!.share)} of its own active time (${aas(j.dominant!)} sessions, over the ${formatShare(ctx.rules.serverClassShare)} and ${formatNum(ctx.rules.serverMinLoad, 2)} session thresholds)`;
    if (!j.limitsThisPool) {
      return [{ ...base, severity: 'info', message: `the server is the limit (${j.limitClass}): ${why}; ${load}; but this pool's own sessions hardly wait on locks (${formatShare(j.poolLockShare)} of their active time), so its max_connections is judged as usual${limits}` }];
    }
    const scopeWord = j.limitClass === 'Lock' ? "this pool's own sessions wait on the lock" : 'more connections from any pool would only queue inside the server';
    return [{ ...base, severity: judge ? 'warning' : 'info', message: `the server, not the pool, is the limit (${j.limitClass}): ${why}; ${load}; ${scopeWord}, so max_connections is not raised${scope}${limits}` }];
  }
  if (j.limit === 'pool') {
    return [{ ...base, severity: 'info', message: `the pool, not the server, is the limit: ${load}, the server mostly idle while this pool's connections were busy or waited for; its size is judged by the pool's own figures (pool-saturation)${limits}` }];
  }
  return [{ ...base, severity: 'info', message: `neither the server nor the pool is shown to be the limit: ${load}${j.notes.length ? `; ${j.notes.join('; ')}` : ''}${limits}` }];
}

export const databaseSaturation: PoolRule = {
  id: 'database-saturation',
  scope: 'pool',
  needs: ['hold', 'arrival', 'holdByInUse'],
  judges: 'whether the database, not the pool, limits throughput',
  alsoRunsWhen: (p) => p.serverLoad !== undefined,
  evaluate(ctx) {
    const p = ctx.pool;
    const observed = observedLoadFindings(ctx);
    // Judged by the observed load alone when the other signals' parts are missing.
    if (p.coverage && ['hold', 'arrival', 'holdByInUse'].some((x) => p.coverage!.unseen.includes(x as never))) return { changes: [], findings: observed };
    const t = p.holdTrend;
    const target = ctx.env.target;
    const judge = canJudgeServer(target);
    const findings: Finding[] = [...observed];
    const sv = p.server;
    if (sv.bound) {
      const asked = sv.demandRate !== null ? ` of the ${formatNum(sv.demandRate, 0)}/s asked for` : '';
      const scope = judge
        ? `measured on ${describeTarget(target)}`
        : `this run cannot size the pool: the server measured is ${describeTarget(target)}, not the production server, so no key of this pool is changed`;
      findings.push({
        env: p.env,
        pool: p.pool,
        kind: 'database-saturation',
        severity: judge ? 'warning' : 'info',
        message: `the server, not the pool, limited this run: with ${formatNum(p.inUse.mean, 1)} of ${p.settings.max_connections} connections in use on average it served ${formatNum(sv.servedRate, 0)} requests/s${asked}, and holds averaged ${formatUs(p.hold.meanUs)} against ${formatUs(sv.uncontendedHoldUs ?? 0)} on one connection before the load (x${formatNum(sv.holdInflation ?? 0, 1)}); more connections would only queue inside the server, so max_connections is not raised and no timeout change would address these waits; ${scope}`,
        evidence: [
          ev('uncontendedHold', 'mean hold on one connection (calibration)', sv.uncontendedHoldUs, 'us'),
          ev('calibrationHolds', 'calibration holds', sv.calibrationHolds, 'count'),
          ev('holdMean', 'mean hold under load', p.hold.meanUs, 'us'),
          ev('holdInflation', 'hold under load / uncontended hold', sv.holdInflation, 'ratio'),
          ev('servedRate', 'requests served per second (connections in use / mean hold)', sv.servedRate, 'per_s'),
          ev('demandRate', 'requests per second asked for', sv.demandRate, 'per_s'),
          ev('utilisation', 'mean utilisation', p.utilisation, 'share'),
          ev('target', 'server measured', `${target.kind}: ${target.display}`),
        ],
      });
    }
    if (!t.growing || !t.low || !t.high || t.ratio === null) return { changes: [], findings };
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
    const { stable, reasons } = trendStability(t, p.holdTrendHalves, ctx.rules);
    const scope = !judge
      ? `; measured on ${describeTarget(target)}: informational, no key is changed`
      : !stable
        ? `; the signal is not stable enough to lower max_connections: ${reasons.join('; ')}; informational, no key is changed, measured on ${describeTarget(target)}`
        : `; measured on ${describeTarget(target)}`;
    const notRaised: Finding[] = [
      ...findings,
      {
        env: p.env,
        pool: p.pool,
        kind: 'database-saturation' as const,
        severity: judge ? ('warning' as const) : ('info' as const),
        message: `${why}; more connections would lengthen every hold and add no throughput, so max_connections is not raised${scope}`,
        evidence,
      },
    ];
    if (!judge || !stable || t.kneeLevel === null || !p.model.sizingInput) return { changes: [], findings: notRaised };
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
          rationale: `${why}; ${t.kneeLevel} connections already sustain ${formatShare(ctx.rules.throughputPlateauShare)} of the best measured throughput (${formatNum(t.maxThroughput ?? 0, 0)} acquires/s), so more only queue inside the database${floorNote}; measured on ${describeTarget(target)}.`,
        },
      ],
      findings,
    };
  },
};
