/**
 * The static half of `check`: everything that can be wrong with pool settings before any run.
 * The config lint (unknown keys, ranges, min above max, lifetime below idle timeout, inert
 * settings) comes from the config model's validation; this module adds the connection budget
 * of the fleet described in the advisor config, every layer (src/core/budget/model.ts). Pure: no I/O.
 */
import { POOLS, type PoolName } from '../config/pools.js';
import type { ConfigModel, EnvironmentConfig, Origin } from '../config/model.js';
import { validateModel, type Issue } from '../config/validate.js';
import type { TopologySpec } from '../advisor/types.js';
import { own } from '../dict.js';
import { computeBudget, type LayerBudget } from '../budget/model.js';
import { budgetInput, type PoolSize, type ServerReading } from '../budget/inputs.js';
import type { PgBouncerSettings } from '../evidence/types.js';

/** One pool of one service in the budget. */
export interface BudgetPool {
  pool: PoolName;
  /** The pool's effective max_connections (web pools: web_api_max_connections). */
  maxConnections: number;
  /** Whether the pool opens connections of its own (an inert pool counts 0). */
  counted: boolean;
  /** Why an inert pool does not count. */
  note?: string;
}

/** One service of the budget: pods x the sum of its counted pools. */
export interface BudgetService {
  name: string;
  /** Pods at steady state: the larger of the topology's and the observed replicas. */
  replicas: number;
  /** Pods at the rollout peak: the larger of those and the autoscaler's maximum, plus the surge. */
  peakReplicas: number;
  pools: BudgetPool[];
  /** Connections one replica may open. */
  perReplica: number;
  /** replicas x perReplica. */
  total: number;
}

/** The pool key that contributes the most connections, summed over services. */
export interface BudgetContributor {
  pool: PoolName;
  /** The TOML key holding its max (`max_connections` or `web_api_max_connections`). */
  key: string;
  /** `[common.database.pool]`. */
  table: string;
  maxConnections: number;
  /** Pods (over every service, at the rollout peak) that open this pool. */
  replicas: number;
  connections: number;
  origin?: Origin;
}

/** The connection budget of one environment (src/core/budget/model.ts), with what check reports of it. */
export interface BudgetResult {
  env: string;
  status: 'ok' | 'over' | 'skipped';
  /** Why the budget was not checked. */
  reason?: string;
  serverMaxConnections?: number;
  /** Where the server's settings came from: observed (read from it), the topology, or a saved run's server probe. */
  serverSource?: 'topology' | 'run' | 'observed';
  superuserReserved: number;
  reservedConnections: number;
  adminHeadroom: number;
  otherConnections: number;
  services: BudgetService[];
  /** Sum of the services' totals at steady state. */
  poolConnections: number;
  /** poolConnections + every reserved slot + otherConnections. */
  total: number;
  largest?: BudgetContributor;
  /** Every layer: used and allowed at steady state and at the rollout peak, and the headroom. */
  layers: LayerBudget[];
  /** The layer that overflows, when one does. */
  overflow?: LayerBudget;
}

/** What the static checks found. */
export interface StaticResult {
  configDir: string;
  /** Lint issues, then budget errors, of the selected environments. */
  issues: Issue[];
  budgets: BudgetResult[];
}

/** Input to {@link checkStatic}. */
export interface StaticInput {
  model: ConfigModel;
  /** Topologies by environment name (from the advisor config). */
  topologies: Readonly<Record<string, TopologySpec | undefined>>;
  /** Only these environments (all when absent or empty). */
  envs?: readonly string[];
  /** The advisor config's path, for issues about the topology itself. */
  advisorSource?: string;
  /** The server of saved evidence: an observed one wins over the topology; a measured run's fills in a topology that has none. */
  server?: ServerReading;
  /** Replicas an observation saw, per environment and pool. */
  observed?: Readonly<Record<string, Partial<Record<PoolName, number>>>>;
  /** PgBouncer's settings read from its console. */
  pgbouncer?: PgBouncerSettings;
}

function tableName(pool: PoolName): string {
  return `[${POOLS[pool].table.join('.')}]`;
}

function maxKey(pool: PoolName): string {
  return POOLS[pool].keys.find((k) => k.setting === 'max_connections')!.key;
}

