/**
 * Tasker's configuration model: parse the files of a config dir, merge each environment over
 * `base/` exactly as Tasker does, substitute `${VAR}` / `${VAR:-default}`, and read the
 * effective settings of every pool with the file and line each value came from.
 *
 * Pure: the shell reads the files and hands their text in; the process environment is an argument.
 */
import { parse as parseToml, TomlError } from 'smol-toml';
import { scanToml, type TomlScan } from '../toml/scan.js';
import { UsageError } from '../errors.js';
import { dict, own } from '../dict.js';
import { POOLS, POOL_NAMES, toSetting, type PoolName, type PoolSettings, type SettingKey } from './pools.js';

/** A plain TOML table. */
export type Table = { [key: string]: unknown };

/** One config file's text, as read by the shell. */
export interface SourceFile {
  /** Path relative to the config dir, with `/` separators: `base/common.toml`, `environments/test/common.toml`. */
  rel: string;
  /** Path to show in messages (as the user would type it). */
  display: string;
  text: string;
}

/** A parsed config file: its data and the positions of its keys. */
export interface ParsedFile extends SourceFile {
  data: Table;
  scan: TomlScan;
}

/** Where a value came from. */
export interface Origin {
  file: string;
  rel: string;
  line: number;
  column: number;
}

/** A value with its origin; `overridden` is true when an environment file set it. */
export interface SourcedValue {
  value: unknown;
  origin?: Origin;
  overridden: boolean;
  /** The value's text as written, when one assignment wrote exactly this key (tells `30.0` from `30`). */
  written?: string;
}

/** The effective settings of one pool in one environment. */
export interface EffectivePool {
  pool: PoolName;
  /** TOML table where Tasker reads this pool. */
  table: string[];
  /** The context file (`common`, `orchestration`, `worker`). */
  context: string;
  /** Whether Tasker builds this pool at all (pgmq sharing the main pool and worker_web do not). */
  active: boolean;
  /** Why the pool is inactive, when it is. */
  inactiveReason?: string;
  /** For pgmq: whether its work goes through the `database` pool. */
  sharesDatabasePool?: boolean;
  /** Raw TOML values of the pool table's known keys, with their origins. */
  raw: Record<string, SourcedValue>;
  /** Settings as sqlx sees them (numbers; invalid values fall back to implicit defaults or 0). */
  settings: PoolSettings;
  /** The origin of each normalised setting, when a key set it. */
  settingOrigins: Partial<Record<SettingKey, Origin>>;
  /** The pool's connection URL after substitution (never printed unredacted). */
  url?: string;
}

/** One environment, merged. */
export interface EnvironmentConfig {
  name: string;
  /** The merged document after `_docs` stripping and substitution. */
  merged: Table;
  pools: Record<PoolName, EffectivePool>;
  /** The files that make up this environment (base files and its own). */
  files: ParsedFile[];
}

/** A whole config dir. */
export interface ConfigModel {
  /** Display path of the config dir. */
  dir: string;
  baseFiles: ParsedFile[];
  envFiles: Record<string, ParsedFile[]>;
  environments: EnvironmentConfig[];
}

/** Parse one file, turning TOML syntax errors into `file:line:col: reason` (exit 2). */
export function parseFile(f: SourceFile): ParsedFile {
  let data: Table;
  try {
    data = parseToml(f.text) as Table;
  } catch (e) {
    if (e instanceof TomlError) {
      const reason = firstLine(e.message).replace(/^Invalid TOML document: /, '');
      throw new UsageError(`${f.display}:${e.line}:${e.column}: invalid TOML: ${reason}`, 'fix the syntax at that position (https://toml.io/en/v1.0.0)');
    }
    throw new UsageError(`${f.display}: cannot parse TOML: ${firstLine(String((e as Error)?.message ?? e))}`, 'check the file is TOML');
  }
  const scan = scanToml(f.text);
  const depth = nestingDepth(data);
  if (depth > MAX_NESTING) {
    const deep = scan.tables.find((t) => t.path.length > MAX_NESTING) ?? scan.keys.find((k) => k.path.length > MAX_NESTING);
    throw new UsageError(`${f.display}${deep ? `:${deep.line}` : ''}: tables nested ${depth} levels deep; a Tasker config never goes past a few (limit ${MAX_NESTING})`, 'check this is the right file');
  }
  return { ...f, data, scan };
}

