/**
 * Reconstruct the pools of the services connected to a server from samples of
 * `pg_stat_activity`: which connections belong together (per service, per replica), how many
 * were open and busy over time, which ones were opened and closed, and for how long they had
 * lived or idled when they closed. Pure: samples come in with the server's timestamps.
 *
 * What the server cannot see is kept out rather than guessed: a connection a client holds between
 * statements shows `idle`, so busy is a lower bound of checked out; pools of one process with the
 * same URL cannot be told apart; behind a proxy the connections are the proxy's.
 */
import type { LevelTimes } from '../run/types.js';
import type { ActivityRow, ActivitySample, CloseAttribution, CloseRecord, GroupField, Observation, ObservedGroup } from './types.js';
import { GROUP_FIELDS } from './types.js';
import { isClientRow, LoadAccumulator, type LoadClass } from './load.js';

/** States in which a backend is checked out and working, from the server's side. */
const BUSY_STATES = new Set(['active', 'idle in transaction', 'idle in transaction (aborted)', 'fastpath function call']);

/** Application names proxies and server-side poolers use for their own connections. */
const PROXY_NAMES = /pgbouncer|odyssey|pgcat|pgpool|supavisor|pgagroal|rds.?proxy|pgdog/i;

/** Short names for labels. */
const SHORT: Readonly<Record<GroupField, string>> = { application_name: 'app', datname: 'db', usename: 'user', client_addr: 'addr' };

/** Most points a group's saved timeline keeps (samples are merged into buckets beyond that). */
const TIMELINE_POINTS = 300;

/**
 * Samples a connection may show no application_name before its first name still counts as its own
 * start (a driver or pool that sets the name with a statement right after connecting: pgJDBC by
 * default, HikariCP's connectionInitSql, psycopg's configure, pgx's AfterConnect). Its samples
 * without a name are moved to the group of that name; past this many (50 s at the default
 * interval), it was a connection without a name for good, and one named later stays where it was.
 */
export const UNNAMED_START_SAMPLES = 250;

/** Changes between non-empty names a backend must make before it counts towards a proxy sign. */
export const PROXY_RENAMES_PER_BACKEND = 2;
/** Backends from one client address that must each make them. */
export const PROXY_RENAMING_BACKENDS = 2;

interface Conn {
  group: string;
  backendStartMs: number;
  lastAt: number;
  state: string;
  stateChangeMs: number | null;
  app: string;
  listener: boolean;
  /** Whether it was open at the first sample (else born inside the window). */
  initial: boolean;
  /** While it has had no application_name yet: the samples it was counted in, and whether it was busy in each (null once past {@link UNNAMED_START_SAMPLES}). */
  unnamed: Array<[number, boolean]> | null;
  /** Changes between non-empty application_names, and the names in order (the first few). */
  renames: number;
  names: string[];
}

interface GroupAcc {
  fields: Array<[GroupField, string]>;
  service: string;
  replica: string | null;
  open: number[];
  busy: number[];
  /** Per sample: connections held for LISTEN. */
  held: number[];
  reserved: number;
  initial: number;
  births: number;
  deaths: number;
  closes: CloseRecord[];
  birthsAtMs: number[];
  listenerSeen: boolean;
  othersSeen: boolean;
}

/** Options of {@link Reconstructor}. */
export interface ReconstructOptions {
  /** Fields that tell groups apart (default: all of {@link GROUP_FIELDS}). */
  groupBy?: readonly GroupField[];
}

/** Whether a row is pgmq's (or anyone's) `LISTEN` connection: idle, last statement a LISTEN. */
export function isListener(row: Pick<ActivityRow, 'state' | 'query'>): boolean {
  return row.state === 'idle' && /^\s*listen\s/i.test(row.query);
}

/** Whether a state counts as busy (checked out and working). */
export function isBusyState(state: string): boolean {
  return BUSY_STATES.has(state);
}

/** A group's service label from its fields (the client address left out). */
function serviceLabel(fields: Array<[GroupField, string]>): string {
  const parts = fields.filter(([f]) => f !== 'client_addr').map(([f, v]) => `${SHORT[f]}=${v === '' ? '(none)' : v}`);
  return parts.length ? parts.join(' ') : '(all)';
}

/**
 * Feeds on samples one at a time (memory grows with the number of samples per group, not with
 * connections) and builds the {@link Observation} at the end.
 */
