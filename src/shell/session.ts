/**
 * A measurement session: for each environment in turn, build its pools from the effective
 * settings (sqlx emulation on), drive its workloads together, and snapshot everything into a
 * RunFile. Every exit path (normal end, error, interrupt, a dead server) closes every connection.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pg from 'pg';
import { POOL_NAMES, type PoolName } from '../core/config/pools.js';
import { pgmqSharesDatabasePool, poolConfigSnapshot, poolThrough, settingsWithOverrides, type MeasurePlan, type PlannedEnvironment } from '../core/load/plan.js';
import type { CalibrationStats, EnvironmentRun, PoolRun, RunFile, SettleRecord, TargetKind, WorkloadRun, WorkloadSpec } from '../core/run/types.js';
import { lookSchedule } from '../core/analysis/settle.js';
import { evidenceFromRun } from '../core/evidence/fromRun.js';
import { judgeEnvironment, minimumWindowS, SETTLE_MIN_WINDOW_S, type SettleOutcome } from '../core/rules/settled.js';
import type { Threshold } from '../core/thresholds/parse.js';
import { RUN_SCHEMA_VERSION } from '../core/run/types.js';
import { DatabaseError, InterruptedError } from '../core/errors.js';
import { abortable, closeClient } from './deadline.js';
import { createInstrumentedPool, type InstrumentedPool } from './pool/instrumentedPool.js';
import { Generator } from './load/generator.js';
import { createScratch, dropScratch, type QueueWorkload } from './load/queue.js';
import type { ServerFacts } from './target.js';

/** What the session reports while it runs (once a second). */
export interface Progress {
  env: string;
  phase: 'warm-up' | 'measuring' | 'draining';
  elapsedS: number;
  remainingS: number;
  pools: Array<{ name: string; waitP99Us: number; waiting: number; inUse: number; total: number }>;
}

/** Options of {@link runSession}: the plan (core/load/plan.ts) and how to reach the server. */
export interface SessionOptions extends MeasurePlan {
  seed: number;
  /** Connection config of the main database, and of PGMQ's when it has its own. */
  main: pg.ClientConfig;
  pgmq: pg.ClientConfig;
  targetDisplay: string;
  /** Throwaway (started by pool-advisor), local (this machine) or remote. */
  targetKind: TargetKind;
  server?: ServerFacts;
  toolVersion: string;
  /** Slow-acquire lines go here. */
  logger?: (line: string) => void;
  onProgress?: (p: Progress) => void;
  /** Called when an environment's pools are up (for /metrics) and when they close. */
  onPools?: (env: string, pools: InstrumentedPool[]) => void;
  /** Stops the session early (Ctrl-C); what was measured is kept and marked partial. */
  signal?: AbortSignal;
  /**
   * Stop each environment as soon as its answer is settled (src/core/rules/settled.ts), the
   * workload's duration being the most it runs; absent: the fixed window (`--fixed-duration`).
   */
  settle?: { alpha: number; thresholds: readonly Threshold[] };
  /** Called when an environment's adaptive window ends, with how it ended. */
  onSettle?: (env: string, record: SettleRecord) => void;
}

/** Seconds between the looks of the stopping rule (a fixed schedule from the minimum window on). */
export const LOOK_STEP_S = 2;

/** The error a session throws when the database went away; it carries what was measured. */
export class SessionFailed extends DatabaseError {
  constructor(
    message: string,
    readonly partial: RunFile,
  ) {
    super(message, 'check the server; the partial result is saved with --out');
  }
}

/** The calibration phase: at most this long per workload, and at most this many holds. */
const CALIBRATION_MAX_MS = 500;
const CALIBRATION_MAX_HOLDS = 100;

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** Wait for `p`, or until `signal` aborts (then `p` is left to settle on its own). */
const untilAborted = <T>(p: Promise<T>, signal: AbortSignal): Promise<T | void> =>
  new Promise((resolve, reject) => {
    const onAbort = (): void => {
      p.catch(() => {});
      resolve();
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e: unknown) => (signal.removeEventListener('abort', onAbort), reject(e)),
    );
  });

