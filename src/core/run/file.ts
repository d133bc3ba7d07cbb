/**
 * Reading a saved run back (`--from run.json`): check the schema version and the shape of
 * everything the analysis reads, and say in one line what is wrong and where. Pure: the shell
 * reads the file and hands its text in.
 */
import { UsageError } from '../errors.js';
import { isPoolName, SETTING_KEYS } from '../config/pools.js';
import { LIMITS, outside, rangeText, type Range } from '../limits.js';
import { checkEncoded } from './histogram.js';
import { EXACT_LEVELS } from './occupancy.js';
import { RUN_SCHEMA_VERSION, type RunFile } from './types.js';

const HINT = "pass a file written by 'pool-advisor analyze --out FILE'";

type Check = (v: unknown) => string | undefined;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : typeof v === 'string' ? `a string` : `${typeof v} ${String(v)}`);

const num: Check = (v) => (typeof v === 'number' && Number.isFinite(v) ? undefined : `expected a number, got ${describe(v)}`);
const str: Check = (v) => (typeof v === 'string' ? undefined : `expected a string, got ${describe(v)}`);
const bool: Check = (v) => (typeof v === 'boolean' ? undefined : `expected true or false, got ${describe(v)}`);
const arr: Check = (v) => (Array.isArray(v) ? undefined : `expected an array, got ${describe(v)}`);
const obj: Check = (v) => (isObj(v) ? undefined : `expected an object, got ${describe(v)}`);

/** A number within a range: the analysis loops and allocates by some of these, so a hostile value must stop here. */
const within =
  (r: Range): Check =>
  (v) => {
    const bad = num(v);
    if (bad) return bad;
    const why = outside(v as number, r);
    return why ? `${v as number} is out of range (${why}; expected ${r.integer ? 'an integer ' : ''}from ${rangeText(r)})` : undefined;
  };
/** Counts: whole numbers from 0 (2^53 at most: beyond it a count is no longer exact). */
const count = within({ min: 0, max: Number.MAX_SAFE_INTEGER, integer: true });
/** Times and durations in ms or µs, and rates: finite and not negative. */
const nonNeg = within({ min: 0, max: Number.MAX_VALUE });
/** A pool size: what PostgreSQL itself allows as max_connections. */
const POOL_SIZE: Range = { min: 0, max: 262_143, integer: true };
/** A pool setting of a run (sizes, seconds, ms): `--set` allows up to {@link LIMITS.setValue}. */
const setting = within(LIMITS.setValue);
/** Seconds of a workload phase. */
const phaseS = within({ min: 0, max: LIMITS.spanMs.max / 1000 });

/** Fail at `path` with `reason`. */
function fail(display: string, path: string, reason: string): never {
  throw new UsageError(`${display}: ${path}: ${reason}`, HINT);
}

function at(display: string, root: unknown, path: string, check: Check): unknown {
  let v: unknown = root;
  for (const part of path.split('.')) {
    if (!isObj(v) && !Array.isArray(v)) fail(display, path, 'missing');
    v = Object.hasOwn(v as object, part) ? (v as Record<string, unknown>)[part] : undefined;
  }
  if (v === undefined) fail(display, path, 'missing');
  const problem = check(v);
  if (problem) fail(display, path, problem);
  return v;
}

/** Like {@link at}, for a field older run files may lack. */
function optional(display: string, root: unknown, path: string, check: Check): unknown {
  let v: unknown = root;
  for (const part of path.split('.')) {
    if (!isObj(v) && !Array.isArray(v)) return undefined;
    v = Object.hasOwn(v as object, part) ? (v as Record<string, unknown>)[part] : undefined;
  }
  if (v === undefined) return undefined;
  const problem = check(v);
  if (problem) fail(display, path, problem);
  return v;
}

/**
 * A pool's settings: every key present, each a whole number in range, sizes within PostgreSQL's
 * ceiling. A measured pool had at least one connection; a config snapshot of a pool Tasker does
 * not build may say 0.
 */
