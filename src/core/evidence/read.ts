/**
 * The one reader of saved evidence (`--from FILE` of recommend, check, compare, generate and the
 * report): a run file (`kind: "run"`, or no kind: every run saved before kinds existed) is checked
 * by the run-file schema and mapped into evidence; an observation (`kind: "observation"`) carries
 * its evidence itself, under `environments`, beside whatever else its source saved. Pure: the
 * shell reads the file and hands its text in. Errors are one line naming the file and the path.
 */
import { UsageError } from '../errors.js';
import { isPoolName, SETTING_KEYS } from '../config/pools.js';
import { checkRunFile, parseJson } from '../run/file.js';
import { BOUNDS, LIMITS, outside, rangeText, type Range } from '../limits.js';
import { redactUrl } from '../redact.js';
import { decode } from '../run/histogram.js';
import { evidenceFromRun } from './fromRun.js';
import { EVIDENCE_SCHEMA_VERSION, LOAD_CLASSES, SOURCE_KINDS, TIMELINE_MAX_BUCKETS, type EvidenceFile } from './types.js';

const HINT = "pass a file written by 'pool-advisor analyze --out FILE' or 'pool-advisor observe --out FILE'";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : typeof v === 'string' ? 'a string' : `${typeof v} ${String(v)}`);

/** One acquire's wait, one hold, one creation, µs: at most 24 h (what a replay may drive). */
const SPAN: Range = BOUNDS.spanUs;

/** The bounds of a timeline point's figures (the rest: finite, from 0). */
const POINT_RANGES: Readonly<Record<string, Range>> = {
  acquires: BOUNDS.count,
  waited: BOUNDS.count,
  timeouts: BOUNDS.count,
  errors: BOUNDS.count,
  created: BOUNDS.count,
  expired: BOUNDS.count,
  idleClosed: BOUNDS.count,
  waitP99Us: SPAN,
  waitMaxUs: SPAN,
  inUseMean: BOUNDS.level,
  inUseMax: BOUNDS.level,
  idleMean: BOUNDS.level,
  waitingMean: BOUNDS.level,
  waitingMax: BOUNDS.level,
  totalMax: BOUNDS.level,
  oldestWaiterMs: { min: 0, max: BOUNDS.spanUs.max / 1000 },
};

/** Checks the evidence part of an observation file, path by path. */
class Checker {
  constructor(private readonly display: string) {}

  fail(path: string, reason: string): never {
    throw new UsageError(`${this.display}: ${path}: ${reason}`, HINT);
  }

  get(o: Obj, key: string): unknown {
    return Object.hasOwn(o, key) ? o[key] : undefined;
  }

  obj(o: Obj, key: string, path: string, optional = false): Obj | undefined {
    const v = this.get(o, key);
    if (v === undefined && optional) return undefined;
    if (v === undefined) this.fail(`${path}${key}`, 'missing');
    if (!isObj(v)) this.fail(`${path}${key}`, `expected an object, got ${describe(v)}`);
    return v;
  }

  arr(o: Obj, key: string, path: string, optional = false): unknown[] | undefined {
    const v = this.get(o, key);
    if (v === undefined && optional) return undefined;
    if (!Array.isArray(v)) this.fail(`${path}${key}`, v === undefined ? 'missing' : `expected an array, got ${describe(v)}`);
    return v;
  }

