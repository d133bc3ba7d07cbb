/**
 * The saved result of `observe` (`--out`): plain JSON with a `kind` and a `schemaVersion`, the
 * evidence, and beside it the reconstruction, the figures per group, the cross-checks and the
 * sampler's own cost. Declared once, as a schema (src/core/saved.ts) built on the evidence's. Pure.
 */
import type { DbCrossCheck, RoleCrossCheck, StatementsInWindow, TaskerHealth } from './crossCheck.js';
import type { GroupSummary } from './summary.js';
import type { Observation } from './types.js';
import * as v from 'valibot';
import { EVIDENCE_SCHEMA_VERSION, observationEvidenceEntries, type EnvironmentEvidence } from '../evidence/types.js';
import type { PgBouncerReading } from './pgbouncer.js';
import { BOUNDS } from '../limits.js';
import { kept, num, obj, oneOf } from '../saved.js';
import type { ServerCores } from './evidence.js';

/** Version of {@link ObservationFile}'s layout: the one version of an observation file (its evidence part's too). */
export const OBSERVATION_SCHEMA_VERSION = EVIDENCE_SCHEMA_VERSION;

/** The sampler's own cost (measured, printed, saved). */
export interface SamplingCost {
  samples: number;
  /** Round trip of one read of pg_stat_activity (µs): median, P99, max. */
  queryUsP50: number;
  queryUsP99: number;
  queryUsMax: number;
  /** The sampler process's CPU time per sample (µs) and as a share of one core over the window. */
  cpuUsPerSample: number;
  cpuShareOfCore: number;
  /**
   * Samples whose read took longer than the interval (a slow server is data, not a failure: they
   * are kept), and their lateness past the interval (ms), mean and max. Absent in older files.
   */
  late?: number;
  latenessMsMean?: number;
  latenessMsMax?: number;
}

/** One `--tasker-url` reading. */
export interface TaskerReading {
  /** The URL without credentials. */
  url: string;
  health: TaskerHealth | null;
  error?: string;
}

/**
 * A saved observation: the evidence every `--from` reads (the evidence's schema,
 * evidence/types.ts, which `--from` checks) and the server sampling's own parts beside it, which
 * only `observe` and its report read (kept as saved, typed by the modules that build them).
 */
export const observationFile = obj({
  ...observationEvidenceEntries,
  tool: kept<{ name: 'pool-advisor'; version: string }>(),
  targetKind: oneOf(['local', 'remote'], 'local or remote'),
  /** The server observed. */
  server: obj({ version: kept<string>(), maxConnections: num({ ...BOUNDS.poolSize, min: 1 }), superuserReserved: num(BOUNDS.poolSize), reservedConnections: v.optional(num(BOUNDS.poolSize)) }),
  source: kept<{ kind: 'server-sampling'; detail: string; startedAt: number; durationMs: number }>(),
  /** The nominal interval (`--interval`), ms. */
  intervalMs: kept<number>(),
  configDir: kept<string | null>(),
  maps: kept<string[]>(),
  observation: kept<Observation>(),
  groups: kept<GroupSummary[]>(),
  /** pg_stat_database cross-check; null before PostgreSQL 14 or when it could not be read. */
  databases: kept<DbCrossCheck[] | null>(),
  /** pg_stat_statements time per role; null when the extension is not installed and loaded. */
  roles: kept<RoleCrossCheck[] | null>(),
  /** The statements that carried the load in the window (pg_stat_statements by queryid); absent when it could not be read. */
  statements: v.optional(kept<StatementsInWindow>()),
  tasker: kept<TaskerReading[]>(),
  /** PgBouncer's own figures, when `--pgbouncer-url` was given. */
  pgbouncer: v.optional(kept<PgBouncerReading>()),
  cost: kept<SamplingCost>(),
  /** The server's CPU count and its source (absent in observations saved before it was kept). */
  serverCores: v.optional(kept<ServerCores>()),
  validity: kept<{ valid: boolean; reasons: string[] }>(),
  /** Observations have no seed (runs do). */
  seed: v.null(),
});
export type ObservationFile = Omit<v.InferOutput<typeof observationFile>, 'environments'> & {
  /** The evidence every `--from` reads: a pool per mapped group and replica, the unmapped groups apart (evidence.ts). */
  environments: EnvironmentEvidence[];
};

/** Fewest samples for figures worth printing as more than a glimpse. */
export const MIN_SAMPLES = 10;

/** Whether the observation can stand for the pools: enough samples, and no proxy in the way. */
export function observationValidity(obs: Observation): { valid: boolean; reasons: string[] } {
  const reasons: string[] = [];
  if (obs.samples < MIN_SAMPLES) reasons.push(`only ${obs.samples} samples (at least ${MIN_SAMPLES} needed): observe longer (--duration) or more often (--interval)`);
  if (obs.proxy.detected) reasons.push(`the server sees a proxy, not the service's pools: ${obs.proxy.signs.join('; ')}`);
  return { valid: reasons.length === 0, reasons };
}