function checkSettings(display: string, run: unknown, path: string, measured: boolean): void {
  for (const k of SETTING_KEYS) at(display, run, `${path}.${k}`, k === 'max_connections' || k === 'min_connections' ? within(POOL_SIZE) : setting);
  if (measured) at(display, run, `${path}.max_connections`, within({ ...POOL_SIZE, min: 1 }));
}

/** A rate as saved: the workload's bounds, or 0 (a window where nothing was due). */
const RATE: Range = { min: 0, max: LIMITS.rate.max };

/** A workload as saved: its arrival and hold within the advisor config's bounds. */
function checkWorkload(display: string, run: unknown, w: string): void {
  const mode = at(display, run, `${w}.arrival.mode`, str);
  if (mode === 'open') at(display, run, `${w}.arrival.rate`, within(RATE));
  else if (mode === 'closed') {
    at(display, run, `${w}.arrival.concurrency`, within(LIMITS.concurrency));
    optional(display, run, `${w}.arrival.thinkMs`, within(LIMITS.spanMs));
  } else fail(display, `${w}.arrival.mode`, `expected "open" or "closed", got ${JSON.stringify(mode)}`);
  const kind = at(display, run, `${w}.hold.kind`, str);
  if (kind !== 'sleep' && kind !== 'sql' && kind !== 'queue') fail(display, `${w}.hold.kind`, `expected "sleep", "sql" or "queue", got ${JSON.stringify(kind)}`);
  for (const k of ['ms', 'meanMs', 'p50Ms', 'p99Ms']) optional(display, run, `${w}.hold.${k}`, within(LIMITS.spanMs));
  optional(display, run, `${w}.hold.batch`, within(LIMITS.batch));
  for (const k of ['warmupS', 'rampS', 'durationS']) optional(display, run, `${w}.${k}`, phaseS);
}

function checkLevels(display: string, root: unknown, path: string): void {
  const levels = at(display, root, `${path}.levels`, arr) as unknown[];
  // A bounded distribution (a long queue, see boundLevels) has buckets [low, µs, high] in its tail and its exact figures beside them.
  const bounded = optional(display, root, `${path}.exact`, obj) !== undefined;
  levels.forEach((row, i) => {
    const bucket = bounded && Array.isArray(row) && row.length === 3;
    if (!Array.isArray(row) || (row.length !== 2 && !bucket) || !row.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0)) {
      fail(display, `${path}.levels.${i}`, bounded ? 'expected [level, µs] or a bucket [low level, µs, high level], numbers from 0' : 'expected [level, µs], both numbers from 0');
    }
    const top = bucket ? row[2] : row[0];
    if (top > POOL_SIZE.max * 2) fail(display, `${path}.levels.${i}`, `level ${top} is out of range (at most ${POOL_SIZE.max * 2})`);
    if (bucket && (row[0] < EXACT_LEVELS || row[2] < row[0])) fail(display, `${path}.levels.${i}`, `a bucket spans levels from ${EXACT_LEVELS} up, low to high`);
  });
  if (bounded) {
    at(display, root, `${path}.exact.totalUs`, nonNeg);
    at(display, root, `${path}.exact.areaUs`, nonNeg);
    const ps = at(display, root, `${path}.exact.percentiles`, arr) as unknown[];
    ps.forEach((row, i) => {
      if (!Array.isArray(row) || row.length !== 2 || !row.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0) || row[0] > 100) fail(display, `${path}.exact.percentiles.${i}`, 'expected [percentile 0-100, level from 0]');
    });
  }
  at(display, root, `${path}.max`, nonNeg);
  at(display, root, `${path}.last`, nonNeg);
}

function checkHistogram(display: string, root: unknown, path: string): void {
  const e = at(display, root, path, str) as string;
  try {
    checkEncoded(e);
  } catch {
    fail(display, path, 'not an encoded HDR histogram');
  }
}

/** A timeline point's fields: always there, and added by later versions. */
const POINT_FIELDS = ['t', 'created', 'idleClosed', 'expired'];
const POINT_OPTIONAL_FIELDS = ['dt', 'acquires', 'waited', 'timeouts', 'errors', 'waitP99Us', 'waitMaxUs', 'inUseMean', 'inUseMax', 'idleMean', 'waitingMean', 'waitingMax', 'totalMax', 'oldestWaiterMs'];