/** Deepest table nesting a config file may have (Tasker's go 4 deep; every later step recurses). */
const MAX_NESTING = 64;

/**
 * How deep tables nest in a parsed document (iterative: the document may be hostile). A value
 * inside a table or array at depth d is at depth d + 1; only tables and arrays are visited, one
 * stack of each and one of depths, so a real config's thousands of strings cost no allocation.
 */
function nestingDepth(root: Table): number {
  let max = 0;
  const stack: unknown[] = [root];
  const depths: number[] = [0];
  while (stack.length > 0) {
    const v = stack.pop();
    const d = depths.pop()!;
    const children = Array.isArray(v) ? (v as unknown[]) : Object.values(v as Table);
    if (children.length === 0) continue;
    if (d + 1 > max) max = d + 1;
    if (d + 1 > MAX_NESTING) return d + 1;
    for (const x of children) {
      if (Array.isArray(x) || isTable(x)) {
        stack.push(x);
        depths.push(d + 1);
      }
    }
  }
  return max;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

/** Whether a key names documentation metadata, which is never a setting. */
export function isDocsKey(key: string): boolean {
  return key.endsWith('_docs');
}

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Remove every key ending in `_docs`, at any depth (returns a copy). */
export function stripDocs(t: Table): Table {
  const out: Table = dict();
  for (const [k, v] of Object.entries(t)) {
    if (isDocsKey(k)) continue;
    out[k] = isTable(v) ? stripDocs(v) : v;
  }
  return out;
}

/** Tasker's merge: tables merge recursively; scalars and arrays are replaced. Returns a new table. */
export function deepMerge(base: Table, over: Table): Table {
  const out: Table = dict(Object.entries(base));
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isTable(b) && isTable(v) ? deepMerge(b, v) : v;
  }
  return out;
}

const VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Substitute `${VAR}` and `${VAR:-default}` in a string. `${VAR:-default}` uses the default
 * when VAR is unset or empty; `${VAR}` with VAR unset is left as written.
 */
export function substitute(s: string, env: Readonly<Record<string, string | undefined>>): string {
  return s.replace(VAR, (whole, name: string, def: string | undefined) => {
    const v = own(env, name);
    if (def !== undefined) return v !== undefined && v !== '' ? v : def;
    return v !== undefined ? v : whole;
  });
}

/** Substitute variables in every string of a table (arrays included). */
export function substituteAll(v: unknown, env: Readonly<Record<string, string | undefined>>): unknown {
  if (typeof v === 'string') return substitute(v, env);
  if (Array.isArray(v)) return v.map((x) => substituteAll(x, env));
  if (isTable(v)) {
    const out: Table = dict();
    for (const [k, x] of Object.entries(v)) out[k] = substituteAll(x, env);
    return out;
  }
  return v;
}

/** Read a nested value by path. */
export function getPath(t: Table, path: readonly string[]): unknown {
  let cur: unknown = t;
  for (const p of path) {
    if (!isTable(cur)) return undefined;
    cur = own(cur, p);
  }
  return cur;
}


/** Whether `prefix` is `path` or a path above it (a loop: run on every key of every file). */
function isPrefix(prefix: readonly string[], path: readonly string[]): boolean {
  if (prefix.length > path.length) return false;
  for (let i = 0; i < prefix.length; i++) if (prefix[i] !== path[i]) return false;
  return true;
}

/** The origin of a path: the last file (in merge order) that assigns it. */
function originOf(files: ParsedFile[], path: readonly string[]): { origin: Origin; file: ParsedFile; written?: string } | undefined {
  for (let fi = files.length - 1; fi >= 0; fi--) {
    const f = files[fi]!;
    const k = f.scan.keys.find((kp) => isPrefix(kp.path, path));
    if (k) {
      const exact = k.path.length === path.length;
      return { origin: { file: f.display, rel: f.rel, line: k.line, column: k.column }, file: f, ...(exact ? { written: f.text.slice(k.valueStart, k.valueEnd).trim() } : {}) };
    }
  }
  return undefined;
}

/** Normalise a connection URL for comparison: trimmed, empty when unset. */
function urlOf(merged: Table, table: string): string {
  const v = getPath(merged, ['common', table, 'url']);
  return typeof v === 'string' ? v.trim() : '';
}

