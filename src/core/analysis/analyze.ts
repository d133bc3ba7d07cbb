/**
 * Analysis of a run: from the recorded histograms, counters and occupancy of each pool to the
 * figures the rules reason about (percentiles, rates, utilisation, the hold-vs-occupancy trend)
 * and the queue model fitted to the same run. Pure: the run and the advisor config come in as
 * arguments; every division is guarded, so an empty or zero-length run gives zeros, not NaN.
 */
import type { AdvisorConfig, RuleSettings } from '../advisor/types.js';
import type { PoolName, PoolSettings } from '../config/pools.js';
import { decode, summarize } from '../run/histogram.js';
import { own } from '../dict.js';
import { levelPercentile, levelQuantile, meanLevel } from '../run/occupancy.js';
import type { AcquirePath, HoldByInUse, LevelTimes, TimelinePoint, WorkloadRun, WorkloadSpec } from '../run/types.js';
import { summarizeDistribution } from '../evidence/distribution.js';
import { EVIDENCE_PARTS, partsOf, type EvidencePart } from '../evidence/parts.js';
import type { Distribution, EnvironmentEvidence, EvidenceFile, EvidenceSource, PoolEvidence, UnmappedPool } from '../evidence/types.js';
import { validateEnvironment, type Validity } from './validity.js';
import { targetOf, type TargetInfo } from './target.js';
import { formatSpecNum, formatUs } from '../units.js';
import { waitDecades, waitSpectrum, whatIfCurve, type WaitSpectrum, type WhatIfCurve } from './charts.js';
import { poolFigures, type PoolFigures } from './figures.js';
import { occupancyModel, type OccupancyModel } from './occupancyModel.js';

const ALL_PARTS = EVIDENCE_PARTS.length;
import { MAX_CONNECTIONS, modelError, predict, smallestMeeting, type ArrivalModel, type ModelError, type ModelInput, type Prediction } from '../model/queue.js';

/** Expiries closer together than this count as one burst. */
export const EXPIRY_BURST_WINDOW_MS = 1000;

/** Generator lag: at least this many requests before its P99 is trusted. */
export const LAG_MIN_SAMPLES = 1000;
/** Generator lag P99 that matters: at least this, and at least {@link LAG_HOLD_SHARE} of the mean hold (bunches shorter than a hold are absorbed). */
export const LAG_MIN_US = 20_000;
export const LAG_HOLD_SHARE = 0.5;

/** Server bound: the pool's mean utilisation at least this (the pool was at its max)... */
export const SERVER_BOUND_UTILISATION = 0.8;
/** ...holds under load at least `holdGrowthRatio` times the calibrated uncontended hold, and longer by at least this (µs; below it the difference is the client's own noise)... */
export const SERVER_BOUND_MIN_EXTRA_US = 500;
/** ...and calibration holds needed to trust the uncontended hold. */
export const CALIBRATION_MIN_HOLDS = 5;
/** Open load: the pool served less than this share of what was asked. */
export const SERVER_BOUND_COMPLETED_SHARE = 0.9;

/** Share of holds at each end of the occupancy range that the hold trend compares. */
export const HOLD_TREND_GROUP_SHARE = 0.2;

/** Percentiles of a distribution of microseconds. */
export interface WaitFigures {
  count: number;
  meanUs: number;
  p50Us: number;
  p95Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
}

/** Time-weighted figures of a gauge. */
export interface GaugeFigures {
  mean: number;
  p95: number;
  p99: number;
  /** Level at or under which the gauge spent 99.9% of the window (time-weighted). */
  p999: number;
  /** The time-weighted P99 as a continuous level (occupancy's levelQuantile): what the size floor rounds. */
  p99Interpolated: number;
  max: number;
}

/** Hold time, µs, and its variability. */
export interface HoldFigures extends WaitFigures {
  /** Coefficient of variation (stddev / mean); 1 for exponential holds. */
  cv: number;
}

/** Mean hold at one occupancy level, and the throughput that level sustains (level / mean hold). */
export interface HoldLevel {
  level: number;
  count: number;
  meanUs: number;
  /** Acquires per second that `level` connections, each held `meanUs`, serve (Little's law). */
  throughput: number;
}

/** A group of occupancy levels with its mean hold. */
export interface HoldGroup {
  fromLevel: number;
  toLevel: number;
  count: number;
  meanUs: number;
}

/**
 * How hold time changes with the number of connections in use when the hold began. Flat when
 * the database keeps up; rising when the server, not the pool, is the bottleneck.
 */
