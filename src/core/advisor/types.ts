/**
 * The advisor config (`config/pool-advisor.toml`, documented in docs/config.md), parsed: workloads
 * per environment and pool, targets, rule thresholds, the fleet topology for the connection
 * budget, and CI thresholds. Defaults live in one place (defaults.ts) and are merged once.
 */
import type { PoolName } from '../config/pools.js';
import type { WorkloadSpec } from './workload.js';
import type { PrometheusSpec } from '../metrics-catalogue/families.js';

/** One service of the fleet: how many replicas run, and which pools each replica opens. */
export interface ServiceSpec {
  name: string;
  replicas: number;
  pools: PoolName[];
  /** The autoscaler's maximum replicas (`autoscaler_max`). */
  autoscalerMax?: number;
  /** A rolling deploy's maxSurge (`surge`): pods, or a percentage of the replicas rounded up. */
  surge?: { count: number } | { percent: number };
}

/** PgBouncer between the services and the server (`[environments.<env>.topology.pgbouncer]`). */
export interface PgBouncerSpec {
  /** PgBouncer processes (a console shows only its own). */
  instances: number;
  /** Settings used when no console is read (`--pgbouncer-url`); PgBouncer's defaults when unset. */
  maxClientConn: number;
  defaultPoolSize: number;
  reservePoolSize: number;
  maxDbConnections: number;
  maxUserConnections: number;
  /** Users that connect to each database (PgBouncer keeps a pool per database and user). */
  users: number;
  databases: Array<{ name: string; poolSize?: number; reservePool?: number; maxDbConnections?: number }>;
  /** A `*` database: pools on demand, open-ended. */
  wildcard: boolean;
}

/** The fleet and the server it shares, for the connection budget. */
export interface TopologySpec {
  /** The server's max_connections; when unset, the probe's value is used (analyze) or the budget is skipped (static). */
  serverMaxConnections?: number;
  /** superuser_reserved_connections (PostgreSQL's default is 3). */
  superuserReserved: number;
  /** reserved_connections (PostgreSQL 16 and later; 0 by default). */
  reservedConnections?: number;
  /** Slots kept free for admin sessions (`admin_headroom`, 0 by default). */
  adminHeadroom?: number;
  /** Connections other clients hold (migrations, admin tools, poolers). */
  otherConnections: number;
  services: ServiceSpec[];
  pgbouncer?: PgBouncerSpec;
}

/** Thresholds of the tuning rules, all changeable in the advisor config under [rules]. */
export interface RuleSettings {
  /** pool-saturation fires when more than this share of acquires waited... */
  saturationWaitedShare: number;
  /** idle-surplus: headroom above the P95 in-use count that min_connections may keep. */
  idleHeadroom: number;
  /** idle-surplus: idle-timeout churn when a connection closed idle is reopened within this many seconds. */
  idleChurnWindowS: number;
  /** lifetime-churn: expiries per minute above which churn matters. */
  expiriesPerMinute: number;
  /** lifetime-churn: reconnects paid on the acquire path per thousand acquires above which churn costs the work. */
  expiriesPerThousandAcquires: number;
  /** oversized: fire when max_connections exceeds the modelled need by this factor. */
  oversizedFactor: number;
  /** database-saturation: hold time at high occupancy / at low occupancy above which the server is the bottleneck. */
  holdGrowthRatio: number;
  /** acquire-timeout: fire when the P99.9 wait is above this share of the timeout. */
  timeoutReachShare: number;
  /** idle-surplus: idle closes reopened within `idleChurnWindowS`, per minute, above which the churn matters. */
  idleChurnPerMinute: number;
  /** lifetime-churn: this many expiries within one second count as a burst (connections opened together expire together). */
  expiryBurstSize: number;
  /** database-saturation: holds needed in each of the low- and high-occupancy groups before the trend is trusted. */
  holdTrendMinSamples: number;
  /** database-saturation: fewer connections "give the same throughput" when they reach this share of the best measured throughput. */
  throughputPlateauShare: number;
  /** database-saturation (observed load): the server is CPU-bound when its sessions on a CPU reach this share of its cores. */
  serverCpuShare: number;
  /** database-saturation (observed load): the server is the limit when one of Lock, IO, LWLock, BufferPin carries more than this share of its active time... */
  serverClassShare: number;
  /** ...and that class averages at least this many active sessions. */
  serverMinLoad: number;
}

/** Per-environment settings. */
export interface EnvironmentSpec {
  /** Workloads by pool (`database`, `pgmq`). */
  workloads: Partial<Record<PoolName, WorkloadSpec>>;
  topology?: TopologySpec;
  /** Target P99 acquire wait per pool, ms (overrides the default). */
  targetP99WaitMs: Partial<Record<PoolName, number>>;
}

/** The whole advisor config. */
export interface AdvisorConfig {
  /** Where it was read from (for messages), or `(built-in defaults)`. */
  source: string;
  /** Default target P99 acquire wait, ms (10 unless set). */
  targetP99WaitMs: number;
  rules: RuleSettings;
  environments: Record<string, EnvironmentSpec>;
  /** Workloads for environments the file does not name (top-level [workloads.<pool>]). */
  defaultWorkloads?: Partial<Record<PoolName, WorkloadSpec>>;
  /** Default measured duration per environment, seconds. */
  defaultDurationS?: number;
  /** CI thresholds, as written (`database.acquire: p(99) < 50ms`). */
  thresholds: string[];
  seed: number;
  /** How Prometheus series map to environments, pools and replicas (`[prometheus]`, docs/fleet.md). */
  prometheus?: PrometheusSpec;
}
