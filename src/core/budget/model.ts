/**
 * The connection budget, one model for every command (docs/tuning.md, "The connection budget").
 * Connections pass through up to three layers, and each can overflow:
 *
 * - clients: per service, the pods (at steady state, and at the rollout peak: the larger of the
 *   observed replicas and the autoscaler's maximum, plus the surge) × the size of every pool a
 *   pod opens;
 * - PgBouncer, where there is one: `max_client_conn` × instances against the clients; its pools
 *   (per database and user `pool_size` or `default_pool_size`, plus `reserve_pool_size`, within
 *   `max_db_connections`/`max_user_connections`) × instances are what it asks of the server;
 * - the server: `max_connections` less `superuser_reserved_connections`, `reserved_connections`
 *   (PostgreSQL 16), the admin headroom and the connections other clients hold.
 *
 * Pure: the commands gather the inputs (the server's settings as observed win over the
 * topology's) and render the result.
 */

import type { PgBouncerSpec, ServiceSpec } from '../advisor/types.js';

/** A Deployment's maxSurge: a count of pods, or a percentage of the desired replicas. */
export type Surge = NonNullable<ServiceSpec['surge']>;

/** One pool a pod of a service opens. `size` null: the source does not show it. */
export interface PodPool {
  pool: string;
  size: number | null;
  /** An inert pool (it opens no connection of its own) counts 0; why. */
  inert?: string;
}

/** One service of the fleet. */
export interface ServiceDemand {
  name: string;
  /** Replicas the topology says run. */
  replicas: number;
  /** Replicas seen (an observation, the metrics), when a source saw them. */
  observedReplicas?: number;
  /** The autoscaler's maximum. */
  autoscalerMax?: number;
  surge?: Surge;
  pools: PodPool[];
}

/** One database of PgBouncer's `[databases]` (SHOW DATABASES); undefined fields take the global setting. */
export type PgBouncerDatabase = PgBouncerSpec['databases'][number];

/**
 * PgBouncer's settings and its instances: the topology's `[environments.<env>.topology.pgbouncer]`
 * keys (`maxDbConnections`/`maxUserConnections` 0: no limit, PgBouncer's meaning), with the
 * console's SHOW CONFIG and SHOW DATABASES over them where it was read, and where they came from.
 */
export type PgBouncerLayer = PgBouncerSpec & { source: 'console' | 'topology' };

/** The server's limits and where each came from. */
export interface ServerLimits {
  maxConnections: number;
  superuserReserved: number;
  /** `reserved_connections` (PostgreSQL 16 and later; 0 before). */
  reservedConnections: number;
  /** Slots the user keeps free for admin sessions. */
  adminHeadroom: number;
  /** Connections other clients hold (migrations, tools, poolers not modelled). */
  otherConnections: number;
  /** `observed`: read from the server; `topology`: the advisor config; `run`: a measured run's server, when the topology has none. */
  source: 'observed' | 'topology' | 'run';
}

export interface BudgetInput {
  env: string;
  services: ServiceDemand[];
  pgbouncer?: PgBouncerLayer;
  server?: ServerLimits;
}

export const LAYERS = ['clients', 'pgbouncer', 'server'] as const;
export type LayerName = (typeof LAYERS)[number];

/** A figure at steady state and at the rollout peak. */
export interface AtTwo {
  steady: number;
  peak: number;
}

/** One layer: what asks for it and what it allows. `allowed` null: no limit known; `used` null: open-ended. */
export interface LayerBudget {
  layer: LayerName;
  used: AtTwo | null;
  allowed: number | null;
  /** allowed − used (null when either is unknown). */
  headroom: AtTwo | null;
  status: 'ok' | 'over-at-peak' | 'over' | 'unknown';
  /** How the figures are made, written out. */
  detail: string;
}

/** One service's pods and what one pod may open. */
export interface ServicePods {
  name: string;
  steadyPods: number;
  peakPods: number;
  perPod: number;
  /** Pools whose size the source does not show. */
  unknownSize: number;
}