export interface HoldTrend {
  levels: HoldLevel[];
  /** The lowest and highest levels holding at least 20% of the holds each (null when they overlap or hold too few). */
  low: HoldGroup | null;
  high: HoldGroup | null;
  /** Mean hold at high occupancy / mean hold at low occupancy. */
  ratio: number | null;
  /** Weighted least-squares slope of mean hold over level, µs per extra connection in use. */
  slopeUsPerConnection: number | null;
  /** The best throughput of the low- and high-occupancy groups (mean level / mean hold), per second. */
  maxThroughput: number | null;
  /** The smallest level with `holdTrendMinSamples` holds that reaches `throughputPlateauShare` of the best throughput. */
  kneeLevel: number | null;
  /** True when the ratio is over `holdGrowthRatio` with enough samples at both ends. */
  growing: boolean;
}

/** Lifetime expiries. */
export interface ExpiryFigures {
  count: number;
  /** Observed in the run. */
  perMinute: number;
  /** mean open connections / max_lifetime, per minute, when the run is shorter than the lifetime; otherwise null. */
  projectedPerMinute: number | null;
  /** Largest number of expiries within {@link EXPIRY_BURST_WINDOW_MS}. */
  maxBurst: number;
  /** Acquires that may have had to open a connection because one expired: min(expiries, acquires served by a new connection). */
  reconnectsOnAcquirePath: number;
  /**
   * Reconnects paid on the acquire path per thousand acquires: observed, or, when no expiry fell in
   * the run, projected (expiries per acquire x the share of time at most one connection was idle,
   * when an expired connection cannot be stepped over).
   */
  reconnectsPerThousand: number;
  /** Timeline intervals with a burst of expiries (`expiryBurstSize` or more) whose P99 wait was over the target. */
  burstsReachingWaits: number;
}

/** Idle-timeout closes and how soon a connection was opened again after one. */
export interface IdleCloseFigures {
  count: number;
  perMinute: number;
  /** Idle closes followed by a connection open within the churn window. */
  reopened: number;
  reopenedPerMinute: number;
  /** Longest close-to-reopen gap among those, seconds (timeline resolution). */
  maxReopenGapS: number | null;
  /** Median age of connections when they closed idle, seconds. */
  medianAgeS: number | null;
}

/** The load generator's view of the workloads that went through a pool (never mixed into the pool's figures). */
export interface GeneratorFigures {
  workloads: string[];
  mode: 'open' | 'closed' | 'mixed';
  requests: number;
  completed: number;
  failed: number;
  targetRate: number | null;
  achievedRate: number;
  /** How late the generator started requests (open mode), µs. */
  lagP99Us: number | null;
  lagMaxUs: number | null;
  /** Scheduled start to connection (open mode), µs: acquire wait plus generator lag. */
  scheduleLatencyP99Us: number | null;
  behind: boolean;
  behindReason: string | null;
  /** Lag samples (requests started by the open-loop generator). */
  lagSamples: number;
  /**
   * The lag matters (enough samples, a P99 lag over max(20 ms, half the mean hold)): requests due
   * during a stall of the machine were sent together after it, so the occupancy's tail (P99 in use
   * and above) measures those bunches, not the workload.
   */
  lagMatters: boolean;
  /**
   * The generator sent less than the workload asked for (requests dropped, or fewer requests than
   * the target rate gives by more than 3 standard deviations of a Poisson count): the demand the
   * pool saw is understated. A lag alone bunches requests
   * but sends them all, which overstates peaks rather than hiding them.
   */
  demandUnderstated: boolean;
}

/** The uncontended hold (calibration phase) against the hold under load, and throughput against demand. */
export interface ServerCapacity {
  /** Calibration: mean hold on one connection before any load, µs (null when the run has none). */
  uncontendedHoldUs: number | null;
  calibrationHolds: number;
  /** Mean hold under load / uncontended hold. */
  holdInflation: number | null;
  /**
   * Requests per second the pool's connections served in the window, by Little's law (mean
   * connections in use / mean hold): what the server sustained. Not the generator's completions,
   * which include the requests of the window that finished after it.
   */
  servedRate: number;
  /** What the workload asked for, per second (open load; null for a closed loop). */
  demandRate: number | null;
  /** The server, not the pool, limited the run: the pool stayed near its max, holds far above the uncontended ones, and (open load) it served far less than asked. */
  bound: boolean;
  /** Why `bound` is false when the calibration is missing (older runs). */
  note: string | null;
}