  /** A number from 0 within `range` (the bounds of figures from outside, src/core/limits.ts). */
  num(o: Obj, key: string, path: string, optional = false, range: Range = BOUNDS.total): void {
    const v = this.get(o, key);
    if (v === undefined && optional) return;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) this.fail(`${path}${key}`, v === undefined ? 'missing' : `expected a number from 0, got ${describe(v)}`);
    const why = outside(v, range);
    if (why !== undefined) this.fail(`${path}${key}`, `${v} is out of range (${why}; expected ${range.integer ? 'an integer ' : ''}from ${rangeText(range)})`);
  }

  str(o: Obj, key: string, path: string, optional = false): void {
    const v = this.get(o, key);
    if (v === undefined && optional) return;
    if (typeof v !== 'string') this.fail(`${path}${key}`, v === undefined ? 'missing' : `expected a string, got ${describe(v)}`);
  }

  bool(o: Obj, key: string, path: string, optional = false): void {
    const v = this.get(o, key);
    if (v === undefined && optional) return;
    if (typeof v !== 'boolean') this.fail(`${path}${key}`, v === undefined ? 'missing' : `expected true or false, got ${describe(v)}`);
  }

  numbers(o: Obj, key: string, path: string, optional = false): void {
    const xs = this.arr(o, key, path, optional);
    if (xs && !xs.every((x) => typeof x === 'number' && Number.isFinite(x))) this.fail(`${path}${key}`, 'expected numbers');
  }

  distribution(o: Obj, key: string, path: string, optional = false): void {
    const d = this.obj(o, key, path, optional);
    if (!d) return;
    const p = `${path}${key}.`;
    const form = this.get(d, 'form');
    if (form === 'hdr') {
      this.str(d, 'encoded', p);
      let max: number;
      try {
        max = decode(d.encoded as string).maxValue;
      } catch {
        this.fail(`${p}encoded`, 'not an encoded HDR histogram');
      }
      if (outside(max, SPAN) !== undefined) this.fail(`${p}encoded`, `its largest value ${max} µs is beyond ${SPAN.max} µs (24 h)`);
    } else if (form === 'buckets') {
      const upper = this.arr(d, 'upperUs', p)!;
      if (!upper.every((x, i) => (x === null && i === upper.length - 1) || (typeof x === 'number' && outside(x, SPAN) === undefined))) this.fail(`${p}upperUs`, `expected ascending bounds in µs from 0 to ${SPAN.max} (the last may be null for +Inf)`);
      if (upper.some((x, i) => i > 0 && x !== null && (x as number) <= (upper[i - 1] as number))) this.fail(`${p}upperUs`, 'bounds must ascend');
      this.numbers(d, 'counts', p);
      if (!(d.counts as number[]).every((x) => outside(x, BOUNDS.count) === undefined)) this.fail(`${p}counts`, `expected counts from 0 to ${BOUNDS.count.max}`);
      if ((d.counts as unknown[]).length !== upper.length) this.fail(`${p}counts`, `expected ${upper.length} counts, one per bound`);
      this.num(d, 'sumUs', p, true);
    } else if (form === 'mean') {
      const c = this.get(d, 'count');
      if (c !== null) this.num(d, 'count', p, false, BOUNDS.count);
      this.num(d, 'meanUs', p, false, SPAN);
      this.num(d, 'cv', p, true);
    } else this.fail(`${p}form`, `expected 'hdr', 'buckets' or 'mean', got ${describe(form)}`);
  }

  /** A number from 0, or null. */
  numOrNull(o: Obj, key: string, path: string): void {
    if (this.get(o, key) !== null) this.num(o, key, path);
  }

  /** A load profile (average active sessions by class and wait event, src/core/observe/load.ts). */
  loadProfile(o: Obj, key: string, path: string): void {
    const l = this.obj(o, key, path)!;
    const p = `${path}${key}.`;
    const mean = (x: unknown, at: string): Obj => {
      if (!isObj(x)) this.fail(at, `expected an object, got ${describe(x)}`);
      this.num(x, 'mean', `${at}.`);
      this.numOrNull(x, 'stdErr', `${at}.`);
      return x;
    };
    mean(this.get(l, 'aas'), `${p}aas`);
    this.arr(l, 'byClass', p)!.forEach((x, i) => {
      const c = mean(x, `${p}byClass.${i}`);
      if (!(LOAD_CLASSES as readonly unknown[]).includes(c.class)) this.fail(`${p}byClass.${i}.class`, `expected one of ${LOAD_CLASSES.join(', ')}, got ${describe(c.class)}`);
    });
    this.arr(l, 'topEvents', p)!.forEach((x, i) => {
      const e = mean(x, `${p}topEvents.${i}`);
      this.str(e, 'type', `${p}topEvents.${i}.`);
      this.str(e, 'event', `${p}topEvents.${i}.`);
    });
  }

  levels(o: Obj, key: string, path: string): void {
    const l = this.obj(o, key, path, true);
    if (!l) return;
    const p = `${path}${key}.`;
    const rows = this.arr(l, 'levels', p)!;
    // A bounded distribution (see boundLevels) has buckets [low, µs, high] in its tail.
    const bounded = this.get(l, 'exact') !== undefined;
    rows.forEach((r, i) => {
      if (!Array.isArray(r) || (r.length !== 2 && !(bounded && r.length === 3)) || !r.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0)) this.fail(`${p}levels.${i}`, bounded ? 'expected [level, µs] or [low level, µs, high level]' : 'expected [level, µs]');
      const top = r.length === 3 ? (r[2] as number) : (r[0] as number);
      if (top > BOUNDS.level.max) this.fail(`${p}levels.${i}`, `level ${top} is out of range (at most ${BOUNDS.level.max})`);
    });
    if (bounded) {
      const e = this.obj(l, 'exact', p)!;
      this.num(e, 'totalUs', `${p}exact.`);
      this.num(e, 'areaUs', `${p}exact.`);
      this.arr(e, 'percentiles', `${p}exact.`);
    }
    this.num(l, 'max', p, false, BOUNDS.level);
    this.num(l, 'last', p, false, BOUNDS.level);
  }

  pool(o: unknown, path: string): void {
    if (!isObj(o)) this.fail(path.slice(0, -1), `expected an object, got ${describe(o)}`);
    const name = this.get(o, 'pool');
    if (typeof name !== 'string' || !isPoolName(name)) this.fail(`${path}pool`, `expected a Tasker pool name (database, pgmq, orchestration_web, worker_web), got ${describe(name)}; put a pool that maps to none under the environment's 'unmapped'`);
    const replica = this.get(o, 'replica');
    if (replica !== null) this.str(o, 'replica', path);
    const src = this.obj(o, 'source', path)!;
    const kind = this.get(src, 'kind');
    if (typeof kind !== 'string' || !(SOURCE_KINDS as readonly string[]).includes(kind)) this.fail(`${path}source.kind`, `expected one of ${SOURCE_KINDS.join(', ')}, got ${describe(kind)}`);
    this.str(src, 'detail', `${path}source.`);
    this.num(src, 'startedAt', `${path}source.`);
    this.num(src, 'durationMs', `${path}source.`);
    const s = this.obj(o, 'settings', path)!;
    // As a run file's: sizes within PostgreSQL's ceiling, every setting a whole number in --set's range.
    for (const k of SETTING_KEYS) this.num(s, k, `${path}settings.`, false, k === 'max_connections' || k === 'min_connections' ? BOUNDS.poolSize : LIMITS.setValue);
    if (!((s.max_connections as number) >= 1)) this.fail(`${path}settings.max_connections`, 'expected at least 1');
    const assumed = this.arr(o, 'settingsAssumed', path, true);
    if (assumed && !assumed.every((x) => typeof x === 'string' && (SETTING_KEYS as readonly string[]).includes(x))) this.fail(`${path}settingsAssumed`, `expected setting names (${SETTING_KEYS.join(', ')})`);
    const v = this.obj(o, 'validity', path)!;
    this.bool(v, 'valid', `${path}validity.`);
    const reasons = this.arr(v, 'reasons', `${path}validity.`)!;
    if (!reasons.every((x) => typeof x === 'string')) this.fail(`${path}validity.reasons`, 'expected sentences');
    const wait = this.obj(o, 'wait', path, true);
    if (wait) {
      const p = `${path}wait.`;
      this.distribution(wait, 'all', p);
      const bp = this.obj(wait, 'byPath', p, true);
      if (bp) for (const k of ['idle', 'new', 'queued']) this.distribution(bp, k, `${p}byPath.`);
      this.num(wait, 'count', p, false, BOUNDS.count);
      this.num(wait, 'waited', p, true, BOUNDS.count);
      const cp = this.obj(wait, 'countByPath', p, true);
      if (cp) for (const k of ['idle', 'new', 'queued']) this.num(cp, k, `${p}countByPath.`, false, BOUNDS.count);
    }
    this.distribution(o, 'hold', path, true);
    this.distribution(o, 'create', path, true);
    const arrival = this.obj(o, 'arrival', path, true);
    if (arrival) {
      this.num(arrival, 'rate', `${path}arrival.`, false, BOUNDS.rate);
      this.num(arrival, 'count', `${path}arrival.`, false, BOUNDS.count);
    }
    const st = this.obj(o, 'statements', path, true);
    if (st) {
      this.str(st, 'role', `${path}statements.`);
      this.num(st, 'calls', `${path}statements.`, false, BOUNDS.count);
      this.num(st, 'meanUs', `${path}statements.`, false, SPAN);
      this.num(st, 'windowMs', `${path}statements.`);
    }
    const sl = this.obj(o, 'serverLoad', path, true);
    if (sl) {
      const p = `${path}serverLoad.`;
      this.numOrNull(sl, 'cores', p);
      this.str(sl, 'coresSource', p);
      this.num(sl, 'samples', p);
      this.num(sl, 'intervalMs', p);
      this.loadProfile(sl, 'server', p);
      this.loadProfile(sl, 'pool', p);
    }
    const occ = this.obj(o, 'occupancy', path, true);
    if (occ) {
      const p = `${path}occupancy.`;
      this.bool(occ, 'exact', p);
      this.num(occ, 'samples', p, true);
      this.num(occ, 'intervalMs', p, true);
      for (const g of ['inUse', 'open', 'idle', 'waiting']) this.levels(occ, g, p);
      this.bool(occ, 'inUseIsLowerBound', p, true);
      this.num(occ, 'inUseMeanStdErr', p, true, BOUNDS.level);
      this.num(occ, 'inUseBatches', p, true, BOUNDS.count);
      this.num(occ, 'reserved', p, true, BOUNDS.poolSize);
    }
    const churn = this.obj(o, 'churn', path, true);
    if (churn) {
      const p = `${path}churn.`;
      this.num(churn, 'opened', p, false, BOUNDS.count);
      const closed = this.obj(churn, 'closed', p)!;
      for (const k of ['lifetime', 'idle', 'error', 'shutdown', 'unattributed']) this.num(closed, k, `${p}closed.`, false, BOUNDS.count);
      for (const k of ['expiryTimesMs', 'idleClosedAgesS', 'idleClosedAtMs', 'openedAtMs']) this.numbers(churn, k, p, true);
      this.bool(churn, 'expiryTimesTruncated', p, true);
    }
    const f = this.obj(o, 'failures', path, true);
    if (f) for (const k of ['timeouts', 'errors', 'slow', 'slowSuppressed', 'createErrors']) this.num(f, k, `${path}failures.`, k !== 'timeouts' && k !== 'errors', BOUNDS.count);
    const t = this.obj(o, 'timeline', path, true);
    if (t) {
      this.num(t, 'intervalMs', `${path}timeline.`);
      const points = this.arr(t, 'points', `${path}timeline.`)!;
      points.forEach((pt, i) => {
        if (!isObj(pt)) this.fail(`${path}timeline.points.${i}`, 'expected an object');
        for (const k of ['t', 'dt', 'acquires', 'waited', 'timeouts', 'errors', 'created', 'expired', 'idleClosed', 'waitP99Us', 'waitMaxUs', 'inUseMean', 'inUseMax', 'idleMean', 'waitingMean', 'waitingMax', 'totalMax', 'oldestWaiterMs']) this.num(pt, k, `${path}timeline.points.${i}.`, false, POINT_RANGES[k] ?? BOUNDS.total);
      });
    }
    if (this.get(o, 'measured') !== undefined) this.fail(`${path}measured`, 'only a measured run has this part; an observation cannot carry it');
  }
}

