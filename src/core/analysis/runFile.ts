/**
 * Reading a saved run back (`--from run.json`): check the schema version and the shape of
 * everything the analysis reads, and say in one line what is wrong and where. Pure: the shell
 * reads the file and hands its text in.
 */
import { UsageError } from '../errors.js';
import { isPoolName } from '../config/pools.js';
import { decode } from '../run/histogram.js';
import { RUN_SCHEMA_VERSION, type RunFile } from '../run/types.js';

const HINT = "pass a file written by 'pool-advisor analyze --out FILE'";

type Check = (v: unknown) => string | undefined;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : typeof v === 'string' ? `a string` : `${typeof v} ${String(v)}`);

const num: Check = (v) => (typeof v === 'number' && Number.isFinite(v) ? undefined : `expected a number, got ${describe(v)}`);
const str: Check = (v) => (typeof v === 'string' ? undefined : `expected a string, got ${describe(v)}`);
const bool: Check = (v) => (typeof v === 'boolean' ? undefined : `expected true or false, got ${describe(v)}`);
const arr: Check = (v) => (Array.isArray(v) ? undefined : `expected an array, got ${describe(v)}`);
const obj: Check = (v) => (isObj(v) ? undefined : `expected an object, got ${describe(v)}`);

/** Fail at `path` with `reason`. */
function fail(display: string, path: string, reason: string): never {
  throw new UsageError(`${display}: ${path}: ${reason}`, HINT);
}

function at(display: string, root: unknown, path: string, check: Check): unknown {
  let v: unknown = root;
  for (const part of path.split('.')) {
    if (!isObj(v) && !Array.isArray(v)) fail(display, path, 'missing');
    v = (v as Record<string, unknown>)[part];
  }
  if (v === undefined) fail(display, path, 'missing');
  const problem = check(v);
  if (problem) fail(display, path, problem);
  return v;
}

function checkLevels(display: string, root: unknown, path: string): void {
  const levels = at(display, root, `${path}.levels`, arr) as unknown[];
  levels.forEach((row, i) => {
    if (!Array.isArray(row) || !row.every((x) => typeof x === 'number')) fail(display, `${path}.levels.${i}`, 'expected [level, µs]');
  });
  at(display, root, `${path}.max`, num);
  at(display, root, `${path}.last`, num);
}

function checkHistogram(display: string, root: unknown, path: string): void {
  const e = at(display, root, path, str) as string;
  try {
    decode(e);
  } catch {
    fail(display, path, 'not an encoded HDR histogram');
  }
}

function checkPool(display: string, run: unknown, p: string): void {
  const name = at(display, run, `${p}.pool`, str) as string;
  if (!isPoolName(name)) fail(display, `${p}.pool`, `unknown pool '${name}'`);
  for (const k of ['max_connections', 'min_connections', 'acquire_timeout_seconds', 'idle_timeout_seconds', 'max_lifetime_seconds', 'slow_acquire_threshold_ms']) at(display, run, `${p}.settings.${k}`, num);
  at(display, run, `${p}.emulateSqlx`, bool);
  at(display, run, `${p}.durationMs`, num);
  for (const k of ['acquires', 'waited', 'timeouts', 'errors', 'slow', 'created', 'createErrors', 'releases']) at(display, run, `${p}.counters.${k}`, num);
  for (const k of ['idle', 'new', 'queued']) at(display, run, `${p}.counters.byPath.${k}`, num);
  for (const k of ['expired', 'idle', 'error', 'shutdown']) at(display, run, `${p}.counters.closed.${k}`, num);
  for (const h of ['wait', 'hold', 'create', 'waitByPath.idle', 'waitByPath.new', 'waitByPath.queued']) checkHistogram(display, run, `${p}.histograms.${h}`);
  for (const g of ['inUse', 'idle', 'waiting', 'total']) checkLevels(display, run, `${p}.occupancy.${g}`);
  const hb = at(display, run, `${p}.holdByInUse.levels`, arr) as unknown[];
  hb.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== 4 || !row.every((x) => typeof x === 'number')) fail(display, `${p}.holdByInUse.levels.${i}`, 'expected [level, count, sum µs, sum of squares]');
  });
  at(display, run, `${p}.timeline.intervalMs`, num);
  const points = at(display, run, `${p}.timeline.points`, arr) as unknown[];
  points.forEach((_, i) => {
    for (const k of ['t', 'created', 'idleClosed', 'expired']) at(display, run, `${p}.timeline.points.${i}.${k}`, num);
  });
  for (const k of ['expiryTimes', 'idleClosedAges']) {
    const xs = at(display, run, `${p}.${k}`, arr) as unknown[];
    if (!xs.every((x) => typeof x === 'number')) fail(display, `${p}.${k}`, 'expected numbers');
  }
}

/** Parse and check a run file's text; `display` names it in errors. Throws UsageError (exit 2). */
export function parseRunFile(text: string, display: string): RunFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${display}: not JSON (${(e as Error).message.replace(/\s+/g, ' ')})`, HINT);
  }
  if (!isObj(data)) fail(display, '(top level)', `expected an object, got ${describe(data)}`);
  const version = data.schemaVersion;
  if (version === undefined) fail(display, 'schemaVersion', 'missing: this is not a pool-advisor run file');
  if (version !== RUN_SCHEMA_VERSION) throw new UsageError(`${display}: schemaVersion ${JSON.stringify(version)} is not supported (this pool-advisor reads ${RUN_SCHEMA_VERSION})`, 'save the run again with this version of pool-advisor');
  at(display, data, 'createdAt', str);
  at(display, data, 'target', str);
  at(display, data, 'seed', num);
  at(display, data, 'partial', bool);
  if (data.server !== undefined) {
    at(display, data, 'server', obj);
    at(display, data, 'server.maxConnections', num);
    at(display, data, 'server.superuserReserved', num);
  }
  const envs = at(display, data, 'environments', arr) as unknown[];
  envs.forEach((_, i) => {
    const e = `environments.${i}`;
    at(display, data, `${e}.env`, str);
    at(display, data, `${e}.durationMs`, num);
    at(display, data, `${e}.warmupMs`, num);
    at(display, data, `${e}.pgmqShared`, bool);
    at(display, data, `${e}.config`, obj);
    at(display, data, `${e}.overrides`, arr);
    const pools = at(display, data, `${e}.pools`, arr) as unknown[];
    pools.forEach((__, j) => checkPool(display, data, `${e}.pools.${j}`));
    const workloads = at(display, data, `${e}.workloads`, arr) as unknown[];
    workloads.forEach((__, j) => {
      at(display, data, `${e}.workloads.${j}.workload.arrival`, obj);
      at(display, data, `${e}.workloads.${j}.workload.hold`, obj);
      at(display, data, `${e}.workloads.${j}.through`, str);
      at(display, data, `${e}.workloads.${j}.generator`, obj);
    });
  });
  return data as unknown as RunFile;
}

/** Whether a run has any acquire at all in the given environments (all when none given). */
export function hasSamples(run: RunFile, envs?: readonly string[]): boolean {
  return run.environments.some((e) => (!envs || envs.includes(e.env)) && e.pools.some((p) => p.counters.acquires > 0));
}
