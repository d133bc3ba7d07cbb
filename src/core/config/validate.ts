/**
 * Validation of a Tasker config model: what Tasker checks (ranges), and what it lets through
 * (unknown keys, min above max, a lifetime shorter than the idle timeout, settings that do nothing).
 */
import { POOLS, POOL_NAMES, SETTING_KEYS, keyDef, tomlKeyFor, type PoolName, type SettingKey } from './pools.js';
import { isDocsKey, type ConfigModel, type Origin, type ParsedFile } from './model.js';

/** How bad a problem is: errors fail `config lint` and stop every other command. */
export type Severity = 'error' | 'warning';

/** One problem found in a config. */
export interface Issue {
  severity: Severity;
  /** Stable identifier of the check, e.g. `unknown-key`, `out-of-range`. */
  code: string;
  message: string;
  /** Where the problem is, when it is in a file. */
  file?: string;
  line?: number;
  column?: number;
  /** Environments where the problem applies (empty when it is about a file as such). */
  envs: string[];
  pool?: PoolName;
  key?: string;
}

/** Levenshtein distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  const dp: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

/** The closest candidate within a small edit distance, or undefined. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  // A key missing its unit suffix (`idle_timeout` for `idle_timeout_seconds`) is the commonest slip.
  const prefixed = candidates.filter((c) => word.length >= 4 && c.startsWith(word));
  if (prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function tableName(path: readonly string[]): string {
  return `[${path.join('.')}]`;
}

function at(o: Origin | undefined): Pick<Issue, 'file' | 'line' | 'column'> {
  return o ? { file: o.file, line: o.line, column: o.column } : {};
}

/** The fix for a key a pool's table does not have: the table's key for a setting name (`max_connections` in a web table), the nearest key, or the list. */
export function unknownKeyFix(pool: PoolName, key: string): string {
  const known = POOLS[pool].keys.map((k) => k.key);
  const guess = (SETTING_KEYS as readonly string[]).includes(key) ? (tomlKeyFor(pool, key as SettingKey) ?? suggest(key, known)) : suggest(key, known);
  return guess ? `did you mean '${guess}'?` : `known keys: ${known.join(', ')}`;
}

/** Unknown keys, found per file so that each typo is reported once, where it is written. */
function unknownKeys(file: ParsedFile, envs: string[]): Issue[] {
  const issues: Issue[] = [];
  for (const k of file.scan.keys) {
    for (const name of POOL_NAMES) {
      const table = POOLS[name].table;
      if (k.path.length <= table.length || !table.every((p, i) => p === k.path[i])) continue;
      const rest = k.path.slice(table.length);
      if (rest.some(isDocsKey)) continue;
      const key = rest.join('.');
      if (rest.length === 1 && keyDef(name, key)) continue;
      issues.push({
        severity: 'error',
        code: 'unknown-key',
        message: `unknown key '${key}' in ${tableName(table)}; ${unknownKeyFix(name, key)}`,
        file: file.display,
        line: k.line,
        column: k.column,
        envs,
        pool: name,
        key,
      });
    }
  }
  return issues;
}

/** Whether a TOML number was written as a float: a fraction, an exponent, inf or nan (hex, octal and binary integers aside). */
function isFloatText(text: string): boolean {
  return !/^[+-]?0[xob]/i.test(text) && /[.eEn]/.test(text);
}