/** Run the session. Resolves with the RunFile (partial when interrupted); throws {@link SessionFailed} when the database went away. */
export async function runSession(opts: SessionOptions): Promise<RunFile> {
  const run: RunFile = {
    ...runHeader(opts),
    environments: [],
    partial: false,
  };
  const needsQueue = opts.planned.some((e) => e.workloads.some((w) => w.hold.kind === 'queue'));
  const separatePgmq = opts.planned.some((e) => !pgmqSharesDatabasePool(e.env));
  const admin = new pg.Client({ ...opts.main, application_name: 'pool-advisor' });
  admin.on('error', () => {});
  const pgmqAdmin = separatePgmq && needsQueue ? new pg.Client({ ...opts.pgmq, application_name: 'pool-advisor' }) : undefined;
  pgmqAdmin?.on('error', () => {});
  let queueMain: QueueWorkload | undefined;
  let queuePgmq: QueueWorkload | undefined;
  let fatal: Error | undefined;
  try {
    if (needsQueue) {
      await abortable(admin.connect(), opts.signal);
      queueMain = await abortable(createScratch(admin), opts.signal);
      if (pgmqAdmin) {
        await abortable(pgmqAdmin.connect(), opts.signal);
        queuePgmq = await abortable(createScratch(pgmqAdmin), opts.signal);
      }
    }
    for (const planned of opts.planned) {
      if (opts.signal?.aborted) break;
      const r = await runEnvironment(planned, opts, { main: queueMain, pgmq: queuePgmq }, (e) => (fatal ??= e));
      run.environments.push(r);
      if (r.interrupted) break;
    }
  } catch (e) {
    if (!(e instanceof InterruptedError)) fatal ??= e as Error;
  } finally {
    for (const c of [admin, pgmqAdmin]) {
      if (!c) continue;
      // The scratch schema is dropped on every path, an interrupt included (within half a second then).
      if (needsQueue) await abortable(dropScratch(c), AbortSignal.timeout(opts.signal?.aborted ? 500 : 5000)).catch(() => {});
      await closeClient(c);
    }
  }
  if (fatal || opts.signal?.aborted) run.partial = true;
  if (fatal) {
    run.error = fatal.message;
    throw new SessionFailed(fatal instanceof DatabaseError ? fatal.message : `the run failed against the database: ${fatal.message.split('\n')[0]}`, run);
  }
  return run;
}