/** The pool sizes of an environment of the config model, as the budget reads them. */
export function configSizes(env: EnvironmentConfig): Partial<Record<PoolName, PoolSize>> {
  return Object.fromEntries(Object.values(env.pools).map((p) => [p.pool, { max: p.settings.max_connections, active: p.active, ...(p.inactiveReason ? { inactiveReason: p.inactiveReason } : {}) }]));
}

/**
 * The connection budget of one environment, every layer (src/core/budget/model.ts): the pods of
 * every service at steady state and at the rollout peak × each pool a pod opens (inert pools
 * count 0: pgmq when it shares the main pool, worker_web always), PgBouncer where there is one,
 * and the server's max_connections less its reserved slots, the admin headroom and other clients.
 */
export function staticBudget(env: EnvironmentConfig, topology: TopologySpec, opts: { server?: ServerReading; observed?: Partial<Record<PoolName, number>>; pgbouncer?: PgBouncerSettings } = {}): BudgetResult {
  const { input } = budgetInput(env.name, configSizes(env), topology, opts);
  const budget = computeBudget(input);
  const services: BudgetService[] = topology.services.map((s, i) => {
    const pods = budget.services[i]!;
    const pools: BudgetPool[] = s.pools.map((name) => {
      const p = env.pools[name];
      return { pool: name, maxConnections: p.settings.max_connections, counted: p.active, ...(p.active ? {} : { note: p.inactiveReason }) };
    });
    return { name: s.name, replicas: pods.steadyPods, peakReplicas: pods.peakPods, pools, perReplica: pods.perPod, total: pods.steadyPods * pods.perPod };
  });
  const server = input.server;
  const superuserReserved = server?.superuserReserved ?? topology.superuserReserved;
  const reservedConnections = server?.reservedConnections ?? topology.reservedConnections ?? 0;
  const adminHeadroom = topology.adminHeadroom ?? 0;
  const poolConnections = budget.clients.steady;
  const total = poolConnections + superuserReserved + reservedConnections + adminHeadroom + topology.otherConnections;
  const base = { env: env.name, superuserReserved, reservedConnections, adminHeadroom, otherConnections: topology.otherConnections, services, poolConnections, total, layers: budget.layers, ...(budget.overflow ? { overflow: budget.overflow } : {}) };

  const byPool = new Map<PoolName, number>();
  for (const s of services) for (const p of s.pools) if (p.counted) byPool.set(p.pool, (byPool.get(p.pool) ?? 0) + s.peakReplicas);
  let largest: BudgetContributor | undefined;
  for (const [pool, replicas] of byPool) {
    const p = env.pools[pool];
    const connections = replicas * p.settings.max_connections;
    if (!largest || connections > largest.connections) {
      const origin = p.settingOrigins.max_connections;
      largest = { pool, key: maxKey(pool), table: tableName(pool), maxConnections: p.settings.max_connections, replicas, connections, ...(origin ? { origin } : {}) };
    }
  }
  if (!server && !input.pgbouncer) {
    return { ...base, status: 'skipped', reason: 'no server_max_connections in the topology (and no saved run to take it from)', ...(largest ? { largest } : {}) };
  }
  return {
    ...base,
    status: budget.overflow ? 'over' : 'ok',
    ...(server ? { serverMaxConnections: server.maxConnections, serverSource: server.source } : {}),
    ...(largest ? { largest } : {}),
  };
}

/** Whether the budget is the plain one (no PgBouncer, no rollout peak above steady state): one sum against the server. */
function plain(b: BudgetResult): boolean {
  return !b.layers.some((l) => l.layer === 'pgbouncer') && b.services.every((s) => s.peakReplicas === s.replicas);
}

/** The sum written out: `2 × orchestration (database 50 + orchestration_web 30) + 3 reserved + 10 other = 173`. */
export function budgetArithmetic(b: BudgetResult): string {
  const terms = b.services.map((s) => {
    const pools = s.pools.map((p) => (p.counted ? `${p.pool} ${p.maxConnections}` : `${p.pool} 0 (inert)`)).join(' + ');
    return `${s.replicas}${s.peakReplicas !== s.replicas ? ` (peak ${s.peakReplicas})` : ''} × ${s.name} (${pools || 'no pools'})`;
  });
  terms.push(`${b.superuserReserved} superuser reserved`);
  if (b.reservedConnections > 0) terms.push(`${b.reservedConnections} reserved_connections`);
  if (b.adminHeadroom > 0) terms.push(`${b.adminHeadroom} admin headroom`);
  terms.push(`${b.otherConnections} other`);
  return `${terms.join(' + ')} = ${b.total}`;
}

