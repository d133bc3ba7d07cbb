/**
 * Parsing the values of command-line flags that carry more than a string: durations,
 * `--hold`, `--set ENV.POOL.KEY=VALUE`. Pure; errors name the flag, the value and the fix (exit 2).
 */
import { UsageError } from './errors.js';
import { own } from './dict.js';
import { isPoolName, keyDef, POOL_NAMES, POOLS, type PoolName } from './config/pools.js';
import { suggest, unknownKeyFix } from './config/validate.js';
import { parseDurationMs } from './advisor/parse.js';
import type { HoldSpec } from './advisor/workload.js';
import { LIMITS, MAX_DURATION_MS, outside, rangeText, type Range } from './limits.js';

/**
 * `--duration 10s`, `--warmup 0s` -> seconds, within the same bounds as the advisor config's
 * keys (`duration` above 0, `warmup` from 0; both at most 24 h). A bare `0` is accepted for 0.
 */
export function parseDurationFlag(flag: string, v: string, range: Range = LIMITS.durationMs): number {
  const ms = v.trim() === '0' ? 0 : parseDurationMs(v);
  if (ms === undefined) throw new UsageError(`${flag} '${v}': not a duration`, `write e.g. ${flag} 30s (units: us, ms, s, m, h)`);
  if (ms > MAX_DURATION_MS) throw new UsageError(`${flag} '${v}': longer than the ${MAX_DURATION_MS / 3_600_000}h limit`, `use at most ${flag} ${MAX_DURATION_MS / 3_600_000}h`);
  if (outside(ms, range)) throw new UsageError(`${flag} '${v}': must be above 0`, `write e.g. ${flag} 30s`);
  return ms / 1000;
}

/** A number as people write it: digits, an optional fraction and exponent (no hex, binary or octal). */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

/** A number flag within the bounds of the config key it overrides ({@link LIMITS}). */
export function parseNumberFlag(flag: string, v: string, range: Range): number {
  // Decimal notation only: Number() would also read '0x10', '0b1' and '0o7' (and '' as 0).
  const n = DECIMAL.test(v.trim()) ? Number(v) : NaN;
  const why = outside(n, range);
  if (why) throw new UsageError(`${flag} '${v}': ${why}; expected ${range.integer ? 'an integer' : 'a number'} from ${rangeText(range)}`, `write e.g. ${flag} ${range.integer ? Math.max(range.min, Math.min(16, range.max)) : 200}`);
  return n === 0 ? 0 : n;
}

/** `--hold 20ms` (constant), `--hold exp:20ms`, `--hold lognormal:5ms,80ms`. */
export function parseHoldFlag(v: string): HoldSpec {
  const fix = 'write --hold 20ms (constant), --hold exp:20ms (exponential mean) or --hold lognormal:5ms,80ms (p50,p99)';
  const [kind, rest] = v.includes(':') ? [v.slice(0, v.indexOf(':')), v.slice(v.indexOf(':') + 1)] : ['constant', v];
  const d = (s: string | undefined): number => {
    const ms = s === undefined ? undefined : parseDurationMs(s);
    if (ms === undefined) throw new UsageError(`--hold '${v}': '${s ?? ''}' is not a duration`, fix);
    if (outside(ms, LIMITS.spanMs)) throw new UsageError(`--hold '${v}': '${s}' is longer than the ${MAX_DURATION_MS / 3_600_000}h limit`, fix);
    return ms;
  };
  if (kind === 'constant') return { kind: 'sleep', dist: 'constant', ms: d(rest) };
  if (kind === 'exp' || kind === 'exponential') return { kind: 'sleep', dist: 'exponential', meanMs: d(rest) };
  if (kind === 'lognormal') {
    const [a, b] = (rest ?? '').split(',');
    const p50Ms = d(a);
    const p99Ms = d(b);
    if (p99Ms <= p50Ms) throw new UsageError(`--hold '${v}': p99 must be above p50`, fix);
    return { kind: 'sleep', dist: 'lognormal', p50Ms, p99Ms };
  }
  throw new UsageError(`--hold '${v}': unknown distribution '${kind}'`, fix);
}

/** A parsed `--set`. */
export interface SetFlag {
  env: string;
  pool: PoolName;
  /** The TOML key of the pool's table (`max_connections`, `web_api_max_connections`...). */
  key: string;
  value: number;
  /** The flag as given, for messages: `--set test.database.max_connections=40`. */
  source: string;
  /** Set when the value is outside Tasker's range (allowed for a run, with this warning). */
  warning?: string;
}

/**
 * What a command takes from `--set`: a trial run (`analyze`) sets keys of the environments the
 * config has and may go outside Tasker's range (warned; within {@link LIMITS}.setValue);
 * `generate` writes files, so it may name a new environment (any name that can be a directory)
 * and only a value Tasker accepts.
 */
export type SetUse = { trial: true; envs: readonly string[] } | { trial: false };

/** Environment names become directory names: letters, digits, `_` and `-` only, at most 100 of them. */
const ENV_NAME = /^[A-Za-z0-9_-]{1,100}$/;

/** Whether a string can name an environment (and so a directory under environments/). */
export function isEnvName(s: string): boolean {
  return ENV_NAME.test(s) && !s.startsWith('-');
}