/** Checks an observation's `observedTimeline` (src/core/observe/timeline.ts): its bucket, and every series one value per bucket, each within its bounds. */
function checkTimeline(c: Checker, t: Obj): void {
  const p = 'observedTimeline.';
  c.num(t, 'bucketMs', p, false, { min: 0, max: BOUNDS.spanUs.max / 1000, aboveMin: true });
  c.num(t, 'buckets', p, false, { min: 1, max: TIMELINE_MAX_BUCKETS, integer: true });
  const n = t.buckets as number;
  const series = (o: Obj, key: string, path: string, range: Range): void => {
    const xs = c.arr(o, key, path)!;
    if (xs.length !== n) c.fail(`${path}${key}`, `expected ${n} values, one per bucket, got ${xs.length}`);
    xs.forEach((x, i) => {
      if (typeof x !== 'number' || outside(x, range) !== undefined) c.fail(`${path}${key}.${i}`, `expected ${range.integer ? 'an integer ' : 'a number '}from ${rangeText(range)}, got ${describe(x)}`);
    });
  };
  const count = { ...BOUNDS.count, integer: true };
  c.arr(t, 'pools', p)!.forEach((x, i) => {
    const q = `${p}pools.${i}.`;
    if (!isObj(x)) c.fail(`${p}pools.${i}`, `expected an object, got ${describe(x)}`);
    c.str(x, 'env', q);
    c.str(x, 'pool', q);
    if (x.replica !== null) c.str(x, 'replica', q);
    for (const k of ['openMax', 'busyMax']) series(x, k, q, { ...BOUNDS.level, integer: true });
    series(x, 'busyMean', q, BOUNDS.level);
    for (const k of ['opened', 'closedLifetime', 'closedIdle', 'closedOther']) series(x, k, q, count);
  });
  c.arr(t, 'proxyWaiting', p, true)?.forEach((x, i) => {
    const q = `${p}proxyWaiting.${i}.`;
    if (!isObj(x)) c.fail(`${p}proxyWaiting.${i}`, `expected an object, got ${describe(x)}`);
    c.str(x, 'database', q);
    c.str(x, 'user', q);
    series(x, 'waitingMean', q, BOUNDS.level);
    series(x, 'waitingMax', q, { ...BOUNDS.level, integer: true });
  });
  const load = c.obj(t, 'load', p, true);
  if (load) {
    const q = `${p}load.`;
    // As --server-cores accepts them (src/shell/observe/cores.ts).
    if (load.cores !== null) c.num(load, 'cores', q, false, { min: 1, max: 4096, integer: true });
    c.str(load, 'coresSource', q);
    c.arr(load, 'byClass', q)!.forEach((x, i) => {
      if (!isObj(x)) c.fail(`${q}byClass.${i}`, `expected an object, got ${describe(x)}`);
      if (!(LOAD_CLASSES as readonly unknown[]).includes(x.class)) c.fail(`${q}byClass.${i}.class`, `expected one of ${LOAD_CLASSES.join(', ')}, got ${describe(x.class)}`);
      series(x, 'aas', `${q}byClass.${i}.`, BOUNDS.level);
    });
  }
}

