/**
 * Parsing the advisor config (`pool-advisor.toml`, format in docs/config.md) into an
 * {@link AdvisorConfig}. Pure: the shell hands in the text. Errors name the file, line, key, the
 * reason and the fix (exit 2).
 */
import { parse as parseToml, TomlError } from 'smol-toml';
import { scanToml, locate, type TomlScan } from '../toml/scan.js';
import { UsageError } from '../errors.js';
import { dict, own } from '../dict.js';
import { LIMITS, outside, type Range } from '../limits.js';
import { DRIVABLE_POOLS, isPoolName, POOL_NAMES, type PoolName } from '../config/pools.js';
import { suggest } from '../config/validate.js';
import type { ArrivalSpec, HoldSpec, WorkloadSpec } from './workload.js';
import type { AdvisorConfig, EnvironmentSpec, PgBouncerSpec, RuleSettings, ServiceSpec, TopologySpec } from './types.js';
import { parsePrometheusTable } from './prometheus.js';
import { DEFAULT_RULES, DEFAULT_SEED, DEFAULT_SUPERUSER_RESERVED, DEFAULT_TARGET_P99_WAIT_MS } from './defaults.js';

type Table = Record<string, unknown>;

const UNITS: Record<string, number> = { us: 0.001, µs: 0.001, ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** Parse a duration such as `30s`, `500ms`, `2m`, `250us` into milliseconds; undefined when malformed. */
export function parseDurationMs(s: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|s|m|min|h)\s*$/.exec(s);
  if (!m) return undefined;
  return Number(m[1]) * UNITS[m[2]!]!;
}

/** The keys a workload table accepts. */
const WORKLOAD_KEYS = [
  'arrival',
  'rate',
  'concurrency',
  'think',
  'hold',
  'hold_time',
  'hold_mean',
  'hold_p50',
  'hold_p99',
  'sql',
  'sql_file',
  'batch',
  'warmup',
  'ramp',
  'duration',
  'burst_on',
  'burst_off',
  'burst_factor',
] as const;

const RULE_KEYS: Record<string, keyof RuleSettings> = {
  saturation_waited_share: 'saturationWaitedShare',
  idle_headroom: 'idleHeadroom',
  idle_churn_window_seconds: 'idleChurnWindowS',
  expiries_per_minute: 'expiriesPerMinute',
  expiries_per_thousand_acquires: 'expiriesPerThousandAcquires',
  oversized_factor: 'oversizedFactor',
  hold_growth_ratio: 'holdGrowthRatio',
  timeout_reach_share: 'timeoutReachShare',
  idle_churn_per_minute: 'idleChurnPerMinute',
  expiry_burst_size: 'expiryBurstSize',
  hold_trend_min_samples: 'holdTrendMinSamples',
  throughput_plateau_share: 'throughputPlateauShare',
  server_cpu_share: 'serverCpuShare',
  server_class_share: 'serverClassShare',
  server_min_load: 'serverMinLoad',
};

const TOP_KEYS = ['defaults', 'workloads', 'environments', 'rules', 'check', 'prometheus'];

class Ctx {
  constructor(
    readonly file: string,
    readonly scan: TomlScan,
    readonly text: string,
  ) {}
  /** The value of a key as written, when one assignment wrote exactly it (tells `16.0` from `16`). */
  written(path: string[]): string | undefined {
    const k = this.scan.keys.find((kp) => kp.path.length === path.length && kp.path.every((p, i) => p === path[i]));
    return k ? this.text.slice(k.valueStart, k.valueEnd).trim() : undefined;
  }
  fail(path: string[], reason: string, fix: string): never {
    const pos = locate(this.scan, path);
    throw new UsageError(`${this.file}${pos ? `:${pos.line}` : ''}: ${path.join('.')}: ${reason}`, fix);
  }
}

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function checkKeys(ctx: Ctx, t: Table, path: string[], known: readonly string[]): void {
  for (const k of Object.keys(t)) {
    if (known.includes(k)) continue;
    const guess = suggest(k, known);
    ctx.fail([...path, k], `unknown key '${k}'`, guess ? `did you mean '${guess}'?` : `known keys: ${known.join(', ')}`);
  }
}

