/**
 * pool-advisor as a library. See the README, "Use it in your service".
 */
export { ExitCode, KnownError, UsageError, DatabaseError, NoDataError } from './core/errors.js';
export { POOLS, POOL_NAMES, type PoolName, type PoolSettings } from './core/config/pools.js';
export { buildModel, type ConfigModel, type EffectivePool } from './core/config/model.js';
export { validateModel, type Issue } from './core/config/validate.js';
export { loadConfig } from './shell/configDir.js';
export { redactUrl } from './core/redact.js';