export class Reconstructor {
  private readonly groupBy: GroupField[];
  private readonly times: number[] = [];
  private readonly groups = new Map<string, GroupAcc>();
  private conns = new Map<string, Conn>();
  private readonly proxySigns = new Set<string>();
  /** Per client address, the backends that changed between non-empty names again and again. */
  private readonly renamers = new Map<string, Map<string, Conn & { pid: number }>>();
  private readonly load = new LoadAccumulator();

  constructor(opts: ReconstructOptions = {}) {
    const g = opts.groupBy && opts.groupBy.length ? opts.groupBy : GROUP_FIELDS;
    this.groupBy = GROUP_FIELDS.filter((f) => g.includes(f));
  }

  /** Samples taken so far. */
  get samples(): number {
    return this.times.length;
  }

  /** Add the next sample (samples must come in time order). */
  add(sample: ActivitySample): void {
    const idx = this.times.length;
    const prevAt = idx > 0 ? this.times[idx - 1]! : undefined;
    if (prevAt !== undefined && sample.atMs < prevAt) return;
    this.times.push(sample.atMs);
    const open = new Map<string, number>();
    const busy = new Map<string, number>();
    const listeners = new Map<string, number>();
    const next = new Map<string, Conn>();
    // Background processes and parallel workers are load on the server, not connections of a pool.
    const clients = sample.rows.filter((r) => isClientRow(r));
    const gids = new Map<ActivityRow, string>();
    for (const r of clients) gids.set(r, this.groupFor(r));
    this.load.add(idx, sample.rows, (r) => gids.get(r) ?? null);
    for (const r of clients) {
      const key = `${r.pid}:${r.backendStartMs}`;
      const before = this.conns.get(key);
      let gid: string;
      if (before && before.app === '' && r.application_name !== '') gid = this.named(before, r, idx);
      else gid = before ? before.group : this.groupFor(r);
      if (before && before.app !== '' && r.application_name !== '' && before.app !== r.application_name) this.renamed(before, r);
      const acc = this.groups.get(gid)!;
      if (PROXY_NAMES.test(r.application_name)) this.proxySigns.add(`connections named '${r.application_name}' (a proxy's or pooler's own name)`);
      if (r.state === 'idle' && /^\s*discard\s+all/i.test(r.query)) this.proxySigns.add(`idle connections whose last statement is DISCARD ALL (a proxy's reset between clients, e.g. PgBouncer's server_reset_query) from ${r.client_addr}`);
      const listener = (before?.listener ?? false) || isListener(r);
      if (!before) {
        if (idx === 0) acc.initial++;
        else {
          acc.births++;
          acc.birthsAtMs.push(r.backendStartMs);
        }
      }
      const isBusy = !listener && isBusyState(r.state);
      const named = before ? before.app !== '' || r.application_name !== '' : r.application_name !== '';
      const unnamed = named || !this.groupBy.includes('application_name') ? null : before ? before.unnamed : [];
      if (unnamed) {
        if (unnamed.length < UNNAMED_START_SAMPLES) unnamed.push([idx, isBusy]);
      }
      next.set(key, {
        group: gid,
        backendStartMs: r.backendStartMs,
        lastAt: sample.atMs,
        state: r.state,
        stateChangeMs: r.stateChangeMs,
        app: before && before.app !== '' && r.application_name === '' ? before.app : r.application_name,
        listener,
        initial: before ? before.initial : idx === 0,
        unnamed: unnamed && unnamed.length < UNNAMED_START_SAMPLES ? unnamed : null,
        renames: before?.renames ?? 0,
        names: before?.names ?? (r.application_name !== '' ? [r.application_name] : []),
      });
      open.set(gid, (open.get(gid) ?? 0) + 1);
      if (listener) {
        listeners.set(gid, (listeners.get(gid) ?? 0) + 1);
        acc.listenerSeen = true;
      } else {
        acc.othersSeen = true;
        if (isBusy) busy.set(gid, (busy.get(gid) ?? 0) + 1);
      }
    }
    for (const [key, c] of this.conns) {
      if (next.has(key)) continue;
      const acc = this.groups.get(c.group)!;
      acc.deaths++;
      const idle = c.state === 'idle' && c.stateChangeMs !== null;
      acc.closes.push({
        ageMinS: (c.lastAt - c.backendStartMs) / 1000,
        ageMaxS: (sample.atMs - c.backendStartMs) / 1000,
        idleMinS: idle ? Math.max(0, c.lastAt - c.stateChangeMs!) / 1000 : null,
        idleMaxS: idle ? Math.max(0, sample.atMs - c.stateChangeMs!) / 1000 : null,
        goneAtMs: sample.atMs,
      });
    }
    this.conns = next;
    for (const [gid, acc] of this.groups) {
      while (acc.open.length < idx) {
        acc.open.push(0);
        acc.busy.push(0);
        acc.held.push(0);
      }
      acc.open.push(open.get(gid) ?? 0);
      acc.busy.push(busy.get(gid) ?? 0);
      acc.held.push(listeners.get(gid) ?? 0);
      acc.reserved = Math.max(acc.reserved, listeners.get(gid) ?? 0);
    }
  }

