/** The one place defaults live (STYLE.md, habit 4). */
import type { AdvisorConfig, RuleSettings } from './types.js';
import { dict } from '../dict.js';

/** Default target P99 acquire wait, ms. */
export const DEFAULT_TARGET_P99_WAIT_MS = 10;

/** Default rule thresholds. */
export const DEFAULT_RULES: RuleSettings = {
  saturationWaitedShare: 0.05,
  idleHeadroom: 2,
  idleChurnWindowS: 300,
  expiriesPerMinute: 1,
  expiriesPerThousandAcquires: 1,
  oversizedFactor: 2,
  holdGrowthRatio: 1.5,
  timeoutReachShare: 0.5,
  idleChurnPerMinute: 1,
  expiryBurstSize: 3,
  holdTrendMinSamples: 50,
  throughputPlateauShare: 0.95,
  serverCpuShare: 0.8,
  serverClassShare: 0.5,
  serverMinLoad: 1,
};

/** PostgreSQL's default superuser_reserved_connections. */
export const DEFAULT_SUPERUSER_RESERVED = 3;

/** Default seed for reproducible arrivals. */
export const DEFAULT_SEED = 1;

/**
 * How much data a recommendation needs for each confidence level: acquires measured and seconds
 * of measurement. Below `medium` it is `low`. A P99 needs a few thousand samples to settle, a
 * rate needs a minute to average out the arrival noise.
 */
export const CONFIDENCE_LEVELS = {
  high: { samples: 10_000, seconds: 60 },
  medium: { samples: 1_000, seconds: 10 },
} as const;

/** The advisor config when no file is given: built-in targets and thresholds, no workloads, no topology. */
export function defaultAdvisorConfig(): AdvisorConfig {
  return {
    source: '(built-in defaults)',
    targetP99WaitMs: DEFAULT_TARGET_P99_WAIT_MS,
    rules: { ...DEFAULT_RULES },
    environments: dict(),
    thresholds: [],
    seed: DEFAULT_SEED,
  };
}