async function runEnvironment(
  { env, workloads }: PlannedEnvironment,
  opts: SessionOptions,
  queues: { main?: QueueWorkload; pgmq?: QueueWorkload },
  onFatal: (e: Error) => void,
): Promise<EnvironmentRun> {
  const pgmqShared = pgmqSharesDatabasePool(env);
  const pools = new Map<PoolName, InstrumentedPool>();
  const generators: Array<{ gen: Generator; spec: WorkloadSpec; through: PoolName }> = [];
  const abort = new AbortController();
  const onAbort = (): void => abort.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let fatal: Error | undefined;
  const poolFor = (name: PoolName): InstrumentedPool => {
    let p = pools.get(name);
    if (!p) {
      const settings = settingsWithOverrides(env, name, opts.sets);
      p = createInstrumentedPool(settings, { ...(name === 'pgmq' ? opts.pgmq : opts.main), application_name: 'pool-advisor' }, { name, emulateSqlx: true, logger: opts.logger });
      pools.set(name, p);
    }
    return p;
  };
  const result: EnvironmentRun = {
    env: env.name,
    warmupMs: 0,
    durationMs: 0,
    pgmqShared,
    pools: [],
    workloads: [],
    config: {},
    overrides: opts.sets.filter((s) => s.env === env.name).map(({ pool, key, value }) => ({ pool, key, value })),
  };
  for (const name of POOL_NAMES) result.config[name] = poolConfigSnapshot(env.pools[name], opts.sets.filter((s) => s.env === env.name && s.pool === name));
  try {
    for (const spec of workloads) {
      const through = poolThrough(spec, env);
      const ip = poolFor(through);
      const queue = through === 'pgmq' ? queues.pgmq : queues.main;
      const gen = new Generator({
        spec,
        seed: opts.seed,
        pool: ip.pool,
        queue,
        onFatal: (e) => {
          fatal ??= e;
          onFatal(e);
          abort.abort();
        },
      });
      generators.push({ gen, spec, through });
    }
    if (generators.length === 0) return result;
    try {
      // Opening min_connections can wait for a long time (a busy server): an interrupt ends it.
      await untilAborted(Promise.all([...pools.values()].map((p) => p.start())), abort.signal);
    } catch (e) {
      fatal = e as Error;
      onFatal(fatal);
      throw e;
    }
    opts.onPools?.(env.name, [...pools.values()]);
    // Calibration: each workload's hold on one connection of its own (one or two in all), uncontended, before any load.
    const calibrations = new Map<Generator, CalibrationStats>();
    await Promise.all(
      generators.map(async (g) => {
        try {
          const c = await untilAborted(g.gen.calibrate(CALIBRATION_MAX_MS, CALIBRATION_MAX_HOLDS, abort.signal), abort.signal);
          if (c) calibrations.set(g.gen, c);
        } catch {
          // No connection for calibration (a refused connect shows in the run itself): run without it.
        }
      }),
    );
    const warmupS = Math.max(...generators.map((g) => g.spec.warmupS + g.spec.rampS));
    const durationS = Math.max(...generators.map((g) => g.spec.durationS));
    for (const g of generators) g.gen.start();
    const t0 = Date.now();
    const progress = setInterval(() => report(), 1000);
    progress.unref();
    let phase: Progress['phase'] = 'warm-up';
    function report(): void {
      if (!opts.onProgress) return;
      const elapsed = (Date.now() - t0) / 1000;
      opts.onProgress({
        env: env.name,
        phase,
        elapsedS: elapsed,
        remainingS: Math.max(0, warmupS + durationS - elapsed),
        pools: [...pools.values()].map((p) => {
          const g = p.gauges();
          return { name: p.name, waitP99Us: p.recorder.recent().waitUs.p99, waiting: g.waiting, inUse: g.inUse, total: g.total };
        }),
      });
    }
    const loop = monitorEventLoopDelay({ resolution: 20 });
    let windowStart = Date.now();
    let plannedS = durationS;
    try {
      await sleep(warmupS * 1000, abort.signal);
      result.warmupMs = Date.now() - t0;
      if (abort.signal.aborted) {
        // Stopped in the warm-up: nothing was measured, and the warm-up's traffic is not reported as if it were.
        for (const p of pools.values()) p.resetWindow();
        for (const g of generators) g.gen.resetWindow();
      } else {
        for (const p of pools.values()) p.resetWindow();
        for (const g of generators) g.gen.resetWindow();
        phase = 'measuring';
        windowStart = Date.now();
        loop.enable();
        // A window shorter than the rule's minimum (src/core/rules/settled.ts) is run whole, as with --fixed-duration.
        if (!opts.settle || durationS < SETTLE_MIN_WINDOW_S) await sleep(durationS * 1000, abort.signal);
        else {
          const settle = opts.settle;
          const schedule = lookSchedule(minimumWindowS(durationS), durationS, LOOK_STEP_S);
          let last: SettleOutcome | undefined;
          let looks = 0;
          for (const t of schedule) {
            await sleep(Math.max(0, windowStart + t * 1000 - Date.now()), abort.signal);
            if (abort.signal.aborted) break;
            looks++;
            const elapsedS = (Date.now() - windowStart) / 1000;
            last = judgeEnvironment(evidenceFromRun(partialRun(opts, envSoFar(result, pools, generators, elapsedS, loop))), env.name, opts.advisor, looks, elapsedS, durationS, settle);
            if (last.settled) break;
          }
          if (last) {
            result.settle = {
              settled: last.settled,
              afterS: Math.round(((Date.now() - windowStart) / 1000) * 10) / 10,
              maxS: durationS,
              looks,
              alpha: settle.alpha,
              ...(last.settled ? {} : { unsettled: last.why }),
            };
            plannedS = last.settled ? Math.min(durationS, last.elapsedS) : durationS;
          }
        }
      }
    } finally {
      clearInterval(progress);
      loop.disable();
    }
    result.plannedDurationMs = Math.round(plannedS * 1000);
    if (result.settle) opts.onSettle?.(env.name, result.settle);
    result.wallDurationMs = Date.now() - windowStart;
    // The histogram is in ns; with no sample (an aborted warm-up) it reports huge sentinels.
    if (loop.count > 0) result.eventLoop = { p99Ms: Math.round(loop.percentile(99) / 1e4) / 100, maxMs: Math.round(loop.max / 1e4) / 100 };
    if (abort.signal.aborted) result.interrupted = true;
    for (const p of pools.values()) p.endWindow();
    for (const g of generators) g.gen.stop();
    phase = 'draining';
    // Requests issued inside the window are recorded until they finish, within a bound.
    const drainMs = fatal || opts.signal?.aborted ? 500 : Math.min(5000, Math.max(...[...pools.values()].map((p) => p.recorder.settings.acquire_timeout_seconds * 1000)) + 1000);
    await Promise.all(generators.map((g) => g.gen.drain(drainMs)));
    const snaps: PoolRun[] = [...pools.values()].map((p) => p.snapshot());
    result.pools = snaps;
    result.durationMs = Math.max(0, ...snaps.map((s) => s.durationMs));
    result.workloads = generators.map(
      (g): WorkloadRun => ({
        workload: g.spec,
        through: g.through,
        generator: g.gen.stats(),
        ...(calibrations.has(g.gen) ? { calibration: calibrations.get(g.gen)! } : {}),
      }),
    );
    return result;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    for (const g of generators) g.gen.stop();
    // A hold still running (longer than the window, or cut by an interrupt) is cut here.
    await Promise.all([...pools.values()].map((p) => p.close(opts.signal?.aborted || fatal ? 200 : 1000).catch(() => {})));
    opts.onPools?.(env.name, []);
  }
}

