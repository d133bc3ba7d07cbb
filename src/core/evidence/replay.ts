/**
 * Replaying observed traffic (`analyze --workload-from obs.json`): each pool's workload built from
 * saved evidence, so the advice can be measured before it is applied. Per environment and pool the
 * busiest replica is replayed (a replica is one pool; N replicas are N pools of the same size):
 * the arrival rate as an open Poisson load, and the hold from the best the evidence has - its
 * distribution (P50 and P99 as a lognormal), else its mean (exponential), else the server-side busy
 * time per acquire (mean busy over the rate). Every workload says which parts came from the
 * evidence and which were assumed. Pure.
 */
import type { AdvisorConfig, EnvironmentSpec } from '../advisor/types.js';
import type { HoldSpec, WorkloadSpec } from '../advisor/workload.js';
import { DRIVABLE_POOLS, type PoolName } from '../config/pools.js';
import { summarizeDistribution } from './distribution.js';
import type { EvidenceFile, PoolEvidence } from './types.js';
import { meanLevel } from '../run/occupancy.js';
import { formatNum, formatUs } from '../units.js';
import { LIMITS, outside, rangeText } from '../limits.js';

/** A workload replayed from evidence, with what it took from it and what it assumed. */
export interface ReplayedWorkload {
  env: string;
  pool: PoolName;
  replica: string | null;
  workload: WorkloadSpec;
  /** What came from the evidence, for people ("the acquire rate (120/s)"). */
  observed: string[];
  /** What the evidence did not have and was assumed. */
  assumed: string[];
}

/** The workloads, and the pools that could not be replayed with the reason. */
export interface Replay {
  workloads: ReplayedWorkload[];
  refused: string[];
}

/** How long each replayed workload runs (and warms up), from the advisor config or the flags. */
export interface ReplayTiming {
  durationS: number;
  warmupS: number;
}

/** The hold of one pool's evidence as a hold spec, with what it rests on. */
function holdOf(p: PoolEvidence, rate: number): { hold: HoldSpec; observed: string; assumed: string | null } | null {
  if (p.hold) {
    const s = summarizeDistribution(p.hold);
    if (s.p50Us !== null && s.p99Us !== null && s.p50Us > 0 && s.p99Us > s.p50Us) {
      return { hold: { kind: 'sleep', dist: 'lognormal', p50Ms: s.p50Us / 1000, p99Ms: s.p99Us / 1000 }, observed: `the hold-time distribution (P50 ${formatUs(s.p50Us)}, P99 ${formatUs(s.p99Us)}, as a lognormal)`, assumed: null };
    }
    if (s.meanUs > 0) {
      return { hold: { kind: 'sleep', dist: 'exponential', meanMs: s.meanUs / 1000 }, observed: `the mean hold (${formatUs(s.meanUs)})`, assumed: 'hold times exponential around that mean (the source has no distribution of them)' };
    }
  }
  const busy = p.occupancy?.inUse ? meanLevel(p.occupancy.inUse) : 0;
  if (busy > 0 && rate > 0) {
    const meanUs = (busy / rate) * 1e6;
    return { hold: { kind: 'sleep', dist: 'exponential', meanMs: meanUs / 1000 }, observed: `the server-side busy time (${formatNum(busy, 2)} busy on average over ${formatNum(rate, 1)}/s: ${formatUs(meanUs)} per acquire)`, assumed: 'hold times exponential around that mean; busy on the server is a lower bound of the hold' };
  }
  return null;
}

/**
 * The workloads of every pool in `file` that can be replayed: of each pool, the replica `replica`
 * names (its label as the evidence has it), else the busiest.
 */
export function replayWorkloads(file: EvidenceFile, timing: ReplayTiming, replica?: string): Replay {
  const workloads: ReplayedWorkload[] = [];
  const refused: string[] = [];
  for (const env of file.environments) {
    for (const name of DRIVABLE_POOLS) {
      const all = env.pools.filter((p) => p.pool === name);
      if (all.length === 0) continue;
      const pools = replica === undefined ? all : all.filter((p) => p.replica === replica);
      if (pools.length === 0) {
        refused.push(`${env.env}.${name}: no replica '${replica}' (it has ${all.map((p) => p.replica ?? '(one, unlabelled)').join(', ')})`);
        continue;
      }
      const withRate = pools.filter((p) => p.arrival && p.arrival.rate > 0).sort((a, b) => b.arrival!.rate - a.arrival!.rate);
      const p = withRate[0];
      if (!p) {
        refused.push(`${env.env}.${name}: ${pools[0]!.source.detail} has no acquire rate to replay (the server sees connections, not acquires); observe the service's pool metrics too (--prometheus)`);
        continue;
      }
      const rate = p.arrival!.rate;
      // What is replayed is a workload: it has the advisor config's bounds (a rate of 1e9/s, or a
      // hold of days, from a run's counters or an edited file, is no load to drive).
      const rateWhy = outside(rate, LIMITS.rate);
      if (rateWhy) {
        refused.push(`${env.env}.${name}: its acquire rate ${formatNum(rate, 3)}/s cannot be replayed (${rateWhy}; a workload's rate is ${rangeText(LIMITS.rate)}/s)`);
        continue;
      }
      const h = holdOf(p, rate);
      if (!h) {
        refused.push(`${env.env}.${name}: ${p.source.detail} has no hold time and no busy time to replay`);
        continue;
      }
      const hd = h.hold;
      const longest = hd.kind !== 'sleep' ? 0 : hd.dist === 'constant' ? hd.ms : hd.dist === 'exponential' ? hd.meanMs : Math.max(hd.p50Ms, hd.p99Ms);
      if (outside(longest, LIMITS.spanMs)) {
        refused.push(`${env.env}.${name}: its hold (${formatUs(longest * 1000)}) cannot be replayed (a workload's hold is at most ${LIMITS.spanMs.max / 3_600_000} h)`);
        continue;
      }
      const observed = [`the acquire rate (${formatNum(rate, 1)}/s, as Poisson arrivals)`, h.observed];
      const assumed = [...(h.assumed ? [h.assumed] : []), ...(all.length > 1 && replica === undefined ? [`the busiest of ${all.length} replicas (${p.replica ?? 'one'}) stands for each (--replica picks another)`] : [])];
      workloads.push({
        env: env.env,
        pool: name,
        replica: p.replica,
        workload: { pool: name, arrival: { mode: 'open', process: 'poisson', rate }, hold: h.hold, warmupS: timing.warmupS, rampS: 0, durationS: timing.durationS },
        observed,
        assumed,
      });
    }
  }
  return { workloads, refused };
}

/** The advisor config with the replayed workloads in place of the environments' own. */
export function withReplayedWorkloads(advisor: AdvisorConfig, replayed: readonly ReplayedWorkload[]): AdvisorConfig {
  const environments: Record<string, EnvironmentSpec> = Object.create(null) as Record<string, EnvironmentSpec>;
  for (const [k, v] of Object.entries(advisor.environments)) environments[k] = v;
  for (const env of new Set(replayed.map((r) => r.env))) {
    const base = Object.hasOwn(advisor.environments, env) ? advisor.environments[env]! : { targetP99WaitMs: {}, workloads: {} };
    const workloads: EnvironmentSpec['workloads'] = {};
    for (const r of replayed.filter((x) => x.env === env)) workloads[r.pool] = r.workload;
    environments[env] = { ...base, workloads };
  }
  return { ...advisor, environments };
}
