/**
 * An observation as evidence: what the server saw of each pool of each replica, in the one model
 * every later step reads (src/core/evidence). The server sees connections, not acquires, so a
 * pool's evidence has occupancy (busy as a lower bound of checked out, open, the LISTEN ones
 * reserved) and churn (births, deaths, closes by reason) and nothing else: no waits, no holds, no
 * acquire rate. Groups `--map` ties to a Tasker pool become that pool's evidence, with the config's
 * settings; the others are listed as unmapped, with their figures. Pure.
 */
import { BOUNDS, outside } from '../limits.js';
import type { PoolName } from '../config/pools.js';
import type { PoolConfigSnapshot } from '../run/types.js';
import type { EnvironmentEvidence, EvidenceSource, PoolEvidence, ServerLoadEvidence, StatementBounds, UnmappedPool, Validity } from '../evidence/types.js';
import type { RoleCrossCheck } from './crossCheck.js';
import { attributeClose, shareAtLeast } from './reconstruct.js';
import { mapFlagFor } from './map.js';
import { sizeWarning } from '../evidence/liveSize.js';
import { HELD_OPEN_SHARE, type GroupSummary } from './summary.js';
import type { Observation, ObservedGroup } from './types.js';
import { pgBouncerPoolEvidence, type PgBouncerReading } from './pgbouncer.js';

/** The name of the environment that holds the groups no `--map` ties to a Tasker environment. */
export const UNMAPPED_ENV = 'unmapped';

/** What the config says of an environment a `--map` names. */
export interface MappedEnvironment {
  env: string;
  pgmqShared: boolean;
  config: Partial<Record<PoolName, PoolConfigSnapshot>>;
}

/** The parts of an observation file the evidence is made of. */
export interface ObservationParts {
  source: EvidenceSource;
  intervalMs: number;
  observation: Observation;
  groups: GroupSummary[];
  validity: Validity;
  partial: boolean;
  /** pg_stat_statements per role over the window; null or absent when it could not be read. */
  roles?: readonly RoleCrossCheck[] | null;
  /** PgBouncer's console over the window (`--pgbouncer-url`): its pools go with the unmapped groups. */
  pgbouncer?: PgBouncerReading;
  /** The server's core count and where it came from (absent: unknown). */
  cores?: ServerCores;
}

/** The server's CPU count (`--server-cores`, node_exporter, this machine), or null and why not. */
export interface ServerCores {
  count: number | null;
  source: string;
}

/** A group's share of the server's load, when the samples carried wait events. */
export function serverLoadEvidence(g: ObservedGroup, parts: ObservationParts): ServerLoadEvidence | undefined {
  const load = parts.observation.load;
  const own = load?.groups[g.id];
  if (!load || !own) return undefined;
  return { cores: parts.cores?.count ?? null, coresSource: parts.cores?.source ?? 'not given', server: load.server, pool: own, samples: load.samples, intervalMs: parts.intervalMs };
}

/**
 * The statement counters of a group's role, when they are the group's alone: the observation was
 * grouped by role, no other group seen used the role (another pool or replica of it would share
 * the counts), no entry was evicted inside the window, and statements ran. Null otherwise.
 */
export function statementBounds(g: ObservedGroup, parts: ObservationParts): StatementBounds | null {
  const role = g.fields.find(([f]) => f === 'usename')?.[1];
  if (role === undefined) return null;
  const r = parts.roles?.find((x) => x.role === role);
  if (!r || r.countsComplete !== true || !(r.calls > 0) || !(r.windowMs > 0)) return null;
  const sharers = parts.observation.groups.filter((x) => x.fields.some(([f, v]) => f === 'usename' && v === role));
  if (sharers.length !== 1) return null;
  const meanUs = ((r.statementsMeanBusy * r.windowMs) / r.calls) * 1000;
  // Counters reset inside the window (pg_stat_statements_reset) give differences no statement has:
  // bounded as a saved observation's reader bounds them.
  if (outside(meanUs, BOUNDS.spanUs) !== undefined || outside(r.calls, BOUNDS.count) !== undefined) return null;
  return { role, calls: r.calls, meanUs, windowMs: r.windowMs };
}

/** The figures of a group no Tasker pool stands for, so the user can map it (and size it by hand). */
function unmappedReason(s: GroupSummary, g: ObservedGroup): string {
  const fig = `mean busy ${s.meanBusy.toFixed(2)}, open ${s.openMin}-${s.openMax}${s.reserved ? `, ${s.reserved} held for LISTEN` : ''}`;
  return `${fig}; tie it to a Tasker pool with ${mapFlagFor(g.fields)} (docs/observe.md) to have its keys advised`;
}

/**
 * Whether a group kept its most seen open for {@link HELD_OPEN_SHARE} of the window, every close
 * replaced (a fixed pool, or one that never closes idle connections): its open count then says
 * nothing of its need.
 */
export function openHeld(g: ObservedGroup): boolean {
  return g.open.max > 0 && g.births >= g.deaths && shareAtLeast(g.open, g.open.max) >= HELD_OPEN_SHARE;
}

