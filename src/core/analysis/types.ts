/** The analysis's types: what is measured and derived for each pool, environment and run (the renderers' and rules' input), and what a pool's evidence could not see. Pure. */
import type { ServerLoadJudgement } from './serverLoad.js';
import type { PoolName, PoolSettings } from '../config/pools.js';
import type { AcquirePath } from '../run/types.js';
import type { EvidencePart } from '../evidence/parts.js';
import type { EnvironmentEvidence, EvidenceFile, EvidenceSource, ProxyPoolEvidence, UnmappedPool } from '../evidence/types.js';
import type { Validity } from './validity.js';
import type { TargetInfo } from './target.js';
import type { WaitSpectrum, WhatIfCurve } from './charts.js';
import type { PoolFigures } from './figures.js';
import type { OccupancyModel } from './occupancyModel.js';
import type { ModelError, ModelInput, Prediction } from '../model/queue.js';

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
  /**
   * Set when the evidence has no acquire counts and `reconnectsPerThousand` is per thousand of the
   * pool's role's statements instead (pg_stat_statements): at least as many as acquires, so the
   * figure is a lower bound of the reconnects per thousand acquires.
   */
  perThousandOf?: { statements: number; role: string };
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
  /** The settings the model used: the config's, with the live size when a source told another. */
  settings: PoolSettings;
  /** When a live source gave another size than the config's: both; the config's is the `from` of a change, the model used the live one. */
  sizeOfRecord?: { config: number; live: number; liveFrom: string };
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
  /** The server's observed load by wait class and who limits (observations with wait events only). */
  serverLoad?: ServerLoadJudgement;
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
  /** A measured run's evidence (pool-advisor drove the load); false for an observation. */
  measured: boolean;
  /** One line per workload, e.g. `database: open poisson 200/s, hold exponential mean 20 ms, 60 s`. */
  workloads: string[];
  pools: PoolAnalysis[];
  /** The config the run saw, for recommendations (values with file and line). */
  config: EnvironmentEvidence['config'];
  overrides: EnvironmentEvidence['overrides'];
  /** Pools the source saw but could not map to a Tasker pool. */
  unmapped: UnmappedPool[];
  /** A proxy's own pools, from its console. */
  proxyPools: ProxyPoolEvidence[];
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
