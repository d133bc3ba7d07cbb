/**
 * Whether a measured environment's answer is settled (issue 35; docs/cli.md, `analyze`): every
 * advised value and every verdict - the rules' (kind and severity of each finding), the confidence
 * label of each change, and the `[check]` thresholds' - is the same at every corner of the joint
 * uncertainty of the inputs it reads (rate, mean hold, P99 wait, mean occupancy per pool; standard
 * errors from batch means over the run's timeline, src/core/analysis/settle.ts), with the error
 * rate spent over a fixed schedule of looks. Before the minimum window the rules' own sample-size
 * thresholds need (CONFIDENCE_LEVELS), nothing is settled. Pure.
 */
import { CONFIDENCE_LEVELS } from '../advisor/defaults.js';
import type { AdvisorConfig } from '../advisor/types.js';
import { analyzeEnvironment, occupancyOnly, type EnvironmentAnalysis, type PoolAnalysis } from '../analysis/analyze.js';
import { fitModel } from '../analysis/modelFit.js';
import { ratio } from '../analysis/ratio.js';
import { inputErrors, judgeLook, lookZ, MIN_BATCHES, SETTLE_ALPHA, SETTLE_INPUTS, type InputPoint } from '../analysis/settle.js';
import { targetOf } from '../analysis/target.js';
import type { EnvironmentEvidence, EvidenceFile } from '../evidence/types.js';
import type { WorkloadRun } from '../run/types.js';
import { compare, evaluateThresholds, type ThresholdResult } from '../thresholds/evaluate.js';
import type { Threshold } from '../thresholds/parse.js';
import { recommendEnvironment } from './index.js';

/** The answer of an environment: each advised value or verdict by a label (`database.max_connections`, `database pool-saturation`, `[check] ...`). */
export type SettleAnswer = Record<string, string | number>;

/** The settings of the stopping rule. */
export interface SettleOptions {
  /** The error rate spent over every look (default 0.05). */
  alpha?: number;
  /** The `[check]` thresholds whose verdicts must settle too. */
  thresholds?: readonly Threshold[];
}

/** What one look found. */
export type SettleOutcome =
  | { settled: true; look: number; elapsedS: number }
  | { settled: false; look: number; elapsedS: number; why: string; differences: Array<{ label: string; values: Array<string | number> }> };

/** The shortest window the rule looks at: a shorter `--duration` is run whole (the confidence label's medium needs this long). */
export const SETTLE_MIN_WINDOW_S: number = CONFIDENCE_LEVELS.medium.seconds;

/**
 * The least window (s) before a look can settle: the run length the confidence label needs for
 * the best label the longest run could give (CONFIDENCE_LEVELS: medium from 10 s, high from 60 s).
 */
export function minimumWindowS(maxS: number): number {
  const { high, medium } = CONFIDENCE_LEVELS;
  return maxS >= high.seconds ? high.seconds : Math.min(maxS, medium.seconds);
}

/** The least acquires a look needs: those of the best confidence label the window allows. */
function minimumSamples(maxS: number): number {
  const { high, medium } = CONFIDENCE_LEVELS;
  return maxS >= high.seconds ? high.samples : medium.samples;
}