function checkPool(display: string, run: unknown, p: string): void {
  const name = at(display, run, `${p}.pool`, str) as string;
  if (!isPoolName(name)) fail(display, `${p}.pool`, `unknown pool '${name}'`);
  checkSettings(display, run, `${p}.settings`, true);
  at(display, run, `${p}.emulateSqlx`, bool);
  at(display, run, `${p}.durationMs`, nonNeg);
  for (const k of ['acquires', 'waited', 'timeouts', 'errors', 'slow', 'created', 'createErrors', 'releases']) at(display, run, `${p}.counters.${k}`, count);
  for (const k of ['idle', 'new', 'queued']) at(display, run, `${p}.counters.byPath.${k}`, count);
  for (const k of ['expired', 'idle', 'error', 'shutdown']) at(display, run, `${p}.counters.closed.${k}`, count);
  for (const h of ['wait', 'hold', 'create', 'waitByPath.idle', 'waitByPath.new', 'waitByPath.queued']) checkHistogram(display, run, `${p}.histograms.${h}`);
  for (const g of ['inUse', 'idle', 'waiting', 'total']) checkLevels(display, run, `${p}.occupancy.${g}`);
  const holdRows = (key: string): void => {
    const hb = at(display, run, `${key}.levels`, arr) as unknown[];
    hb.forEach((row, i) => {
      if (!Array.isArray(row) || row.length !== 4 || !row.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0)) fail(display, `${key}.levels.${i}`, 'expected [level, count, sum µs, sum of squares], numbers from 0');
      if (row[0] > POOL_SIZE.max) fail(display, `${key}.levels.${i}`, `level ${row[0]} is out of range (at most ${POOL_SIZE.max})`);
    });
  };
  holdRows(`${p}.holdByInUse`);
  const halves = (at(display, run, p, obj) as Record<string, unknown>).holdByInUseHalves;
  if (halves !== undefined) {
    if (!Array.isArray(halves) || halves.length !== 2) fail(display, `${p}.holdByInUseHalves`, 'expected the two halves of the window, each {levels}');
    holdRows(`${p}.holdByInUseHalves.0`);
    holdRows(`${p}.holdByInUseHalves.1`);
  }
  at(display, run, `${p}.timeline.intervalMs`, within({ min: 1, max: Number.MAX_VALUE }));
  const points = at(display, run, `${p}.timeline.points`, arr) as unknown[];
  // Hundreds of points: each is read where it is (as at and optional would, without walking from the root per field).
  points.forEach((pt, i) => {
    const field = (k: string): unknown => (isObj(pt) || Array.isArray(pt) ? (Object.hasOwn(pt, k) ? (pt as Record<string, unknown>)[k] : undefined) : undefined);
    for (const k of POINT_FIELDS) {
      const v = field(k);
      if (v === undefined) fail(display, `${p}.timeline.points.${i}.${k}`, 'missing');
      const problem = nonNeg(v);
      if (problem) fail(display, `${p}.timeline.points.${i}.${k}`, problem);
    }
    for (const k of POINT_OPTIONAL_FIELDS) {
      const v = field(k);
      const problem = v === undefined ? undefined : nonNeg(v);
      if (problem) fail(display, `${p}.timeline.points.${i}.${k}`, problem);
    }
  });
  for (const k of ['expiryTimes', 'idleClosedAges']) {
    const xs = at(display, run, `${p}.${k}`, arr) as unknown[];
    if (!xs.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0)) fail(display, `${p}.${k}`, 'expected numbers from 0');
  }
}

