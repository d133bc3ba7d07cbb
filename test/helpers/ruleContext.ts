/**
 * Contexts for unit tests of one pool rule: a pool's analysis from a synthetic run (a real
 * analysis, so every figure is consistent), with the few fields a test is about overridden.
 */
import { analyzeEvidence, type PoolAnalysis } from '../../src/core/analysis/analyze.js';
import { defaultAdvisorConfig } from '../../src/core/advisor/defaults.js';
import { evidenceFromRun } from '../../src/core/evidence/fromRun.js';
import type { PoolRuleContext } from '../../src/core/rules/types.js';
import { syntheticRun, type Scenario } from './syntheticRun.js';

/** The analysis of one pool measured in `scenario`. */
export function analysedPool(scenario: Scenario): { pool: PoolAnalysis; env: ReturnType<typeof analyzeEvidence>['environments'][number] } {
  const env = analyzeEvidence(evidenceFromRun(syntheticRun([scenario])), defaultAdvisorConfig()).environments[0]!;
  return { pool: env.pools[0]!, env };
}

/** A rule's context for `pool` (the default rule settings, no budget, nothing proposed yet), with `over` applied. */
export function ruleContext(base: ReturnType<typeof analysedPool>, pool: PoolAnalysis = base.pool, over: Partial<PoolRuleContext> = {}): PoolRuleContext {
  const advisor = defaultAdvisorConfig();
  return { env: base.env, pool, advisor, rules: advisor.rules, targetMs: pool.targetP99WaitMs, budget: null, proposed: new Map(), generatorBehind: false, ...over };
}
