/**
 * The connection budget of an environment: what the server can give (max_connections minus
 * superuser_reserved_connections minus other clients) against what the fleet asks for (services
 * x replicas x each pool's max_connections). docs/facts.md, "Tasker": `pg max_connections >= sum(service max
 * pool x instances) + superuser_reserved_connections`.
 */
import type { AdvisorConfig, ServiceSpec } from '../advisor/types.js';
import { DEFAULT_SUPERUSER_RESERVED } from '../advisor/defaults.js';
import type { EnvironmentAnalysis } from '../analysis/analyze.js';
import type { PoolName } from '../config/pools.js';
import type { EvidenceFile } from '../evidence/types.js';
import { own } from '../dict.js';

/** One pool instance class: a service's replicas each opening one pool. */
export interface BudgetLine {
  service: string;
  replicas: number;
  pool: PoolName;
  /** The pool's max_connections in this environment. */
  max: number;
}

/** What the server can give and what the fleet asks for. */
export interface Budget {
  serverMaxConnections: number;
  superuserReserved: number;
  otherConnections: number;
  /** serverMaxConnections − superuserReserved − otherConnections. */
  available: number;
  /** Σ replicas × max over the lines. */
  demand: number;
  lines: BudgetLine[];
  /** Where the topology came from: the advisor config, or one replica of one service (the server's figure only). */
  source: 'topology' | 'assumed-single-service';
}

/** The pools Tasker actually builds in an environment (inert ones open no connection). */
function activePools(env: EnvironmentAnalysis): PoolName[] {
  return (Object.keys(env.config) as PoolName[]).filter((p) => env.config[p]?.active);
}

/**
 * The budget of an environment, or null when neither the advisor config's topology nor the run
 * gives the server's max_connections. Without a topology, one replica of one service opening
 * every active pool is assumed (and said so).
 */
export function budgetFor(env: EnvironmentAnalysis, advisor: AdvisorConfig, server: EvidenceFile['server'] | null): Budget | null {
  const topo = own(advisor.environments, env.env)?.topology;
  const serverMax = topo?.serverMaxConnections ?? server?.maxConnections;
  if (serverMax === undefined) return null;
  const reserved = topo ? topo.superuserReserved : (server?.superuserReserved ?? DEFAULT_SUPERUSER_RESERVED);
  const other = topo?.otherConnections ?? 0;
  const active = activePools(env);
  const services: ServiceSpec[] = topo && topo.services.length > 0 ? topo.services : [{ name: 'service', replicas: 1, pools: active }];
  const lines: BudgetLine[] = [];
  for (const s of services) {
    for (const pool of s.pools) {
      if (!active.includes(pool)) continue;
      lines.push({ service: s.name, replicas: s.replicas, pool, max: env.config[pool]!.settings.max_connections });
    }
  }
  const available = serverMax - reserved - other;
  return {
    serverMaxConnections: serverMax,
    superuserReserved: reserved,
    otherConnections: other,
    available,
    demand: lines.reduce((s, l) => s + l.replicas * l.max, 0),
    lines,
    source: topo && topo.services.length > 0 ? 'topology' : 'assumed-single-service',
  };
}

/** Replicas that open `pool`. */
export function replicasOf(budget: Budget, pool: PoolName): number {
  return budget.lines.filter((l) => l.pool === pool).reduce((s, l) => s + l.replicas, 0);
}

/**
 * The largest max_connections `pool` can have with every other line unchanged and the demand
 * still inside the budget; null when no replica opens the pool (the budget says nothing about it).
 */
export function capFor(budget: Budget, pool: PoolName, currentMax: number): number | null {
  const replicas = replicasOf(budget, pool);
  if (replicas === 0) return null;
  return currentMax + Math.floor((budget.available - budget.demand) / replicas);
}

/** Split what is available across the lines in proportion to their current max (at least 1 each). */
export function fairSplit(budget: Budget): Array<{ pool: PoolName; current: number; fair: number }> {
  const factor = budget.demand > 0 ? Math.max(0, budget.available) / budget.demand : 0;
  const seen = new Map<PoolName, { pool: PoolName; current: number; fair: number }>();
  for (const l of budget.lines) {
    if (!seen.has(l.pool)) seen.set(l.pool, { pool: l.pool, current: l.max, fair: Math.max(1, Math.floor(l.max * factor)) });
  }
  return [...seen.values()];
}
