/**
 * `generate` refuses to write sizes that overflow a layer of the connection budget
 * (src/core/budget/model.ts) unless `--allow-over-budget`: the budget of every environment it
 * changes, with the config as the plan leaves it. Pure.
 */
import type { ConfigModel } from '../config/model.js';
import type { TopologySpec } from '../advisor/types.js';
import type { PoolName } from '../config/pools.js';
import type { PgBouncerSettings } from '../evidence/types.js';
import type { ServerReading } from '../budget/inputs.js';
import { own } from '../dict.js';
import { budgetIssue, staticBudget, type BudgetResult } from '../check/static.js';

/** What the budget reads besides the config: the evidence's server, replicas seen and PgBouncer's settings. */
export interface BudgetSources {
  server?: ServerReading;
  observed?: Readonly<Record<string, Partial<Record<PoolName, number>>>>;
  pgbouncer?: PgBouncerSettings;
}

/** The budgets over a layer, of the environments `envs`, with the config `after`. */
export function budgetsOver(after: ConfigModel, envs: readonly string[], topologies: Readonly<Record<string, TopologySpec | undefined>>, src: BudgetSources = {}): BudgetResult[] {
  const out: BudgetResult[] = [];
  for (const env of after.environments) {
    const topology = own(topologies, env.name);
    if (!envs.includes(env.name) || !topology) continue;
    const observed = src.observed ? own(src.observed, env.name) : undefined;
    const b = staticBudget(env, topology, { ...(src.server ? { server: src.server } : {}), ...(observed ? { observed } : {}), ...(src.pgbouncer ? { pgbouncer: src.pgbouncer } : {}) });
    if (b.status === 'over') out.push(b);
  }
  return out;
}

/** The one line `generate` refuses with. */
export function overBudgetMessage(b: BudgetResult): string {
  return budgetIssue(b, undefined).message.replace('connection budget over-subscribed', 'the new sizes over-subscribe the connection budget');
}