function num(ctx: Ctx, t: Table, path: string[], key: string, min: number, max: number, integer = false): number | undefined {
  const v = own(t, key);
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    ctx.fail([...path, key], `must be ${integer ? 'an integer' : 'a number'}, got ${JSON.stringify(v)}`, `write e.g. ${key} = ${min}`);
  }
  // As in Tasker's files, an integer key takes a TOML integer: `16.0` and `1e3` are floats, refused even when whole.
  const text = integer ? ctx.written([...path, key]) : undefined;
  if (text !== undefined && !/^[+-]?0[xob]/i.test(text) && /[.eE]/.test(text)) ctx.fail([...path, key], `must be an integer, got the float ${text}`, `write ${key} = ${v}`);
  if (v < min || v > max) ctx.fail([...path, key], `${v} is outside ${min}..${max}`, `use a value in ${min}..${max}`);
  return v;
}

function dur(ctx: Ctx, t: Table, path: string[], key: string, range: Range = LIMITS.spanMs): number | undefined {
  const v = own(t, key);
  if (v === undefined) return undefined;
  const ms = typeof v === 'string' ? parseDurationMs(v) : undefined;
  if (ms === undefined) ctx.fail([...path, key], `must be a duration with a unit, got ${JSON.stringify(v)}`, `write e.g. ${key} = "30s" (units: us, ms, s, m, h)`);
  if (ms > range.max) ctx.fail([...path, key], `${v} is too long`, `use at most ${range.max / 3_600_000}h`);
  if (outside(ms, range)) ctx.fail([...path, key], `must be above 0`, `write e.g. ${key} = "30s"`);
  return ms;
}

/** A number key within the bounds its flag shares ({@link LIMITS}). */
function lim(ctx: Ctx, t: Table, path: string[], key: string, r: Range): number | undefined {
  return num(ctx, t, path, key, r.min, r.max, r.integer ?? false);
}

function str(ctx: Ctx, t: Table, path: string[], key: string, choices?: readonly string[]): string | undefined {
  const v = own(t, key);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') ctx.fail([...path, key], `must be a string, got ${JSON.stringify(v)}`, `write e.g. ${key} = "${choices?.[0] ?? 'value'}"`);
  if (choices && !choices.includes(v)) ctx.fail([...path, key], `'${v}' is not one of ${choices.join(', ')}`, `use one of: ${choices.join(', ')}`);
  return v;
}

