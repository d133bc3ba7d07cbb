/**
 * The bounds of every number a user gives, in one place: a flag and the advisor-config key it
 * overrides accept exactly the same range, so no input the config refuses can come in by flag.
 * The ceilings also keep the process responsive: no rate the generator cannot schedule in slices,
 * no duration beyond what a timer can hold (Node's timers overflow past 2^31-1 ms, 24.8 days).
 */

/** An inclusive range, optionally integers only. */
export interface Range {
  min: number;
  max: number;
  integer?: boolean;
  /** Whether `min` itself is excluded (a duration must be above 0). */
  aboveMin?: boolean;
}

/** Longest duration anywhere (measurement, warm-up, ramp, hold, think, burst): 24 hours. */
export const MAX_DURATION_MS = 24 * 3_600_000;

/** Bounds by name: each is used by the advisor config key and by the flag of the same meaning. */
export const LIMITS = {
  /** `rate` / `--rate`: acquires per second. */
  rate: { min: 0.001, max: 1_000_000 },
  /** `concurrency` / `--concurrency`: callers. */
  concurrency: { min: 1, max: 10_000, integer: true },
  /** `[defaults] seed` / `--seed`. */
  seed: { min: 0, max: 2 ** 32 - 1, integer: true },
  /** `batch` of a queue workload. */
  batch: { min: 1, max: 1000, integer: true },
  /** `burst_factor`. */
  burstFactor: { min: 1, max: 1000 },
  /** `duration` / `--duration`, ms: above 0. */
  durationMs: { min: 0, max: MAX_DURATION_MS, aboveMin: true },
  /** `warmup`, `ramp`, hold times, `think`, burst phases / `--warmup`, `--hold`, ms: 0 allowed. */
  spanMs: { min: 0, max: MAX_DURATION_MS },
  /**
   * `--set` values for one run: outside Tasker's range is allowed (with a warning) to try a
   * setting, but never negative and never beyond this.
   */
  setValue: { min: 0, max: 1_000_000, integer: true },
} as const satisfies Record<string, Range>;

/** Why `n` is outside `r`, or undefined when it is inside. */
export function outside(n: number, r: Range): string | undefined {
  if (!Number.isFinite(n)) return 'not a finite number';
  if (r.integer && !Number.isInteger(n)) return 'not an integer';
  if (n < r.min || (r.aboveMin && n === r.min)) return r.aboveMin ? `must be above ${r.min}` : `below the minimum ${r.min}`;
  if (n > r.max) return `above the maximum ${r.max}`;
  return undefined;
}

/** The range in words, for messages: `0.001 to 1000000`, `above 0 up to 86400000`. */
export function rangeText(r: Range): string {
  return r.aboveMin ? `above ${r.min} up to ${r.max}` : `${r.min} to ${r.max}`;
}

/**
 * The bounds of every figure that comes from outside: a saved run or observation, Prometheus's
 * samples, Tasker's `/health/detailed`, PgBouncer's console. Each figure is checked with these
 * where it enters (an impossible value is left out, said plainly), and the readers of saved files
 * check the same ones, so what `observe` saves its own readers accept.
 */
export const BOUNDS = {
  /** A pool size, or connections of one pool: what PostgreSQL itself allows as max_connections. */
  poolSize: { min: 0, max: 262_143, integer: true },
  /** A level of connections over time (in use, open, idle, waiting; a mean too): twice that, as waiters queue beyond the pool. */
  level: { min: 0, max: 2 * 262_143 },
  /** Acquires per second: the advisor config's `rate` bound, or 0. */
  rate: { min: 0, max: LIMITS.rate.max },
  /** One acquire's wait, one hold, one connection's creation, µs: at most 24 h. */
  spanUs: { min: 0, max: MAX_DURATION_MS * 1000 },
  /** A count (Prometheus's increase() may be fractional): from 0, exact as a double. */
  count: { min: 0, max: Number.MAX_SAFE_INTEGER },
  /** A total (a sum of µs, a window in ms): finite and from 0. */
  total: { min: 0, max: Number.MAX_VALUE },
} as const satisfies Record<string, Range>;

/** The first PostgreSQL with `client_connection_check_interval` (14.0, as `server_version_num`). */
export const CHECK_INTERVAL_SINCE = 140000;

/** The largest `statement_timeout` PostgreSQL accepts, in ms (INT_MAX). */
const MAX_STATEMENT_TIMEOUT_MS = 2_147_483_647;

/** The one setting every connection of the tool sets so the server never runs its work on after the tool is gone. */
export interface ServerGuard {
  name: 'client_connection_check_interval' | 'statement_timeout';
  /** In ms, as the server reads a bare number for both settings. */
  value: number;
}

/**
 * Which setting guards a connection, from the server's version alone (docs/reliability.md,
 * "Nothing is left on a server"): from PostgreSQL 14, `client_connection_check_interval` of
 * 1 s, so the server ends a statement about a second after the tool's socket went away (SIGKILL
 * included); before 14, which has no such check, `statement_timeout` of `fallbackMs` (rounded,
 * at least 1 ms, at most what the server accepts), so no statement outlives the run by more.
 */
export function serverGuard(versionNum: number, fallbackMs: number): ServerGuard {
  if (Number.isFinite(versionNum) && versionNum >= CHECK_INTERVAL_SINCE) return { name: 'client_connection_check_interval', value: 1000 };
  const ms = Number.isFinite(fallbackMs) ? Math.round(fallbackMs) : MAX_STATEMENT_TIMEOUT_MS;
  return { name: 'statement_timeout', value: Math.min(MAX_STATEMENT_TIMEOUT_MS, Math.max(1, ms)) };
}
