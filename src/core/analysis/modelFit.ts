/** The queue model fitted to a pool: its input (with the sampling allowance for sizing), the prediction at the current size, the smallest size meeting the target, the error against the measurement, and the what-if curve. Pure. */
import type { WorkloadRun } from '../run/types.js';
import type { PoolEvidence } from '../evidence/types.js';
import { formatSpecNum } from '../units.js';
import { whatIfCurve } from './charts.js';
import { MAX_CONNECTIONS, modelError, predict, smallestMeeting, type ArrivalModel, type ModelInput } from '../model/queue.js';
import { ratio } from './ratio.js';
import type { HoldFigures, HoldTrend, ModelFit } from './types.js';

/** How acquires arrive at the pool, from the workloads that went through it, with what the choice assumes. */
function arrivalModel(workloads: WorkloadRun[], lambda: number): { arrivals: ArrivalModel; notes: string[] } {
  if (workloads.length === 0) return { arrivals: { kind: 'open', lambda, ca2: 1 }, notes: ['no workload recorded: arrivals assumed Poisson at the measured rate'] };
  if (workloads.length > 1) {
    return { arrivals: { kind: 'open', lambda, ca2: 1 }, notes: [`${workloads.length} workloads share this pool: their sum is modelled as Poisson arrivals at the measured rate (approximate)`] };
  }
  const w = workloads[0]!.workload;
  const a = w.arrival;
  if (a.mode === 'closed') return { arrivals: { kind: 'closed', callers: a.concurrency, thinkS: a.thinkMs / 1000 }, notes: [`closed loop of ${a.concurrency} callers: finite-source model M/M/c//N`] };
  const ca2 = a.process === 'constant' ? 0 : 1;
  if (w.burst && w.burst.factor !== 1 && w.burst.onS > 0 && w.burst.offS > 0) {
    const { onS, offS, factor } = w.burst;
    // Scale the schedule to the measured mean rate: base·(f·on + off) / (on + off) = λ.
    const base = ratio(lambda * (onS + offS), factor * onS + offS);
    const wOn = ratio(factor * onS, factor * onS + offS);
    return {
      arrivals: { kind: 'open', lambda, ca2, phases: [{ rate: base * factor, weight: wOn }, { rate: base, weight: 1 - wOn }] },
      notes: [`on/off bursts: modelled as a mixture of a ${formatSpecNum(base * factor)}/s and a ${formatSpecNum(base)}/s phase (approximate)`],
    };
  }
  return { arrivals: { kind: 'open', lambda, ca2 }, notes: [] };
}

/** Open arrivals at `factor` times the rate (every phase alike); closed callers unchanged. */
function scaleArrivals(a: ArrivalModel, factor: number): ArrivalModel {
  if (a.kind === 'closed') return a;
  return { ...a, lambda: a.lambda * factor, ...(a.phases ? { phases: a.phases.map((ph) => ({ ...ph, rate: ph.rate * factor })) } : {}) };
}

/** Pool sizes worth showing in a what-if table: around the current size and the need, at most ~12 rows. */
function candidates(current: number, need: number | null, offeredLoad: number): number[] {
  const set = new Set<number>();
  const lo = Math.max(1, Math.floor(offeredLoad));
  const anchors = [current, need ?? current, lo + 1];
  for (const a of anchors) for (let d = -2; d <= 2; d++) set.add(a + d);
  return [...set].filter((c) => c >= 1 && c <= MAX_CONNECTIONS && c >= lo).sort((a, b) => a - b);
}

export function fitModel(p: PoolEvidence, workloads: WorkloadRun[], lambda: number, hold: HoldFigures, measured: { pWait: number; p50S: number; p95S: number; p99S: number } | null, targetMs: number, trend: HoldTrend): ModelFit {
  const acquires = p.arrival?.count ?? 0;
  if (!p.arrival || !p.hold) {
    const lacks = [p.arrival ? '' : 'the acquire rate', p.hold ? '' : 'hold times'].filter(Boolean).join(' and ');
    return { input: null, sizingInput: null, notes: [`no model: it needs ${lacks}, which this source cannot see`], current: null, needForTarget: null, needAtMeasured: null, error: null, whatIf: [], curve: null };
  }
  if (acquires === 0 || (hold.count === 0 && p.hold.form !== 'mean') || hold.meanUs <= 0) {
    return { input: null, sizingInput: null, notes: ['no acquires or holds measured: nothing to model'], current: null, needForTarget: null, needAtMeasured: null, error: null, whatIf: [], curve: null };
  }
  const { arrivals, notes } = arrivalModel(workloads, lambda);
  const input: ModelInput = { arrivals, meanHoldS: hold.meanUs / 1e6, cs2: hold.cv ** 2 };
  const rateUp = 1 + 1 / Math.sqrt(Math.max(1, acquires));
  const holdUp = 1 + hold.cv / Math.sqrt(Math.max(1, hold.count));
  const sizingInput: ModelInput = { ...input, meanHoldS: input.meanHoldS * holdUp, arrivals: scaleArrivals(arrivals, rateUp) };
  if (trend.growing) notes.push('hold time grows with the connections in use: the model (which assumes it does not) overstates what more connections would give');
  if (p.hold.form === 'mean' && p.hold.cv === undefined) notes.push('hold-time variability is not seen by this source: taken as exponential (cv 1)');
  const c = Math.max(1, p.settings.max_connections);
  const current = predict(input, c);
  if (current.approximate && arrivals.kind === 'open' && !arrivals.phases) notes.push(`hold times far from exponential (cs² = ${formatSpecNum(Math.round(input.cs2 * 100) / 100)}): Allen-Cunneen correction, percentiles approximate`);
  const need = smallestMeeting(sizingInput, targetMs / 1000) ?? null;
  return {
    input,
    sizingInput,
    notes,
    current,
    needForTarget: need,
    needAtMeasured: smallestMeeting(input, targetMs / 1000) ?? null,
    error: measured ? modelError(input, c, measured) : null,
    whatIf: candidates(c, need, input.arrivals.kind === 'open' ? input.arrivals.lambda * input.meanHoldS : 0).map((k) => predict(input, k)),
    curve: whatIfCurve(input, p.settings.max_connections, need),
  };
}