/** A pool's figures at another value of its inputs: rate and hold scaled, P99 wait and mean occupancy set, the queue model refitted. */
export function poolAt(p: PoolAnalysis, evidence: EnvironmentEvidence, point: InputPoint): PoolAnalysis {
  const ev = evidence.pools.find((x) => x.pool === p.pool && x.replica === (p.coverage?.replica ?? null)) ?? evidence.pools.find((x) => x.pool === p.pool);
  const rateF = p.arrivalRate > 0 ? point.rate / p.arrivalRate : 1;
  const holdF = p.hold.meanUs > 0 ? point.hold / p.hold.meanUs : 1;
  const arrivalRate = p.arrivalRate * rateF;
  const demandRate = p.demandRate * rateF;
  const hold = { ...p.hold, meanUs: p.hold.meanUs * holdF, p50Us: p.hold.p50Us * holdF, p95Us: p.hold.p95Us * holdF, p99Us: p.hold.p99Us * holdF, p999Us: p.hold.p999Us * holdF, maxUs: p.hold.maxUs * holdF };
  const wait = { ...p.wait, p99Us: point.p99 };
  const dOcc = point.occupancy - p.inUse.mean;
  const inUse = { ...p.inUse, mean: Math.max(0, point.occupancy), p99Interpolated: Math.max(0, p.inUse.p99Interpolated + dOcc) };
  const max = p.settings.max_connections;
  const workloads: WorkloadRun[] = evidence.workloads.filter((w) => w.through === p.pool);
  const measured = p.model.error ? { pWait: p.queuedShare, p50S: wait.p50Us / 1e6, p95S: wait.p95Us / 1e6, p99S: wait.p99Us / 1e6 } : null;
  return {
    ...p,
    arrivalRate,
    demandRate,
    hold,
    wait,
    inUse,
    offeredLoad: demandRate * (hold.meanUs / 1e6),
    utilisation: ratio(inUse.mean, max),
    meetsTarget: wait.p99Us <= p.targetP99WaitMs * 1000,
    model: ev ? fitModel(ev, workloads, demandRate, hold, measured, p.targetP99WaitMs, p.holdTrend) : p.model,
    // A pool judged by its occupancy alone (an observation from the server side): its model at the corner's mean busy.
    ...(p.occupancyModel && ev ? occupancyOnly(ev.occupancy, max, ev.statements, p.idleCloses.count, Math.max(0, point.occupancy)) : {}),
  };
}

/** How far a threshold's observed value moves with the inputs (1 when it reads none of them). */
function thresholdFactor(t: Threshold, centre: InputPoint, point: InputPoint): number {
  const f = (k: keyof InputPoint): number => (centre[k] > 0 ? point[k] / centre[k] : 1);
  if (t.metric === 'acquire') return f('p99');
  if (t.metric === 'hold') return f('hold');
  if ((t.metric === 'in_use' || t.metric === 'utilization') && t.aggregation.name === 'mean') return f('occupancy');
  return 1;
}

/** The answer of an environment whose pool `poolIndex` is at `point` (the others as measured). */
function answerOf(env: EnvironmentAnalysis, evidence: EnvironmentEvidence, file: EvidenceFile, advisor: AdvisorConfig, checks: readonly ThresholdResult[], poolIndex: number, centre: InputPoint, point: InputPoint): SettleAnswer {
  const pools = env.pools.map((p, i) => (i === poolIndex ? poolAt(p, evidence, point) : p));
  const advice = recommendEnvironment({ ...env, pools }, advisor, file);
  const out: SettleAnswer = {};
  for (const r of advice.recommendations) {
    out[`${r.pool}.${r.key}`] = r.to;
    out[`${r.pool}.${r.key} confidence`] = r.confidence;
  }
  for (const f of advice.findings) {
    const label = `${f.pool ?? env.env} ${f.kind}`;
    // Several findings of one kind on one pool: the worst severity stands for them.
    const rank = { info: 0, warning: 1, error: 2 } as const;
    const prev = out[label] as keyof typeof rank | undefined;
    if (prev === undefined || rank[f.severity] > rank[prev]) out[label] = f.severity;
  }
  if (checks.length > 0) {
    const pool = env.pools[poolIndex]!;
    for (const r of checks) {
      let status: string = r.status;
      if (r.observed !== null && r.pool === pool.pool) status = compare(r.observed * thresholdFactor(r.threshold, centre, point), r.threshold.operator, r.threshold.limit) ? 'held' : 'breached';
      out[`[check] ${r.expression}`] = status;
    }
  }
  return out;
}