/** Build a workload spec from its raw table; the path is for messages. */
function workloadFrom(ctx: Ctx, pool: PoolName, t: Table, path: string[], defaults: { durationMs: number; warmupMs: number; rampMs: number }): WorkloadSpec {
  checkKeys(ctx, t, path, WORKLOAD_KEYS);
  const arrivalKind = str(ctx, t, path, 'arrival', ['poisson', 'constant', 'closed']) ?? 'poisson';
  let arrival: ArrivalSpec;
  if (arrivalKind === 'closed') {
    const concurrency = lim(ctx, t, path, 'concurrency', LIMITS.concurrency);
    if (concurrency === undefined) ctx.fail([...path, 'concurrency'], 'a closed workload needs concurrency (the number of callers)', 'add concurrency = 16');
    arrival = { mode: 'closed', concurrency, thinkMs: dur(ctx, t, path, 'think') ?? 0 };
  } else {
    const rate = lim(ctx, t, path, 'rate', LIMITS.rate);
    if (rate === undefined) ctx.fail([...path, 'rate'], 'an open workload needs rate (acquires per second)', 'add rate = 100');
    arrival = { mode: 'open', process: arrivalKind as 'poisson' | 'constant', rate };
  }
  const holdKind = str(ctx, t, path, 'hold', ['constant', 'exponential', 'lognormal', 'sql', 'queue']) ?? 'exponential';
  let hold: HoldSpec;
  const need = (key: string, example: string): never => ctx.fail([...path, key], `hold = "${holdKind}" needs ${key}`, `add ${key} = ${example}`);
  switch (holdKind) {
    case 'constant':
      hold = { kind: 'sleep', dist: 'constant', ms: dur(ctx, t, path, 'hold_time') ?? need('hold_time', '"10ms"') };
      break;
    case 'exponential':
      hold = { kind: 'sleep', dist: 'exponential', meanMs: dur(ctx, t, path, 'hold_mean') ?? need('hold_mean', '"10ms"') };
      break;
    case 'lognormal': {
      const p50Ms = dur(ctx, t, path, 'hold_p50') ?? need('hold_p50', '"5ms"');
      const p99Ms = dur(ctx, t, path, 'hold_p99') ?? need('hold_p99', '"50ms"');
      if (p99Ms <= p50Ms) ctx.fail([...path, 'hold_p99'], `must be above hold_p50 (${p50Ms} ms)`, 'a lognormal tail needs hold_p99 > hold_p50');
      hold = { kind: 'sleep', dist: 'lognormal', p50Ms, p99Ms };
      break;
    }
    case 'sql': {
      const sql = str(ctx, t, path, 'sql');
      const file = str(ctx, t, path, 'sql_file');
      if (sql === undefined && file === undefined) need('sql', '"SELECT 1" (or sql_file = "path.sql")');
      hold = { kind: 'sql', sql: sql ?? '', ...(file !== undefined ? { source: file } : {}) };
      break;
    }
    default:
      hold = { kind: 'queue', batch: lim(ctx, t, path, 'batch', LIMITS.batch) ?? 1 };
  }
  const burstFactor = lim(ctx, t, path, 'burst_factor', LIMITS.burstFactor);
  const burstOn = dur(ctx, t, path, 'burst_on');
  const burstOff = dur(ctx, t, path, 'burst_off');
  if ((burstFactor !== undefined || burstOn !== undefined || burstOff !== undefined) && (burstFactor === undefined || burstOn === undefined || burstOff === undefined)) {
    ctx.fail([...path, 'burst_factor'], 'bursts need burst_on, burst_off and burst_factor together', 'add all three, e.g. burst_on = "2s", burst_off = "8s", burst_factor = 4');
  }
  return {
    pool,
    arrival,
    hold,
    warmupS: (dur(ctx, t, path, 'warmup') ?? defaults.warmupMs) / 1000,
    rampS: (dur(ctx, t, path, 'ramp') ?? defaults.rampMs) / 1000,
    durationS: (dur(ctx, t, path, 'duration', LIMITS.durationMs) ?? defaults.durationMs) / 1000,
    ...(burstFactor !== undefined ? { burst: { onS: burstOn! / 1000, offS: burstOff! / 1000, factor: burstFactor } } : {}),
  };
}

/** A surge: an integer count of pods, or a string percentage ("25%"), as a Deployment's maxSurge. */
function surgeFrom(ctx: Ctx, t: Table, path: string[]): { count: number } | { percent: number } | undefined {
  const v = own(t, 'surge');
  if (v === undefined) return undefined;
  if (typeof v === 'string') {
    const m = /^(\d{1,4})%$/.exec(v.trim());
    if (!m || Number(m[1]) > 1000) ctx.fail([...path, 'surge'], `must be a count of pods or a percentage, got ${JSON.stringify(v)}`, 'write surge = 1 or surge = "25%" (as the Deployment\'s maxSurge; 0%..1000%)');
    return { percent: Number(m[1]) };
  }
  const n = num(ctx, t, path, 'surge', 0, 100_000, true)!;
  return { count: n };
}

