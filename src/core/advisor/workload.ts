/**
 * A workload as the advisor config describes it: how requests arrive, how long each holds a
 * connection, and for how long it runs. Configuration, read by the load generator and saved in a
 * run beside what it measured.
 */
import type { PoolName } from '../config/pools.js';

/** How requests arrive. Open: on a schedule, whatever the pool does. Closed: N callers that each wait. */
export type ArrivalSpec =
  | { mode: 'open'; process: 'poisson' | 'constant'; rate: number }
  | { mode: 'closed'; concurrency: number; thinkMs: number };

/** How long a connection is held, and doing what. */
export type HoldSpec =
  | { kind: 'sleep'; dist: 'constant'; ms: number }
  | { kind: 'sleep'; dist: 'exponential'; meanMs: number }
  | { kind: 'sleep'; dist: 'lognormal'; p50Ms: number; p99Ms: number }
  | { kind: 'sql'; sql: string; source?: string }
  | { kind: 'queue'; batch: number };

/** On/off bursts: `factor` times the rate for `onS` seconds, then the base rate for `offS`. */
export interface BurstSpec {
  onS: number;
  offS: number;
  factor: number;
}

/** The workload driven through one pool. */
export interface WorkloadSpec {
  /** The pool the workload belongs to (`database` or `pgmq`). */
  pool: PoolName;
  arrival: ArrivalSpec;
  hold: HoldSpec;
  /** Seconds of warm-up (excluded from the figures), ramp (rate rises linearly) and measurement. */
  warmupS: number;
  rampS: number;
  durationS: number;
  burst?: BurstSpec;
}