/** Check the evidence of an observation file and return it (extra fields of its source are kept). */
function checkObservation(data: Obj, display: string): EvidenceFile {
  const c: Checker = new Checker(display);
  const version = data.schemaVersion;
  if (version !== EVIDENCE_SCHEMA_VERSION) throw new UsageError(`${display}: schemaVersion ${JSON.stringify(version)} is not supported (this pool-advisor reads observations of version ${EVIDENCE_SCHEMA_VERSION})`, 'save the observation again with this version of pool-advisor');
  c.str(data, 'createdAt', '');
  c.str(data, 'target', '');
  c.bool(data, 'partial', '');
  const tk = data.targetKind;
  if (tk !== undefined && tk !== 'throwaway' && tk !== 'local' && tk !== 'remote') c.fail('targetKind', `expected throwaway, local or remote, got ${describe(tk)}`);
  const server = c.obj(data, 'server', '', true);
  if (server) {
    c.num(server, 'maxConnections', 'server.', false, { ...BOUNDS.poolSize, min: 1 });
    c.num(server, 'superuserReserved', 'server.', false, BOUNDS.poolSize);
            c.num(server, 'reservedConnections', 'server.', true, BOUNDS.poolSize);
  }
  // PgBouncer's settings for the connection budget (observe --pgbouncer-url).
  const bouncer = c.obj(data, 'pgbouncerSettings', '', true);
  if (bouncer) {
    for (const k of ['maxClientConn', 'defaultPoolSize', 'reservePoolSize', 'maxDbConnections', 'maxUserConnections']) c.num(bouncer, k, 'pgbouncerSettings.', false, BOUNDS.poolSize);
    c.bool(bouncer, 'wildcard', 'pgbouncerSettings.');
    c.arr(bouncer, 'databases', 'pgbouncerSettings.')!.forEach((d, i) => {
      const p = `pgbouncerSettings.databases.${i}.`;
      if (!isObj(d)) c.fail(`pgbouncerSettings.databases.${i}`, `expected an object, got ${describe(d)}`);
      c.str(d, 'name', p);
      for (const k of ['poolSize', 'reservePool', 'maxDbConnections']) c.num(d, k, p, true, BOUNDS.poolSize);
    });
  }
  if (data.configDir !== null) c.str(data, 'configDir', '', true);
  const timeline = c.obj(data, 'observedTimeline', '', true);
  if (timeline) checkTimeline(c, timeline);
  if (data.environments === undefined) c.fail('environments', 'missing: this observation carries no evidence (saved by a pool-advisor without the evidence model); observe again and save it with this version');
  const envs = c.arr(data, 'environments', '')!;
  envs.forEach((e, i) => {
    const p = `environments.${i}.`;
    if (!isObj(e)) c.fail(`environments.${i}`, `expected an object, got ${describe(e)}`);
    c.str(e, 'env', p);
    c.num(e, 'durationMs', p);
    c.num(e, 'warmupMs', p);
    c.bool(e, 'pgmqShared', p);
    c.bool(e, 'interrupted', p);
    c.arr(e, 'pools', p)!.forEach((pool, j) => c.pool(pool, `${p}pools.${j}.`));
    c.arr(e, 'unmapped', p)!.forEach((u, j) => {
      if (!isObj(u)) c.fail(`${p}unmapped.${j}`, 'expected an object');
      c.str(u, 'label', `${p}unmapped.${j}.`);
      c.str(u, 'reason', `${p}unmapped.${j}.`);
      const f = c.obj(u, 'figures', `${p}unmapped.${j}.`, true);
      if (f) {
        c.num(f, 'meanBusy', `${p}unmapped.${j}.figures.`, false, BOUNDS.level);
        c.num(f, 'openMax', `${p}unmapped.${j}.figures.`, false, BOUNDS.level);
        c.num(f, 'reserved', `${p}unmapped.${j}.figures.`, false, BOUNDS.poolSize);
        if (f.maxConnections !== null) c.num(f, 'maxConnections', `${p}unmapped.${j}.figures.`, false, BOUNDS.poolSize);
      }
      const v = c.obj(u, 'validity', `${p}unmapped.${j}.`, true);
      if (v) {
        c.bool(v, 'valid', `${p}unmapped.${j}.validity.`);
        c.arr(v, 'reasons', `${p}unmapped.${j}.validity.`);
      }
    });
    if (e.proxyPools !== undefined) {
      c.arr(e, 'proxyPools', p)!.forEach((x, j) => {
        const q = `${p}proxyPools.${j}.`;
        if (!isObj(x)) c.fail(`${p}proxyPools.${j}`, `expected an object, got ${describe(x)}`);
        for (const k of ['proxy', 'console', 'database', 'poolMode']) c.str(x, k, q);
        for (const k of ['users', 'xacts']) c.num(x, k, q, false, BOUNDS.count);
        for (const k of ['waitingMean', 'waitingMax']) c.num(x, k, q, false, BOUNDS.level);
        c.num(x, 'maxwaitUs', q, false, SPAN);
        for (const k of ['waitTotalUs', 'startedAt', 'windowMs']) c.num(x, k, q);
        for (const k of ['size', 'reservePool']) if (x[k] !== null) c.num(x, k, q, false, BOUNDS.poolSize);
        if (x.xactMeanUs !== null) c.num(x, 'xactMeanUs', q, false, SPAN);
        c.num(x, 'clientsMax', q, true, BOUNDS.level);
      });
    }
    if (c.arr(e, 'workloads', p)!.length > 0) c.fail(`${p}workloads`, 'only a measured run drives workloads; an observation has none');
    c.obj(e, 'config', p);
    c.arr(e, 'overrides', p);
  });
  return { ...(data as unknown as EvidenceFile), seed: null, configDir: (data.configDir as string | null | undefined) ?? null, tool: (data.tool as EvidenceFile['tool']) ?? { name: 'pool-advisor', version: 'unknown' } };
}

