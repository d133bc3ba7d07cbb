/**
 * Measuring a run, as a shell service: analyze's flags, the plan validated from them before any
 * connection, and the run itself (target resolved, throwaway server when none, probe, session).
 * `analyze`, `check` and `generate --measure` call it; no command imports another.
 */
import { UsageError } from '../core/errors.js';
import { isDrivablePool } from '../core/config/pools.js';
import type { AdvisorConfig } from '../core/advisor/types.js';
import { parseDurationFlag, parseHoldFlag, parseNumberFlag, parseReadLimits, parseSetFlags, type ReadLimits } from '../core/flags.js';
import { LIMITS } from '../core/limits.js';
import type { RunFile, TargetKind } from '../core/run/types.js';
import { redactUrl } from '../core/redact.js';
import type { ConfigModel } from '../core/config/model.js';
import { loadValidConfig } from './validConfig.js';
import { readEvidenceFile } from './runFile.js';
import { replayWorkloads, withReplayedWorkloads } from '../core/evidence/replay.js';
import { adviseEvidence } from '../core/rules/index.js';
import { loadAdvisorConfig } from './advisorConfig.js';
import { addSecret, forTerminal, writeErr } from './output.js';
import { showProgress } from './tty.js';
import { startHeartbeat } from './heartbeat.js';
import { assertFits, assertSafeTarget, connectionConfig, isLocalHost, probe, resolveTarget, type ServerFacts } from './target.js';
import { startThrowaway, type ThrowawayCluster } from './throwawayPg.js';
import { runSession, SessionFailed, type Progress, type SessionOptions } from './session.js';
import { withMetricsServer } from './metrics/cli.js';
import { withInterrupt } from './signals.js';
import { serverGuardOptions } from './deadline.js';
import { pgmqSharesDatabasePool, planMeasurement, plannedConnections, refuseHoldsPastWindow, refuseMinAboveMax } from '../core/load/plan.js';
import { version } from './version.js';
import { fmtUs, formatNum } from '../core/units.js';
import { SETTLE_ALPHA } from '../core/analysis/settle.js';
import { parseThresholds } from '../core/thresholds/parse.js';
import type { SettleRecord } from '../core/run/types.js';
import type pg from 'pg';

/** The flags of analyze (shared with `check`, which runs analyze first). */
export interface AnalyzeFlags {
  configDir?: string;
  advisorConfig?: string;
  env?: string[];
  pool?: string[];
  rate?: string;
  concurrency?: string;
  hold?: string;
  duration?: string;
  /** Measure for the whole `--duration` instead of stopping when the answer is settled. */
  fixedDuration?: boolean;
  warmup?: string;
  seed?: string;
  set?: string[];
  databaseUrl?: string;
  pgmqDatabaseUrl?: string;
  yes?: boolean;
  json?: boolean;
  out?: string;
  /** analyze only (not check): write the HTML report here. */
  report?: string;
  progress?: boolean;
  /** Write each slow acquire to stderr as a JSON line (else they are only counted). */
  slowLog?: boolean;
  metricsPort?: string;
  metricsHost?: string;
  /** analyze only: replay the traffic of saved evidence (an observation) instead of the advisor config's workloads. */
  workloadFrom?: string;
  /** analyze only, with workloadFrom: measure at the settings the evidence's own advice recommends. */
  recommended?: boolean;
  /** analyze only, with workloadFrom: the replica to replay (default: each pool's busiest). */
  replica?: string;
  readTimeout?: string;
  readLimit?: string;
}

/** Everything analyze needs, validated before any connection. */
export interface AnalyzePlan {
  model: ConfigModel;
  advisor: AdvisorConfig;
  session: Omit<SessionOptions, 'main' | 'pgmq' | 'targetDisplay' | 'targetKind' | 'server' | 'toolVersion'>;
  warnings: string[];
  /** What the plan replays and assumes (`--workload-from`), printed before the run. */
  notes: string[];
  /** The deadline and cap of connecting to and probing each target (`--read-timeout`, `--read-limit`). */
  read: ReadLimits;
  /** statement_timeout for every connection on a server before PostgreSQL 14 (ms). */
  statementFallbackMs: number;
}

