/** The one place defaults live (STYLE.md, habit 4). */
import type { RuleSettings } from './types.js';

/** Default target P99 acquire wait, ms. */
export const DEFAULT_TARGET_P99_WAIT_MS = 10;

/** Default rule thresholds. */
export const DEFAULT_RULES: RuleSettings = {
  saturationWaitedShare: 0.05,
  idleHeadroom: 2,
  idleChurnWindowS: 300,
  expiriesPerMinute: 1,
  oversizedFactor: 2,
  holdGrowthRatio: 1.5,
  timeoutReachShare: 0.5,
};

/** PostgreSQL's default superuser_reserved_connections. */
export const DEFAULT_SUPERUSER_RESERVED = 3;

/** Default seed for reproducible arrivals. */
export const DEFAULT_SEED = 1;
