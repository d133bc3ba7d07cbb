/**
 * Evaluating parsed thresholds against a saved run. Values come straight from each pool's
 * recorded data (histograms, counters, exact occupancy), so a threshold means the same thing
 * whatever the analysis does with the run. Pure: no I/O.
 *
 * A threshold that cannot be evaluated (its pool is not in the run, or the run holds nothing
 * for that metric) is a `no-data` result, which fails the check: a gate that passes on no
 * evidence is no gate. A run with no samples at all is the caller's exit 4 (`hasSamples`, evidence/samples.ts).
 */
import type { PoolName } from '../config/pools.js';
import { decode, type Histogram } from '../run/histogram.js';
import { levelPercentile, meanLevel, totalTime } from '../run/occupancy.js';
import type { LevelTimes } from '../run/types.js';
import { SOURCE_LABEL } from '../evidence/parts.js';
import { bucketsQuantile, summarizeDistribution } from '../evidence/distribution.js';
import type { Distribution, EnvironmentEvidence, EvidenceFile, PoolEvidence } from '../evidence/types.js';
import { formatAggregation, formatThreshold, type Aggregation, type BaseUnit, type MetricName, type Operator, type Threshold } from './parse.js';
import { formatCompact } from '../units.js';

/** The outcome of one threshold on one pool of one environment. */
export type ThresholdStatus = 'held' | 'breached' | 'no-data';

/** One threshold evaluated on one pool of one environment (`*` yields one result per pool). */
export interface ThresholdResult {
  threshold: Threshold;
  env: string;
  /** The pool evaluated; `*` only when the environment has no pools at all. */
  pool: PoolName | '*';
  /** The canonical expression with the concrete pool, e.g. `database.acquire: p(99) < 50ms`. */
  expression: string;
  status: ThresholdStatus;
  /** The observed value in `threshold.unit`, or null with no data. */
  observed: number | null;
  /** The observed value as people read it, e.g. `p(99)=1.21ms`, or the no-data reason. */
  observedText: string;
  /** Why there is no data, for `no-data` results. */
  reason?: string;
  /** The evidence's source cannot see the figure (as opposed to a window that recorded none of it). */
  unseen?: true;
  /** The replica evaluated, when the evidence is per replica. */
  replica?: string;
}

/** A value, or the reason there is none. */
export type Observation = { value: number } | { noData: string; unseen?: true };

/** Decoded histograms of one pool, decoded once however many thresholds read them. */
class PoolView {
  private readonly cache = new Map<'wait' | 'hold' | 'create', Histogram>();
  constructor(readonly run: PoolEvidence) {}
  /** The HDR histogram of a distribution, or null when the evidence has none (or has it in another form). */
  histogram(name: 'wait' | 'hold' | 'create'): Histogram | null {
    let h = this.cache.get(name);
    if (!h) {
      const d: Distribution | undefined = name === 'wait' ? this.run.wait?.all : this.run[name];
      if (d?.form !== 'hdr') return null;
      h = decode(d.encoded);
      this.cache.set(name, h);
    }
    return h;
  }
}

/** "this needs X, which <source> cannot see". */
function unseen(p: PoolEvidence, what: string): { noData: string; unseen: true } {
  return { noData: `this needs ${what}, which ${SOURCE_LABEL[p.source.kind]} cannot see`, unseen: true };
}

const HISTOGRAM_OF: Record<'acquire' | 'hold' | 'create', 'wait' | 'hold' | 'create'> = { acquire: 'wait', hold: 'hold', create: 'create' };