  /**
   * A backend's first application_name after none: its own start (the name set by a statement right
   * after connecting), so it belongs to the group of that name from its birth - the birth and the
   * samples it was counted in without a name move there. Returns the group it is in now.
   */
  private named(c: Conn, r: ActivityRow, idx: number): string {
    c.names = [r.application_name];
    if (!c.unnamed) return c.group;
    const gid = this.groupFor(r);
    if (gid === c.group) return gid;
    const from = this.groups.get(c.group)!;
    const to = this.groups.get(gid)!;
    if (c.initial) {
      from.initial--;
      to.initial++;
    } else {
      from.births--;
      const at = from.birthsAtMs.lastIndexOf(c.backendStartMs);
      if (at >= 0) from.birthsAtMs.splice(at, 1);
      to.births++;
      to.birthsAtMs.push(c.backendStartMs);
    }
    while (to.open.length < idx) {
      to.open.push(0);
      to.busy.push(0);
      to.held.push(0);
    }
    for (const [i, wasBusy] of c.unnamed) {
      from.open[i]!--;
      to.open[i]!++;
      if (wasBusy) {
        from.busy[i]!--;
        to.busy[i]!++;
      }
    }
    c.unnamed = null;
    return gid;
  }

  /** A change between two non-empty names: counted per backend; several backends of one address doing it again and again is a proxy sign. */
  private renamed(c: Conn, r: ActivityRow): void {
    c.renames++;
    if (c.names.length < 4) c.names.push(r.application_name);
    if (c.renames < PROXY_RENAMES_PER_BACKEND) return;
    const byAddr = this.renamers.get(r.client_addr) ?? new Map<string, Conn & { pid: number }>();
    this.renamers.set(r.client_addr, byAddr);
    byAddr.set(`${r.pid}:${r.backendStartMs}`, Object.assign(c, { pid: r.pid }));
    if (byAddr.size < PROXY_RENAMING_BACKENDS) return;
    const seen = [...byAddr.values()].slice(0, 3).map((b) => `${b.pid} (${b.names.map((n) => `'${n}'`).join(' -> ')}${b.renames + 1 > b.names.length ? ' -> ...' : ''})`);
    const sign = `backends from ${r.client_addr} changed their application_name between non-empty names again and again (${seen.join(', ')}): a proxy passing each client's name through its server connections (PgBouncer, pgcat, Odyssey in transaction mode) - or an application that sets application_name per job or request, which looks the same from the server (if so, observe it without application_name in --group-by)`;
    for (const x of this.proxySigns) if (x.startsWith(`backends from ${r.client_addr} changed`)) this.proxySigns.delete(x);
    this.proxySigns.add(sign);
  }

  private groupFor(r: ActivityRow): string {
    const fields = this.groupBy.map((f): [GroupField, string] => [f, r[f]]);
    const service = serviceLabel(fields);
    const replica = this.groupBy.includes('client_addr') ? r.client_addr : null;
    const id = replica === null ? service : `${service} @${replica}`;
    if (!this.groups.has(id)) {
      this.groups.set(id, { fields, service, replica, open: [], busy: [], held: [], reserved: 0, initial: 0, births: 0, deaths: 0, closes: [], birthsAtMs: [], listenerSeen: false, othersSeen: false });
    }
    return id;
  }