/** Validate a whole model. Issues are de-duplicated: one per place and message, listing the environments. */
export function validateModel(model: ConfigModel): Issue[] {
  const envNames = model.environments.map((e) => e.name);
  const issues: Issue[] = [];
  for (const f of model.baseFiles) issues.push(...unknownKeys(f, envNames));
  for (const [env, files] of Object.entries(model.envFiles)) for (const f of files) issues.push(...unknownKeys(f, [env]));

  for (const env of model.environments) {
    for (const name of POOL_NAMES) {
      const p = env.pools[name];
      const def = POOLS[name];
      for (const kd of def.keys) {
        const sv = p.raw[kd.key];
        if (!sv) continue;
        const v = sv.value;
        const where = `${tableName(def.table)} ${kd.key}`;
        // Tasker reads these keys as integers: a TOML float (`30.0`, `1e3`) is refused there even when whole.
        const float = typeof v === 'number' && Number.isInteger(v) && sv.written !== undefined && isFloatText(sv.written);
        if (typeof v !== 'number' || !Number.isInteger(v) || float) {
          issues.push({
            severity: 'error',
            code: 'wrong-type',
            message: `${where} must be an integer, got ${float ? `the float ${sv.written} (Tasker refuses a float here even when it is whole; write ${v})` : describe(v)}`,
            ...at(sv.origin),
            envs: [env.name],
            pool: name,
            key: kd.key,
          });
          continue;
        }
        if (v < kd.min || v > kd.max) {
          issues.push({
            severity: 'error',
            code: 'out-of-range',
            message: `${where} = ${v} is outside Tasker's range ${kd.min}-${kd.max}`,
            ...at(sv.origin),
            envs: [env.name],
            pool: name,
            key: kd.key,
          });
        }
      }
      const minKey = def.keys.find((k) => k.setting === 'min_connections')!.key;
      const maxKey = def.keys.find((k) => k.setting === 'max_connections')!.key;
      const minV = p.raw[minKey]?.value;
      const maxV = p.raw[maxKey]?.value;
      const inRange = (key: string, v: unknown): boolean => {
        const kd = def.keys.find((k) => k.key === key)!;
        return typeof v === 'number' && Number.isInteger(v) && v >= kd.min && v <= kd.max;
      };
      if (inRange(minKey, minV) && inRange(maxKey, maxV) && (minV as number) > (maxV as number)) {
        const o = p.raw[minKey]!.overridden || !p.raw[maxKey]!.overridden ? p.raw[minKey]!.origin : p.raw[maxKey]!.origin;
        issues.push({
          severity: 'error',
          code: 'min-above-max',
          message: `${tableName(def.table)} ${minKey} = ${minV} is above ${maxKey} = ${maxV} (Tasker does not check this; the pool can never hold min)`,
          ...at(o),
          envs: [env.name],
          pool: name,
          key: minKey,
        });
      }
      const life = p.raw['max_lifetime_seconds']?.value;
      const idle = p.raw['idle_timeout_seconds']?.value;
      if (typeof life === 'number' && typeof idle === 'number' && life < idle) {
        issues.push({
          severity: 'warning',
          code: 'lifetime-below-idle',
          message: `${tableName(def.table)} max_lifetime_seconds = ${life} is shorter than idle_timeout_seconds = ${idle}: connections expire before they can idle out, so the idle timeout does nothing`,
          ...at(p.raw['max_lifetime_seconds']!.origin),
          envs: [env.name],
          pool: name,
          key: 'max_lifetime_seconds',
        });
      }
      if (!p.active && Object.keys(p.raw).length > 0) {
        const first = Object.values(p.raw)
          .map((s) => s.origin)
          .filter((o): o is Origin => o !== undefined)
          .sort((a, b) => (a.rel.startsWith('environments/') ? 0 : 1) - (b.rel.startsWith('environments/') ? 0 : 1))[0];
        issues.push({
          severity: 'warning',
          code: 'inert-settings',
          message: `${tableName(def.table)} keys are inert in '${env.name}': ${p.inactiveReason}`,
          ...at(first),
          envs: [env.name],
          pool: name,
        });
      }
    }
  }
  return dedupe(issues);
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  if (typeof v === 'number') return `${v}`;
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Date) return 'a date';
  if (typeof v === 'object') return 'a table';
  return String(v);
}

function dedupe(issues: Issue[]): Issue[] {
  const byKey = new Map<string, Issue>();
  for (const i of issues) {
    const k = `${i.severity}|${i.file}|${i.line}|${i.message}`;
    const prev = byKey.get(k);
    if (prev) {
      for (const e of i.envs) if (!prev.envs.includes(e)) prev.envs.push(e);
    } else byKey.set(k, { ...i, envs: [...i.envs] });
  }
  return [...byKey.values()];
}

/** Format an issue as one line: `file:line: message` (or just the message). */
export function formatIssue(i: Issue): string {
  const where = i.file ? `${i.file}${i.line ? `:${i.line}` : ''}: ` : '';
  return `${where}${i.message}`;
}

/** Whether any issue is an error. */
export function hasErrors(issues: readonly Issue[]): boolean {
  return issues.some((i) => i.severity === 'error');
}