/** One mapped group as a pool's evidence. */
function poolEvidence(g: ObservedGroup, s: GroupSummary, parts: ObservationParts, snapshot: PoolConfigSnapshot): PoolEvidence {
  const settings = snapshot.settings;
  // Tasker's answer is the size the pool ran with; the config's stays the size of record.
  const liveMax = s.settings?.sizeSource === 'tasker' ? s.settings.maxConnections : null;
  const live = liveMax != null && liveMax !== settings.max_connections ? { maxConnections: liveMax, from: "Tasker's /health/detailed" } : null;
  const closes = s.closes;
  const statements = statementBounds(g, parts);
  const serverLoad = serverLoadEvidence(g, parts);
  const t0 = parts.observation.startedAt;
  // When idle closes were seen and connections opened, for pairing a close with a reopen (older
  // observations kept neither time: no pairing then).
  const cs = s.settings ? { lifetimeS: s.settings.lifetimeS, idleTimeoutS: s.settings.idleTimeoutS } : null;
  const idleGone = cs ? g.closes.filter((c) => attributeClose(c, cs) === 'idle').map((c) => c.goneAtMs) : [];
  const times =
    g.birthsAtMs && idleGone.every((t): t is number => t !== undefined)
      ? { idleClosedAtMs: (idleGone as number[]).map((t) => Math.max(0, t - t0)), openedAtMs: g.birthsAtMs.map((t) => Math.max(0, t - t0)) }
      : {};
  return {
    pool: s.settings!.pool,
    replica: g.replica,
    source: parts.source,
    settings,
    validity: parts.validity,
    ...(live ? { liveSize: live, disagreements: [sizeWarning(snapshot, live)] } : {}),
    occupancy: {
      exact: false,
      samples: g.samplesSeen,
      intervalMs: parts.intervalMs,
      inUse: g.busy,
      inUseIsLowerBound: true,
      ...(g.meanBusyStdErr !== null ? { inUseMeanStdErr: g.meanBusyStdErr, inUseBatches: g.batches } : {}),
      open: g.open,
      ...(g.idle ? { idle: g.idle } : {}),
      reserved: g.reserved,
    },
    churn: {
      opened: g.births,
      closed: {
        lifetime: closes?.lifetime ?? 0,
        idle: closes?.idle ?? 0,
        error: 0,
        shutdown: 0,
        unattributed: closes ? closes.unattributed : g.deaths,
      },
      idleClosedAgesS: g.closes.filter((c) => c.idleMinS !== null).map((c) => (c.ageMinS + c.ageMaxS) / 2),
      ...times,
    },
    ...(statements ? { statements } : {}),
    ...(serverLoad ? { serverLoad } : {}),
  };
}

/**
 * The evidence of an observation, per environment: a pool per mapped group and replica, and the
 * groups no mapping ties to an environment under {@link UNMAPPED_ENV}. `envs` gives the config of
 * each environment a mapping names.
 */
export function observationEvidence(parts: ObservationParts, envs: readonly MappedEnvironment[]): EnvironmentEvidence[] {
  const byId = new Map(parts.observation.groups.map((g) => [g.id, g]));
  const out = new Map<string, EnvironmentEvidence>();
  const envOf = (name: string, known: MappedEnvironment | undefined): EnvironmentEvidence => {
    let e = out.get(name);
    if (!e) {
      e = {
        env: name,
        durationMs: parts.source.durationMs,
        warmupMs: 0,
        pgmqShared: known?.pgmqShared ?? false,
        interrupted: parts.partial,
        pools: [],
        unmapped: [],
        workloads: [],
        config: known?.config ?? {},
        overrides: [],
      };
      out.set(name, e);
    }
    return e;
  };
  for (const s of parts.groups) {
    const g = byId.get(s.id);
    if (!g) continue;
    const known = s.settings ? envs.find((e) => e.env === s.settings!.env) : undefined;
    const snapshot = known?.config[s.settings?.pool as PoolName];
    if (s.settings && known && snapshot) {
      envOf(known.env, known).pools.push(poolEvidence(g, s, parts, snapshot));
      continue;
    }
    const u: UnmappedPool = {
      label: s.service || s.id,
      replica: s.replica,
      source: parts.source,
      reason: unmappedReason(s, g),
      figures: { meanBusy: s.meanBusy, openMax: s.openMax, reserved: s.reserved, maxConnections: s.settings?.maxConnections ?? null, busyMax: s.busyMax, openHeld: openHeld(g) },
      ...(parts.validity.valid ? {} : { validity: parts.validity }),
    };
    envOf(UNMAPPED_ENV, undefined).unmapped.push(u);
  }
  // The proxy's own pools are no Tasker pool's: they go with the unmapped groups.
  const proxyPools = parts.pgbouncer ? pgBouncerPoolEvidence(parts.pgbouncer) : [];
  if (proxyPools.length > 0) envOf(UNMAPPED_ENV, undefined).proxyPools = proxyPools;
  // Mapped environments first, in the order the mappings name them; the unmapped last.
  const order = [...envs.map((e) => e.env), UNMAPPED_ENV];
  return [...out.values()].sort((a, b) => order.indexOf(a.env) - order.indexOf(b.env));
}