/** Build the effective pools of one merged environment. */
export function effectivePools(merged: Table, files: ParsedFile[], envName: string): Record<PoolName, EffectivePool> {
  const envPrefix = `environments/${envName}/`;
  const mainUrl = urlOf(merged, 'database');
  const pgmqUrl = urlOf(merged, 'pgmq_database');
  const out = {} as Record<PoolName, EffectivePool>;
  for (const name of POOL_NAMES) {
    const def = POOLS[name];
    const raw = dict<SourcedValue>();
    const settings: PoolSettings = {
      max_connections: 0,
      min_connections: 0,
      acquire_timeout_seconds: 0,
      idle_timeout_seconds: 0,
      max_lifetime_seconds: 0,
      slow_acquire_threshold_ms: 0,
      ...def.implicit,
    };
    const settingOrigins: Partial<Record<SettingKey, Origin>> = {};
    for (const kd of def.keys) {
      const path = [...def.table, kd.key];
      const value = getPath(merged, path);
      if (value === undefined) continue;
      const o = originOf(files, path);
      raw[kd.key] = { value, origin: o?.origin, overridden: o ? o.file.rel.startsWith(envPrefix) : false, ...(o?.written !== undefined ? { written: o.written } : {}) };
      if (kd.setting && typeof value === 'number' && Number.isFinite(value)) {
        settings[kd.setting] = toSetting(name, kd.key, value);
        if (o) settingOrigins[kd.setting] = o.origin;
      }
    }
    const pool: EffectivePool = { pool: name, table: def.table, context: def.context, active: true, raw, settings, settingOrigins };
    if (name === 'database') pool.url = mainUrl;
    if (name === 'pgmq') {
      const shares = pgmqUrl === '' || pgmqUrl === mainUrl;
      pool.sharesDatabasePool = shares;
      pool.url = shares ? mainUrl : pgmqUrl;
      if (shares) {
        pool.active = false;
        pool.inactiveReason =
          pgmqUrl === '' ? '[common.pgmq_database].url is empty, so PGMQ uses the database pool' : '[common.pgmq_database].url equals the main url, so PGMQ uses the database pool';
      }
    }
    if (name === 'worker_web') {
      pool.active = false;
      pool.inactiveReason = 'Tasker builds no pool from [worker.web.database_pools]';
    }
    if (name === 'orchestration_web') pool.url = mainUrl;
    out[name] = pool;
  }
  return out;
}

/** Input to {@link buildModel}: the files of a config dir, grouped. */
export interface ConfigSources {
  dir: string;
  base: SourceFile[];
  environments: Record<string, SourceFile[]>;
}

/**
 * Parse, merge and substitute a whole config dir. Throws a {@link UsageError} for a file that
 * is not TOML. Validation is separate ({@link validateModel} in validate.ts).
 */
export function buildModel(src: ConfigSources, env: Readonly<Record<string, string | undefined>>): ConfigModel {
  const baseFiles = src.base.map(parseFile);
  const envFiles = dict<ParsedFile[]>();
  for (const [name, files] of Object.entries(src.environments)) envFiles[name] = files.map(parseFile);
  const environments: EnvironmentConfig[] = [];
  // Each file's `_docs` are stripped once (most of a real Tasker file), not once per environment.
  const stripped = new Map<ParsedFile, Table>();
  const strippedOf = (f: ParsedFile): Table => {
    let t = stripped.get(f);
    if (!t) stripped.set(f, (t = stripDocs(f.data)));
    return t;
  };
  for (const name of Object.keys(envFiles).sort(envOrder)) {
    const files = [...baseFiles, ...envFiles[name]!];
    const merged = substituteAll(files.reduce<Table>((acc, f) => deepMerge(acc, strippedOf(f)), dict()), env) as Table;
    environments.push({ name, merged, pools: effectivePools(merged, files, name), files });
  }
  return { dir: src.dir, baseFiles, envFiles, environments };
}

const ENV_ORDER = ['development', 'test', 'production'];

/** Sort environments as people think of them: development, test, production, then the rest alphabetically. */
export function envOrder(a: string, b: string): number {
  const ia = ENV_ORDER.indexOf(a);
  const ib = ENV_ORDER.indexOf(b);
  if (ia >= 0 || ib >= 0) return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
  return a.localeCompare(b);
}

