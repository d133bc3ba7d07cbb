/**
 * The settings `generate` writes: from `--set ENV.POOL.KEY=VALUE` flags (parsed by core/flags.ts,
 * the one `--set` parser) or read from the recommendations of a saved run, and checked against
 * Tasker's ranges before any file is read.
 */
import { UsageError } from '../errors.js';
import { POOLS, POOL_NAMES, SETTING_KEYS, fromSetting, isPoolName, keyDef, tomlKeyFor, type PoolName, type SettingKey } from '../config/pools.js';
import { isEnvName, parseSetFlags } from '../flags.js';
import { unknownKeyFix } from '../config/validate.js';
import type { AdvisorConfig } from '../advisor/types.js';
import type { EvidenceFile } from '../evidence/types.js';
import { invalidRunError } from '../analysis/validity.js';
import { adviseEvidence } from '../rules/index.js';

/** One value to write: the TOML key of a pool's table in one environment. */
export interface Setting {
  env: string;
  pool: PoolName;
  /** The TOML key in the pool's table (`max_connections`, `web_api_max_connections`...). */
  key: string;
  value: number;
  /** Where the setting came from, for messages: `--set test.database.max_connections=40`, `run.json: recommendations[2]`. */
  source: string;
}

const EXAMPLE = 'test.database.max_connections=40';

/**
 * Check a setting names a known pool and key, an environment that can be a directory, and an
 * integer within Tasker's range. Every message names the input, the reason and the fix on one line.
 */
export function checkSetting(s: Setting): Setting {
  const where = s.source;
  if (!isEnvName(s.env)) throw new UsageError(`${where}: '${s.env}' cannot name an environment; use letters, digits, '_' and '-' only (at most 100), e.g. ${EXAMPLE}`);
  if (!isPoolName(s.pool)) {
    throw new UsageError(`${where}: unknown pool '${s.pool as string}'; choose one of ${POOL_NAMES.join(', ')}`);
  }
  const def = POOLS[s.pool];
  const kd = keyDef(s.pool, s.key);
  if (!kd) throw new UsageError(`${where}: unknown key '${s.key}' in [${def.table.join('.')}] (pool ${s.pool}); ${unknownKeyFix(s.pool, s.key)}`);
  if (!Number.isInteger(s.value)) throw new UsageError(`${where}: ${s.key} must be a whole number; e.g. ${s.env}.${s.pool}.${s.key}=${kd.min}`);
  if (s.value < kd.min || s.value > kd.max) {
    throw new UsageError(`${where}: ${s.value} is outside Tasker's range ${kd.min}-${kd.max} for [${def.table.join('.')}] ${s.key}; use a value from ${kd.min} to ${kd.max}`);
  }
  return s;
}

/** The settings of `generate`'s `--set` flags: Tasker's range, any environment that can be a directory, each key once. */
export function settingsFromFlags(flags: readonly string[]): Setting[] {
  return parseSetFlags(flags, { trial: false }).map(({ env, pool, key, value, source }) => ({ env, pool, key, value, source }));
}

/** What {@link settingsFromRun} found: settings to write, and entries it could not use (with the reason). */
export interface RunSettings {
  settings: Setting[];
  skipped: string[];
}

/**
 * Turn recommendations into settings (`--from`): the shell hands in either the output of
 * `recommend --json` or the recommendations it worked out from a saved run, both as a
 * top-level `recommendations` array whose entries carry `{ env, pool, key, to }`. `key` is the TOML key of the pool's table, or a normalised setting
 * name (`max_connections`, `min_connections`...) which is mapped to the table's key (for the
 * web pools, `min_connections` becomes `web_api_pool_size`, twice the value). Entries without
 * a numeric `to` are advice with nothing to write and are skipped; a setting the pool's table
 * has no key for is skipped with the reason. This is the one place that knows the entries'
 * shape for `generate`.
 */
export function settingsFromRun(data: unknown, display: string): RunSettings {
  const recs = (data as { recommendations?: unknown } | null)?.recommendations;
  if (!Array.isArray(recs)) {
    throw new UsageError(`${display}: has no 'recommendations' array; expected a run file saved by pool-advisor (entries of {env, pool, key, to})`);
  }
  const settings: Setting[] = [];
  const skipped: string[] = [];
  recs.forEach((r: unknown, i) => {
    const source = `${display}: recommendations[${i}]`;
    const rec = r as { env?: unknown; pool?: unknown; key?: unknown; to?: unknown } | null;
    if (typeof rec !== 'object' || rec === null || typeof rec.env !== 'string' || typeof rec.pool !== 'string' || typeof rec.key !== 'string') {
      throw new UsageError(`${source}: expected an object with string env, pool and key`);
    }
    if (typeof rec.to !== 'number') {
      skipped.push(`${source}: no numeric 'to' (advice only), skipped`);
      return;
    }
    if (!isPoolName(rec.pool)) throw new UsageError(`${source}: unknown pool '${rec.pool}'; expected one of ${POOL_NAMES.join(', ')}`);
    let key = rec.key;
    let value = rec.to;
    if (!keyDef(rec.pool, key) && (SETTING_KEYS as readonly string[]).includes(key)) {
      const tomlKey = tomlKeyFor(rec.pool, key as SettingKey);
      if (!tomlKey) {
        skipped.push(`${source}: [${POOLS[rec.pool].table.join('.')}] has no key for ${key}, skipped`);
        return;
      }
      value = fromSetting(rec.pool, tomlKey, value);
      key = tomlKey;
    }
    settings.push(checkSetting({ env: rec.env, pool: rec.pool, key, value, source }));
  });
  return { settings, skipped };
}

/**
 * The settings of the recommendations that evidence gives, advised as `recommend` does; evidence
 * that fails its validity check is refused. `counted` hears how many recommendations there were.
 */
export function settingsFromEvidence(evidence: EvidenceFile, advisor: AdvisorConfig, display: string, counted?: (n: number) => void): RunSettings {
  const invalid = invalidRunError(evidence, display);
  if (invalid) throw invalid;
  const { advice } = adviseEvidence(evidence, advisor);
  const recs = advice.environments.flatMap((e) => e.recommendations);
  counted?.(recs.length);
  // A measured run at `--set` values (a trial, or a replay at --recommended settings) verified them:
  // each is written too, unless the run itself recommends another value for that key.
  const verified = evidence.kind === 'run' ? evidence.environments.flatMap((e) => e.overrides.filter((o) => !recs.some((r) => r.env === e.env && r.pool === o.pool && r.key === o.key)).map((o) => ({ env: e.env, pool: o.pool, key: o.key, to: o.value }))) : [];
  return settingsFromRun({ recommendations: [...verified, ...recs] }, display);
}

/** Merge settings in order: a later setting of the same env, pool and key replaces an earlier one. */
export function mergeSettings(...lists: ReadonlyArray<readonly Setting[]>): Setting[] {
  const byKey = new Map<string, Setting>();
  for (const list of lists) {
    for (const s of list) {
      const id = `${s.env}\u0000${s.pool}\u0000${s.key}`;
      byKey.delete(id);
      byKey.set(id, s);
    }
  }
  return [...byKey.values()];
}