/** Parse `ENV.POOL.KEY=VALUE`: the one parser of `--set`, for every command that takes it. */
export function parseSetFlag(v: string, use: SetUse): SetFlag {
  const m = /^([^.=\s]+)\.([^.=\s]+)\.([^.=\s]+)=(.+)$/.exec(v.trim());
  if (!m) throw new UsageError(`--set '${v}': expected ENV.POOL.KEY=VALUE`, 'write e.g. --set test.database.max_connections=40');
  const [, env, pool, key, raw] = m as unknown as [string, string, string, string, string];
  if (use.trial && !use.envs.includes(env)) throw new UsageError(`--set '${v}': no environment '${env}'`, `choose one of: ${use.envs.join(', ')}`);
  if (!use.trial && !isEnvName(env)) throw new UsageError(`--set '${v}': '${env}' cannot name an environment`, "use letters, digits, '_' and '-' only (at most 100), e.g. --set test.database.max_connections=40");
  if (!isPoolName(pool)) {
    const g = suggest(pool, POOL_NAMES);
    throw new UsageError(`--set '${v}': unknown pool '${pool}'`, g ? `did you mean '${g}'?` : `pools: ${POOL_NAMES.join(', ')}`);
  }
  const kd = keyDef(pool, key);
  if (!kd) throw new UsageError(`--set '${v}': unknown key '${key}' for pool ${pool} [${POOLS[pool].table.join('.')}]`, unknownKeyFix(pool, key));
  const value = /^\s*[+-]?\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(value)) throw new UsageError(`--set '${v}': value '${raw}' is not an integer`, `write e.g. ${env}.${pool}.${key}=${kd.min}`);
  const source = `--set ${v.trim()}`;
  const inRange = value >= kd.min && value <= kd.max;
  if (!use.trial) {
    if (!inRange) throw new UsageError(`--set '${v}': ${value} is outside Tasker's range ${kd.min}-${kd.max} for [${POOLS[pool].table.join('.')}] ${key}`, `use a value from ${kd.min} to ${kd.max}`);
    return { env, pool, key, value, source };
  }
  if (outside(value, LIMITS.setValue)) {
    throw new UsageError(`--set '${v}': ${value} is out of bounds even for a trial run (${rangeText(LIMITS.setValue)}; Tasker's range is ${kd.min}-${kd.max})`, `write e.g. ${env}.${pool}.${key}=${kd.min}`);
  }
  const out: SetFlag = { env, pool, key, value, source };
  if (!inRange) out.warning = `--set ${env}.${pool}.${key}=${value} is outside Tasker's range ${kd.min}-${kd.max}: allowed for this run only; Tasker would refuse it`;
  if (kd.setting === 'max_connections' && value < 1) throw new UsageError(`--set '${v}': max_connections must be at least 1`, 'a pool needs at least one connection');
  return out;
}

/**
 * Parse every `--set` of a command. One key given twice is refused, even with the same value:
 * which of two values a run used should never depend on the order of the flags.
 */
export function parseSetFlags(values: readonly string[], use: SetUse): SetFlag[] {
  const seen = new Map<string, SetFlag>();
  for (const v of values) {
    const s = parseSetFlag(v, use);
    const id = `${s.env}.${s.pool}.${s.key}`;
    const first = seen.get(id);
    if (first) throw new UsageError(`--set ${id} is given twice (${first.value} and ${s.value})`, `give each ENV.POOL.KEY once`);
    seen.set(id, s);
  }
  return [...seen.values()];
}

/** `--metrics-port N`: a TCP port, 0 for a free one. */
export function parsePortFlag(flag: string, v: string): number {
  // Digits only: Number('0x50') is 80, Number('8e1') is 80.
  const n = /^\d{1,5}$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${flag} '${v}': expected a port number 0-65535`, `write e.g. ${flag} 9187, or ${flag} 0 for a free port`);
  return n;
}

/** The deadline and size cap of every read from a server or the network (`--read-timeout`, `--read-limit`). */
export interface ReadLimits {
  /** The whole answer of one read (a query, an HTTP answer, a console command, a connection) must arrive within this. */
  timeoutMs: number;
  /** An answer larger than this is refused (bytes, counted as they arrive). */
  maxBytes: number;
}

/**
 * The defaults: 30 s for a whole answer, 64 MiB per answer. The cap fits a Prometheus answer for
 * 32,000 series (bench/fleet.mjs: about 10 MiB for its widest query) six times over.
 */
export const READ_DEFAULTS: ReadLimits = { timeoutMs: 30_000, maxBytes: 64 * 1024 * 1024 };

/** The size units `--read-limit` takes. */
const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** `--read-timeout 30s`, `--read-limit 64MiB`: each within 10 ms to 24 h, and 1 KiB to 4 GiB. */
export function parseReadLimits(f: { readTimeout?: string; readLimit?: string }): ReadLimits {
  const timeoutMs = f.readTimeout === undefined ? READ_DEFAULTS.timeoutMs : parseDurationFlag('--read-timeout', f.readTimeout) * 1000;
  if (timeoutMs < 10) throw new UsageError(`--read-timeout '${f.readTimeout}': at least 10ms`, 'write e.g. --read-timeout 30s');
  let maxBytes = READ_DEFAULTS.maxBytes;
  if (f.readLimit !== undefined) {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(f.readLimit);
    const unit = m ? own(SIZE_UNITS, m[2]!.toLowerCase()) : undefined;
    const n = m && unit !== undefined ? Math.floor(Number(m[1]) * unit) : NaN;
    if (!Number.isFinite(n)) throw new UsageError(`--read-limit '${f.readLimit}': not a size`, 'write e.g. --read-limit 64MiB (units: B, KB, MB, GB, KiB, MiB, GiB)');
    if (n < 1024 || n > 4 * 1024 ** 3) throw new UsageError(`--read-limit '${f.readLimit}': expected 1KiB to 4GiB`, 'write e.g. --read-limit 64MiB');
    maxBytes = n;
  }
  return { timeoutMs, maxBytes };
}

/** A size for messages: `64 MiB`, `1.5 KiB`, `900 bytes`. */
export function fmtBytes(n: number): string {
  if (n >= 1024 ** 2) return `${+(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}