function pgbouncerFrom(ctx: Ctx, t: Table, path: string[]): PgBouncerSpec {
  checkKeys(ctx, t, path, ['instances', 'max_client_conn', 'default_pool_size', 'reserve_pool_size', 'max_db_connections', 'max_user_connections', 'users', 'databases', 'wildcard']);
  const raw = t.databases ?? [];
  if (!Array.isArray(raw)) ctx.fail([...path, 'databases'], 'must be an array of tables', 'write databases = [{ name = "tasker", pool_size = 40 }]');
  const databases = raw.map((d: unknown, i: number) => {
    const dp = [...path, 'databases', String(i)];
    if (!isTable(d)) ctx.fail([...path, 'databases'], `entry ${i + 1} must be a table`, 'write { name = "tasker", pool_size = 40 }');
    checkKeys(ctx, d, dp, ['name', 'pool_size', 'reserve_pool', 'max_db_connections']);
    const name = str(ctx, d, dp, 'name');
    if (name === undefined) ctx.fail([...path, 'databases'], `entry ${i + 1} has no name`, 'write { name = "tasker", pool_size = 40 }');
    const poolSize = num(ctx, d, dp, 'pool_size', 0, 100_000, true);
    const reservePool = num(ctx, d, dp, 'reserve_pool', 0, 100_000, true);
    const maxDb = num(ctx, d, dp, 'max_db_connections', 0, 1_000_000, true);
    return { name, ...(poolSize !== undefined ? { poolSize } : {}), ...(reservePool !== undefined ? { reservePool } : {}), ...(maxDb !== undefined ? { maxDbConnections: maxDb } : {}) };
  });
  const wildcard = own(t, 'wildcard');
  if (wildcard !== undefined && typeof wildcard !== 'boolean') ctx.fail([...path, 'wildcard'], `must be true or false, got ${JSON.stringify(wildcard)}`, 'write wildcard = true when [databases] has a * entry');
  // PgBouncer's own defaults (pgbouncer.ini): max_client_conn 100, default_pool_size 20, the rest 0.
  return {
    instances: num(ctx, t, path, 'instances', 1, 10_000, true) ?? 1,
    maxClientConn: num(ctx, t, path, 'max_client_conn', 1, 10_000_000, true) ?? 100,
    defaultPoolSize: num(ctx, t, path, 'default_pool_size', 0, 100_000, true) ?? 20,
    reservePoolSize: num(ctx, t, path, 'reserve_pool_size', 0, 100_000, true) ?? 0,
    maxDbConnections: num(ctx, t, path, 'max_db_connections', 0, 1_000_000, true) ?? 0,
    maxUserConnections: num(ctx, t, path, 'max_user_connections', 0, 1_000_000, true) ?? 0,
    users: num(ctx, t, path, 'users', 1, 10_000, true) ?? 1,
    databases,
    wildcard: wildcard === true,
  };
}

