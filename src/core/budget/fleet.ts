/**
 * The budget of the replicas a fleet's metrics show (fleet, observe --prometheus): the same
 * model (model.ts), its clients read from the metrics. Each pool seen is one service: its
 * replicas are the ones seen (or the topology's, when more), its size the largest seen, and the
 * topology's autoscaler maximum and surge apply to a Tasker pool a service of the topology opens.
 * Pure.
 */
import type { TopologySpec } from '../advisor/types.js';
import { isPoolName } from '../config/pools.js';
import type { ReplicaFigures } from '../fleet/assemble.js';
import { computeBudget, serverAllows, type LayerBudget, type ServiceDemand } from './model.js';
import { pgbouncerLayer, serverLimits } from './inputs.js';

/** The connection budget of the replicas seen, with its layers. */
export interface FleetBudget {
  env: string;
  /** Sum of every pool's size over every replica seen. */
  poolMaxTotal: number;
  /** Replicas whose pool size the source does not show. */
  unknownSize: number;
  serverMaxConnections: number;
  /** Where max_connections and the reserved count came from: the server itself, or the advisor config's topology. */
  serverSource: 'pg_settings' | 'topology';
  superuserReserved: number;
  otherConnections: number;
  /** What the server lets the pools open. */
  available: number;
  /** No layer overflows, at steady state or at the rollout peak. */
  fits: boolean;
  layers: LayerBudget[];
  overflow?: LayerBudget;
}

/**
 * The budget of one environment's replicas seen, against the server's limits read from the
 * server itself (`live`, pg_settings) when given, else the topology's. Undefined when
 * max_connections is unknown.
 */
export function seenFleetBudget(replicas: readonly ReplicaFigures[], env: string, topology: TopologySpec | undefined, live?: { maxConnections: number; superuserReserved: number; reservedConnections?: number }): FleetBudget | undefined {
  const server = serverLimits(topology, live ? { ...live, observed: true } : undefined);
  if (!server) return undefined;
  const mine = replicas.filter((r) => r.env === env);
  const groups = new Map<string, ReplicaFigures[]>();
  for (const r of mine) {
    const k = `${r.family}\u0000${r.pool}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r);
  }
  const services: ServiceDemand[] = [...groups.values()].map((g) => {
    const r0 = g[0]!;
    const spec = r0.mapped && isPoolName(r0.pool) ? topology?.services.find((s) => s.pools.includes(r0.pool as never)) : undefined;
    const sizes = g.map((r) => r.max).filter((m): m is number => m !== undefined);
    const count = new Set(g.map((r) => r.replica)).size;
    return {
      name: `${r0.family} ${r0.pool}`,
      replicas: spec?.replicas ?? count,
      observedReplicas: count,
      ...(spec?.autoscalerMax !== undefined ? { autoscalerMax: spec.autoscalerMax } : {}),
      ...(spec?.surge ? { surge: spec.surge } : {}),
      pools: [{ pool: r0.pool, size: sizes.length > 0 ? Math.max(...sizes) : null }],
    };
  });
  const bouncer = pgbouncerLayer(topology?.pgbouncer, undefined);
  const budget = computeBudget({ env, services, server, ...(bouncer ? { pgbouncer: bouncer } : {}) });
  return {
    env,
    poolMaxTotal: mine.reduce((a, r) => a + (r.max ?? 0), 0),
    unknownSize: mine.filter((r) => r.max === undefined).length,
    serverMaxConnections: server.maxConnections,
    serverSource: live ? 'pg_settings' : 'topology',
    superuserReserved: server.superuserReserved,
    otherConnections: server.otherConnections,
    available: serverAllows(server),
    fits: !budget.overflow,
    layers: budget.layers,
    ...(budget.overflow ? { overflow: budget.overflow } : {}),
  };
}
