/**
 * The one "has samples" of saved evidence: what `recommend`, `check`, `compare`, `generate` and
 * `analyze` ask before judging anything, so they never disagree on a file (docs/architecture.md,
 * "The evidence contract").
 */
import type { EnvironmentEvidence, EvidenceFile, PoolEvidence } from './types.js';

/** Whether a Tasker pool was seen in use: an acquire counted (waits or arrivals), a release recorded, or an occupancy sample taken. */
export function poolHasSamples(p: PoolEvidence): boolean {
  return (p.wait?.count ?? 0) > 0 || (p.arrival?.count ?? 0) > 0 || (p.measured?.releases ?? 0) > 0 || (p.occupancy?.samples ?? 0) > 0;
}

/**
 * Whether the evidence saw any pool in use in the given environments (all when none given): a
 * Tasker pool with {@link poolHasSamples}, a pool the source could not map to a Tasker pool but
 * saw with its figures (advised in generic terms), or a proxy's own pool (PgBouncer's console).
 * Evidence with none of these recorded nothing: the commands exit 4 and say to measure or observe
 * longer. Evidence with samples only of pools that map to no Tasker pool is advised by `recommend`
 * and cannot be judged by `check`'s thresholds (exit 4 there too, saying so).
 */
export function hasSamples(file: EvidenceFile, envs?: readonly string[]): boolean {
  return file.environments.some((e: EnvironmentEvidence) => (!envs || envs.length === 0 || envs.includes(e.env)) && (e.pools.some(poolHasSamples) || e.unmapped.some((u) => u.figures !== undefined) || (e.proxyPools?.length ?? 0) > 0));
}
