/**
 * Two sources of one window, merged: the service's pool metrics (Prometheus: acquire waits, rate,
 * holds) and the server's view (pg_stat_activity: connections busy and open over time, churn).
 * Where a pool of a replica is in both, each fills the other's gaps - the pool metrics' parts win
 * where both have one, the server adds what they lack - and the figures both see are compared:
 * the server's busy count is a lower bound of what the pool has checked out, so more busy on the
 * server than in use by the pool's own count, or more open than the pool may open, means the two
 * are not the same pool (a wrong mapping, another service on the same address) - said as a
 * disagreement, never averaged away. A replica is matched by its address (the instance label's
 * host against the client address), or one to one when each side has exactly one. Pure.
 */
import type { EnvironmentEvidence, PoolEvidence } from './types.js';
import { meanLevel, totalTime } from '../run/occupancy.js';
import { formatNum } from '../units.js';

/** Server busy above the pool's own in-use count by more than this share (plus {@link BUSY_SLACK}) is a disagreement. */
export const BUSY_EXCESS_SHARE = 0.15;
export const BUSY_SLACK = 0.3;

/** The host of a replica label (`10.0.0.7:9400`, `[::1]:9400`, `pod-a`). */
function hostOf(replica: string | null): string | null {
  if (replica === null) return null;
  const v6 = /^\[([^\]]+)\](:\d+)?$/.exec(replica);
  if (v6) return v6[1]!;
  return replica.replace(/:\d+$/, '');
}

const fmt = (x: number): string => formatNum(x, 2);

/** What the two sources say differently of one pool. */
function disagreements(client: PoolEvidence, server: PoolEvidence): string[] {
  const out: string[] = [];
  const occ = server.occupancy;
  const busy = occ?.inUse && totalTime(occ.inUse) > 0 ? meanLevel(occ.inUse) : null;
  const holdMeanUs = client.hold?.form === 'mean' ? client.hold.meanUs : null;
  const inUse = client.arrival && holdMeanUs !== null ? (client.arrival.rate * holdMeanUs) / 1e6 : null;
  if (busy !== null && inUse !== null && busy > inUse * (1 + BUSY_EXCESS_SHARE) + BUSY_SLACK) {
    out.push(`the server saw ${fmt(busy)} connections busy on average, more than the ${fmt(inUse)} the pool's own metrics had in use (the server's count is a lower bound of the pool's): the two are not the same pool - check the mapping (--map, [prometheus])`);
  }
  const max = client.liveSize?.maxConnections ?? client.settings.max_connections;
  if (occ?.open && occ.open.max > max) {
    out.push(`the server saw ${occ.open.max} connections open at once, more than the ${max} the pool may open: another pool or service shares this group - tell them apart (--group-by, an application_name per pool)`);
  }
  return out;
}

/** One pool of the pool metrics with the server's parts it lacks. */
function fill(client: PoolEvidence, server: PoolEvidence): PoolEvidence {
  return {
    ...client,
    source: { ...client.source, detail: `${client.source.detail}, with ${server.source.detail}` },
    ...(client.occupancy ? {} : server.occupancy ? { occupancy: server.occupancy } : {}),
    ...(client.churn ? {} : server.churn ? { churn: server.churn } : {}),
    ...(server.serverLoad ? { serverLoad: server.serverLoad } : {}),
    validity: { valid: client.validity.valid && server.validity.valid, reasons: [...client.validity.reasons, ...server.validity.reasons] },
    ...(client.liveSize || !server.liveSize ? {} : { liveSize: server.liveSize }),
    disagreements: [...(client.disagreements ?? []), ...(client.liveSize ? [] : (server.disagreements ?? [])), ...disagreements(client, server)],
  };
}

/** Merge the server's evidence (`server`) into the pool metrics' (`client`), environment by environment. */
export function mergeSources(client: readonly EnvironmentEvidence[], server: readonly EnvironmentEvidence[]): EnvironmentEvidence[] {
  const out = client.map((e) => ({ ...e, pools: [...e.pools], unmapped: [...e.unmapped] }));
  for (const s of server) {
    const c = out.find((e) => e.env === s.env);
    if (!c) {
      out.push({ ...s, pools: [...s.pools], unmapped: [...s.unmapped] });
      continue;
    }
    c.unmapped.push(...s.unmapped);
    const merged = new Set<number>();
    for (const sp of s.pools) {
      const candidates = c.pools.map((p, i) => ({ p, i })).filter(({ p, i }) => p.pool === sp.pool && p.source.kind !== sp.source.kind && !merged.has(i));
      const byHost = candidates.filter(({ p }) => hostOf(p.replica) !== null && hostOf(p.replica) === hostOf(sp.replica));
      const sameName = s.pools.filter((x) => x.pool === sp.pool).length;
      const match = byHost[0] ?? (candidates.length === 1 && sameName === 1 ? candidates[0] : undefined);
      if (match) {
        c.pools[match.i] = fill(match.p, sp);
        merged.add(match.i);
      }
      else c.pools.push(sp);
    }
  }
  return out;
}
