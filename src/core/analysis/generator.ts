/** The load generator's own figures (never mixed into the pool's): rates, lag, schedule latency, and whether it fell behind or sent less than asked. Pure. */
import { decode, summarize, summaryOf } from '../run/histogram.js';
import type { WorkloadRun } from '../run/types.js';
import { formatUs } from '../units.js';
import { describeWorkload } from './describe.js';
import { ratio } from './ratio.js';
import type { GeneratorFigures, WaitFigures } from './types.js';

/** Generator lag: at least this many requests before its P99 is trusted. */
export const LAG_MIN_SAMPLES = 1000;

/** Generator lag P99 that matters: at least this, and at least {@link LAG_HOLD_SHARE} of the mean hold (bunches shorter than a hold are absorbed). */
export const LAG_MIN_US = 20_000;

export const LAG_HOLD_SHARE = 0.5;

export function generatorFigures(workloads: WorkloadRun[], durationS: number, holdMeanUs: number): GeneratorFigures | null {
  if (workloads.length === 0) return null;
  const modes = new Set(workloads.map((w) => w.generator.mode));
  const targets = workloads.map((w) => w.generator.targetRate).filter((x): x is number => x !== undefined);
  const lags = workloads.map((w) => w.generator.lag).filter((x): x is string => x !== undefined);
  const sched = workloads.map((w) => w.generator.scheduleLatency).filter((x): x is string => x !== undefined);
  const merged = (es: string[]): WaitFigures | null => {
    if (es.length === 0) return null;
    let s = summaryOf(es[0]!);
    if (es.length > 1) {
      const h = decode(es[0]!);
      for (const e of es.slice(1)) h.add(decode(e));
      s = summarize(h);
    }
    return { count: s.count, meanUs: s.mean, p50Us: s.p50, p95Us: s.p95, p99Us: s.p99, p999Us: s.p999, maxUs: s.max };
  };
  const lag = merged(lags);
  const sl = merged(sched);
  // Behind: requests dropped, or a lag with enough samples that matters against the holds. Runs saved
  // before this was decided here carry a `behind` set from the lag P99 alone: only their drops count.
  const dropped = workloads.filter((w) => (w.generator.dropped ?? (w.generator.behind && /not sent/.test(w.generator.behindReason ?? '') ? 1 : 0)) > 0);
  const reasons = dropped.map((w) => w.generator.behindReason ?? 'requests were not sent');
  const lagMatters = lag !== null && lag.count >= LAG_MIN_SAMPLES && lag.p99Us >= Math.max(LAG_MIN_US, LAG_HOLD_SHARE * holdMeanUs);
  if (lagMatters) {
    reasons.push(`it started requests late (lag P99 ${formatUs(lag.p99Us)} over ${lag.count} requests, against a ${formatUs(holdMeanUs)} mean hold): the machine running pool-advisor, not the pool, limited the rate`);
  }
  const completed = workloads.reduce((s, w) => s + w.generator.completed, 0);
  return {
    workloads: workloads.map((w) => describeWorkload(w.workload)),
    mode: modes.size === 1 ? [...modes][0]! : 'mixed',
    requests: workloads.reduce((s, w) => s + w.generator.requests, 0),
    completed,
    failed: workloads.reduce((s, w) => s + w.generator.failed, 0),
    targetRate: targets.length > 0 ? targets.reduce((s, x) => s + x, 0) : null,
    achievedRate: workloads.reduce((s, w) => s + w.generator.achievedRate, 0) || ratio(completed, durationS),
    lagP99Us: lag?.p99Us ?? null,
    lagMaxUs: lag?.maxUs ?? null,
    scheduleLatencyP99Us: sl?.p99Us ?? null,
    behind: reasons.length > 0,
    behindReason: reasons.join('; ') || null,
    lagSamples: lag?.count ?? 0,
    lagMatters,
    demandUnderstated: dropped.length > 0 || rateShort(workloads, durationS),
  };
}

/** The open-loop generators sent fewer requests than their target rates give, beyond Poisson noise (3 standard deviations). */
function rateShort(workloads: WorkloadRun[], durationS: number): boolean {
  const open = workloads.filter((w) => w.generator.targetRate !== undefined);
  if (open.length === 0 || durationS <= 0) return false;
  const expected = open.reduce((s, w) => s + (w.generator.targetRate ?? 0), 0) * durationS;
  const sent = open.reduce((s, w) => s + w.generator.achievedRate, 0) * durationS;
  return sent < expected - 3 * Math.sqrt(expected);
}
