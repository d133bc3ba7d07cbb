/**
 * The budget's inputs, per field in order of trust: the server's settings as observed (an
 * observation, `--database-url`) over the topology's, the topology's over a measured run's server
 * (a throwaway or local server stands for nothing in production); replicas as the larger of the
 * topology's and the observed; PgBouncer's settings from its console over the topology's, its
 * instances from the topology. Pure.
 */
import type { PgBouncerSpec, ServiceSpec, TopologySpec } from '../advisor/types.js';
import { DEFAULT_SUPERUSER_RESERVED } from '../advisor/defaults.js';
import type { PoolName } from '../config/pools.js';
import type { EvidenceFile, PgBouncerSettings } from '../evidence/types.js';
import { own } from '../dict.js';
import { computeBudget, type Budget, type BudgetInput, type PgBouncerLayer, type PodPool, type ServerLimits, type ServiceDemand } from './model.js';

/** A server's settings as some source read them. */
export interface ServerReading {
  maxConnections: number;
  superuserReserved: number;
  reservedConnections?: number;
  /** Read from the server the fleet uses (an observation, `--database-url`), not a measured run's. */
  observed: boolean;
}

/** A pool's size in an environment, and whether Tasker builds it. */
export interface PoolSize {
  max: number;
  active: boolean;
  inactiveReason?: string;
}

/** The server's limits: the observed server's settings win; then the topology's; then a measured run's server's max_connections. */
export function serverLimits(topo: TopologySpec | undefined, reading: ServerReading | undefined): ServerLimits | undefined {
  const headroom = topo?.adminHeadroom ?? 0;
  const other = topo?.otherConnections ?? 0;
  if (reading?.observed) {
    return { maxConnections: reading.maxConnections, superuserReserved: reading.superuserReserved, reservedConnections: reading.reservedConnections ?? 0, adminHeadroom: headroom, otherConnections: other, source: 'observed' };
  }
  if (topo?.serverMaxConnections !== undefined) {
    return { maxConnections: topo.serverMaxConnections, superuserReserved: topo.superuserReserved, reservedConnections: topo.reservedConnections ?? 0, adminHeadroom: headroom, otherConnections: other, source: 'topology' };
  }
  if (!reading) return undefined;
  return {
    maxConnections: reading.maxConnections,
    superuserReserved: topo ? topo.superuserReserved : reading.superuserReserved,
    reservedConnections: topo ? (topo.reservedConnections ?? 0) : (reading.reservedConnections ?? 0),
    adminHeadroom: headroom,
    otherConnections: other,
    source: 'run',
  };
}

/**
 * The server reading of saved evidence: an observation's server is observed, a measured run's is
 * not. A throwaway server (the one `analyze` starts when no database is given) stands for no
 * production server: none.
 */
export function readingOf(e: Pick<EvidenceFile, 'kind' | 'server' | 'targetKind'> | null | undefined): ServerReading | undefined {
  if (!e?.server || e.targetKind === 'throwaway') return undefined;
  return { maxConnections: e.server.maxConnections, superuserReserved: e.server.superuserReserved ?? DEFAULT_SUPERUSER_RESERVED, ...(e.server.reservedConnections !== undefined ? { reservedConnections: e.server.reservedConnections } : {}), observed: e.kind === 'observation' };
}

/** PgBouncer's layer: the console's settings over the topology's, the instances from the topology (1 when it has no PgBouncer table). */
export function pgbouncerLayer(spec: PgBouncerSpec | undefined, console: PgBouncerSettings | undefined): PgBouncerLayer | undefined {
  if (console) {
    return {
      instances: spec?.instances ?? 1,
      maxClientConn: console.maxClientConn,
      defaultPoolSize: console.defaultPoolSize,
      reservePoolSize: console.reservePoolSize,
      maxDbConnections: console.maxDbConnections,
      maxUserConnections: console.maxUserConnections,
      users: spec?.users ?? 1,
      databases: console.databases,
      wildcard: console.wildcard || spec?.wildcard === true,
      source: 'console',
    };
  }
  if (!spec) return undefined;
  return { ...spec, source: 'topology' };
}

/** Distinct replicas seen per pool in one environment's evidence (replica null counts as one). */
export function observedReplicas(pools: ReadonlyArray<{ pool: string; replica: string | null }>): Partial<Record<PoolName, number>> {
  const seen = new Map<string, Set<string>>();
  for (const p of pools) {
    if (!seen.has(p.pool)) seen.set(p.pool, new Set());
    seen.get(p.pool)!.add(p.replica ?? '');
  }
  return Object.fromEntries([...seen].map(([k, v]) => [k, v.size])) as Partial<Record<PoolName, number>>;
}

