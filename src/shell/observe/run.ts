/**
 * One observation: open the sampler (grants checked), read Tasker and pg_stat_database at the
 * start, sample until the window ends or the signal fires, read them again, and build the
 * observation file. Used by the `observe` command, its tests and the bench.
 */
import type pg from 'pg';
import { DatabaseError, InterruptedError, KnownError } from '../../core/errors.js';
import { READ_DEFAULTS, type ReadLimits } from '../../core/flags.js';
import type { ReadGuard } from '../deadline.js';
import { Reconstructor } from '../../core/observe/reconstruct.js';
import { isClientRow } from '../../core/observe/load.js';
import { crossCheckDatabases, crossCheckRoles, statementsInWindow, type DbCrossCheck, type QueryStatements, type RoleCrossCheck, type TaskerHealth } from '../../core/observe/crossCheck.js';
import { OBSERVATION_SCHEMA_VERSION, observationValidity, type ObservationFile, type TaskerReading } from '../../core/observe/file.js';
import { summarizeObservation, type GroupSettings } from '../../core/observe/summary.js';
import { observationEvidence, type MappedEnvironment, type ServerCores } from '../../core/observe/evidence.js';
import { observedTimeline } from '../../core/observe/timeline.js';
import type { ActivitySample, GroupField, Observation, ObservedGroup } from '../../core/observe/types.js';
import type { EvidenceFile } from '../../core/evidence/types.js';
import { lookSchedule } from '../../core/analysis/settle.js';
import type { SettleOutcome } from '../../core/rules/settled.js';
import { redactUrl } from '../../core/redact.js';
import { Sampler, type DatabaseCounters, type RoleStatements } from './sampler.js';
import { readTaskerHealth } from './tasker.js';
import { PgBouncerConsole } from './pgbouncer.js';
import { pgbouncerSettingsFrom } from '../../core/budget/inputs.js';
import type { PgBouncerSettings } from '../../core/evidence/types.js';
import { pgBouncerSign, summarizePgBouncer, type PgBouncerReadings } from '../../core/observe/pgbouncer.js';

/** Why PgBouncer's console stopped answering, in one line naming it (never the server). */
function pgBouncerFailure(e: unknown, display: string): string {
  const msg = String((e as Error)?.message ?? e).split('\n')[0]!;
  return msg.includes('PgBouncer') ? msg : `PgBouncer's admin console at ${display} failed: ${msg}`;
}

/** Options of {@link observeServer}. */
export interface ObserveOptions {
  config: pg.ClientConfig;
  /** The target for messages (password removed). */
  display: string;
  targetKind: 'local' | 'remote';
  intervalMs: number;
  durationMs: number;
  /**
   * `--until-settled`: from `minS` on, every {@link OBSERVE_LOOK_STEP_S} of sampling, the evidence
   * so far is judged (`judge`, src/core/rules/settled.ts); the window stops at the first look that
   * is settled. The outcome is saved as the observation's `settle`.
   */
  settle?: { minS: number; alpha: number; judge: (evidence: EvidenceFile, look: number, elapsedS: number) => SettleOutcome };
  groupBy: GroupField[];
  /** The `--map` texts (saved) and the settings a group maps to. */
  maps: string[];
  settingsFor?: (g: ObservedGroup, tasker: readonly TaskerHealth[]) => GroupSettings | null;
  /** The config of each environment a mapping names (for the evidence). */
  environments?: readonly MappedEnvironment[];
  configDir: string | null;
  taskerUrls: URL[];
  /** PgBouncer's admin console (`--pgbouncer-url`), read through the window. */
  pgbouncer?: { url: string; display: string };
  toolVersion: string;
  /** The deadline and size cap of every read (`--read-timeout`, `--read-limit`); defaults {@link READ_DEFAULTS}. */
  read?: ReadLimits;
  signal?: AbortSignal;
  /** Called with every sample (tests use it for their own statistics). */
  onSample?: (s: ActivitySample, queryUs: number) => void;
  /** Called after every sample with the counts so far (the progress line). */
  onProgress?: (p: { elapsedMs: number; samples: number; connections: number }) => void;
  /** Status lines (what it will do). */
  status?: (line: string) => void;
  /** The server's core count and its source (for the load by wait class). */
  cores?: ServerCores;
}