/** The queue model fitted to a pool's run. */
export interface ModelFit {
  /** What the model was fed (null when the run has no holds or no acquires to fit). */
  input: ModelInput | null;
  /** Why the model is approximate or does not apply (assumptions, mixed workloads, a database-bound pool). */
  notes: string[];
  /**
   * What sizing decisions are made with: `input` with the arrival rate and the mean hold each
   * raised by one standard error of its estimate (1/√n and cv/√n), so the sampling noise of a
   * short run does not undersize a pool. With 10 000 acquires that is under 1%.
   */
  sizingInput: ModelInput | null;
  /** Prediction at the pool's own max_connections (from `input`). */
  current: Prediction | null;
  /** The smallest max_connections whose predicted P99 wait meets the target, from `sizingInput` (null when none up to 1000 does, or no model). */
  needForTarget: number | null;
  /** The same from the point estimates (`input`), for reference. */
  needAtMeasured: number | null;
  /** Prediction minus measurement at the pool's own size. */
  error: ModelError | null;
  /** Predictions around the current size and the need, for tables. */
  whatIf: Prediction[];
  /** The P99 wait at every size the what-if chart shows (null without a model; chart data, not in the JSON). */
  curve: WhatIfCurve | null;
}

/** What the terminal tables, the wait histogram and the spectrum chart show of a pool (not in the JSON, whose fields carry the same figures). */
export interface PoolDisplay {
  /** The table figures, null where the evidence has no such part. */
  table: PoolFigures;
  /** Share of acquires per decade of wait. */
  decades: Array<{ label: string; share: number }>;
  /** The acquire-wait spectrum (null unless the waits are an HDR histogram). */
  spectrum: WaitSpectrum | null;
}

/** The load generator's own figures for one workload (open mode), µs. */
export interface WorkloadGeneratorFigures {
  scheduleLatencyP99Us: number | null;
  lagP99Us: number | null;
}

/** Everything measured and derived for one pool in one environment. */
export interface PoolAnalysis {
  env: string;
  pool: PoolName;
  settings: PoolSettings;
  emulateSqlx: boolean;
  durationS: number;
  /** Acquires measured (the sample count). */
  acquires: number;
  wait: WaitFigures;
  waitByPath: Record<AcquirePath, WaitFigures>;
  /** Share of acquires that waited (opened a connection or queued). */
  waitedShare: number;
  /** Share of acquires that queued behind others (what Erlang C calls waiting). */
  queuedShare: number;
  /** Acquires per second (measured: acquires / duration). */
  arrivalRate: number;
  /**
   * Acquires per second the workload asked for: the open-loop generator's requests due in the
   * window when they outnumber the acquires (an overloaded pool completes fewer than arrive),
   * else the arrival rate. The queue model is fed this.
   */
  demandRate: number;
  hold: HoldFigures;
  /** Demand rate × mean hold, Erlangs: the connections the workload keeps busy on average. */
  offeredLoad: number;
  create: WaitFigures & { perSecond: number; errors: number };
  inUse: GaugeFigures;
  idle: GaugeFigures;
  total: GaugeFigures;
  waiting: GaugeFigures;
  /** inUse.mean / max_connections. */
  utilisation: number;
  /** inUse.p99 / max_connections. */
  peakUtilisation: number;
  timeouts: number;
  timeoutShare: number;
  errors: number;
  errorShare: number;
  expiries: ExpiryFigures;
  idleCloses: IdleCloseFigures;
  slow: { count: number; share: number; thresholdMs: number };
  generator: GeneratorFigures | null;
  holdTrend: HoldTrend;
  /** The same trend in the window's first and second half (null for runs saved before halves were recorded). */
  holdTrendHalves: [HoldTrend, HoldTrend] | null;
  /** The calibration phase against the run under load: whether the server limited it. */
  server: ServerCapacity;
  /** What the sqlx emulation did (empty when off or not recorded). */
  sqlxBehaviour: string[];
  targetP99WaitMs: number;
  /** Whether the measured P99 wait is at or under the target. */
  meetsTarget: boolean;
  model: ModelFit;
  /** What the renderers show (not in the JSON). */
  display: PoolDisplay;
  /**
   * Where the evidence came from and what it could not see: present unless it is a measured run,
   * which sees every part. The figures of an unseen part are zeros and must not be read.
   */
  coverage?: Coverage;
  /** The model on occupancy alone: present only when the evidence lacks the acquire rate or holds (occupancyModel.ts). */
  occupancyModel?: OccupancyModel;
}

/** The source of a pool's evidence and the parts it lacks. */
export interface Coverage {
  source: EvidenceSource;
  /** The replica (client address or instance) the evidence is of; null for the pool as a whole. */
  replica: string | null;
  /** Parts the source could not see. */
  unseen: EvidencePart[];
  /** Settings the source did not know (Tasker's defaults stand in for them). */
  settingsAssumed: string[];
  /** What the evidence counts as samples: acquires when it has them, else gauge samples. */
  samples: number;
  validity: { valid: boolean; reasons: string[] };
  /** Where two merged sources disagree about this pool (evidence/merge.ts). */
  disagreements: string[];
}