/** Validate flags, config and advisor config into a plan (exit 2 on any problem). */
export function planAnalyze(f: AnalyzeFlags): AnalyzePlan {
  const { model, warnings } = loadValidConfig(f.configDir, f.env);
  let advisor = loadAdvisorConfig(f.advisorConfig);
  const envNames = model.environments.map((e) => e.name);
  const replay = f.workloadFrom !== undefined ? planReplay(f.workloadFrom, advisor, envNames, Boolean(f.recommended), f.replica) : undefined;
  if (!replay && (f.recommended || f.replica !== undefined)) throw new UsageError(`${f.recommended ? '--recommended' : '--replica'} needs --workload-from FILE`, 'add --workload-from obs.json (saved by observe --out), or set the settings to try with --set');
  if (replay) advisor = replay.advisor;
  const envs = f.env ?? replay?.envs ?? envNames;
  if (replay) f = { ...f, set: [...(f.set ?? []), ...replay.sets] };
  const pools = f.pool?.map((p) => {
    if (!isDrivablePool(p)) throw new UsageError(`--pool '${p}': analyze drives the database and pgmq pools`, 'use --pool database, --pool pgmq, or both');
    return p;
  });
  const sets = parseSetFlags(f.set ?? [], { trial: true, envs: envNames });
  const flags = {
    ...(f.rate !== undefined ? { rate: parseNumberFlag('--rate', f.rate, LIMITS.rate) } : {}),
    ...(f.concurrency !== undefined ? { concurrency: parseNumberFlag('--concurrency', f.concurrency, LIMITS.concurrency) } : {}),
    ...(f.hold !== undefined ? { hold: parseHoldFlag(f.hold) } : {}),
    ...(f.duration !== undefined ? { durationS: parseDurationFlag('--duration', f.duration) } : {}),
    ...(f.warmup !== undefined ? { warmupS: parseDurationFlag('--warmup', f.warmup, LIMITS.spanMs) } : {}),
  };
  const seed = f.seed !== undefined ? parseNumberFlag('--seed', f.seed, LIMITS.seed) : advisor.seed;
  for (const s of sets) if (s.warning) warnings.push(s.warning);
  refuseMinAboveMax(model, envs, sets);
  // The stopping rule (by default): [check]'s thresholds are among the verdicts that must settle.
  const settle = f.fixedDuration ? undefined : { alpha: SETTLE_ALPHA, thresholds: parseThresholds(advisor.thresholds.map((text) => ({ text, source: { label: advisor.source } }))) };
  const session = { ...planMeasurement({ model, advisor, envs, pools, flags, sets }), seed, ...(settle ? { settle } : {}) };
  const planned = session.planned.flatMap((e) => e.workloads);
  if (planned.length === 0) {
    throw new UsageError(`no workload to drive for ${envs.join(', ')}${pools ? ` and --pool ${pools.join(' ')}` : ''} in ${advisor.source}`, 'add [environments.<env>.workloads.database] to the advisor config (docs/config.md)');
  }
  refuseHoldsPastWindow(session.planned, f.hold !== undefined);
  const read = parseReadLimits(f);
  // The fallback for servers before 14 (no client_connection_check_interval): no statement of ours outlives the longest environment by more than a minute.
  const longestMs = Math.max(...planned.map((spec) => (spec.warmupS + spec.rampS + spec.durationS) * 1000));
  return { model, advisor, session, warnings, notes: replay?.notes ?? [], read, statementFallbackMs: longestMs + 60_000 };
}

/**
 * What `--workload-from FILE` changes in a plan: the advisor config with each replayable pool's
 * workload built from the evidence (src/core/load/replay.ts), the environments it names, the
 * `--set`s of `--recommended`, and one line per pool saying what came from the evidence and what
 * was assumed. Exit 2 when nothing in the file can be replayed.
 */
function planReplay(file: string, advisor: AdvisorConfig, envNames: readonly string[], recommended: boolean, replica?: string): { advisor: AdvisorConfig; envs: string[]; sets: string[]; notes: string[] } {
  const evidence = readEvidenceFile(file);
  const first = Object.values(advisor.environments).flatMap((e) => Object.values(e.workloads))[0] ?? advisor.defaultWorkloads?.database;
  const r = replayWorkloads(evidence, { durationS: first?.durationS ?? advisor.defaultDurationS ?? 30, warmupS: first?.warmupS ?? 2 }, replica);
  const unknown = r.workloads.filter((w) => !envNames.includes(w.env));
  const usable = r.workloads.filter((w) => envNames.includes(w.env));
  const refused = [...r.refused, ...unknown.map((w) => `${w.env}.${w.pool}: environment '${w.env}' is not in the config dir`)];
  if (usable.length === 0) {
    throw new UsageError(`${file}: nothing to replay${refused.length ? `: ${refused.join('; ')}` : ': it has no pool of a Tasker environment'}`, 'replay an observation with the acquire rate (observe --prometheus, with --map or [prometheus] mapping its pools), or a saved run');
  }
  const notes = usable.map((w) => `Replaying ${w.env}.${w.pool} from ${file}: ${w.observed.join(', ')}${w.assumed.length ? `; assumed: ${w.assumed.join('; ')}` : ''}`);
  for (const x of refused) notes.push(`Not replayed: ${x}`);
  const replayed = withReplayedWorkloads(advisor, usable);
  const envs = [...new Set(usable.map((w) => w.env))];
  const sets: string[] = [];
  if (recommended) {
    const { advice } = adviseEvidence(evidence, advisor);
    const recs = advice.environments.filter((e) => envs.includes(e.env)).flatMap((e) => e.recommendations);
    for (const rec of recs) sets.push(`${rec.env}.${rec.pool}.${rec.key}=${rec.to}`);
    notes.push(recs.length > 0 ? `--recommended: measuring at ${sets.join(', ')} (the observation's advice)` : "--recommended: the observation's advice changes no key, so this measures the current settings");
  }
  return { advisor: replayed, envs, sets, notes };
}