/** The step between the looks of `--until-settled`, s (a fixed schedule: src/core/analysis/settle.ts). */
export const OBSERVE_LOOK_STEP_S = 5;

/** The header of an observation saved now. */
function header(o: ObserveOptions) {
  return {
    kind: 'observation' as const,
    schemaVersion: OBSERVATION_SCHEMA_VERSION,
    tool: { name: 'pool-advisor' as const, version: o.toolVersion },
    createdAt: new Date().toISOString(),
    target: o.display,
    targetKind: o.targetKind,
  };
}

/** The evidence of the samples so far, as a look of `--until-settled` judges it (the reads at the end not yet taken). */
function evidenceSoFar(o: ObserveOptions, obs: Observation, healths: readonly TaskerHealth[]): EvidenceFile {
  const groups = summarizeObservation(obs, (g) => o.settingsFor?.(g, healths) ?? null);
  const source = { kind: 'server-sampling' as const, detail: `pg_stat_activity every ${o.intervalMs} ms (${obs.samples} samples)`, startedAt: obs.startedAt, durationMs: obs.durationMs };
  return {
    ...header(o),
    configDir: o.configDir,
    seed: null,
    partial: false,
    environments: observationEvidence({ source, intervalMs: o.intervalMs, observation: obs, groups, validity: observationValidity(obs), partial: false, roles: null, ...(o.cores ? { cores: o.cores } : {}) }, o.environments ?? []),
  };
}

/** The observation, and the error that ended it early, if one did. */
export interface ObserveResult {
  file: ObservationFile;
  error?: unknown;
}

/**
 * Run one observation. Connection and grant failures before sampling throw (exit 3); a failure
 * while sampling returns the partial observation with the error.
 */