  /**
   * The per-sample series behind {@link finish}: each sample's time (server clock) and weight (ms
   * until the next; the last one the mean interval), open and busy per group id, and the server's
   * active sessions per wait class (for the saved timeline, src/core/observe/timeline.ts).
   */
  series(): SampleSeries {
    const n = this.times.length;
    const meanIntervalMs = n > 1 ? (this.times[n - 1]! - this.times[0]!) / (n - 1) : 0;
    const weights = this.times.map((t, i) => (i < n - 1 ? this.times[i + 1]! - t : meanIntervalMs));
    const pad = (xs: number[]): number[] => xs.concat(new Array<number>(Math.max(0, n - xs.length)).fill(0));
    const groups = Object.create(null) as SampleSeries['groups'];
    for (const [id, g] of this.groups) groups[id] = { open: pad(g.open), busy: pad(g.busy) };
    return { times: [...this.times], weights, groups, loadByClass: this.load.serverByClass(n) };
  }

  /** The observation so far (callable at any time, e.g. for a partial result). */
  finish(): Observation {
    const n = this.times.length;
    const t0 = n ? this.times[0]! : 0;
    const meanIntervalMs = n > 1 ? (this.times[n - 1]! - t0) / (n - 1) : 0;
    // Each sample's levels hold until the next sample; the last one for one mean interval.
    const weights = this.times.map((t, i) => (i < n - 1 ? this.times[i + 1]! - t : meanIntervalMs));
    const groups: ObservedGroup[] = [];
    for (const [id, g] of this.groups) {
      // A group only connections without a name yet were ever in, all of them since named: gone.
      if (g.initial === 0 && g.births === 0 && g.deaths === 0 && g.open.every((x) => x === 0)) continue;
      const open = g.open.concat(new Array<number>(n - g.open.length).fill(0));
      const busy = g.busy.concat(new Array<number>(n - g.busy.length).fill(0));
      const held = g.held.concat(new Array<number>(n - g.held.length).fill(0));
      const idle = open.map((o, i) => Math.max(0, o - busy[i]! - held[i]!));
      const bm = batchMeans(busy, weights);
      const seen = open.filter((x) => x > 0).length;
      groups.push({
        id,
        fields: g.fields,
        service: g.service,
        replica: g.replica,
        samplesSeen: seen,
        open: levelTimes(open, weights),
        busy: levelTimes(busy, weights),
        idle: levelTimes(idle, weights),
        openMin: open.length ? open.reduce((a, x) => Math.min(a, x), Infinity) : 0,
        meanOpen: weightedMean(open, weights),
        meanBusy: weightedMean(busy, weights),
        meanBusyStdErr: bm.stdErr,
        batches: bm.batches,
        reserved: g.reserved,
        initial: g.initial,
        births: g.births,
        deaths: g.deaths,
        closes: g.closes,
        birthsAtMs: g.birthsAtMs,
        timeline: downsample(this.times, open, busy, weights, t0),
      });
    }
    groups.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return {
      startedAt: t0,
      durationMs: n ? this.times[n - 1]! - t0 + meanIntervalMs : 0,
      samples: n,
      meanIntervalMs,
      groupBy: [...this.groupBy],
      groups,
      proxy: { detected: this.proxySigns.size > 0, signs: [...this.proxySigns] },
      notes: this.notes(groups),
      load: this.load.finish(weights, (v, w) => {
        const b = batchMeans(v, w);
        return { mean: weightedMean(v, w), stdErr: b.stdErr };
      }, groups.map((g) => g.id)),
    };
  }

  private notes(groups: ObservedGroup[]): string[] {
    const notes: string[] = [];
    if (!this.groupBy.includes('client_addr')) notes.push('replicas merged: the grouping leaves out client_addr, so the connections of every replica of a service count as one group');
    const unnamed = new Set<string>();
    for (const g of groups) {
      const acc = this.groups.get(g.id)!;
      if (acc.listenerSeen && acc.othersSeen) {
        notes.push(`${g.id}: a LISTEN connection (pgmq's listener, counted apart as ${g.reserved} reserved) beside other connections with the same name, database and role: if the process has separate database and pgmq pools with the same URL they are merged here (give each pool's URL its own application_name to split them)`);
      }
      const app = g.fields.find(([f]) => f === 'application_name');
      if (app && app[1] === '' && !unnamed.has(g.service)) {
        unnamed.add(g.service);
        notes.push(`${g.service}: no application_name, so every pool of one process with the same database and role is merged into one group (set PGAPPNAME, or application_name in each pool's URL, to tell them apart)`);
      }
    }
    return notes;
  }
}

/** Per-sample series of an observation (see {@link Reconstructor.series}). */
export interface SampleSeries {
  times: number[];
  weights: number[];
  groups: Record<string, { open: number[]; busy: number[] }>;
  loadByClass: Array<{ class: LoadClass; perSample: number[] }>;
}