/** The centre of a pool's box: its measured rate, mean hold, P99 wait and mean in use. */
export function centreOf(p: PoolAnalysis): InputPoint {
  return { rate: p.arrivalRate, hold: p.hold.meanUs, p99: p.wait.p99Us, occupancy: p.inUse.mean };
}

/**
 * Judge look `look` (1-based, of a schedule fixed in advance) of one environment measured for
 * `elapsedS` of at most `maxS`: settled when, for each pool in turn, every corner of its inputs'
 * joint box (Bonferroni over every pool's four inputs at alpha_k) gives the answer of the centre.
 */
export function judgeEnvironment(file: EvidenceFile, envName: string, advisor: AdvisorConfig, look: number, elapsedS: number, maxS: number, o: SettleOptions = {}): SettleOutcome {
  const evidence = file.environments.find((e) => e.env === envName);
  const base = { look, elapsedS };
  if (!evidence) return { ...base, settled: false, why: `no evidence for ${envName}`, differences: [] };
  const minS = minimumWindowS(maxS);
  if (elapsedS + 1e-6 < minS) return { ...base, settled: false, why: `the window is under the ${minS} s the confidence label needs`, differences: [] };
  const env = analyzeEnvironment(evidence, advisor, targetOf(file));
  if (!env.validity.valid) return { ...base, settled: false, why: 'the run is invalid so far', differences: [] };
  const needSamples = minimumSamples(maxS);
  const short = env.pools.find((p) => p.acquires < needSamples);
  if (short) return { ...base, settled: false, why: `${short.pool} has ${short.acquires} acquires, under the ${needSamples} the confidence label needs`, differences: [] };
  return judgeBox(file, evidence, env, advisor, look, base, o, (p, ev) => {
    const se = inputErrors(ev?.timeline?.points ?? []);
    return se ?? `${p.pool}'s timeline has fewer than 10 batches`;
  });
}

/** A pool's standard errors of the four inputs, or why there are none yet. */
type ErrorsOf = (p: PoolAnalysis, ev: EnvironmentEvidence['pools'][number] | undefined) => InputPoint | string;

/** The joint box of every pool's inputs at look `look`: settled when each corner gives the centre's answer. */
function judgeBox(file: EvidenceFile, evidence: EnvironmentEvidence, env: EnvironmentAnalysis, advisor: AdvisorConfig, look: number, base: { look: number; elapsedS: number }, o: SettleOptions, errorsOf: ErrorsOf): SettleOutcome {
  const envName = evidence.env;
  // The thresholds are evaluated once on the evidence; each corner moves the observed value with its inputs.
  const checks = (o.thresholds ?? []).length > 0 ? evaluateThresholds(o.thresholds!, { ...file, environments: [evidence] }, [envName]) : [];
  const z = lookZ(o.alpha ?? SETTLE_ALPHA, look, SETTLE_INPUTS.length * Math.max(1, env.pools.length));
  const differences = new Map<string, Set<string | number>>();
  for (let i = 0; i < env.pools.length; i++) {
    const p = env.pools[i]!;
    const ev = evidence.pools.find((x) => x.pool === p.pool && x.replica === (p.coverage?.replica ?? null)) ?? evidence.pools.find((x) => x.pool === p.pool);
    const se = errorsOf(p, ev);
    if (typeof se === 'string') return { ...base, settled: false, why: se, differences: [] };
    const centre = centreOf(p);
    const verdict = judgeLook(centre, se, z, (pt) => answerOf(env, evidence, file, advisor, checks, i, centre, pt), (a) => JSON.stringify(Object.entries(a).sort(([x], [y]) => (x < y ? -1 : 1))));
    if (!verdict.settled) {
      const labels = new Set(verdict.answers.flatMap((a) => Object.keys(a)));
      for (const label of labels) {
        const values = new Set(verdict.answers.map((a) => a[label] ?? absent(env, label)));
        if (values.size > 1) {
          const set = differences.get(label) ?? new Set();
          for (const v of values) set.add(v);
          differences.set(label, set);
        }
      }
    }
  }
  if (differences.size === 0) return { ...base, settled: true };
  const list = [...differences].map(([label, values]) => ({ label, values: [...values].sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : 1)) }));
  return { ...base, settled: false, why: describeDifferences(list), differences: list };
}

