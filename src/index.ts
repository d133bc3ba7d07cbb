/**
 * pool-advisor as a library. See the README, "Use it in your service".
 */
export { ExitCode, KnownError, UsageError, DatabaseError, NoDataError } from './core/errors.js';
export { POOLS, POOL_NAMES, type PoolName, type PoolSettings } from './core/config/pools.js';
export { buildModel, type ConfigModel, type EffectivePool } from './core/config/model.js';
export { validateModel, type Issue } from './core/config/validate.js';
export { loadConfig } from './shell/configDir.js';
export { redactUrl } from './core/redact.js';
export { instrumentPool, createInstrumentedPool, type InstrumentedPool, type InstrumentOptions } from './shell/pool/instrumentedPool.js';
export { metricsRegistry, METRIC_NAMES, type PoolSource } from './shell/metrics/registry.js';
export { metricsHandler, poolHealth, startMetricsServer, type MetricsHandlerOptions, type MetricsServer, type MetricsServerOptions } from './shell/metrics/server.js';
export { BUCKET_BOUNDS_US } from './core/metrics/buckets.js';
export { DEGRADED_ABOVE_PERCENT, UNHEALTHY_ABOVE_PERCENT, type HealthReport, type HealthStatus, type PoolHealth } from './core/metrics/health.js';