export interface Budget {
  env: string;
  services: ServicePods[];
  /** Connections the pods may open (the clients layer's use). */
  clients: AtTwo;
  /** What PgBouncer may open to the server, null when open-ended (wildcard databases). */
  pgbouncerServer?: number | null;
  server?: ServerLimits;
  pgbouncer?: PgBouncerLayer;
  layers: LayerBudget[];
  /** The first layer that overflows (at steady state before at the peak), if any. */
  overflow?: LayerBudget;
}

/** Pods of a rollout's surge: a count, or a percentage of the desired replicas rounded up (Kubernetes rounds maxSurge up). */
export function surgePods(surge: Surge | undefined, desired: number): number {
  if (!surge) return 0;
  return 'count' in surge ? surge.count : Math.ceil((desired * surge.percent) / 100);
}

/** Pods at steady state (the larger of the topology's and the observed replicas) and at the rollout peak. */
export function podsOf(s: ServiceDemand): { steady: number; peak: number } {
  const steady = Math.max(s.replicas, s.observedReplicas ?? 0);
  const top = Math.max(steady, s.autoscalerMax ?? 0);
  return { steady, peak: top + surgePods(s.surge, top) };
}

/** What the server lets pools open: max_connections less every reserved slot, the admin headroom and other clients. */
export function serverAllows(s: ServerLimits): number {
  return s.maxConnections - s.superuserReserved - s.reservedConnections - s.adminHeadroom - s.otherConnections;
}

/** What PgBouncer may open to the server, over its instances; null when a wildcard makes it open-ended. */
export function pgbouncerServerSide(b: PgBouncerLayer): number | null {
  if (b.wildcard) return null;
  let perInstance = 0;
  for (const d of b.databases) {
    const perUser = (d.poolSize ?? b.defaultPoolSize) + (d.reservePool ?? b.reservePoolSize);
    const dbCap = d.maxDbConnections ?? b.maxDbConnections;
    const users = b.users;
    perInstance += dbCap > 0 ? Math.min(dbCap, perUser * users) : perUser * users;
  }
  if (b.maxUserConnections > 0) perInstance = Math.min(perInstance, b.maxUserConnections * b.users);
  return perInstance * b.instances;
}

function layer(name: LayerName, used: AtTwo | null, allowed: number | null, detail: string): LayerBudget {
  const headroom = used && allowed !== null ? { steady: allowed - used.steady, peak: allowed - used.peak } : null;
  const status = !headroom ? 'unknown' : headroom.steady < 0 ? 'over' : headroom.peak < 0 ? 'over-at-peak' : 'ok';
  return { layer: name, used, allowed, headroom, status, detail };
}

