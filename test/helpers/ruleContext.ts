/**
 * Contexts for unit tests of one pool rule: a pool's analysis from a synthetic run (a real
 * analysis, so every figure is consistent), with the few fields a test is about overridden.
 */
import { analyzeEvidence, type PoolAnalysis } from '../../src/core/analysis/analyze.js';
import { defaultAdvisorConfig } from '../../src/core/advisor/defaults.js';
import { evidenceFromRun } from '../../src/core/evidence/fromRun.js';
import type { PoolRuleContext, EnvironmentAdvice } from '../../src/core/rules/types.js';
import { adviseEvidence } from '../../src/core/rules/index.js';
import type { EvidencePart } from '../../src/core/evidence/parts.js';
import type { EvidenceSourceKind, PoolEvidence } from '../../src/core/evidence/types.js';
import type { ModelInput } from '../../src/core/model/queue.js';
import { computeBudget, type BudgetInput, type ServiceDemand } from '../../src/core/budget/model.js';
import type { EnvBudget } from '../../src/core/budget/inputs.js';
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

/**
 * The worked example of docs/facts.md ("Queue model") as the model's input: 200 acquires/s (Poisson), exponential holds of
 * 20 ms (A = 4), so M/M/c applies as it is: P99 wait 33.5 ms at 6 connections, 8.9 ms at 8.
 */
export const WORKED_INPUT: ModelInput = { arrivals: { kind: 'open', lambda: 200, ca2: 1 }, meanHoldS: 0.02, cs2: 1 };

/** The evidence fields each part lives in, for taking a part away. */
const PART_FIELD = { wait: 'wait', hold: 'hold', arrival: 'arrival', occupancy: 'occupancy', holdByInUse: 'measured', failures: 'failures', timeline: 'timeline', churn: 'churn', create: 'create' } as const satisfies Partial<Record<EvidencePart, keyof PoolEvidence>>;

/**
 * The advice on `scenario`'s measured run after taking `drop` away from its pool's evidence, as
 * if `source` had seen it (the engine then reports, per rule, what it could not judge).
 */
export function adviseWithout(scenario: Scenario, drop: ReadonlyArray<keyof typeof PART_FIELD>, source: EvidenceSourceKind = 'prometheus', patch: (p: PoolEvidence) => void = () => {}): { pool: PoolAnalysis; advice: EnvironmentAdvice } {
  const file = evidenceFromRun(syntheticRun([scenario]));
  const p = file.environments[0]!.pools[0]!;
  for (const part of drop) delete p[PART_FIELD[part]];
  p.source = { ...p.source, kind: source };
  patch(p);
  const { analysis, advice } = adviseEvidence(file, defaultAdvisorConfig());
  return { pool: analysis.environments[0]!.pools[0]!, advice: advice.environments[0]! };
}

/** A budget of `lines` (service, replicas, pool, size) against a server giving `available` (max_connections available + 3, 3 reserved). */
export function lineBudget(available: number, lines: ReadonlyArray<{ service: string; replicas: number; pool: string; max: number }>, assumed = false): EnvBudget {
  const byService = new Map<string, ServiceDemand>();
  for (const l of lines) {
    if (!byService.has(l.service)) byService.set(l.service, { name: l.service, replicas: l.replicas, pools: [] });
    byService.get(l.service)!.pools.push({ pool: l.pool, size: l.max });
  }
  const input: BudgetInput = { env: 'test', services: [...byService.values()], server: { maxConnections: available + 3, superuserReserved: 3, reservedConnections: 0, adminHeadroom: 0, otherConnections: 0, source: 'topology' } };
  return { budget: computeBudget(input), input, assumed };
}