/**
 * The files a plan was read from, which no output may overwrite. The targets are resolved here too
 * (as runAnalyze will), so the TLS files their URLs name are read, and so known inputs, before the
 * outputs are checked; every other file read (a workload's sql_file, --workload-from) is known
 * to the output check already (src/shell/inputs.ts).
 */
export function planInputs(plan: AnalyzePlan, f?: Pick<AnalyzeFlags, 'databaseUrl' | 'pgmqDatabaseUrl'>): Array<[string, string]> {
  if (f) {
    resolveTarget(f.databaseUrl);
    const pgmqUrl = f.pgmqDatabaseUrl ?? (process.env.PGMQ_DATABASE_URL || undefined);
    if (pgmqUrl) resolveTarget(f.pgmqDatabaseUrl, { PGMQ_DATABASE_URL: pgmqUrl }, { flag: '--pgmq-database-url', variable: 'PGMQ_DATABASE_URL' });
  }
  const files = [...plan.model.baseFiles, ...Object.values(plan.model.envFiles).flat()];
  return [['the advisor config', plan.advisor.source], ...files.map((x): [string, string] => ['the config file', x.display])];
}

/** Options for running analyze from code (`check` runs it first). */
export interface RunAnalyzeOptions {
  plan: AnalyzePlan;
  flags: AnalyzeFlags;
  /** Where status lines go (stderr by default). */
  status?: (line: string) => void;
  signal?: AbortSignal;
  onPools?: SessionOptions['onPools'];
}

/**
 * Resolve the target (throwaway when none), probe it, and run the session. The throwaway
 * cluster is stopped on every path. Throws SessionFailed (exit 3) with the partial run.
 */
export async function runAnalyze(o: RunAnalyzeOptions): Promise<RunFile> {
  const status = o.status ?? writeErr;
  const f = o.flags;
  addSecret(f.databaseUrl);
  addSecret(f.pgmqDatabaseUrl);
  const target = resolveTarget(f.databaseUrl);
  if (target) assertSafeTarget(target, Boolean(f.yes));
  const pgmqUrl = f.pgmqDatabaseUrl ?? (process.env.PGMQ_DATABASE_URL || undefined);
  if (pgmqUrl) {
    const t = resolveTarget(f.pgmqDatabaseUrl, { PGMQ_DATABASE_URL: pgmqUrl }, { flag: '--pgmq-database-url', variable: 'PGMQ_DATABASE_URL' });
    if (t) assertSafeTarget(t, Boolean(f.yes));
  }
  let cluster: ThrowawayCluster | undefined;
  const onTerminal = showProgress(Boolean(f.json)) && f.progress !== false;
  let latest: Progress | undefined;
  const started = Date.now();
  const stopHeartbeat = startHeartbeat(() => (latest ? progressText(latest) : `starting, ${Math.round((Date.now() - started) / 1000)}s`), { progress: f.progress, machineOutput: Boolean(f.json) });
  try {
    let main: pg.ClientConfig;
    let pgmq: pg.ClientConfig;
    let display: string;
    let targetKind: TargetKind;
    const needsSeparatePgmq = o.plan.session.planned.some(({ env }) => !pgmqSharesDatabasePool(env));
    if (!target) {
      status('No database configured (--database-url, DATABASE_URL or PG* variables): starting a throwaway PostgreSQL...');
      cluster = await startThrowaway({ maxConnections: 300, databases: ['pool_advisor', 'pool_advisor_pgmq'], ...(o.signal ? { signal: o.signal } : {}) });
      main = connectionConfig({ url: cluster.urlFor('pool_advisor') });
      pgmq = pgmqUrl ? connectionConfig({ url: pgmqUrl }) : connectionConfig({ url: cluster.urlFor('pool_advisor_pgmq') });
      display = `${cluster.urlFor('pool_advisor')} (throwaway, removed afterwards)`;
      targetKind = 'throwaway';
    } else {
      main = connectionConfig(target);
      pgmq = pgmqUrl ? connectionConfig({ url: pgmqUrl }) : main;
      display = `${target.display} (from ${target.source})`;
      targetKind = isLocalHost(target.host) ? 'local' : 'remote';
    }
    status(`Target: ${display}`);
    if (needsSeparatePgmq) {
      status(`PGMQ target (its own pool): ${pgmqUrl ? redactUrl(pgmqUrl) : cluster ? cluster.urlFor('pool_advisor_pgmq') : `${target!.display} (no PGMQ database given: the same database, through a separate pool)`}`);
    }
    const guard = { ...o.plan.read, ...(o.signal ? { signal: o.signal } : {}) };
    const server: ServerFacts = await probe(main, display, guard);
    // PGMQ's own target is probed too: a wrong password, a refused port or a missing database is one line (exit 3) before any load.
    // The line names the flag or variable it came from, so a user with two URLs knows which one is wrong.
    const pgmqSource = f.pgmqDatabaseUrl !== undefined ? '--pgmq-database-url' : 'PGMQ_DATABASE_URL';
    const pgmqServer = needsSeparatePgmq && pgmqUrl ? await probe(pgmq, `PGMQ's database ${redactUrl(pgmqUrl)} (from ${pgmqSource})`, guard, pgmqSource) : server;
    const planned = plannedConnections(o.plan.session);
    assertFits(server, planned.total, planned.detail);
    // Nothing outlives the tool on the server: every connection of the run asks the server to check
    // its client every second while a statement runs (PostgreSQL 14+), else a statement_timeout.
    main = withServerGuard(main, server.versionNum, o.plan.statementFallbackMs);
    pgmq = withServerGuard(pgmq, pgmqServer.versionNum, o.plan.statementFallbackMs);
    return await runSession({
      ...o.plan.session,
      main,
      pgmq,
      targetDisplay: display,
      targetKind,
      server,
      toolVersion: version(),
      logger: f.slowLog ? (line) => writeErr(line) : undefined,
      signal: o.signal,
      onPools: o.onPools,
      onSettle: (env, r) => status(settleLine(env, r)),
      onProgress: (p) => {
        latest = p;
        if (onTerminal) progressLine(p);
      },
    });
  } finally {
    stopHeartbeat();
    if (showProgress(Boolean(f.json))) process.stderr.write('\r\x1b[K');
    await cluster?.stop();
  }
}