/**
 * Judge look `look` (1-based, of a schedule fixed in advance) of an observation (`observe
 * --until-settled`) after `elapsedS` of sampling, its minimum `minS` set by the user: every
 * environment of the evidence settled, by the same box as {@link judgeEnvironment}. The inputs are
 * what an observation's evidence has: the mean busy (occupancy) with its standard error by batch
 * means over the samples (at least {@link MIN_BATCHES} batches); the rate, hold and P99 wait where
 * the evidence has a timeline of them (a measured source), none otherwise (their error is then zero:
 * a figure the evidence does not have cannot move).
 */
export function judgeObservation(file: EvidenceFile, advisor: AdvisorConfig, look: number, elapsedS: number, minS: number, o: SettleOptions = {}): SettleOutcome {
  const base = { look, elapsedS };
  if (elapsedS + 1e-6 < minS) return { ...base, settled: false, why: `the window is under the ${minS} s minimum`, differences: [] };
  // Connections no --map ties to a pool of the config are an environment without pools: no advice to settle.
  const judged = file.environments.filter((e) => e.pools.length > 0);
  if (judged.length === 0) return { ...base, settled: false, why: 'no pool maps to an environment of the config (--map)', differences: [] };
  const differences: Array<{ label: string; values: Array<string | number> }> = [];
  for (const evidence of judged) {
    const env = analyzeEnvironment(evidence, advisor, targetOf(file));
    if (!env.validity.valid) return { ...base, settled: false, why: `${evidence.env}: the observation is invalid so far`, differences: [] };
    const out = judgeBox(file, evidence, env, advisor, look, base, o, (p, ev) => {
      const occ = ev?.occupancy;
      if (occ?.inUseMeanStdErr === undefined || (occ.inUseBatches ?? 0) < MIN_BATCHES) return `${evidence.env}.${p.pool}: the busy count has fewer than ${MIN_BATCHES} batches`;
      const timed = ev?.timeline?.points?.length ? inputErrors(ev.timeline.points) : null;
      return { rate: timed?.rate ?? 0, hold: timed?.hold ?? 0, p99: timed?.p99 ?? 0, occupancy: occ.inUseMeanStdErr };
    });
    if (out.settled) continue;
    if (out.differences.length === 0) return out;
    differences.push(...out.differences.map((d) => (file.environments.length > 1 ? { ...d, label: `${evidence.env}: ${d.label}` } : d)));
  }
  if (differences.length === 0) return { ...base, settled: true };
  return { ...base, settled: false, why: describeDifferences(differences), differences };
}

/** What a corner without the label had: the key's current value (no change advised), or `none` (no such finding). */
function absent(env: EnvironmentAnalysis, label: string): string | number {
  const m = /^(\w+)\.(\w+)$/.exec(label);
  if (!m) return 'none';
  const v = env.config[m[1] as keyof EnvironmentAnalysis['config']]?.keys[m[2]!]?.value;
  return typeof v === 'number' ? v : 'unchanged';
}

/** "database.max_connections is 8 or 9; database pool-saturation is warning or info". */
export function describeDifferences(list: ReadonlyArray<{ label: string; values: ReadonlyArray<string | number> }>): string {
  const shown = list.filter((d) => !d.label.endsWith(' confidence'));
  const use = shown.length > 0 ? shown : list;
  const text = (v: string | number): string => String(v);
  return use
    .slice(0, 3)
    .map((d) => `${d.label} is ${d.values.slice(0, -1).map(text).join(', ')}${d.values.length > 1 ? ' or ' : ''}${text(d.values[d.values.length - 1]!)}`)
    .concat(use.length > 3 ? [`and ${use.length - 3} more`] : [])
    .join('; ');
}