/** Whether the analysis of a pool had `part` (every part for a measured run). */
export function saw(p: PoolAnalysis, part: EvidencePart): boolean {
  return !p.coverage || !p.coverage.unseen.includes(part);
}

/** Whether a pool's evidence holds nothing to judge: no acquires where it counts them, or an empty window. */
export function noSamples(p: PoolAnalysis): boolean {
  if (!p.coverage) return p.acquires === 0;
  if (saw(p, 'wait') || saw(p, 'arrival')) return p.acquires === 0;
  return p.coverage.samples === 0 || p.durationS === 0;
}

/** One environment's analysis. */
export interface EnvironmentAnalysis {
  env: string;
  durationS: number;
  warmupS: number;
  pgmqShared: boolean;
  /** {@link pgmqSharingNote} for this run. */
  pgmqNote: string;
  interrupted: boolean;
  /** One line per workload, e.g. `database: open poisson 200/s, hold exponential mean 20 ms, 60 s`. */
  workloads: string[];
  pools: PoolAnalysis[];
  /** The config the run saw, for recommendations (values with file and line). */
  config: EnvironmentEvidence['config'];
  overrides: EnvironmentEvidence['overrides'];
  /** Pools the source saw but could not map to a Tasker pool. */
  unmapped: UnmappedPool[];
  /** Whether the evidence can be trusted; an invalid window changes no key. */
  validity: Validity;
  /** The server measured (its kind decides whether server-capacity findings may change a key). */
  target: TargetInfo;
  /** The generator's figures of each workload of a measured run, in the evidence's order. */
  generators: WorkloadGeneratorFigures[];
}

/** A whole run's analysis. */
export interface RunAnalysis {
  createdAt: string;
  target: string;
  seed: number | null;
  partial: boolean;
  server: EvidenceFile['server'] | null;
  /** The target with its kind. */
  targetInfo: TargetInfo;
  environments: EnvironmentAnalysis[];
  /** Every environment valid. */
  valid: boolean;
}

/** x / y, or `otherwise` when y is zero or not finite. */
export function ratio(x: number, y: number, otherwise = 0): number {
  return y > 0 && Number.isFinite(y) && Number.isFinite(x) ? x / y : otherwise;
}

/** Percentiles of a distribution; zeros for an unseen one, and for what a mean-only one cannot tell. */
function waitFigures(d: Distribution | undefined): WaitFigures {
  if (!d) return { count: 0, meanUs: 0, p50Us: 0, p95Us: 0, p99Us: 0, p999Us: 0, maxUs: 0 };
  const s = summarizeDistribution(d);
  return { count: s.count, meanUs: s.meanUs, p50Us: s.p50Us ?? 0, p95Us: s.p95Us ?? 0, p99Us: s.p99Us ?? 0, p999Us: s.p999Us ?? 0, maxUs: s.maxUs ?? 0 };
}

const NO_LEVELS: LevelTimes = { levels: [], max: 0, last: 0 };

function gauge(t: LevelTimes | undefined): GaugeFigures {
  const g = t ?? NO_LEVELS;
  return { mean: meanLevel(g), p95: levelPercentile(g, 95), p99: levelPercentile(g, 99), p999: levelPercentile(g, 99.9), p99Interpolated: levelQuantile(g, 99), max: g.max };
}

/** The target P99 wait (ms) of a pool in an environment: the environment's own, else the config's default. */
export function targetFor(advisor: AdvisorConfig, env: string, pool: PoolName): number {
  return own(advisor.environments, env)?.targetP99WaitMs[pool] ?? advisor.targetP99WaitMs;
}

/** A workload in one line: `database: open poisson 200/s, hold exponential mean 20 ms, 60 s`. */
export function describeWorkload(w: WorkloadSpec): string {
  const a = w.arrival;
  const arrival = a.mode === 'open' ? `open ${a.process} ${formatSpecNum(a.rate)}/s` : `closed ${a.concurrency} callers, think ${formatSpecNum(a.thinkMs)} ms`;
  const h = w.hold;
  const hold =
    h.kind === 'sleep'
      ? h.dist === 'constant'
        ? `hold constant ${formatSpecNum(h.ms)} ms`
        : h.dist === 'exponential'
          ? `hold exponential mean ${formatSpecNum(h.meanMs)} ms`
          : `hold lognormal p50 ${formatSpecNum(h.p50Ms)} ms p99 ${formatSpecNum(h.p99Ms)} ms`
      : h.kind === 'sql'
        ? `hold sql ${h.source ?? JSON.stringify(h.sql.length > 40 ? `${h.sql.slice(0, 37)}...` : h.sql)}`
        : `hold queue batch ${h.batch}`;
  const burst = w.burst ? `, bursts x${formatSpecNum(w.burst.factor)} for ${formatSpecNum(w.burst.onS)} s every ${formatSpecNum(w.burst.onS + w.burst.offS)} s` : '';
  return `${w.pool}: ${arrival}, ${hold}${burst}, ${formatSpecNum(w.durationS)} s`;
}


