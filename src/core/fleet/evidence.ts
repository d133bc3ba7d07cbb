/**
 * A fleet's Prometheus reading as evidence: each pool of each replica (instance or pod) in the one
 * model every later step reads (src/core/evidence), with the parts its family carries - the
 * acquire rate, waits (from histogram buckets, or only a mean), the mean hold from the use-time
 * sum, timeouts, churn by reason - and nothing it does not: gauges are sampled at scrape time, so
 * occupancy over time is not part of it. A replica's pool size is the family's own gauge when it
 * has one, else the Tasker config's. Pools that map to no Tasker environment known to the config
 * are listed as unmapped, with their figures. Pure.
 */
import { isPoolName, type PoolName } from '../config/pools.js';
import type { Distribution, EnvironmentEvidence, EvidenceSource, PoolEvidence, UnmappedPool } from '../evidence/types.js';
import { sizeWarning } from '../evidence/liveSize.js';
import type { MappedEnvironment } from '../observe/evidence.js';
import { UNMAPPED_ENV } from '../observe/evidence.js';
import type { FleetReading, ReplicaFigures } from './assemble.js';

/** The source of one replica's figures. */
function sourceOf(r: ReplicaFigures, reading: FleetReading, prometheus: string): EvidenceSource {
  // Per-window figures (closes per minute, rates) are over the series' own covered span.
  const part = r.partial ? `, over the ${Math.round(r.windowS)} s its series covered (${Math.round(r.partial.share * 100)}% of the window)` : '';
  return {
    kind: 'prometheus',
    detail: `${r.family} metrics of ${r.replica || 'the pool'} in Prometheus at ${prometheus}${part}`,
    startedAt: r.partial ? Math.round(r.partial.fromMs) : reading.window.startMs,
    durationMs: r.partial ? Math.round(r.windowS * 1000) : reading.window.endMs - reading.window.startMs,
  };
}

/** Acquire waits as the family has them: buckets (percentiles), or a mean only. */
function waitOf(r: ReplicaFigures): PoolEvidence['wait'] {
  const w = r.wait;
  if (!w) return undefined;
  let all: Distribution;
  if (w.buckets) {
    all = { form: 'buckets', upperUs: w.buckets.upperS.map((s) => (Number.isFinite(s) ? s * 1e6 : null)), counts: w.buckets.counts, ...(w.meanS !== null ? { sumUs: w.meanS * 1e6 * w.count } : {}) };
  } else if (w.meanS !== null) {
    all = { form: 'mean', count: w.count, meanUs: w.meanS * 1e6 };
  } else return undefined;
  return { all, count: r.acquires ?? w.count };
}

/** One replica's pool as evidence, with the settings of the config (its size from the gauge when there is one). */
function poolEvidence(r: ReplicaFigures, reading: FleetReading, prometheus: string, env: MappedEnvironment): PoolEvidence | null {
  const snapshot = env.config[r.pool as PoolName];
  if (!snapshot) return null;
  const settings = snapshot.settings;
  const wait = waitOf(r);
  const closed = r.closed;
  const live = r.max !== undefined && r.max > 0 && r.max !== settings.max_connections ? { maxConnections: r.max, from: `the pool's own max gauge (${r.family})` } : null;
  const inUseMean = r.use?.meanInUse ?? r.inUseMean;
  const gauges =
    inUseMean !== undefined || r.idleMean !== undefined
      ? {
          ...(inUseMean !== undefined ? { inUseMean } : {}),
          ...(r.inUseMax !== undefined ? { inUseMax: r.inUseMax } : {}),
          ...(r.idleMean !== undefined ? { idleMean: r.idleMean } : {}),
          ...(r.openMean !== undefined ? { openMean: r.openMean } : {}),
          from: r.use ? 'the use-time sum over the window (Little\'s law)' : 'the in-use gauge at scrape time',
        }
      : null;
  return {
    pool: r.pool as PoolName,
    replica: r.replica || null,
    source: sourceOf(r, reading, prometheus),
    settings,
    validity: { valid: true, reasons: [] },
    ...(live ? { liveSize: live, disagreements: [sizeWarning(snapshot, live)] } : {}),
    ...(gauges ? { gauges } : {}),
    ...(wait ? { wait } : {}),
    ...(r.use && r.use.meanS !== null ? { hold: { form: 'mean' as const, count: r.use.count, meanUs: r.use.meanS * 1e6 } } : {}),
    ...(r.create && r.create.meanS !== null ? { create: { form: 'mean' as const, count: r.create.count, meanUs: r.create.meanS * 1e6 } } : {}),
    ...(r.acquires !== undefined && r.arrivalRate !== undefined ? { arrival: { rate: r.arrivalRate, count: r.acquires } } : {}),
    ...(r.timeouts !== undefined ? { failures: { timeouts: r.timeouts, errors: r.errors ?? 0 } } : {}),
    ...(closed || r.created !== undefined
      ? { churn: { opened: r.created ?? 0, closed: { lifetime: closed?.lifetime ?? 0, idle: closed?.idle ?? 0, error: closed?.error ?? 0, shutdown: closed?.shutdown ?? 0, unattributed: 0 } } }
      : {}),
  };
}

function unmapped(r: ReplicaFigures, reading: FleetReading, prometheus: string, why: string): UnmappedPool {
  return {
    label: `${r.family} ${r.seriesPool || r.pool}`,
    replica: r.replica || null,
    source: sourceOf(r, reading, prometheus),
    reason: `${why}; map it in the [prometheus] table of the advisor config (docs/fleet.md) to have its keys advised`,
    // The most in use at a scrape stands for the most seen open: the gauge's max is the size, not a use.
    figures: { meanBusy: r.use?.meanInUse ?? r.inUseMean ?? 0, openMax: r.inUseMax ?? 0, reserved: 0, maxConnections: r.max ?? null },
  };
}

/**
 * The evidence of a fleet reading, per environment: a pool per replica for every series mapped to
 * a Tasker pool of an environment the config has (`envs`); the rest under {@link UNMAPPED_ENV}.
 * `prometheus` names the server (credentials removed).
 */
export function fleetEvidence(reading: FleetReading, envs: readonly MappedEnvironment[], prometheus: string): EnvironmentEvidence[] {
  const out = new Map<string, EnvironmentEvidence>();
  const durationMs = reading.window.endMs - reading.window.startMs;
  const envOf = (name: string, known: MappedEnvironment | undefined): EnvironmentEvidence => {
    let e = out.get(name);
    if (!e) {
      e = { env: name, durationMs, warmupMs: 0, pgmqShared: known?.pgmqShared ?? false, interrupted: false, pools: [], unmapped: [], workloads: [], config: known?.config ?? {}, overrides: [] };
      out.set(name, e);
    }
    return e;
  };
  for (const r of reading.replicas) {
    const known = envs.find((e) => e.env === r.env);
    const p = r.mapped && isPoolName(r.pool) && known ? poolEvidence(r, reading, prometheus, known) : null;
    if (p) {
      envOf(known!.env, known).pools.push(p);
      continue;
    }
    const why = !r.mapped ? `pool '${r.seriesPool}' is no Tasker pool` : !known ? `environment '${r.env}' is not in the Tasker config` : `the config has no ${r.pool} pool in ${r.env}`;
    envOf(UNMAPPED_ENV, undefined).unmapped.push(unmapped(r, reading, prometheus, why));
  }
  const order = [...envs.map((e) => e.env), UNMAPPED_ENV];
  return [...out.values()].sort((a, b) => order.indexOf(a.env) - order.indexOf(b.env));
}
