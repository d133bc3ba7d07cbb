/**
 * What `observe` reads from the server and what it reconstructs from it: plain, serialisable
 * data (no Maps), so an observation can be saved and read back.
 */
import type { LevelTimes } from '../run/types.js';
import type { ObservedLoad } from '../evidence/types.js';

/** Every {@link GroupField}, in the order labels show them: the one list the type is read from. */
export const GROUP_FIELDS = ['application_name', 'datname', 'usename', 'client_addr'] as const;

/** The `pg_stat_activity` columns a group can be told apart by (`--group-by`). */
export type GroupField = (typeof GROUP_FIELDS)[number];

/** One client backend in one sample of `pg_stat_activity` (the sampler's own row excluded). */
export interface ActivityRow {
  pid: number;
  /** `backend_start`, ms since the epoch on the server's clock. */
  backendStartMs: number;
  application_name: string;
  /** `host(client_addr)`; `local` for a unix socket. */
  client_addr: string;
  usename: string;
  datname: string;
  /** `active`, `idle`, `idle in transaction`, ... */
  state: string;
  /** `state_change`, ms since the epoch; null when the server has none. */
  stateChangeMs: number | null;
  /** The start of the last statement's text (enough to see `LISTEN` and `DISCARD ALL`). */
  query: string;
  /** `wait_event_type` and `wait_event` (null when not waiting; absent in samples taken before they were read). */
  waitEventType?: string | null;
  waitEvent?: string | null;
  /** `backend_type` (absent: `client backend`, as every row was before other backends were read). */
  backendType?: string;
  /** `leader_pid`: a parallel worker's leader. */
  leaderPid?: number | null;
}

/** One read of `pg_stat_activity`. */
export interface ActivitySample {
  /** The server's clock when it answered, ms since the epoch. */
  atMs: number;
  rows: ActivityRow[];
}

/** One connection that closed inside the window, as the samples bound it. */
export interface CloseRecord {
  /** Age when last seen, and when first seen absent (s): the close happened between the two. */
  ageMinS: number;
  ageMaxS: number;
  /** Time idle before the close (s), bounded the same way; null when it was not idle when last seen. */
  idleMinS: number | null;
  idleMaxS: number | null;
  /** When it was first seen gone, ms since the epoch on the server's clock (absent in observations saved before it was kept). */
  goneAtMs?: number;
}

/** Why a connection closed, as far as the server can tell. */
export type CloseAttribution = 'lifetime' | 'idle' | 'unattributed';

/** One pool of one replica (or a merge the server cannot split), reconstructed from the samples. */
export interface ObservedGroup {
  /** Label: the service's fields and, when replicas are told apart, the replica. */
  id: string;
  /** The values of the grouping fields (the replica's client address included when grouped by it). */
  fields: Array<[GroupField, string]>;
  /** The service label: `fields` without the client address. */
  service: string;
  /** The client address when grouping by it, else null (replicas merged). */
  replica: string | null;
  /** Samples in which the group had at least one connection. */
  samplesSeen: number;
  /** Open connections over time, time-weighted (µs at each level). */
  open: LevelTimes;
  /** Busy connections (`active` or `idle in transaction*`) over time: a lower bound of checked out. */
  busy: LevelTimes;
  /** Idle connections (open, not busy, not held for LISTEN) over time (absent in observations saved before it was kept). */
  idle?: LevelTimes;
  openMin: number;
  meanOpen: number;
  meanBusy: number;
  /** Standard error of meanBusy by batch means; null with too few samples. */
  meanBusyStdErr: number | null;
  batches: number;
  /** Connections held for `LISTEN` (most seen at once): permanently reserved, not in `busy`. */
  reserved: number;
  /** Connections open at the first sample. */
  initial: number;
  /** Connections first seen after the first sample, and ones that disappeared before the last. */
  births: number;
  deaths: number;
  closes: CloseRecord[];
  /** `backend_start` of each connection born inside the window, ms since the epoch (absent in observations saved before it was kept). */
  birthsAtMs?: number[];
  /** Downsampled [ms since start, open, busy] points (busy is the mean over the point). */
  timeline: Array<[number, number, number]>;
}

/** Why the server's view may be of a proxy rather than of the service's pools. */
export interface ProxySigns {
  detected: boolean;
  signs: string[];
}

/** Everything `observe` reconstructed from its samples. */
export interface Observation {
  startedAt: number;
  durationMs: number;
  samples: number;
  /** Mean gap between samples (ms). */
  meanIntervalMs: number;
  groupBy: GroupField[];
  groups: ObservedGroup[];
  proxy: ProxySigns;
  /** What the server cannot tell apart in these groups (said, not guessed). */
  notes: string[];
  /** The server's load by wait class (absent in observations saved before it was kept). */
  load?: ObservedLoad;
}
