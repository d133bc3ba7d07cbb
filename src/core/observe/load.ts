/**
 * The server's own load by what it waits on, from samples of `pg_stat_activity`: average active
 * sessions (AAS) by wait class, per group and for the whole server, and the top wait events, each
 * with a standard error by batch means (as the occupancy). Pure.
 *
 * What counts (docs/facts.md, "Observing from the server side"; docs/observe.md, "Server load"):
 * - only active backends (`active`, `fastpath function call`) are load; `idle in transaction` is
 *   busy for the pool but not load on the server;
 * - an active backend with no wait event is on a CPU (class `CPU`); otherwise its class is its
 *   `wait_event_type` (Lock, LWLock, BufferPin, IO, IPC, Client, Timeout, Extension);
 * - a parallel worker counts for its leader's group;
 * - other non-client backends (autovacuum, walsender, ...) count toward the server and belong to no
 *   group; a background process with no state counts only while it waits on something other than
 *   the Activity class (its idle wait); the Activity class never counts;
 * - the sampler's own backend is not in the samples.
 */
import type { ActivityRow } from './types.js';
import { LOAD_CLASSES, type LoadClass, type LoadProfile, type MeanWithError, type ObservedLoad } from '../evidence/types.js';

export { LOAD_CLASSES, type LoadClass, type LoadProfile, type MeanWithError, type ObservedLoad };

/** Wait events kept in a profile (most active time first). */
export const TOP_EVENTS = 5;

/** The class an active backend's load falls in, or null when it is not load. */
export function loadClass(row: Pick<ActivityRow, 'state' | 'waitEventType' | 'backendType'>): LoadClass | null {
  const active = row.state === 'active' || row.state === 'fastpath function call';
  const type = row.waitEventType ?? null;
  const client = (row.backendType ?? 'client backend') === 'client backend';
  if (!active) {
    // A background process has no state (''): it counts while it waits on something other than its idle loop.
    if (client || row.state !== '' || type === null || type === 'Activity') return null;
  }
  if (type === null) return 'CPU';
  if (type === 'Activity') return null;
  return (LOAD_CLASSES as readonly string[]).includes(type) ? (type as LoadClass) : 'Extension';
}

/** Whether a row is a client backend (rows saved before backend types were read are). */
export function isClientRow(row: Pick<ActivityRow, 'backendType'>): boolean {
  return (row.backendType ?? 'client backend') === 'client backend';
}

/** One series per key, filled lazily (a key first seen at sample i is 0 before). */
class Series {
  readonly byKey = new Map<string, number[]>();
  add(key: string, idx: number, n: number): void {
    let s = this.byKey.get(key);
    if (!s) this.byKey.set(key, (s = []));
    while (s.length < idx) s.push(0);
    if (s.length === idx) s.push(0);
    s[idx]! += n;
  }
  get(key: string, n: number): number[] {
    const s = this.byKey.get(key) ?? [];
    return s.length >= n ? s : s.concat(new Array<number>(n - s.length).fill(0));
  }
}

/** One profile's accumulator: a series per class, per event, and the total. */
class ProfileAcc {
  readonly classes = new Series();
  readonly events = new Series();
  readonly total = new Series();
  add(idx: number, cls: LoadClass, type: string | null, event: string | null): void {
    this.classes.add(cls, idx, 1);
    this.total.add('all', idx, 1);
    if (type !== null) this.events.add(`${type}:${event ?? ''}`, idx, 1);
  }
}

type Stats = (values: readonly number[], weights: readonly number[]) => MeanWithError;

/** Feeds on the rows of each sample (with the group each client row belongs to) and builds the profiles. */
export class LoadAccumulator {
  private readonly server = new ProfileAcc();
  private readonly clients = new ProfileAcc();
  private readonly background = new ProfileAcc();
  private readonly groups = new Map<string, ProfileAcc>();

  /**
   * Add one sample's rows. `groupOf` gives a client backend's group (null for none); a parallel
   * worker goes to its leader's group when the leader is in the same sample.
   */
  add(idx: number, rows: readonly ActivityRow[], groupOf: (r: ActivityRow) => string | null): void {
    const leaders = new Map<number, string | null>();
    for (const r of rows) if (isClientRow(r)) leaders.set(r.pid, groupOf(r));
    for (const r of rows) {
      const cls = loadClass(r);
      if (cls === null) continue;
      const type = r.waitEventType ?? null;
      const event = r.waitEvent ?? null;
      this.server.add(idx, cls, type, event);
      let gid: string | null = null;
      let client = isClientRow(r);
      if (client) gid = groupOf(r);
      else if (r.leaderPid != null && leaders.has(r.leaderPid)) {
        client = true;
        gid = leaders.get(r.leaderPid)!;
      }
      (client ? this.clients : this.background).add(idx, cls, type, event);
      if (gid !== null) {
        let g = this.groups.get(gid);
        if (!g) this.groups.set(gid, (g = new ProfileAcc()));
        g.add(idx, cls, type, event);
      }
    }
  }

  /** The server's active sessions per class at each of `n` samples (classes seen only, in {@link LOAD_CLASSES} order). */
  serverByClass(n: number): Array<{ class: LoadClass; perSample: number[] }> {
    const c = this.server.classes;
    return LOAD_CLASSES.filter((k) => c.byKey.has(k)).map((k) => ({ class: k, perSample: c.get(k, n) }));
  }

  /** The profiles over `weights` (one per sample, ms). */
  finish(weights: readonly number[], stats: Stats, groupIds: readonly string[]): ObservedLoad {
    const n = weights.length;
    const profile = (a: ProfileAcc | undefined): LoadProfile => {
      if (!a) return { aas: stats(new Array<number>(n).fill(0), weights), byClass: [], topEvents: [] };
      const byClass = LOAD_CLASSES.filter((c) => a.classes.byKey.has(c)).map((c) => ({ class: c, ...stats(a.classes.get(c, n), weights) }));
      const events = [...a.events.byKey.keys()].map((k) => {
        const at = k.indexOf(':');
        return { type: k.slice(0, at), event: k.slice(at + 1), ...stats(a.events.get(k, n), weights) };
      });
      const most = <T extends MeanWithError>(x: T[]): T[] => x.sort((p, q) => q.mean - p.mean);
      return { aas: stats(a.total.get('all', n), weights), byClass: most(byClass), topEvents: most(events).slice(0, TOP_EVENTS) };
    };
    // Keyed by group labels, which carry the service's own application_name: no prototype.
    const groups = Object.create(null) as Record<string, LoadProfile>;
    for (const id of groupIds) groups[id] = profile(this.groups.get(id));
    return { server: profile(this.server), clients: profile(this.clients), background: profile(this.background), groups, samples: n };
  }
}

