/**
 * What the sources of an environment's evidence could not see, said once (the tables leave those
 * columns out or show n/a; the rules that need them say "cannot judge"). Decided from the
 * evidence's parts, never from a figure being zero.
 */
import type { EnvironmentAnalysis } from '../analysis/analyze.js';
import { EVIDENCE_PARTS, listOf, PART_LABEL, SOURCE_LABEL, type EvidencePart } from '../evidence/parts.js';

/**
 * Once per environment, what its sources could not see, each source with the parts it lacks
 * (the rules that need them are listed once, below, as "cannot judge").
 */
export function unseenLines(env: EnvironmentAnalysis): string[] {
  const bySource = new Map<string, Set<EvidencePart>>();
  for (const p of env.pools) {
    if (!p.coverage || p.coverage.unseen.length === 0) continue;
    const label = SOURCE_LABEL[p.coverage.source.kind];
    const set = bySource.get(label) ?? new Set<EvidencePart>();
    for (const x of p.coverage.unseen) set.add(x);
    bySource.set(label, set);
  }
  return [...bySource].map(([label, parts]) => `Not seen by ${label}: ${listOf(EVIDENCE_PARTS.filter((x) => parts.has(x)).map((x) => PART_LABEL[x]))}.`);
}