/** Hold time by occupancy, split into low and high groups, with throughput per level. */
export function holdTrend(levels: HoldByInUse['levels'], rules: RuleSettings): HoldTrend {
  const rows = levels
    .filter(([lv, n]) => lv > 0 && n > 0)
    .sort((a, b) => a[0] - b[0])
    .map(([level, count, sumUs]) => ({ level, count, meanUs: sumUs / count, throughput: ratio(level * 1e6, sumUs / count) }));
  const total = rows.reduce((s, r) => s + r.count, 0);
  const group = (rs: typeof rows): HoldGroup => {
    const count = rs.reduce((s, r) => s + r.count, 0);
    const sum = rs.reduce((s, r) => s + r.count * r.meanUs, 0);
    const lvs = rs.map((r) => r.level);
    return { fromLevel: Math.min(...lvs), toLevel: Math.max(...lvs), count, meanUs: ratio(sum, count) };
  };
  const take = (rs: typeof rows): typeof rows => {
    const out: typeof rows = [];
    let n = 0;
    for (const r of rs) {
      if (n >= HOLD_TREND_GROUP_SHARE * total) break;
      out.push(r);
      n += r.count;
    }
    return out;
  };
  let low: HoldGroup | null = null;
  let high: HoldGroup | null = null;
  if (rows.length >= 2) {
    const lo = group(take(rows));
    const hi = group(take([...rows].reverse()));
    if (lo.toLevel < hi.fromLevel) {
      low = lo;
      high = hi;
    }
  }
  const r = low && high ? ratio(high.meanUs, low.meanUs, 0) : null;
  const enough = low !== null && high !== null && low.count >= rules.holdTrendMinSamples && high.count >= rules.holdTrendMinSamples;
  // Weighted least squares of mean hold on level.
  let slope: number | null = null;
  if (rows.length >= 2 && total > 0) {
    const mx = rows.reduce((s, x) => s + x.count * x.level, 0) / total;
    const my = rows.reduce((s, x) => s + x.count * x.meanUs, 0) / total;
    const sxx = rows.reduce((s, x) => s + x.count * (x.level - mx) ** 2, 0);
    const sxy = rows.reduce((s, x) => s + x.count * (x.level - mx) * (x.meanUs - my), 0);
    slope = sxx > 0 ? sxy / sxx : null;
  }
  // The best throughput is read from the groups (many holds, little noise), the knee from levels with enough holds of their own.
  const groupThroughput = (g: HoldGroup | null, rs: typeof rows): number => {
    if (!g) return 0;
    const inGroup = rs.filter((x) => x.level >= g.fromLevel && x.level <= g.toLevel);
    const meanLevelOf = ratio(
      inGroup.reduce((s, x) => s + x.count * x.level, 0),
      g.count,
    );
    return ratio(meanLevelOf * 1e6, g.meanUs);
  };
  const trusted = rows.filter((x) => x.count >= rules.holdTrendMinSamples);
  const best = Math.max(groupThroughput(low, rows), groupThroughput(high, rows));
  const maxThroughput = enough && best > 0 ? best : null;
  const knee = maxThroughput !== null ? (trusted.find((x) => x.throughput >= rules.throughputPlateauShare * maxThroughput)?.level ?? null) : null;
  return {
    levels: rows,
    low,
    high,
    ratio: r,
    slopeUsPerConnection: slope,
    maxThroughput,
    kneeLevel: knee,
    growing: enough && r !== null && r > rules.holdGrowthRatio,
  };
}