/** The environment as measured so far (the window still open), for a look of the stopping rule. */
function envSoFar(result: EnvironmentRun, pools: Map<PoolName, InstrumentedPool>, generators: Array<{ gen: Generator; spec: WorkloadSpec; through: PoolName }>, elapsedS: number, loop: ReturnType<typeof monitorEventLoopDelay>): EnvironmentRun {
  const snaps = [...pools.values()].map((p) => p.snapshot());
  return {
    ...result,
    pools: snaps,
    durationMs: Math.max(0, ...snaps.map((s) => s.durationMs)),
    plannedDurationMs: elapsedS * 1000,
    wallDurationMs: elapsedS * 1000,
    ...(loop.count > 0 ? { eventLoop: { p99Ms: Math.round(loop.percentile(99) / 1e4) / 100, maxMs: Math.round(loop.max / 1e4) / 100 } } : {}),
    workloads: generators.map((g): WorkloadRun => ({ workload: g.spec, through: g.through, generator: g.gen.stats() })),
  };
}

/** What every run file of this session starts with (the header before its environments). */
function runHeader(opts: SessionOptions): Omit<RunFile, 'environments' | 'partial'> {
  return {
    schemaVersion: RUN_SCHEMA_VERSION,
    tool: { name: 'pool-advisor', version: opts.toolVersion },
    createdAt: new Date().toISOString(),
    target: opts.targetDisplay,
    targetKind: opts.targetKind,
    ...(opts.server ? { server: { version: opts.server.version, maxConnections: opts.server.maxConnections, superuserReserved: opts.server.superuserReserved, reservedConnections: opts.server.reservedConnections } } : {}),
    configDir: opts.model.dir,
    seed: opts.seed,
  };
}

/** A run file around one environment measured so far. */
function partialRun(opts: SessionOptions, env: EnvironmentRun): RunFile {
  return {
    ...runHeader(opts),
    environments: [env],
    partial: false,
  };
}