/** Each counted metric: its count in the evidence (undefined when the source cannot see it), and what it needs. */
const COUNTER_OF: Record<'timeouts' | 'expired' | 'idle_closed' | 'created' | 'errors' | 'slow', { of: (p: PoolEvidence) => number | undefined; needs: string }> = {
  timeouts: { of: (p) => p.failures?.timeouts, needs: 'acquire timeouts' },
  expired: { of: (p) => p.churn?.closed.lifetime, needs: 'connection closes' },
  idle_closed: { of: (p) => p.churn?.closed.idle, needs: 'connection closes' },
  created: { of: (p) => p.churn?.opened, needs: 'connection opens' },
  errors: { of: (p) => p.failures?.errors, needs: 'acquire errors' },
  slow: { of: (p) => p.failures?.slow, needs: 'slow acquires' },
};

/** The value of one metric and aggregation on one pool's evidence. */
export function observe(pool: PoolEvidence, metric: MetricName, agg: Aggregation): Observation {
  return observeView(new PoolView(pool), metric, agg);
}

function observeView(view: PoolView, metric: MetricName, agg: Aggregation): Observation {
  const run = view.run;
  switch (metric) {
    case 'acquire':
    case 'hold':
    case 'create': {
      const h = view.histogram(HISTOGRAM_OF[metric]);
      const what = metric === 'acquire' ? 'the acquire-wait distribution' : metric === 'hold' ? 'the hold-time distribution' : 'the connection open-time distribution';
      if (!h) {
        // Not an HDR histogram: Prometheus-style buckets answer percentiles (as histogram_quantile
        // does), the mean and the top bucket; a mean alone answers the mean only.
        const d: Distribution | undefined = metric === 'acquire' ? run.wait?.all : run[HISTOGRAM_OF[metric] as 'hold' | 'create'];
        if (!d || d.form === 'hdr') return unseen(run, what);
        const s = summarizeDistribution(d);
        if (s.count === 0) return { noData: `no ${metric === 'acquire' ? 'acquires' : metric === 'hold' ? 'holds' : 'connections created'} recorded` };
        if (agg.name === 'avg' && (d.form === 'mean' || d.sumUs !== undefined)) return { value: s.meanUs };
        if (d.form === 'buckets' && agg.name === 'p') return { value: bucketsQuantile(d, agg.percentile! / 100) };
        if (d.form === 'buckets' && agg.name === 'max' && s.maxUs !== null) return { value: s.maxUs };
        return unseen(run, `${what} as ${agg.name === 'p' ? 'percentiles' : agg.name === 'min' ? 'a minimum' : agg.name === 'max' ? 'a maximum' : 'a mean'}`);
      }
      if (h.totalCount === 0) return { noData: `no ${metric === 'acquire' ? 'acquires' : metric === 'hold' ? 'holds' : 'connections created'} recorded` };
      if (agg.name === 'p') return { value: h.getValueAtPercentile(agg.percentile!) };
      if (agg.name === 'avg') return { value: h.mean };
      if (agg.name === 'min') return { value: h.minNonZeroValue };
      return { value: h.maxValue };
    }
    case 'timeouts':
    case 'expired':
    case 'idle_closed':
    case 'created':
    case 'errors':
    case 'slow': {
      const n = COUNTER_OF[metric].of(run);
      if (n === undefined) return unseen(run, COUNTER_OF[metric].needs);
      if (agg.name === 'count') return { value: n };
      if (!(run.source.durationMs > 0)) return { noData: 'the measured window has no duration' };
      return { value: n / (run.source.durationMs / 1000) };
    }
    case 'waited':
    case 'slow_share': {
      const part = metric === 'waited' ? run.wait?.waited : run.failures?.slow;
      if (part === undefined || !run.wait) return unseen(run, metric === 'waited' ? 'the acquires that waited' : 'slow acquires and the acquire count');
      const acquires = run.wait.count;
      if (!(acquires > 0)) return { noData: 'no acquires recorded' };
      return { value: part / acquires };
    }
    case 'in_use':
    case 'idle':
    case 'waiting':
    case 'utilization': {
      const seen: LevelTimes | undefined = metric === 'idle' ? run.occupancy?.idle : metric === 'waiting' ? run.occupancy?.waiting : run.occupancy?.inUse;
      if (!seen) return unseen(run, metric === 'idle' ? 'idle connections over time' : metric === 'waiting' ? 'callers waiting over time' : 'connections in use over time');
      const levels = seen;
      if (!(totalTime(levels) > 0)) return { noData: 'the occupancy covers no time' };
      const v = agg.name === 'value' ? levels.last : agg.name === 'mean' ? meanLevel(levels) : agg.name === 'max' ? levels.max : levelPercentile(levels, agg.percentile!);
      if (metric !== 'utilization') return { value: v };
      const max = run.settings.max_connections;
      if (!(max > 0)) return { noData: 'max_connections is 0 in the run, so utilization is undefined' };
      return { value: v / max };
    }
  }
}