/**
 * The budget input of one environment from the Tasker config's pool sizes. Without services in
 * the topology, one replica of one service opening every active pool is assumed (`assumed`).
 */
export function budgetInput(
  env: string,
  sizes: Partial<Record<PoolName, PoolSize>>,
  topo: TopologySpec | undefined,
  opts: { server?: ServerReading; observed?: Partial<Record<PoolName, number>>; pgbouncer?: PgBouncerSettings } = {},
): { input: BudgetInput; assumed: boolean } {
  const active = (Object.keys(sizes) as PoolName[]).filter((p) => sizes[p]?.active);
  const assumed = !topo || topo.services.length === 0;
  const specs: ServiceSpec[] = assumed ? [{ name: 'service', replicas: 1, pools: active }] : topo.services;
  const services: ServiceDemand[] = specs.map((s) => {
    const pools: PodPool[] = s.pools.map((pool) => {
      const c = sizes[pool];
      return { pool, size: c ? c.max : null, ...(c && !c.active ? { inert: c.inactiveReason ?? 'Tasker builds no such pool' } : {}) };
    });
    const seen = Math.max(0, ...s.pools.map((p) => opts.observed?.[p] ?? 0));
    return { name: s.name, replicas: s.replicas, ...(seen > 0 ? { observedReplicas: seen } : {}), ...(s.autoscalerMax !== undefined ? { autoscalerMax: s.autoscalerMax } : {}), ...(s.surge ? { surge: s.surge } : {}), pools };
  });
  const server = serverLimits(topo, opts.server);
  const bouncer = pgbouncerLayer(topo?.pgbouncer, opts.pgbouncer);
  return { input: { env, services, ...(bouncer ? { pgbouncer: bouncer } : {}), ...(server ? { server } : {}) }, assumed };
}

/** An environment's budget with the input it was made from (the rules' view). */
export interface EnvBudget {
  budget: Budget;
  input: BudgetInput;
  /** No services in the topology: one replica of one service opening every active pool is assumed. */
  assumed: boolean;
}

/**
 * The budget the rules use, or null when it judges nothing: no server limit and no PgBouncer
 * layer known.
 */
export function envBudget(env: string, sizes: Partial<Record<PoolName, PoolSize>>, topo: TopologySpec | undefined, opts: Parameters<typeof budgetInput>[3] = {}): EnvBudget | null {
  const { input, assumed } = budgetInput(env, sizes, topo, opts);
  if (!input.server && !input.pgbouncer) return null;
  return { budget: computeBudget(input), input, assumed };
}

/** A PgBouncer count setting, bounded where it enters; undefined when absent or not a count. */
function count(v: string | number | undefined, max = 10_000_000): number | undefined {
  const n = typeof v === 'number' ? v : v === undefined || v.trim() === '' ? NaN : Number(v);
  return Number.isInteger(n) && n >= 0 && n <= max ? n : undefined;
}

/**
 * PgBouncer's settings from its console: `SHOW CONFIG` (key to value) and `SHOW DATABASES`
 * (each database's effective pool_size and reserve_pool, and its max_connections, which is its
 * max_db_connections). The console's own `pgbouncer` database is not a pool to the server. A
 * setting the console does not give takes PgBouncer's default.
 */
export function pgbouncerSettingsFrom(config: Readonly<Record<string, string>>, databases: ReadonlyArray<{ name: string; poolSize: number; reservePool: number; maxDbConnections?: number }>): PgBouncerSettings {
  const global = (k: string, d: number): number => count(own(config, k)) ?? d;
  const maxDb = global('max_db_connections', 0);
  const real = databases.filter((d) => d.name !== 'pgbouncer');
  return {
    maxClientConn: global('max_client_conn', 100),
    defaultPoolSize: global('default_pool_size', 20),
    reservePoolSize: global('reserve_pool_size', 0),
    maxDbConnections: maxDb,
    maxUserConnections: global('max_user_connections', 0),
    poolMode: own(config, 'pool_mode') ?? 'session',
    databases: real
      .filter((d) => d.name !== '*')
      .map((d) => {
        const own = count(d.maxDbConnections);
        // SHOW DATABASES shows the effective pool_size and reserve (the global ones where the entry sets none).
        return { name: d.name, poolSize: count(d.poolSize, 100_000) ?? 0, reservePool: count(d.reservePool, 100_000) ?? 0, ...(own !== undefined && own > 0 ? { maxDbConnections: own } : {}) };
      }),
    wildcard: real.some((d) => d.name === '*'),
  };
}