/** A connection config whose connections end their statements when the tool's socket goes (see {@link serverGuardOptions}). */
function withServerGuard(cfg: pg.ClientConfig, versionNum: number, fallbackMs: number): pg.ClientConfig {
  const opt = serverGuardOptions(versionNum, fallbackMs);
  return { ...cfg, options: cfg.options ? `${cfg.options} ${opt}` : opt };
}

/** "[test] settled after 11 s (at most 30 s)" or "[test] not settled after 30 s: database.max_connections is 8 or 9; run longer or accept either". */
export function settleLine(env: string, r: SettleRecord): string {
  const after = `${formatNum(r.afterS, 0)} s`;
  return r.settled
    ? `[${env}] settled after ${after} (at most ${formatNum(r.maxS, 0)} s)`
    : `[${env}] not settled after ${after}: ${r.unsettled ?? 'the answer still moves'}; run longer (--duration) or accept either`;
}

/** "[test] measuring 12s, 18s left  database: P99 1.2 ms, waiting 0" (the most left: the run may stop sooner when its answer settles). */
function progressText(p: Progress): string {
  const pools = p.pools.map((x) => `${x.name}: P99 ${fmtUs(x.waitP99Us)}, waiting ${x.waiting}`).join(' | ');
  return `[${p.env}] ${p.phase} ${Math.floor(p.elapsedS)}s, ${Math.ceil(p.remainingS)}s left  ${pools}`;
}

function progressLine(p: Progress): void {
  process.stderr.write(forTerminal(`\r\x1b[K${progressText(p)}`));
}

/**
 * Measure with the plan, stoppable: the first SIGINT or SIGTERM says `\n<signal>: stopping the load; <stopping>`
 * and stops the load (what was measured is kept, marked partial). A session that fails hands its
 * partial run to `onPartial` before its error goes on. `--metrics-port` serves the pools meanwhile.
 */
export async function measureInterruptibly(o: { plan: AnalyzePlan; flags: AnalyzeFlags; stopping: string; onPartial: (partial: RunFile) => void }): Promise<{ run: RunFile; interrupted: boolean }> {
  const ac = new AbortController();
  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    writeErr(`\n${sig}: stopping the load; ${o.stopping}`);
    ac.abort();
  };
  return withInterrupt(onSignal, async () => {
    try {
      const run = await withMetricsServer(o.flags, (onPools) => runAnalyze({ plan: o.plan, flags: o.flags, signal: ac.signal, onPools }));
      return { run, interrupted };
    } catch (e) {
      if (e instanceof SessionFailed) o.onPartial(e.partial);
      throw e;
    }
  });
}