/** The largest number of times within any window of `windowMs`. */
export function maxInWindow(timesMs: readonly number[], windowMs: number): number {
  const t = [...timesMs].sort((a, b) => a - b);
  let best = 0;
  let i = 0;
  for (let j = 0; j < t.length; j++) {
    while (t[j]! - t[i]! >= windowMs) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

/**
 * Pair idle closes with the connection opens that follow them within `windowS`, from the
 * timeline (first-in first-out, at the timeline's resolution). Opens in the same interval as a
 * close count: at one-second resolution the order inside an interval is unknown.
 */
export function idleReopens(points: readonly TimelinePoint[], windowS: number): { reopened: number; maxGapS: number | null } {
  const pending: Array<{ t: number; n: number }> = [];
  let reopened = 0;
  let maxGap: number | null = null;
  for (const p of points) {
    if (p.idleClosed > 0) pending.push({ t: p.t, n: p.idleClosed });
    let opens = p.created;
    while (opens > 0 && pending.length > 0) {
      const first = pending[0]!;
      if (p.t - first.t > windowS * 1000) {
        pending.shift();
        continue;
      }
      const m = Math.min(first.n, opens);
      reopened += m;
      opens -= m;
      first.n -= m;
      maxGap = Math.max(maxGap ?? 0, (p.t - first.t) / 1000);
      if (first.n === 0) pending.shift();
    }
  }
  return { reopened, maxGapS: maxGap };
}

function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function generatorFigures(workloads: WorkloadRun[], durationS: number, holdMeanUs: number): GeneratorFigures | null {
  if (workloads.length === 0) return null;
  const modes = new Set(workloads.map((w) => w.generator.mode));
  const targets = workloads.map((w) => w.generator.targetRate).filter((x): x is number => x !== undefined);
  const lags = workloads.map((w) => w.generator.lag).filter((x): x is string => x !== undefined);
  const sched = workloads.map((w) => w.generator.scheduleLatency).filter((x): x is string => x !== undefined);
  const merged = (es: string[]): WaitFigures | null => {
    if (es.length === 0) return null;
    const h = decode(es[0]!);
    for (const e of es.slice(1)) h.add(decode(e));
    const s = summarize(h);
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

function fitModel(p: PoolEvidence, workloads: WorkloadRun[], lambda: number, hold: HoldFigures, measured: { pWait: number; p50S: number; p95S: number; p99S: number } | null, targetMs: number, trend: HoldTrend): ModelFit {
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

/**
 * Whether the server, not the pool, limited the run: the pool stayed near its max, holds under load
 * are far above the uncontended hold of the calibration phase (not read from the spread of
 * occupancy, which a pool pinned at its max does not have), and, for an open load, it completed
 * far less than asked.
 */
function serverCapacity(p: PoolEvidence, acquires: number, workloads: WorkloadRun[], hold: HoldFigures, utilisation: number, durationS: number, rules: RuleSettings): ServerCapacity {
  // utilisation x max = mean connections in use.
  const cals = workloads.map((w) => w.calibration).filter((c): c is NonNullable<WorkloadRun['calibration']> => c !== undefined && c.holds > 0);
  const calHolds = cals.reduce((s, c) => s + c.holds, 0);
  // Sleep holds: the distribution's mean plus the overhead measured around the sleeps asked for.
  const uncontendedOf = (c: (typeof cals)[number]): number => (c.specMeanUs !== undefined && c.requestedMeanUs !== undefined ? c.specMeanUs + Math.max(0, c.meanUs - c.requestedMeanUs) : c.meanUs);
  const uncontended = calHolds > 0 ? cals.reduce((s, c) => s + c.holds * uncontendedOf(c), 0) / calHolds : null;
  const servedRate = ratio(utilisation * p.settings.max_connections * 1e6, hold.meanUs);
  const open = workloads.length > 0 && workloads.every((w) => w.generator.mode === 'open');
  const demandRate = open ? ratio(workloads.reduce((s, w) => s + w.generator.requests, 0), durationS) : null;
  const inflation = uncontended !== null && uncontended > 0 && hold.count > 0 ? hold.meanUs / uncontended : null;
  const note = workloads.length > 0 && cals.length === 0 ? (workloads.some((w) => w.calibration) ? 'the calibration phase recorded no hold' : 'no calibration phase (run saved by an older pool-advisor): the server is judged by the hold-versus-occupancy trend only') : null;
  const inflated = inflation !== null && calHolds >= CALIBRATION_MIN_HOLDS && inflation >= rules.holdGrowthRatio && hold.meanUs - uncontended! >= SERVER_BOUND_MIN_EXTRA_US;
  const full = utilisation >= SERVER_BOUND_UTILISATION;
  const short = demandRate === null || servedRate < SERVER_BOUND_COMPLETED_SHARE * demandRate;
  return { uncontendedHoldUs: uncontended, calibrationHolds: calHolds, holdInflation: inflation, servedRate, demandRate, bound: inflated && full && short && acquires > 0, note };
}

/** The occupancy-only model as a field of the analysis, when there is one. */
function occupancyOnly(occ: PoolEvidence['occupancy'], max: number): { occupancyModel?: OccupancyModel } {
  const m = occupancyModel(occ, max);
  return m ? { occupancyModel: m } : {};
}

/** Share of the window with at most one idle connection (an acquire that finds an expired one then has nothing to step over to). */
function idleScarce(t: LevelTimes | undefined): number {
  if (!t) return 0;
  const total = t.levels.reduce((s, [, us]) => s + us, 0);
  if (total <= 0) return t.last <= 1 ? 1 : 0;
  return t.levels.filter(([lv]) => lv <= 1).reduce((s, [, us]) => s + us, 0) / total;
}

/** Analyse one pool's evidence; `workloads` are those of a measured run that went through it. */
export function analyzePool(env: string, p: PoolEvidence, workloads: WorkloadRun[], advisor: AdvisorConfig): PoolAnalysis {
  const rules = advisor.rules;
  const durationS = p.source.durationMs / 1000;
  const acquires = p.wait?.count ?? p.arrival?.count ?? 0;
  const wait = waitFigures(p.wait?.all);
  const holdSummary = p.hold ? summarizeDistribution(p.hold) : null;
  const hold: HoldFigures = {
    count: holdSummary?.count ?? 0,
    meanUs: holdSummary?.meanUs ?? 0,
    p50Us: holdSummary?.p50Us ?? 0,
    p95Us: holdSummary?.p95Us ?? 0,
    p99Us: holdSummary?.p99Us ?? 0,
    p999Us: holdSummary?.p999Us ?? 0,
    maxUs: holdSummary?.maxUs ?? 0,
    // Variability a source cannot see is taken as exponential's (cv 1), and the model says so.
    cv: holdSummary === null ? 0 : holdSummary.stddevUs === null ? 1 : ratio(holdSummary.stddevUs, holdSummary.meanUs),
  };
  const arrivalRate = p.arrival?.rate ?? 0;
  const requested = workloads.filter((w) => w.generator.mode === 'open').reduce((s, w) => s + w.generator.requests, 0);
  const demandRate = Math.max(arrivalRate, ratio(requested, durationS));
  const createFig = waitFigures(p.create);
  const occ = p.occupancy;
  const inUse = gauge(occ?.inUse);
  const total = gauge(occ?.open);
  const lifetime = p.settings.max_lifetime_seconds;
  const targetMs = targetFor(advisor, env, p.pool);
  const trend = holdTrend(p.measured?.holdByInUse.levels ?? [], rules);
  const byPath = p.wait?.countByPath ?? { idle: 0, new: 0, queued: 0 };
  const queuedShare = ratio(byPath.queued, acquires);
  const reopen = idleReopens(p.timeline?.points ?? [], rules.idleChurnWindowS);
  const churn = p.churn;
  const expired = churn?.closed.lifetime ?? 0;
  const idleClosed = churn?.closed.idle ?? 0;
  const f = p.failures;
  const timeouts = f?.timeouts ?? 0;
  const errors = f?.errors ?? 0;
  const slow = f?.slow ?? 0;
  // Without the acquire paths: above min_connections sqlx does not replace an expired connection,
  // so the next acquire opens one; at or under it the pool refills it in the background.
  const reopenedOnPath = p.wait?.countByPath ? Math.min(expired, byPath.new) : inUse.p95 > p.settings.min_connections ? expired : 0;
  const parts = partsOf(p);
  const complete = p.source.kind === 'measured-run' && parts.length === ALL_PARTS;
  return {
    env,
    pool: p.pool,
    settings: p.settings,
    emulateSqlx: p.measured?.emulateSqlx ?? false,
    durationS,
    acquires,
    wait,
    waitByPath: { idle: waitFigures(p.wait?.byPath?.idle), new: waitFigures(p.wait?.byPath?.new), queued: waitFigures(p.wait?.byPath?.queued) },
    waitedShare: ratio(p.wait?.waited ?? 0, acquires),
    queuedShare,
    arrivalRate,
    demandRate,
    hold,
    offeredLoad: demandRate * (hold.meanUs / 1e6),
    create: { ...createFig, perSecond: ratio(churn?.opened ?? 0, durationS), errors: f?.createErrors ?? 0 },
    inUse,
    idle: gauge(occ?.idle),
    total,
    waiting: gauge(occ?.waiting),
    utilisation: ratio(inUse.mean, p.settings.max_connections),
    peakUtilisation: ratio(inUse.p99, p.settings.max_connections),
    timeouts,
    timeoutShare: ratio(timeouts, acquires),
    errors,
    errorShare: ratio(errors, acquires),
    expiries: {
      count: expired,
      perMinute: ratio(expired * 60, durationS),
      projectedPerMinute: lifetime > 0 && durationS < lifetime ? (total.mean / lifetime) * 60 : null,
      maxBurst: maxInWindow(churn?.expiryTimesMs ?? [], EXPIRY_BURST_WINDOW_MS),
      reconnectsOnAcquirePath: reopenedOnPath,
      reconnectsPerThousand:
        expired > 0
          ? ratio(reopenedOnPath * 1000, acquires)
          : lifetime > 0 && durationS < lifetime
            ? ratio(((total.mean / lifetime) * 1000) * idleScarce(occ?.idle), arrivalRate)
            : 0,
      burstsReachingWaits: (p.timeline?.points ?? []).filter((x) => x.expired >= rules.expiryBurstSize && x.waitP99Us > targetMs * 1000).length,
    },
    idleCloses: {
      count: idleClosed,
      perMinute: ratio(idleClosed * 60, durationS),
      reopened: reopen.reopened,
      reopenedPerMinute: ratio(reopen.reopened * 60, durationS),
      maxReopenGapS: reopen.maxGapS,
      medianAgeS: median(churn?.idleClosedAgesS ?? []),
    },
    slow: { count: slow, share: ratio(slow, acquires), thresholdMs: p.settings.slow_acquire_threshold_ms },
    generator: generatorFigures(workloads, durationS, hold.meanUs),
    holdTrend: trend,
    holdTrendHalves: p.measured?.holdByInUseHalves ? [holdTrend(p.measured.holdByInUseHalves[0].levels, rules), holdTrend(p.measured.holdByInUseHalves[1].levels, rules)] : null,
    server: serverCapacity(p, acquires, workloads, hold, ratio(inUse.mean, p.settings.max_connections), durationS, rules),
    sqlxBehaviour: p.measured?.sqlxBehaviour ?? [],
    targetP99WaitMs: targetMs,
    meetsTarget: wait.p99Us <= targetMs * 1000,
    model: fitModel(p, workloads, demandRate, hold, p.wait && p.wait.all.form !== 'mean' ? { pWait: queuedShare, p50S: wait.p50Us / 1e6, p95S: wait.p95Us / 1e6, p99S: wait.p99Us / 1e6 } : null, targetMs, trend),
    display: { table: poolFigures(p), decades: waitDecades(p.wait?.all), spectrum: waitSpectrum(p.wait?.all) },
    ...(p.arrival && p.hold ? {} : occupancyOnly(occ, p.settings.max_connections)),
    ...(complete
      ? {}
      : {
          coverage: {
            source: p.source,
            replica: p.replica,
            unseen: EVIDENCE_PARTS.filter((x) => !parts.includes(x)),
            settingsAssumed: [...(p.settingsAssumed ?? [])],
            samples: acquires > 0 ? acquires : (occ?.samples ?? 0),
            validity: p.validity,
            disagreements: [...(p.disagreements ?? [])],
          },
        }),
  };
}

/** How PGMQ's work went, in words: shared or not, and which workloads this run drove. */
export function pgmqSharingNote(shared: boolean, drivenPools: readonly string[]): string {
  if (!shared) return 'PGMQ has its own pool';
  const db = drivenPools.includes('database');
  const q = drivenPools.includes('pgmq');
  if (db && q) return 'PGMQ shares the database pool: both workloads go through it';
  if (q) return "PGMQ shares the database pool: PGMQ's workload goes through it";
  return "PGMQ shares the database pool (PGMQ's workload was not driven in this run)";
}

/** Analyse one environment's evidence. */
export function analyzeEnvironment(env: EnvironmentEvidence, advisor: AdvisorConfig, target: TargetInfo = targetOf({ target: '', targetKind: 'remote' })): EnvironmentAnalysis {
  return {
    env: env.env,
    durationS: env.durationMs / 1000,
    warmupS: env.warmupMs / 1000,
    pgmqShared: env.pgmqShared,
    pgmqNote: pgmqSharingNote(env.pgmqShared, env.workloads.map((w) => w.workload.pool)),
    interrupted: env.interrupted,
    workloads: env.workloads.map((w) => describeWorkload(w.workload)),
    pools: env.pools.map((p) =>
      analyzePool(
        env.env,
        p,
        env.workloads.filter((w) => w.through === p.pool),
        advisor,
      ),
    ),
    config: env.config,
    overrides: env.overrides,
    unmapped: env.unmapped,
    validity: validateEnvironment(env),
    target,
    generators: env.workloads.map((w) => ({
      scheduleLatencyP99Us: w.generator.scheduleLatency ? summarize(decode(w.generator.scheduleLatency)).p99 : null,
      lagP99Us: w.generator.lag ? summarize(decode(w.generator.lag)).p99 : null,
    })),
  };
}

/** Analyse every environment of a piece of evidence (a measured run or an observation). */
export function analyzeEvidence(file: EvidenceFile, advisor: AdvisorConfig): RunAnalysis {
  const target = targetOf(file);
  const environments = file.environments.map((e) => analyzeEnvironment(e, advisor, target));
  return {
    createdAt: file.createdAt,
    target: file.target,
    seed: file.seed,
    partial: file.partial,
    server: file.server ?? null,
    targetInfo: target,
    environments,
    valid: environments.every((e) => e.validity.valid),
  };
}