/** The budget of one environment across every layer. */
export function computeBudget(input: BudgetInput): Budget {
  const services: ServicePods[] = input.services.map((s) => {
    const pods = podsOf(s);
    const perPod = s.pools.reduce((sum, p) => sum + (p.inert || p.size === null ? 0 : p.size), 0);
    return { name: s.name, steadyPods: pods.steady, peakPods: pods.peak, perPod, unknownSize: s.pools.filter((p) => !p.inert && p.size === null).length };
  });
  const clients = { steady: services.reduce((a, s) => a + s.steadyPods * s.perPod, 0), peak: services.reduce((a, s) => a + s.peakPods * s.perPod, 0) };
  const podTerms = services.map((s) => (s.steadyPods === s.peakPods ? `${s.steadyPods}` : `${s.steadyPods} (peak ${s.peakPods})`) + ` × ${s.name} ${s.perPod}`).join(' + ');
  const layers: LayerBudget[] = [layer('clients', clients, null, `${podTerms || 'no services'} = ${clients.steady}${clients.peak !== clients.steady ? ` (peak ${clients.peak})` : ''}`)];
  let pgbouncerServer: number | null | undefined;
  const b = input.pgbouncer;
  if (b) {
    layers.push(layer('pgbouncer', clients, b.maxClientConn * b.instances, `max_client_conn ${b.maxClientConn} × ${b.instances} instance${b.instances === 1 ? '' : 's'} = ${b.maxClientConn * b.instances}`));
    pgbouncerServer = pgbouncerServerSide(b);
  }
  const s = input.server;
  if (s) {
    const allowed = serverAllows(s);
    const used = b ? (pgbouncerServer === null ? null : { steady: pgbouncerServer!, peak: pgbouncerServer! }) : clients;
    const parts = [`max_connections ${s.maxConnections}`, `${s.superuserReserved} superuser reserved`];
    if (s.reservedConnections > 0) parts.push(`${s.reservedConnections} reserved_connections`);
    if (s.adminHeadroom > 0) parts.push(`${s.adminHeadroom} admin headroom`);
    parts.push(`${s.otherConnections} other`);
    const asked = b ? (pgbouncerServer === null ? "PgBouncer's pools (open-ended: a wildcard database)" : `PgBouncer's pools ${pgbouncerServer}`) : 'the pods';
    layers.push(layer('server', used, allowed, `${parts.join(' - ')} = ${allowed}, asked by ${asked}`));
  }
  const overflow = layers.find((l) => l.status === 'over') ?? layers.find((l) => l.status === 'over-at-peak');
  return {
    env: input.env,
    services,
    clients,
    ...(pgbouncerServer !== undefined ? { pgbouncerServer } : {}),
    ...(s ? { server: s } : {}),
    ...(b ? { pgbouncer: b } : {}),
    layers,
    ...(overflow ? { overflow } : {}),
  };
}

/** A layer by name. */
export function layerOf(budget: Budget, name: LayerName): LayerBudget | undefined {
  return budget.layers.find((l) => l.layer === name);
}

/**
 * The largest size one pool may have with everything else unchanged and every layer the pods'
 * pools reach (PgBouncer's client side, else the server) still fitting at the rollout peak; null
 * when no pod opens the pool or no such layer has a known limit.
 */
export function capFor(budget: Budget, input: BudgetInput, pool: string, currentSize: number): number | null {
  let podsAtPeak = 0;
  for (const s of input.services) if (s.pools.some((p) => p.pool === pool && !p.inert)) podsAtPeak += podsOf(s).peak;
  if (podsAtPeak === 0) return null;
  const reached = budget.pgbouncer ? layerOf(budget, 'pgbouncer') : layerOf(budget, 'server');
  if (!reached?.headroom) return null;
  return currentSize + Math.floor(reached.headroom.peak / podsAtPeak);
}

/** Split what a layer allows across the pools in proportion to their current size (at least 1 each). */
export function fairSplit(l: LayerBudget, input: BudgetInput): Array<{ pool: string; current: number; fair: number }> {
  const demand = l.used?.peak ?? 0;
  const factor = demand > 0 && l.allowed !== null ? Math.max(0, l.allowed) / demand : 0;
  const seen = new Map<string, { pool: string; current: number; fair: number }>();
  for (const s of input.services) {
    for (const p of s.pools) {
      if (p.inert || p.size === null || seen.has(p.pool)) continue;
      seen.set(p.pool, { pool: p.pool, current: p.size, fair: Math.max(1, Math.floor(p.size * factor)) });
    }
  }
  return [...seen.values()];
}

/** Connections seen open at once against what the server lets pools open. */
export function openShare(open: number, budget: Budget): { open: number; allowed: number; share: number } | null {
  if (!budget.server) return null;
  const allowed = serverAllows(budget.server);
  return { open, allowed, share: allowed > 0 ? open / allowed : Infinity };
}

/** One line naming the layer that overflows and by how much. */
export function overflowLine(budget: Budget): string | null {
  const o = budget.overflow;
  if (!o || !o.used || !o.headroom || o.allowed === null) return null;
  const at = o.status === 'over' ? 'at steady state' : 'at the rollout peak';
  const used = o.status === 'over' ? o.used.steady : o.used.peak;
  return `the ${o.layer} layer overflows ${at} in '${budget.env}': ${used} connections asked of ${o.allowed} allowed (${o.detail})`;
}
