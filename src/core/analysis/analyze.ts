/**
 * Analysis of a run: from the recorded histograms, counters and occupancy of each pool to the
 * figures the rules reason about (percentiles, rates, utilisation, the hold-vs-occupancy trend)
 * and the queue model fitted to the same run. Pure: the run and the advisor config come in as
 * arguments; every division is guarded, so an empty or zero-length run gives zeros, not NaN.
 */
import { judgeServerLoad } from './serverLoad.js';
import type { AdvisorConfig } from '../advisor/types.js';
import type { PoolName } from '../config/pools.js';
import { summaryOf } from '../run/histogram.js';
import { own } from '../dict.js';
import { levelPercentile, levelQuantile, meanLevel } from '../run/occupancy.js';
import type { LevelTimes, WorkloadRun } from '../run/types.js';
import { summarizeDistribution } from '../evidence/distribution.js';
import { EVIDENCE_PARTS, isMeasuredRun, partsOf } from '../evidence/parts.js';
import type { Distribution, EnvironmentEvidence, EvidenceFile, PoolEvidence } from '../evidence/types.js';
import { validateEnvironment } from './validity.js';
import { targetOf, type TargetInfo } from './target.js';
import { waitDecades, waitSpectrum } from './charts.js';
import { poolFigures } from './figures.js';
import { occupancyModel, type OccupancyModel } from './occupancyModel.js';
import { EXPIRY_BURST_WINDOW_MS, idleReopens, idleReopensFromTimes, idleScarce, maxInWindow, median } from './churn.js';
import { describeWorkload, pgmqSharingNote } from './describe.js';
import { generatorFigures } from './generator.js';
import { holdTrend } from './holdTrend.js';
import { fitModel } from './modelFit.js';
import { ratio } from './ratio.js';
import { serverCapacity } from './serverCapacity.js';
import type { EnvironmentAnalysis, GaugeFigures, HoldFigures, PoolAnalysis, RunAnalysis, WaitFigures } from './types.js';

export * from './types.js';
export { ratio } from './ratio.js';
export { describeWorkload, pgmqSharingNote } from './describe.js';
export { HOLD_TREND_GROUP_SHARE, holdTrend } from './holdTrend.js';
export { EXPIRY_BURST_WINDOW_MS, maxInWindow, idleReopens } from './churn.js';
export { LAG_MIN_SAMPLES, LAG_MIN_US, LAG_HOLD_SHARE } from './generator.js';
export { SERVER_BOUND_UTILISATION, SERVER_BOUND_MIN_EXTRA_US, CALIBRATION_MIN_HOLDS, SERVER_BOUND_COMPLETED_SHARE } from './serverCapacity.js';

const ALL_PARTS = EVIDENCE_PARTS.length;

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

/**
 * Figures of a gauge read at scrape time (no distribution): the mean, and the most at a scrape for
 * every percentile (an upper stand-in: what scrapes missed is not known).
 */
function gaugeFromScrapes(mean: number, max: number | undefined): GaugeFigures {
  const top = Math.max(mean, max ?? mean);
  return { mean, p95: Math.ceil(top), p99: Math.ceil(top), p999: Math.ceil(top), p99Interpolated: top, max: Math.ceil(top) };
}

/** The target P99 wait (ms) of a pool in an environment: the environment's own, else the config's default. */
export function targetFor(advisor: AdvisorConfig, env: string, pool: PoolName): number {
  return own(advisor.environments, env)?.targetP99WaitMs[pool] ?? advisor.targetP99WaitMs;
}

/** The occupancy-only model as a field of the analysis, when there is one (`load`: judged at that mean busy instead of the measured one). */
export function occupancyOnly(occ: PoolEvidence['occupancy'], max: number, st: PoolEvidence['statements'], idleCloses: number, load?: number): { occupancyModel?: OccupancyModel } {
  const m = occupancyModel(occ, max, st ? { us: st.meanUs, from: `role ${st.role}'s mean statement time` } : undefined, idleCloses, load);
  return m ? { occupancyModel: m } : {};
}