/** A saved file's JSON; `display` names it in the one-line error (exit 2), `hint` says what to pass instead. */
export function parseJson(text: string, display: string, hint: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${display}: not JSON (${(e as Error).message.replace(/\s+/g, ' ')})`, hint);
  }
}

/** Parse and check a run file's text; `display` names it in errors. Throws UsageError (exit 2). */
export function parseRunFile(text: string, display: string): RunFile {
  return checkRunFile(parseJson(text, display, HINT), display);
}

/** Check parsed JSON is a run file: path by path, each refusal one line naming the path (exit 2). */
export function checkRunFile(data: unknown, display: string): RunFile {
  if (!isObj(data)) fail(display, '(top level)', `expected an object, got ${describe(data)}`);
  const version = data.schemaVersion;
  if (version === undefined) fail(display, 'schemaVersion', 'missing: this is not a pool-advisor run file');
  if (version !== RUN_SCHEMA_VERSION) throw new UsageError(`${display}: schemaVersion ${JSON.stringify(version)} is not supported (this pool-advisor reads ${RUN_SCHEMA_VERSION})`, 'save the run again with this version of pool-advisor');
  at(display, data, 'createdAt', str);
  at(display, data, 'target', str);
  at(display, data, 'seed', within(LIMITS.seed));
  at(display, data, 'partial', bool);
  if (data.server !== undefined) {
    at(display, data, 'server', obj);
    at(display, data, 'server.maxConnections', within({ ...POOL_SIZE, min: 1 }));
    at(display, data, 'server.superuserReserved', within(POOL_SIZE));
  }
  const envs = at(display, data, 'environments', arr) as unknown[];
  envs.forEach((_, i) => {
    const e = `environments.${i}`;
    at(display, data, `${e}.env`, str);
    at(display, data, `${e}.durationMs`, nonNeg);
    at(display, data, `${e}.warmupMs`, nonNeg);
    at(display, data, `${e}.pgmqShared`, bool);
    const config = at(display, data, `${e}.config`, obj) as Record<string, unknown>;
    for (const name of Object.keys(config)) {
      if (!isPoolName(name)) fail(display, `${e}.config.${name}`, `unknown pool '${name}'`);
      at(display, data, `${e}.config.${name}`, obj);
      checkSettings(display, data, `${e}.config.${name}.settings`, false);
    }
    const overrides = at(display, data, `${e}.overrides`, arr) as unknown[];
    overrides.forEach((__, j) => {
      const pool = at(display, data, `${e}.overrides.${j}.pool`, str) as string;
      if (!isPoolName(pool)) fail(display, `${e}.overrides.${j}.pool`, `unknown pool '${pool}'`);
      at(display, data, `${e}.overrides.${j}.key`, str);
      at(display, data, `${e}.overrides.${j}.value`, setting);
    });
    if (optional(display, data, `${e}.settle`, obj) !== undefined) {
      at(display, data, `${e}.settle.settled`, bool);
      for (const k of ['afterS', 'maxS']) at(display, data, `${e}.settle.${k}`, phaseS);
      at(display, data, `${e}.settle.looks`, within({ min: 0, max: 1_000_000, integer: true }));
      at(display, data, `${e}.settle.alpha`, within({ min: 0, max: 1 }));
      optional(display, data, `${e}.settle.unsettled`, str);
    }
    const pools = at(display, data, `${e}.pools`, arr) as unknown[];
    pools.forEach((__, j) => checkPool(display, data, `${e}.pools.${j}`));
    const workloads = at(display, data, `${e}.workloads`, arr) as unknown[];
    workloads.forEach((__, j) => {
      const w = `${e}.workloads.${j}`;
      at(display, data, `${w}.workload.arrival`, obj);
      at(display, data, `${w}.workload.hold`, obj);
      checkWorkload(display, data, `${w}.workload`);
      const through = at(display, data, `${w}.through`, str) as string;
      if (!isPoolName(through)) fail(display, `${w}.through`, `unknown pool '${through}'`);
      at(display, data, `${w}.generator`, obj);
      for (const k of ['requests', 'completed', 'failed']) at(display, data, `${w}.generator.${k}`, count);
      at(display, data, `${w}.generator.achievedRate`, nonNeg);
      optional(display, data, `${w}.generator.targetRate`, within(RATE));
      at(display, data, `${w}.generator.behind`, bool);
    });
  });
  return data as unknown as RunFile;
}

/** Whether a run has any acquire at all in the given environments (all when none given). */
export function hasSamples(run: RunFile, envs?: readonly string[]): boolean {
  return run.environments.some((e) => (!envs || envs.includes(e.env)) && e.pools.some((p) => p.counters.acquires > 0));
}