/** One layer in words: used of allowed at steady state and at the rollout peak, and the headroom. */
export function layerLine(l: LayerBudget): string {
  if (!l.used) return `${l.layer}: open-ended (${l.detail})`;
  if (l.allowed === null) return `${l.layer}: ${l.used.steady} at steady state, ${l.used.peak} at the rollout peak (${l.detail})`;
  const h = l.headroom!;
  return `${l.layer}: ${l.used.steady} of ${l.allowed} at steady state (headroom ${h.steady}), ${l.used.peak} of ${l.allowed} at the rollout peak (headroom ${h.peak}) (${l.detail})`;
}

/** The error for an over-subscribed budget, naming the layer, at the largest contributor's max_connections key. */
export function budgetIssue(b: BudgetResult, advisorSource: string | undefined): Issue {
  const l = b.largest;
  const src = b.serverSource === 'run' ? ' (from the saved run)' : b.serverSource === 'observed' ? ' (as the server says)' : '';
  const largest = l ? `; the largest share is ${l.table} ${l.key} = ${l.maxConnections} × ${l.replicas} replica${l.replicas === 1 ? '' : 's'} = ${l.connections}` : '';
  const where = l?.origin ? { file: l.origin.file, line: l.origin.line, column: l.origin.column } : advisorSource ? { file: advisorSource } : {};
  const o = b.overflow!;
  const what =
    o.layer === 'server' && plain(b)
      ? `${budgetArithmetic(b)} > server max_connections ${b.serverMaxConnections}${src}`
      : `the ${o.layer} layer overflows ${o.status === 'over' ? 'at steady state' : 'at the rollout peak'}: ${o.status === 'over' ? o.used!.steady : o.used!.peak} connections asked of ${o.allowed} allowed (${o.detail}${o.layer === 'server' ? src : ''})`;
  const fix = o.layer === 'pgbouncer' ? "lower max_connections or replicas, or raise PgBouncer's max_client_conn or instances" : o.status === 'over-at-peak' ? "lower max_connections, the autoscaler's maximum or the surge, or raise the server's max_connections" : "lower max_connections or replicas, or raise the server's max_connections";
  return {
    severity: 'error',
    code: 'connection-budget',
    message: `connection budget over-subscribed in '${b.env}': ${what}${largest}; ${fix}`,
    ...where,
    envs: [b.env],
    ...(l ? { pool: l.pool, key: l.key } : {}),
  };
}

/**
 * Run every static check on a config model and the advisor config's topologies. Issues and
 * budgets are limited to the selected environments.
 */
export function checkStatic(input: StaticInput): StaticResult {
  const { model, topologies, advisorSource, server } = input;
  const envs = input.envs && input.envs.length > 0 ? input.envs : undefined;
  const selected = (env: string): boolean => !envs || envs.includes(env);
  const issues = validateModel(model).filter((i) => i.envs.length === 0 || i.envs.some(selected));
  const budgets: BudgetResult[] = [];
  for (const env of model.environments) {
    const topology = own(topologies, env.name);
    if (!selected(env.name) || !topology) continue;
    const observed = own(input.observed ?? {}, env.name);
    const b = staticBudget(env, topology, { ...(server ? { server } : {}), ...(observed ? { observed } : {}), ...(input.pgbouncer ? { pgbouncer: input.pgbouncer } : {}) });
    budgets.push(b);
    if (b.status === 'over') issues.push(budgetIssue(b, advisorSource));
  }
  if (!envs) {
    const known = new Set(model.environments.map((e) => e.name));
    for (const name of Object.keys(topologies)) {
      if (known.has(name) || !own(topologies, name)) continue;
      issues.push({
        severity: 'error',
        code: 'unknown-environment',
        message: `the advisor config has a topology for environment '${name}', which ${model.dir} does not have (it has: ${[...known].join(', ')})`,
        ...(advisorSource ? { file: advisorSource } : {}),
        envs: [],
      });
    }
  }
  return { configDir: model.dir, issues, budgets };
}
