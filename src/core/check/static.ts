/**
 * The static half of `check`: everything that can be wrong with pool settings before any run.
 * The config lint (unknown keys, ranges, min above max, lifetime below idle timeout, inert
 * settings) comes from the config model's validation; this module adds the connection budget
 * of the fleet described in the advisor config. Pure: no I/O.
 */
import { POOLS, type PoolName } from '../config/pools.js';
import type { ConfigModel, EnvironmentConfig, Origin } from '../config/model.js';
import { validateModel, type Issue } from '../config/validate.js';
import type { TopologySpec } from '../advisor/types.js';
import { own } from '../dict.js';

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

/** One service of the budget: replicas x the sum of its counted pools. */
export interface BudgetService {
  name: string;
  replicas: number;
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
  /** Replicas (over every service) that open this pool. */
  replicas: number;
  connections: number;
  origin?: Origin;
}

/** The connection budget of one environment. */
export interface BudgetResult {
  env: string;
  status: 'ok' | 'over' | 'skipped';
  /** Why the budget was not checked. */
  reason?: string;
  serverMaxConnections?: number;
  /** Where the server's max_connections came from: the topology, or the saved run's server probe. */
  serverSource?: 'topology' | 'run';
  superuserReserved: number;
  otherConnections: number;
  services: BudgetService[];
  /** Sum of the services' totals. */
  poolConnections: number;
  /** poolConnections + superuserReserved + otherConnections. */
  total: number;
  largest?: BudgetContributor;
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
  /** The server a saved run probed: its max_connections fills in a topology that has none. */
  server?: { maxConnections: number };
}

function tableName(pool: PoolName): string {
  return `[${POOLS[pool].table.join('.')}]`;
}

function maxKey(pool: PoolName): string {
  return POOLS[pool].keys.find((k) => k.setting === 'max_connections')!.key;
}

/**
 * The connection budget of one environment: the sum over services of replicas x the
 * max_connections of each pool a replica opens (inert pools count 0: pgmq when it shares the
 * main pool, worker_web always), plus superuser-reserved and other connections, against the
 * server's max_connections.
 */
export function connectionBudget(env: EnvironmentConfig, topology: TopologySpec, server?: { maxConnections: number }): BudgetResult {
  const services: BudgetService[] = topology.services.map((s) => {
    const pools: BudgetPool[] = s.pools.map((name) => {
      const p = env.pools[name];
      return { pool: name, maxConnections: p.settings.max_connections, counted: p.active, ...(p.active ? {} : { note: p.inactiveReason }) };
    });
    const perReplica = pools.reduce((sum, p) => sum + (p.counted ? p.maxConnections : 0), 0);
    return { name: s.name, replicas: s.replicas, pools, perReplica, total: s.replicas * perReplica };
  });
  const poolConnections = services.reduce((sum, s) => sum + s.total, 0);
  const total = poolConnections + topology.superuserReserved + topology.otherConnections;
  const serverMax = topology.serverMaxConnections ?? server?.maxConnections;
  const base = { env: env.name, superuserReserved: topology.superuserReserved, otherConnections: topology.otherConnections, services, poolConnections, total };

  const byPool = new Map<PoolName, number>();
  for (const s of services) for (const p of s.pools) if (p.counted) byPool.set(p.pool, (byPool.get(p.pool) ?? 0) + s.replicas);
  let largest: BudgetContributor | undefined;
  for (const [pool, replicas] of byPool) {
    const p = env.pools[pool];
    const connections = replicas * p.settings.max_connections;
    if (!largest || connections > largest.connections) {
      const origin = p.settingOrigins.max_connections;
      largest = { pool, key: maxKey(pool), table: tableName(pool), maxConnections: p.settings.max_connections, replicas, connections, ...(origin ? { origin } : {}) };
    }
  }
  if (serverMax === undefined) {
    return { ...base, status: 'skipped', reason: 'no server_max_connections in the topology (and no saved run to take it from)', ...(largest ? { largest } : {}) };
  }
  return {
    ...base,
    status: total <= serverMax ? 'ok' : 'over',
    serverMaxConnections: serverMax,
    serverSource: topology.serverMaxConnections !== undefined ? 'topology' : 'run',
    ...(largest ? { largest } : {}),
  };
}

/** The sum written out: `2 × orchestration (database 50 + orchestration_web 30) + 3 reserved + 10 other = 173`. */
export function budgetArithmetic(b: BudgetResult): string {
  const terms = b.services.map((s) => {
    const pools = s.pools.map((p) => (p.counted ? `${p.pool} ${p.maxConnections}` : `${p.pool} 0 (inert)`)).join(' + ');
    return `${s.replicas} × ${s.name} (${pools || 'no pools'})`;
  });
  terms.push(`${b.superuserReserved} superuser reserved`, `${b.otherConnections} other`);
  return `${terms.join(' + ')} = ${b.total}`;
}

/** The error for an over-subscribed budget, at the largest contributor's max_connections key. */
function budgetIssue(b: BudgetResult, advisorSource: string | undefined): Issue {
  const l = b.largest;
  const src = b.serverSource === 'run' ? ' (from the saved run)' : '';
  const largest = l ? `; the largest share is ${l.table} ${l.key} = ${l.maxConnections} × ${l.replicas} replica${l.replicas === 1 ? '' : 's'} = ${l.connections}` : '';
  const where = l?.origin ? { file: l.origin.file, line: l.origin.line, column: l.origin.column } : advisorSource ? { file: advisorSource } : {};
  return {
    severity: 'error',
    code: 'connection-budget',
    message:
      `connection budget over-subscribed in '${b.env}': ${budgetArithmetic(b)} > server max_connections ${b.serverMaxConnections}${src}` +
      `${largest}; lower max_connections or replicas, or raise the server's max_connections`,
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
    const b = connectionBudget(env, topology, server);
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
