/**
 * The pools pool-advisor knows, in Tasker's layout (docs/architecture.md, "Pools it knows").
 * Every command, threshold, flag and metric label uses these names.
 */

/** A pool's name as used everywhere in the tool. */
export type PoolName = 'database' | 'pgmq' | 'orchestration_web' | 'worker_web';

/** All pool names, in display order. */
export const POOL_NAMES: readonly PoolName[] = ['database', 'pgmq', 'orchestration_web', 'worker_web'];

/**
 * The pools `analyze` drives, the ones the advisor config has workloads for (`[workloads.database]`,
 * `[workloads.pgmq]`) and `analyze --workload-from` replays, in that order. The web pools are read
 * and judged, never driven.
 */
export const DRIVABLE_POOLS = ['database', 'pgmq'] as const satisfies readonly PoolName[];

/** A pool `analyze` drives. */
export type DrivablePool = (typeof DRIVABLE_POOLS)[number];

/** Whether a name is one of {@link DRIVABLE_POOLS}. */
export function isDrivablePool(name: string): name is DrivablePool {
  return (DRIVABLE_POOLS as readonly string[]).includes(name);
}

/** The Tasker context file a table lives in (`<context>.toml`). */
export type Context = 'common' | 'orchestration' | 'worker';

/** The normalised settings of a pool, as sqlx would see them. */
export interface PoolSettings {
  max_connections: number;
  min_connections: number;
  acquire_timeout_seconds: number;
  idle_timeout_seconds: number;
  max_lifetime_seconds: number;
  slow_acquire_threshold_ms: number;
}

/** The keys of {@link PoolSettings}. */
export type SettingKey = keyof PoolSettings;

/** All normalised setting keys, in Tasker's order. */
export const SETTING_KEYS: readonly SettingKey[] = [
  'max_connections',
  'min_connections',
  'acquire_timeout_seconds',
  'idle_timeout_seconds',
  'max_lifetime_seconds',
  'slow_acquire_threshold_ms',
];

/** One TOML key of a pool table and what it means. */
export interface KeyDef {
  /** The TOML key as written in Tasker's files. */
  key: string;
  /** Inclusive range Tasker's validation accepts. */
  min: number;
  max: number;
  /** The normalised setting it feeds, if any (`max_total_connections_hint` feeds none). */
  setting?: SettingKey;
}

/** A pool: where its table is and which keys it has. */
export interface PoolDef {
  name: PoolName;
  context: Context;
  /** TOML table path, e.g. `['common', 'database', 'pool']`. */
  table: string[];
  keys: KeyDef[];
  /** Defaults Tasker (or sqlx) applies for settings that have no key in this table. */
  implicit: Partial<PoolSettings>;
}

const MAIN_KEYS: KeyDef[] = [
  { key: 'max_connections', min: 1, max: 1000, setting: 'max_connections' },
  { key: 'min_connections', min: 0, max: 100, setting: 'min_connections' },
  { key: 'acquire_timeout_seconds', min: 1, max: 300, setting: 'acquire_timeout_seconds' },
  { key: 'idle_timeout_seconds', min: 1, max: 3600, setting: 'idle_timeout_seconds' },
  { key: 'max_lifetime_seconds', min: 60, max: 86400, setting: 'max_lifetime_seconds' },
  { key: 'slow_acquire_threshold_ms', min: 10, max: 60000, setting: 'slow_acquire_threshold_ms' },
];

const WEB_KEYS: KeyDef[] = [
  { key: 'web_api_pool_size', min: 1, max: 1000, setting: 'min_connections' },
  { key: 'web_api_max_connections', min: 1, max: 1000, setting: 'max_connections' },
  { key: 'web_api_connection_timeout_seconds', min: 1, max: 300, setting: 'acquire_timeout_seconds' },
  { key: 'web_api_idle_timeout_seconds', min: 1, max: 3600, setting: 'idle_timeout_seconds' },
  { key: 'max_total_connections_hint', min: 1, max: 10000 },
];

/** sqlx's default max lifetime (30 minutes) applies to the web pools, which have no lifetime key. */
const WEB_IMPLICIT: Partial<PoolSettings> = { max_lifetime_seconds: 1800, slow_acquire_threshold_ms: 100 };

/** The pool definitions, keyed by name. */
export const POOLS: Readonly<Record<PoolName, PoolDef>> = {
  database: { name: 'database', context: 'common', table: ['common', 'database', 'pool'], keys: MAIN_KEYS, implicit: { slow_acquire_threshold_ms: 100 } },
  pgmq: { name: 'pgmq', context: 'common', table: ['common', 'pgmq_database', 'pool'], keys: MAIN_KEYS, implicit: { slow_acquire_threshold_ms: 100 } },
  orchestration_web: {
    name: 'orchestration_web',
    context: 'orchestration',
    table: ['orchestration', 'web', 'database_pools'],
    keys: WEB_KEYS,
    implicit: WEB_IMPLICIT,
  },
  worker_web: { name: 'worker_web', context: 'worker', table: ['worker', 'web', 'database_pools'], keys: WEB_KEYS, implicit: WEB_IMPLICIT },
};

/** Whether a string is one of the known pool names. */
export function isPoolName(s: string): s is PoolName {
  return (POOL_NAMES as readonly string[]).includes(s);
}

/**
 * The TOML key that holds a normalised setting in a pool's table, or undefined when that pool
 * has no key for it (web pools have no lifetime or slow-threshold key).
 */
export function tomlKeyFor(pool: PoolName, setting: SettingKey): string | undefined {
  return POOLS[pool].keys.find((k) => k.setting === setting)?.key;
}

/** The key definition of a TOML key in a pool table. */
export function keyDef(pool: PoolName, key: string): KeyDef | undefined {
  return POOLS[pool].keys.find((k) => k.key === key);
}

/**
 * Convert a TOML value of a pool table to the normalised setting it feeds. Web pools give
 * `web_api_pool_size` as a size whose half (rounded down) sqlx keeps open as min.
 */
export function toSetting(pool: PoolName, key: string, value: number): number {
  if (POOLS[pool].keys === WEB_KEYS && key === 'web_api_pool_size') return Math.floor(value / 2);
  return value;
}

/** The inverse of {@link toSetting}: the TOML value that yields a normalised setting value. */
export function fromSetting(pool: PoolName, key: string, value: number): number {
  if (POOLS[pool].keys === WEB_KEYS && key === 'web_api_pool_size') return value * 2;
  return value;
}

/** Settings with one TOML key of the pool's table set (a key that feeds no setting leaves them as they are). */
export function withKey(pool: PoolName, settings: PoolSettings, key: string, value: number): PoolSettings {
  const kd = keyDef(pool, key);
  return kd?.setting ? { ...settings, [kd.setting]: toSetting(pool, key, value) } : settings;
}