function topologyFrom(ctx: Ctx, t: Table, path: string[]): TopologySpec {
  checkKeys(ctx, t, path, ['server_max_connections', 'superuser_reserved_connections', 'reserved_connections', 'admin_headroom', 'other_connections', 'services', 'pgbouncer']);
  const services: ServiceSpec[] = [];
  const raw = t.services ?? [];
  if (!Array.isArray(raw)) ctx.fail([...path, 'services'], 'must be an array of tables', 'write services = [{ name = "orchestration", replicas = 2, pools = ["database"] }]');
  raw.forEach((s: unknown, i: number) => {
    const sp = [...path, 'services', String(i)];
    if (!isTable(s)) ctx.fail([...path, 'services'], `entry ${i + 1} must be a table`, 'write { name = "worker", replicas = 4, pools = ["database", "pgmq"] }');
    checkKeys(ctx, s, sp, ['name', 'replicas', 'pools', 'autoscaler_max', 'surge']);
    const name = str(ctx, s, sp, 'name') ?? `service-${i + 1}`;
    const replicas = num(ctx, s, sp, 'replicas', 0, 100_000, true) ?? 1;
    const pools = s.pools ?? ['database'];
    if (!Array.isArray(pools) || pools.some((p) => typeof p !== 'string' || !isPoolName(p))) {
      ctx.fail([...path, 'services'], `entry ${i + 1} (${name}): pools must list pool names`, `use names from: ${POOL_NAMES.join(', ')}`);
    }
    const twice = (pools as string[]).find((p, k) => (pools as string[]).indexOf(p) !== k);
    if (twice !== undefined) ctx.fail([...path, 'services'], `entry ${i + 1} (${name}): pools lists '${twice}' twice; a replica opens each pool once`, `list '${twice}' once`);
    const autoscalerMax = num(ctx, s, sp, 'autoscaler_max', 0, 100_000, true);
    if (autoscalerMax !== undefined && autoscalerMax < replicas) ctx.fail([...sp, 'autoscaler_max'], `${autoscalerMax} is below replicas ${replicas}`, `write autoscaler_max >= ${replicas}, or leave it out`);
    const surge = surgeFrom(ctx, s, sp);
    services.push({ name, replicas, pools: pools as PoolName[], ...(autoscalerMax !== undefined ? { autoscalerMax } : {}), ...(surge ? { surge } : {}) });
  });
  const bouncer = own(t, 'pgbouncer');
  if (bouncer !== undefined && !isTable(bouncer)) ctx.fail([...path, 'pgbouncer'], 'must be a table', 'write [environments.<env>.topology.pgbouncer] with instances = 2');
  return {
    ...(t.server_max_connections !== undefined ? { serverMaxConnections: num(ctx, t, path, 'server_max_connections', 1, 262_143, true)! } : {}),
    superuserReserved: num(ctx, t, path, 'superuser_reserved_connections', 0, 10_000, true) ?? DEFAULT_SUPERUSER_RESERVED,
    reservedConnections: num(ctx, t, path, 'reserved_connections', 0, 10_000, true) ?? 0,
    adminHeadroom: num(ctx, t, path, 'admin_headroom', 0, 10_000, true) ?? 0,
    otherConnections: num(ctx, t, path, 'other_connections', 0, 100_000, true) ?? 0,
    services,
    ...(bouncer !== undefined ? { pgbouncer: pgbouncerFrom(ctx, bouncer as Table, [...path, 'pgbouncer']) } : {}),
  };
}

function targetsFrom(ctx: Ctx, t: unknown, path: string[]): Partial<Record<PoolName, number>> {
  if (t === undefined) return {};
  if (!isTable(t)) ctx.fail(path, 'must be a table of pool = "duration"', 'write [environments.production.target_p99_wait] database = "5ms"');
  checkKeys(ctx, t, path, POOL_NAMES);
  const out: Partial<Record<PoolName, number>> = {};
  for (const p of Object.keys(t) as PoolName[]) out[p] = dur(ctx, t, path, p)!;
  return out;
}

