/**
 * The saved result of `observe` (`--out`): plain JSON with a `kind` and a `schemaVersion`, the
 * reconstruction, the figures per group, the cross-checks and the sampler's own cost. Pure.
 */
import type { DbCrossCheck, RoleCrossCheck, StatementsInWindow, TaskerHealth } from './crossCheck.js';
import type { GroupSummary } from './summary.js';
import type { Observation } from './types.js';
import type { EnvironmentEvidence } from '../evidence/types.js';
import type { PgBouncerReading } from './pgbouncer.js';
import type { ObservedTimeline, PgBouncerSettings } from '../evidence/types.js';
import type { ServerCores } from './evidence.js';

/** Version of {@link ObservationFile}'s layout. */
export const OBSERVATION_SCHEMA_VERSION = 1;

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

/** A saved observation. */
export interface ObservationFile {
  kind: 'observation';
  schemaVersion: number;
  tool: { name: 'pool-advisor'; version: string };
  createdAt: string;
  /** The server observed, password removed. */
  target: string;
  targetKind: 'local' | 'remote';
  server: { version: string; maxConnections: number; superuserReserved: number; reservedConnections?: number };
  source: { kind: 'server-sampling'; detail: string; startedAt: number; durationMs: number };
  /** The nominal interval (`--interval`), ms. */
  intervalMs: number;
  configDir: string | null;
  maps: string[];
  observation: Observation;
  groups: GroupSummary[];
  /** pg_stat_database cross-check; null before PostgreSQL 14 or when it could not be read. */
  databases: DbCrossCheck[] | null;
  /** pg_stat_statements time per role; null when the extension is not installed and loaded. */
  roles: RoleCrossCheck[] | null;
  /** The statements that carried the load in the window (pg_stat_statements by queryid); absent when it could not be read. */
  statements?: StatementsInWindow;
  tasker: TaskerReading[];
  /** PgBouncer's own figures, when `--pgbouncer-url` was given. */
  pgbouncer?: PgBouncerReading;
  /** PgBouncer's settings (SHOW CONFIG, SHOW DATABASES), for the connection budget. */
  pgbouncerSettings?: PgBouncerSettings;
  cost: SamplingCost;
  /** The server's CPU count and its source (absent in observations saved before it was kept). */
  serverCores?: ServerCores;
  validity: { valid: boolean; reasons: string[] };
  /** The evidence every `--from` reads: a pool per mapped group and replica, the unmapped groups apart (evidence.ts). */
  environments: EnvironmentEvidence[];
  /** Open and busy per pool and replica, churn, PgBouncer's clients waiting and the server's load, per fixed bucket (timeline.ts; absent in older observations). */
  observedTimeline?: ObservedTimeline;
  /** Observations have no seed (runs do). */
  seed: null;
  partial: boolean;
  error?: string;
}

/** Fewest samples for figures worth printing as more than a glimpse. */
export const MIN_SAMPLES = 10;

/** Whether the observation can stand for the pools: enough samples, and no proxy in the way. */
export function observationValidity(obs: Observation): { valid: boolean; reasons: string[] } {
  const reasons: string[] = [];
  if (obs.samples < MIN_SAMPLES) reasons.push(`only ${obs.samples} samples (at least ${MIN_SAMPLES} needed): observe longer (--duration) or more often (--interval)`);
  if (obs.proxy.detected) reasons.push(`the server sees a proxy, not the service's pools: ${obs.proxy.signs.join('; ')}`);
  return { valid: reasons.length === 0, reasons };
}