/**
 * Parse a saved evidence file's text into evidence; `display` names it in errors. Throws
 * UsageError (exit 2) with one line naming the path and the reason.
 */
export function parseEvidenceFile(text: string, display: string): EvidenceFile {
  const data = parseJson(text, display, HINT);
  const kind = isObj(data) ? data.kind : undefined;
  if (kind !== undefined && kind !== 'run' && kind !== 'observation') throw new UsageError(`${display}: kind ${JSON.stringify(kind)} is not one pool-advisor reads (expected 'run' or 'observation')`, HINT);
  const ev = kind === 'observation' ? checkObservation(data as Obj, display) : evidenceFromRun(checkRunFile(data, display));
  // The target as written in the file may carry a password (an edited file, another tool's): never shown.
  return { ...ev, target: redactUrl(ev.target) };
}

/** Whether the evidence has any sample at all in the given environments (all when none given). */
export function hasEvidenceSamples(file: EvidenceFile, envs?: readonly string[]): boolean {
  // A pool no Tasker pool stands for, seen with its figures, is something to advise on too (in generic terms).
  return file.environments.some((e) => (!envs || envs.includes(e.env)) && (e.pools.some((p) => (p.wait?.count ?? p.arrival?.count ?? 0) > 0 || (p.occupancy?.samples ?? 0) > 0 || (p.occupancy?.exact === true && (p.measured?.releases ?? 0) > 0)) || e.unmapped.some((u) => u.figures !== undefined) || (e.proxyPools?.length ?? 0) > 0));
}