/** Analyse one pool's evidence; `workloads` are those of a measured run that went through it. */
export function analyzePool(env: string, evidence: PoolEvidence, workloads: WorkloadRun[], advisor: AdvisorConfig): PoolAnalysis {
  // The model runs at the size the pool ran with (a live size when a source told one); the config's stays the size of record.
  const live = evidence.liveSize && evidence.liveSize.maxConnections !== evidence.settings.max_connections ? evidence.liveSize : null;
  const p: PoolEvidence = live ? { ...evidence, settings: { ...evidence.settings, max_connections: live.maxConnections } } : evidence;
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
  const inUse = occ?.inUse || !p.gauges?.inUseMean ? gauge(occ?.inUse) : gaugeFromScrapes(p.gauges.inUseMean, p.gauges.inUseMax);
  const total = gauge(occ?.open);
  const lifetime = p.settings.max_lifetime_seconds;
  const targetMs = targetFor(advisor, env, p.pool);
  const trend = holdTrend(p.measured?.holdByInUse.levels ?? [], rules);
  const byPath = p.wait?.countByPath ?? { idle: 0, new: 0, queued: 0 };
  const queuedShare = ratio(byPath.queued, acquires);
  // A run's timeline, or the times of single closes and opens the server saw.
  const reopen =
    !p.timeline && p.churn?.idleClosedAtMs && p.churn.openedAtMs
      ? idleReopensFromTimes(p.churn.idleClosedAtMs, p.churn.openedAtMs, rules.idleChurnWindowS)
      : idleReopens(p.timeline?.points ?? [], rules.idleChurnWindowS);
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
  // Without acquire counts, the statements of a pool's own role bound them from above (a checkout
  // runs at least one statement): reconnects per thousand statements is at most the true figure.
  const st = acquires === 0 && expired > 0 ? p.statements : undefined;
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
    idle: occ?.idle || p.gauges?.idleMean === undefined ? gauge(occ?.idle) : gaugeFromScrapes(p.gauges.idleMean, undefined),
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
        st
          ? ratio(reopenedOnPath * 1000, st.calls)
          : expired > 0
          ? ratio(reopenedOnPath * 1000, acquires)
          : lifetime > 0 && durationS < lifetime
            ? ratio(((total.mean / lifetime) * 1000) * idleScarce(occ?.idle), arrivalRate)
            : 0,
      burstsReachingWaits: (p.timeline?.points ?? []).filter((x) => x.expired >= rules.expiryBurstSize && x.waitP99Us > targetMs * 1000).length,
      ...(st ? { perThousandOf: { statements: st.calls, role: st.role } } : {}),
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
    ...(p.serverLoad ? { serverLoad: judgeServerLoad(p.serverLoad, ratio(inUse.mean, p.settings.max_connections), (p.wait?.waited ?? 0) > 0 && ratio(p.wait?.waited ?? 0, acquires) >= rules.saturationWaitedShare, rules) } : {}),
    ...(live ? { sizeOfRecord: { config: evidence.settings.max_connections, live: live.maxConnections, liveFrom: live.from } } : {}),
    ...(p.arrival && p.hold ? {} : occupancyOnly(occ, p.settings.max_connections, p.statements, idleClosed)),
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

/** Analyse one environment's evidence. */
export function analyzeEnvironment(env: EnvironmentEvidence, advisor: AdvisorConfig, target: TargetInfo = targetOf({ target: '', targetKind: 'remote' })): EnvironmentAnalysis {
  return {
    env: env.env,
    durationS: env.durationMs / 1000,
    warmupS: env.warmupMs / 1000,
    pgmqShared: env.pgmqShared,
    pgmqNote: pgmqSharingNote(env.pgmqShared, env.workloads.map((w) => w.workload.pool), isMeasuredRun(env), Object.keys(env.config).length > 0),
    interrupted: env.interrupted,
    measured: isMeasuredRun(env),
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
    proxyPools: env.proxyPools ?? [],
    validity: validateEnvironment(env),
    target,
    generators: env.workloads.map((w) => ({
      scheduleLatencyP99Us: w.generator.scheduleLatency ? summaryOf(w.generator.scheduleLatency).p99 : null,
      lagP99Us: w.generator.lag ? summaryOf(w.generator.lag).p99 : null,
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