export async function observeServer(o: ObserveOptions): Promise<ObserveResult> {
  const guard: ReadGuard = { ...(o.read ?? READ_DEFAULTS), ...(o.signal ? { signal: o.signal } : {}) };
  const bouncer = o.pgbouncer ? await PgBouncerConsole.open(o.pgbouncer.url, o.pgbouncer.display, guard) : undefined;
  let sampler: Sampler;
  try {
    sampler = await Sampler.open(o.config, o.display, guard);
  } catch (e) {
    await bouncer?.close();
    throw e;
  }
  let bouncerReads: PgBouncerReadings | undefined;
  let bouncerSettings: PgBouncerSettings | undefined;
  const rec = new Reconstructor({ groupBy: o.groupBy });
  const tasker: TaskerReading[] = [];
  let dbStart: DatabaseCounters | null = null;
  let dbEnd: DatabaseCounters | null = null;
  let stStart: RoleStatements | null = null;
  let stEnd: RoleStatements | null = null;
  let qStart: QueryStatements | null = null;
  let qEnd: QueryStatements | null = null;
  let error: unknown;
  let connections = 0;
  // The server's clock less this machine's at the first sample (PgBouncer's reads carry this machine's).
  let clockOffsetMs: number | undefined;
  const started = performance.now();
  let pollStop: AbortController | undefined;
  let looks = 0;
  let firstAtMs: number | undefined;
  let lastLook: SettleOutcome | undefined;
  const starts: Array<TaskerHealth | null> = [];
  try {
    for (const u of o.taskerUrls) starts.push(await readTaskerHealth(u, guard));
    dbStart = await sampler.databaseCounters();
    stStart = await sampler.statementsByRole();
    if (stStart) qStart = await sampler.statementsByQuery();
    const bouncerStart = bouncer ? await bouncer.stats() : undefined;
    const bouncerDatabases = bouncer ? await bouncer.databases() : undefined;
    if (bouncer) bouncerSettings = pgbouncerSettingsFrom(await bouncer.config(), bouncerDatabases!);
    o.status?.(
      `Observing ${o.display}${o.targetKind === 'remote' ? ' (not on this machine)' : ''} as role ${sampler.server.role}, read-only: one connection reading pg_stat_activity every ${o.intervalMs} ms (jittered) for ${o.durationMs / 1000} s${sampler.server.versionNum >= 140000 ? ', pg_stat_database at the start and the end' : ''}${stStart ? ', pg_stat_statements at the start and the end' : ''}${o.taskerUrls.length ? ", Tasker's /health/detailed at the start and the end" : ''}${bouncer ? `, ${bouncer.version}'s admin console at ${bouncer.display} (SHOW POOLS every second, SHOW STATS at the start and the end)` : ''}. Nothing is written to the server.`,
    );
    // PgBouncer's SHOW POOLS about once a second while the server is sampled.
    // A console that dies (or passes the deadline) mid-window ends PgBouncer's readings, not the
    // server's: what it said until then is kept, and the reason is PgBouncer's.
    const pools: PgBouncerReadings['pools'] = [];
    let bouncerError: string | undefined;
    pollStop = new AbortController();
    const poll = bouncer
      ? (async () => {
          try {
            while (!pollStop!.signal.aborted && !o.signal?.aborted) {
              pools.push(await bouncer.pools());
              await new Promise<void>((r) => {
                const t = setTimeout(done, 1000);
                function done(): void {
                  clearTimeout(t);
                  pollStop!.signal.removeEventListener('abort', done);
                  r();
                }
                pollStop!.signal.addEventListener('abort', done, { once: true });
              });
            }
          } catch (e) {
            if (!(e instanceof InterruptedError)) bouncerError = pgBouncerFailure(e, bouncer.display);
          }
        })()
      : undefined;
    // --until-settled: the looks' fixed schedule, and a stop of the sampler's own (not an interrupt).
    const schedule = o.settle ? lookSchedule(o.settle.minS, o.durationMs / 1000, OBSERVE_LOOK_STEP_S) : [];
    const early = new AbortController();
    const healthsNow = (): TaskerHealth[] => starts.filter((h): h is TaskerHealth => h !== null);
    const look = (): void => {
      const obs = rec.finish();
      const elapsedS = obs.durationMs / 1000;
      looks++;
      lastLook = o.settle!.judge(evidenceSoFar(o, obs, healthsNow()), looks, elapsedS);
      if (lastLook.settled) early.abort();
    };
    await sampler.run({
      intervalMs: o.intervalMs,
      durationMs: o.durationMs,
      signal: o.signal ? AbortSignal.any([o.signal, early.signal]) : early.signal,
      onSample: (s, us) => {
        if (clockOffsetMs === undefined) clockOffsetMs = s.atMs - Date.now();
        firstAtMs ??= s.atMs;
        rec.add(s);
        connections = s.rows.filter((r) => isClientRow(r)).length;
        o.onSample?.(s, us);
        o.onProgress?.({ elapsedMs: performance.now() - started, samples: rec.samples, connections });
        // A look when the sampled span reaches the next time of the schedule (the last one, at --duration, after the window).
        // The span is the observation's: first to last sample, plus one mean interval.
        const n = rec.samples;
        if (o.settle && looks < schedule.length - 1 && n > 1 && ((s.atMs - firstAtMs) * n) / (n - 1) / 1000 >= schedule[looks]!) look();
      },
    });
    // The window ran whole (not interrupted): its last look closes it, whatever it shows.
    if (o.settle && !o.signal?.aborted && !lastLook?.settled && rec.samples > 1) look();
    pollStop.abort();
    await poll;
    if (bouncer) {
      let statsEnd: PgBouncerReadings['statsEnd'];
      if (bouncerError === undefined && !o.signal?.aborted) {
        try {
          statsEnd = await bouncer.stats();
        } catch (e) {
          if (!(e instanceof InterruptedError)) bouncerError = pgBouncerFailure(e, bouncer.display);
        }
      }
      bouncerReads = { console: bouncer.display, version: bouncer.version, databases: bouncerDatabases, statsStart: bouncerStart!, ...(statsEnd ? { statsEnd } : {}), pools, ...(bouncerError !== undefined ? { error: bouncerError } : {}) };
    }
    // After an interrupt the end reads are skipped: the partial observation is printed now.
    if (!o.signal?.aborted) {
      dbEnd = await sampler.databaseCounters();
      if (stStart) stEnd = await sampler.statementsByRole();
      if (qStart) qEnd = await sampler.statementsByQuery();
      for (let i = 0; i < o.taskerUrls.length; i++) {
        const url = redactUrl(o.taskerUrls[i]!.toString());
        try {
          tasker.push({ url, health: (await readTaskerHealth(o.taskerUrls[i]!, guard)) ?? starts[i] ?? null });
        } catch (e) {
          if (e instanceof InterruptedError) throw e;
          tasker.push({ url, health: starts[i] ?? null, error: `the read at the end failed (${(e as Error).message}); showing the one from the start` });
        }
      }
    }
  } catch (e) {
    if (e instanceof InterruptedError && rec.samples > 0) {
      // Stopped while reading at the end: the partial observation stands.
    } else if (rec.samples === 0) {
      await sampler.close();
      throw e;
    } else {
      error =
        e instanceof KnownError
          ? e
          : new DatabaseError(`the connection to ${o.display} failed after ${rec.samples} samples: ${String((e as Error)?.message ?? e).split('\n')[0]}`, 'the partial observation was printed (and saved with --out); check the server and observe again');
    }
  } finally {
    pollStop?.abort();
    await sampler.close();
    await bouncer?.close();
  }
  const obs = rec.finish();
  const pgbouncer = bouncerReads ? summarizePgBouncer(bouncerReads) : undefined;
  // The console answered: whatever the server's own signs, its connections are the proxy's.
  if (pgbouncer) obs.proxy = { detected: true, signs: [...obs.proxy.signs, pgBouncerSign(pgbouncer)] };
  const healths = tasker.map((t) => t.health).filter((h): h is TaskerHealth => h !== null);
  const groups = summarizeObservation(obs, (g) => o.settingsFor?.(g, healths) ?? null);
  let databases: DbCrossCheck[] | null = null;
  if (dbStart && dbEnd) databases = crossCheckDatabases(dbStart, dbEnd, obs);
  let roles: RoleCrossCheck[] | null = null;
  if (stStart && stEnd) roles = crossCheckRoles(stStart, stEnd, obs);
  const statements = qStart && qEnd ? statementsInWindow(qStart, qEnd) : null;
  const cost = sampler.cost();
  const interrupted = Boolean(o.signal?.aborted);
  const validity = observationValidity(obs);
  const source = { kind: 'server-sampling' as const, detail: `pg_stat_activity every ${o.intervalMs} ms (${obs.samples} samples)`, startedAt: obs.startedAt, durationMs: obs.durationMs };
  const partial = interrupted || error !== undefined;
  const environments = observationEvidence({ source, intervalMs: o.intervalMs, observation: obs, groups, validity, partial, roles, ...(pgbouncer ? { pgbouncer } : {}), ...(o.cores ? { cores: o.cores } : {}) }, o.environments ?? []);
  const timeline = observedTimeline({
    series: rec.series(),
    durationMs: obs.durationMs,
    intervalMs: o.intervalMs,
    groups: obs.groups,
    summaries: groups,
    envs: o.environments ?? [],
    ...(bouncerReads ? { pgbouncer: bouncerReads } : {}),
    ...(clockOffsetMs !== undefined ? { clockOffsetMs } : {}),
    ...(o.cores ? { cores: o.cores } : {}),
  });
  const file: ObservationFile = {
    ...header(o),
    server: { version: sampler.server.version, maxConnections: sampler.server.maxConnections, superuserReserved: sampler.server.superuserReserved, reservedConnections: sampler.server.reservedConnections },
    source,
    intervalMs: o.intervalMs,
    configDir: o.configDir,
    maps: o.maps,
    observation: obs,
    groups,
    databases,
    roles,
    ...(statements ? { statements } : {}),
    tasker,
    ...(pgbouncer ? { pgbouncer } : {}),
    ...(bouncerSettings ? { pgbouncerSettings: bouncerSettings } : {}),
    cost,
    ...(o.cores ? { serverCores: o.cores } : {}),
    validity,
    environments,
    ...(timeline ? { observedTimeline: timeline } : {}),
    ...(o.settle && lastLook
      ? { settle: { settled: lastLook.settled, afterS: Math.round((obs.durationMs / 1000) * 10) / 10, minS: o.settle.minS, maxS: o.durationMs / 1000, looks, alpha: o.settle.alpha, ...(lastLook.settled ? {} : { unsettled: lastLook.why }) } }
      : {}),
    seed: null,
    partial,
    ...(error !== undefined ? { error: (error as Error).message ?? String(error) } : {}),
  };
  return { file, ...(error !== undefined ? { error } : {}) };
}
