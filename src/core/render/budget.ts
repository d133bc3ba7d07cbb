/**
 * The connection budget per layer, as `observe` prints it (text and `--json`): the one model of
 * src/core/budget/ (docs/tuning.md, "The connection budget"), made by the rules' own
 * `environmentBudget`, so the table shows the figures the findings name. Formats only. Pure.
 */
import type { EnvBudget } from '../budget/inputs.js';
import type { LayerBudget } from '../budget/model.js';
import { layerLine } from '../check/static.js';
import { compactTable } from './table.js';

/** One environment's budget with its name. */
export interface NamedBudget {
  env: string;
  budget: EnvBudget;
}

const SOURCE: Record<string, string> = { observed: 'as the server says', topology: "from the topology", run: "from the measured run's server" };

const STATUS: Record<LayerBudget['status'], string> = { ok: 'fits', over: 'OVER at steady state', 'over-at-peak': 'OVER at the rollout peak', unknown: '-' };

/** The budget as JSON data: per environment, the services' pods, each layer's used, allowed and headroom (steady and peak), and the layer that overflows. */
export function budgetData(budgets: readonly NamedBudget[]): unknown[] {
  return budgets.map(({ env, budget: { budget: b, assumed } }) => ({
    env,
    // No services in the topology: one replica of one service opening every active pool is assumed (the replicas seen, when more).
    servicesAssumed: assumed,
    ...(b.server ? { server: { ...b.server } } : {}),
    ...(b.pgbouncer ? { pgbouncer: { source: b.pgbouncer.source, instances: b.pgbouncer.instances, maxClientConn: b.pgbouncer.maxClientConn, toServer: b.pgbouncerServer ?? null } } : {}),
    services: b.services,
    layers: b.layers,
    overflow: b.overflow?.layer ?? null,
  }));
}

/** The budget as text: one table per environment (used, allowed and headroom at steady state and at the rollout peak), each layer's arithmetic under it. */
export function renderBudgets(budgets: readonly NamedBudget[], opts: { color: boolean }): string {
  const out: string[] = [];
  for (const { env, budget } of budgets) {
    const b = budget.budget;
    const src = b.server ? `; the server's limits ${SOURCE[b.server.source] ?? b.server.source}` : '';
    const assumed = budget.assumed ? '; no services in the topology: one service opening every active pool, at the replicas seen' : '';
    out.push(`Connection budget (${env}) by layer${src}${assumed}:`);
    const t = compactTable(['layer', 'used (steady)', 'used (peak)', 'allowed', 'headroom (steady)', 'headroom (peak)', 'status'], opts.color, ['left', 'right', 'right', 'right', 'right', 'right', 'left']);
    for (const l of b.layers) {
      const n = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : String(v));
      t.push([l.layer, l.used ? n(l.used.steady) : 'open-ended', l.used ? n(l.used.peak) : 'open-ended', n(l.allowed), n(l.headroom?.steady), n(l.headroom?.peak), STATUS[l.status]]);
    }
    out.push(t.toString());
    for (const l of b.layers) out.push(`  ${layerLine(l)}`);
    out.push('');
  }
  return out.join('\n');
}