/** Parse advisor config text. `file` is the path shown in messages. */
export function parseAdvisorConfig(text: string, file: string): AdvisorConfig {
  let doc: Table;
  try {
    doc = parseToml(text) as Table;
  } catch (e) {
    if (e instanceof TomlError) throw new UsageError(`${file}:${e.line}:${e.column}: invalid TOML: ${e.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '')}`, 'fix the syntax at that position');
    throw new UsageError(`${file}: cannot parse TOML: ${String((e as Error)?.message ?? e).split('\n')[0]}`, 'check the file is TOML');
  }
  const ctx: Ctx = new Ctx(file, scanToml(text), text);
  checkKeys(ctx, doc, [], TOP_KEYS);
  const defaults = isTable(doc.defaults) ? doc.defaults : {};
  checkKeys(ctx, defaults, ['defaults'], ['duration', 'warmup', 'ramp', 'seed', 'target_p99_wait']);
  const base = {
    durationMs: dur(ctx, defaults, ['defaults'], 'duration', LIMITS.durationMs) ?? 30_000,
    warmupMs: dur(ctx, defaults, ['defaults'], 'warmup') ?? 2_000,
    rampMs: dur(ctx, defaults, ['defaults'], 'ramp') ?? 0,
  };
  const rules: RuleSettings = { ...DEFAULT_RULES };
  if (doc.rules !== undefined) {
    if (!isTable(doc.rules)) ctx.fail(['rules'], 'must be a table', 'write [rules] with rule thresholds');
    checkKeys(ctx, doc.rules, ['rules'], Object.keys(RULE_KEYS));
    for (const [k, field] of Object.entries(RULE_KEYS)) {
      const v = num(ctx, doc.rules, ['rules'], k, 0, 1_000_000);
      if (v !== undefined) rules[field] = v;
    }
  }
  const topWorkloads = isTable(doc.workloads) ? doc.workloads : {};
  checkKeys(ctx, topWorkloads, ['workloads'], DRIVABLE_POOLS);
  const environments = dict<EnvironmentSpec>();
  const envs = isTable(doc.environments) ? doc.environments : {};
  for (const [name, raw] of Object.entries(envs)) {
    const path = ['environments', name];
    if (!isTable(raw)) ctx.fail(path, 'must be a table', `write [environments.${name}.workloads.database]`);
    checkKeys(ctx, raw, path, ['workloads', 'topology', 'target_p99_wait']);
    const wl = isTable(raw.workloads) ? raw.workloads : {};
    checkKeys(ctx, wl, [...path, 'workloads'], DRIVABLE_POOLS);
    const workloads: Partial<Record<PoolName, WorkloadSpec>> = {};
    for (const pool of DRIVABLE_POOLS) {
      const top = isTable(topWorkloads[pool]) ? (topWorkloads[pool] as Table) : undefined;
      const own = isTable(wl[pool]) ? (wl[pool] as Table) : undefined;
      if (!top && !own) continue;
      workloads[pool] = workloadFrom(ctx, pool, { ...(top ?? {}), ...(own ?? {}) }, own ? [...path, 'workloads', pool] : ['workloads', pool], base);
    }
    environments[name] = {
      workloads,
      ...(raw.topology !== undefined ? { topology: topologyFrom(ctx, isTable(raw.topology) ? raw.topology : {}, [...path, 'topology']) } : {}),
      targetP99WaitMs: targetsFrom(ctx, raw.target_p99_wait, [...path, 'target_p99_wait']),
    };
  }
  // Top-level workloads apply to environments the file does not name (filled in by `environmentSpec`).
  const defaultWorkloads: Partial<Record<PoolName, WorkloadSpec>> = {};
  for (const pool of DRIVABLE_POOLS) {
    if (isTable(topWorkloads[pool])) defaultWorkloads[pool] = workloadFrom(ctx, pool, topWorkloads[pool] as Table, ['workloads', pool], base);
  }
  const check = isTable(doc.check) ? doc.check : {};
  checkKeys(ctx, check, ['check'], ['thresholds']);
  const thresholds = check.thresholds ?? [];
  if (!Array.isArray(thresholds) || thresholds.some((x) => typeof x !== 'string')) {
    ctx.fail(['check', 'thresholds'], 'must be an array of strings', 'write thresholds = ["database.acquire: p(99) < 50ms"]');
  }
  const seed = lim(ctx, defaults, ['defaults'], 'seed', LIMITS.seed) ?? DEFAULT_SEED;
  const prometheus = parsePrometheusTable(doc.prometheus, file, ctx.scan);
  return {
    source: file,
    targetP99WaitMs: (dur(ctx, defaults, ['defaults'], 'target_p99_wait') ?? DEFAULT_TARGET_P99_WAIT_MS),
    rules,
    environments,
    defaultWorkloads,
    defaultDurationS: base.durationMs / 1000,
    thresholds: thresholds as string[],
    seed,
    ...(prometheus ? { prometheus } : {}),
  };
}

/** The spec of an environment: its own, else the top-level workloads. */
export function environmentSpec(cfg: AdvisorConfig, env: string): EnvironmentSpec {
  return own(cfg.environments, env) ?? { workloads: { ...(cfg.defaultWorkloads ?? {}) }, targetP99WaitMs: {} };
}
