/**
 * The parts of a pool's evidence, by what a source can see. Rules declare the parts they need;
 * when one is missing a rule does not guess: the engine reports, once, what it could not judge
 * and why ("this needs X, which <source> cannot see").
 */
import type { EnvironmentEvidence, EvidenceSourceKind, PoolEvidence } from './types.js';

/** A part of a pool's evidence that a rule or a threshold can need. */
export type EvidencePart = 'wait' | 'waitPaths' | 'hold' | 'create' | 'arrival' | 'occupancy' | 'waiting' | 'churn' | 'failures' | 'timeline' | 'holdByInUse';

/** Every part, in the order messages list them. */
export const EVIDENCE_PARTS: readonly EvidencePart[] = ['wait', 'waitPaths', 'hold', 'create', 'arrival', 'occupancy', 'waiting', 'churn', 'failures', 'timeline', 'holdByInUse'];

/** Each part in words, for findings and errors. */
export const PART_LABEL: Readonly<Record<EvidencePart, string>> = {
  wait: 'the acquire-wait distribution',
  waitPaths: 'how acquires were served (idle, new, queued)',
  hold: 'hold (use) times',
  create: 'connection open times',
  arrival: 'the acquire rate',
  occupancy: 'connections in use and open over time',
  waiting: 'callers waiting over time',
  churn: 'connection opens and closes',
  failures: 'acquire timeouts and errors',
  timeline: 'the acquires and their waits over time',
  holdByInUse: 'hold time by connections in use',
};

/** Each source kind in words. */
export const SOURCE_LABEL: Readonly<Record<EvidenceSourceKind, string>> = {
  'measured-run': 'a measured run',
  'server-sampling': "the server's view of the service (pg_stat_activity sampling)",
  prometheus: "the fleet's Prometheus metrics",
  'tasker-health': "Tasker's health endpoint",
};

/** The parts a pool's evidence has. A wait known only by its mean has no percentiles, so it is not `wait`. */
export function partsOf(p: PoolEvidence): EvidencePart[] {
  const has: Record<EvidencePart, boolean> = {
    wait: p.wait !== undefined && p.wait.all.form !== 'mean',
    waitPaths: p.wait?.byPath !== undefined && p.wait.countByPath !== undefined,
    hold: p.hold !== undefined,
    create: p.create !== undefined,
    arrival: p.arrival !== undefined,
    occupancy: p.occupancy?.inUse !== undefined && p.occupancy.open !== undefined,
    waiting: p.occupancy?.waiting !== undefined,
    churn: p.churn !== undefined,
    failures: p.failures !== undefined,
    timeline: p.timeline !== undefined,
    holdByInUse: p.measured !== undefined,
  };
  return EVIDENCE_PARTS.filter((x) => has[x]);
}

/** The parts of `needed` that `seen` lacks. */
export function missingParts(needed: readonly EvidencePart[], seen: readonly EvidencePart[]): EvidencePart[] {
  return needed.filter((x) => !seen.includes(x));
}

/** Items in prose: `a`, `a and b`, `a, b and c`. */
export function listOf(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** "cannot judge <what>: this needs <parts>, which <source> cannot see; <what would>". */
export function cannotJudge(what: string, missing: readonly EvidencePart[], source: EvidenceSourceKind): string {
  return `cannot judge ${what}: this needs ${listOf(missing.map((x) => PART_LABEL[x]))}, which ${SOURCE_LABEL[source]} cannot see; a measured run (pool-advisor analyze) or the pool's own metrics would`;
}

/**
 * Whether an environment's evidence is a measured run's (pool-advisor drove the load on this
 * machine, so its own stalls matter and every part was seen) rather than an observation's.
 */
export function isMeasuredRun(env: EnvironmentEvidence): boolean {
  return env.workloads.length > 0 || env.pools.some((p) => p.source.kind === 'measured-run');
}