/** Time-weighted mean of a series. */
export function weightedMean(values: readonly number[], weights: readonly number[]): number {
  let a = 0;
  let w = 0;
  for (let i = 0; i < values.length; i++) {
    a += values[i]! * weights[i]!;
    w += weights[i]!;
  }
  return w > 0 ? a / w : 0;
}

/**
 * Standard error of a time-weighted mean by batch means: the series is cut into `k` contiguous
 * batches (20, or fewer with under 100 samples, at least 5 samples each) long enough that their
 * means are nearly independent even when neighbouring samples are not. Null with under 10 samples.
 */
export function batchMeans(values: readonly number[], weights: readonly number[], maxBatches = 20): { stdErr: number | null; batches: number } {
  const n = values.length;
  const k = Math.min(maxBatches, Math.floor(n / 5));
  if (k < 2) return { stdErr: null, batches: 0 };
  const size = Math.floor(n / k);
  const means: number[] = [];
  for (let b = 0; b < k; b++) {
    const from = b * size;
    const to = b === k - 1 ? n : from + size;
    means.push(weightedMean(values.slice(from, to), weights.slice(from, to)));
  }
  const m = means.reduce((s, x) => s + x, 0) / k;
  const variance = means.reduce((s, x) => s + (x - m) ** 2, 0) / (k - 1);
  return { stdErr: Math.sqrt(variance / k), batches: k };
}

/** Time-weighted levels of a sampled gauge (weights in ms, stored as µs like a measured run's). */
export function levelTimes(values: readonly number[], weights: readonly number[]): LevelTimes {
  const byLevel = new Map<number, number>();
  for (let i = 0; i < values.length; i++) byLevel.set(values[i]!, (byLevel.get(values[i]!) ?? 0) + weights[i]! * 1000);
  const levels = [...byLevel.entries()].sort((a, b) => a[0] - b[0]);
  // A loop, not Math.max(...values): an hour at 5 Hz is 18,000 samples.
  return { levels, max: values.reduce((a, x) => Math.max(a, x), 0), last: values.length ? values[values.length - 1]! : 0 };
}

/** Share of the time a gauge was at `level` or above. */
export function shareAtLeast(l: LevelTimes, level: number): number {
  let at = 0;
  let all = 0;
  for (const [v, us] of l.levels) {
    all += us;
    if (v >= level) at += us;
  }
  return all > 0 ? at / all : 0;
}

function downsample(times: readonly number[], open: readonly number[], busy: readonly number[], weights: readonly number[], t0: number): Array<[number, number, number]> {
  const n = times.length;
  const per = Math.max(1, Math.ceil(n / TIMELINE_POINTS));
  const out: Array<[number, number, number]> = [];
  for (let from = 0; from < n; from += per) {
    const to = Math.min(n, from + per);
    out.push([Math.round(times[from]! - t0), Math.max(...open.slice(from, to)), round3(weightedMean(busy.slice(from, to), weights.slice(from, to)))]);
  }
  return out;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** The settings that let a close be attributed (seconds; null when the pool has none or they are unknown). */
export interface CloseSettings {
  lifetimeS: number | null;
  idleTimeoutS: number | null;
}

/**
 * Why a connection closed, by age first and idle time second. Libraries shorten lifetimes by a few
 * percent and some close an expired connection only when it is next returned or acquired, so an age
 * of at least 0.95x the lifetime counts as the lifetime; then an idle time of at least the idle
 * timeout as the idle timeout; anything else (errors, kills, a pool shrinking) stays unattributed.
 * Both use the upper bounds the samples give (the close came before the first sample without it).
 */
export function attributeClose(c: CloseRecord, s: CloseSettings): CloseAttribution {
  if (s.lifetimeS !== null && s.lifetimeS > 0 && c.ageMaxS >= 0.95 * s.lifetimeS) return 'lifetime';
  if (s.idleTimeoutS !== null && s.idleTimeoutS > 0 && c.idleMaxS !== null && c.idleMaxS >= s.idleTimeoutS) return 'idle';
  return 'unattributed';
}

/** Counts of close attributions. */
export function attributeCloses(closes: readonly CloseRecord[], s: CloseSettings): Record<CloseAttribution, number> {
  const out: Record<CloseAttribution, number> = { lifetime: 0, idle: 0, unattributed: 0 };
  for (const c of closes) out[attributeClose(c, s)]++;
  return out;
}