/** Whether `observed OP limit` holds. */
export function compare(observed: number, op: Operator, limit: number): boolean {
  switch (op) {
    case '<':
      return observed < limit;
    case '<=':
      return observed <= limit;
    case '>':
      return observed > limit;
    case '>=':
      return observed >= limit;
    case '==':
      return observed === limit;
    case '!=':
      return observed !== limit;
  }
}

/** The environments of a run to check: all, or those named (the caller has checked the names exist). */
export function selectEnvironments(run: EvidenceFile, envs?: readonly string[]): EnvironmentEvidence[] {
  // An observation's groups that map to no Tasker environment are no environment to judge.
  return run.environments.filter((e) => (!envs || envs.length === 0 || envs.includes(e.env)) && !(e.pools.length === 0 && e.unmapped.length > 0));
}


function absentReason(env: EnvironmentEvidence, pool: PoolName): string {
  if (pool === 'pgmq' && env.pgmqShared) return `pool 'pgmq' is not in the run for '${env.env}': PGMQ's work went through the database pool there`;
  const present = env.pools.map((p) => p.pool);
  return `pool '${pool}' is not in the run for '${env.env}' (it has: ${present.length > 0 ? present.join(', ') : 'no pools'})`;
}

/**
 * Evaluate thresholds on every selected environment of a run. `*` expands to each pool the
 * environment's run has; a named pool the run lacks gives a `no-data` result.
 */
export function evaluateThresholds(thresholds: readonly Threshold[], run: EvidenceFile, envs?: readonly string[]): ThresholdResult[] {
  const results: ThresholdResult[] = [];
  for (const env of selectEnvironments(run, envs)) {
    // One view per pool and replica: every replica of a pool must hold a threshold on it.
    const views = env.pools.map((p) => new PoolView(p));
    for (const t of thresholds) {
      const pools: Array<PoolName | '*'> = t.pool === '*' ? [...new Set(env.pools.map((p) => p.pool))] : [t.pool];
      if (pools.length === 0) pools.push('*');
      for (const pool of pools) {
        const matching = pool === '*' ? [] : views.filter((v) => v.run.pool === pool);
        const expression = formatThreshold(t, pool);
        for (const view of matching.length > 0 ? matching : [undefined]) {
        const obs: Observation = view ? observeView(view, t.metric, t.aggregation) : { noData: pool === '*' ? `no pools in the run for '${env.env}'` : absentReason(env, pool as PoolName) };
        const replica = view?.run.replica ? { replica: view.run.replica } : {};
        if ('noData' in obs) {
          results.push({ threshold: t, env: env.env, pool, expression, status: 'no-data', observed: null, observedText: `no data: ${obs.noData}`, reason: obs.noData, ...(obs.unseen ? { unseen: true } : {}), ...replica });
        } else {
          results.push({
            threshold: t,
            env: env.env,
            pool,
            ...replica,
            expression,
            status: compare(obs.value, t.operator, t.limit) ? 'held' : 'breached',
            observed: obs.value,
            observedText: `${formatAggregation(t.aggregation)}=${formatCompact(obs.value, t.unit)}`,
          });
        }
        }
      }
    }
  }
  return results;
}
