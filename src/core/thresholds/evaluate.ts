/**
 * Evaluating parsed thresholds against a saved run. Values come straight from each pool's
 * recorded data (histograms, counters, exact occupancy), so a threshold means the same thing
 * whatever the analysis does with the run. Pure: no I/O.
 *
 * A threshold that cannot be evaluated (its pool is not in the run, or the run holds nothing
 * for that metric) is a `no-data` result, which fails the check: a gate that passes on no
 * evidence is no gate. A run with no samples at all is the caller's exit 4 ({@link hasSamples}).
 */
import type { PoolName } from '../config/pools.js';
import { decode, type Histogram } from '../run/histogram.js';
import { levelPercentile, meanLevel, totalTime } from '../run/occupancy.js';
import type { EnvironmentRun, LevelTimes, PoolRun, RunFile } from '../run/types.js';
import { formatAggregation, formatThreshold, type Aggregation, type BaseUnit, type MetricName, type Operator, type Threshold } from './parse.js';

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
}

/** A value, or the reason there is none. */
export type Observation = { value: number } | { noData: string };

/** Decoded histograms of one pool, decoded once however many thresholds read them. */
class PoolView {
  private readonly cache = new Map<'wait' | 'hold' | 'create', Histogram>();
  constructor(readonly run: PoolRun) {}
  histogram(name: 'wait' | 'hold' | 'create'): Histogram {
    let h = this.cache.get(name);
    if (!h) {
      h = decode(this.run.histograms[name]);
      this.cache.set(name, h);
    }
    return h;
  }
}

const HISTOGRAM_OF: Record<'acquire' | 'hold' | 'create', 'wait' | 'hold' | 'create'> = { acquire: 'wait', hold: 'hold', create: 'create' };

const COUNTER_OF: Record<'timeouts' | 'expired' | 'idle_closed' | 'created' | 'errors' | 'slow', (c: PoolRun['counters']) => number> = {
  timeouts: (c) => c.timeouts,
  expired: (c) => c.closed.expired,
  idle_closed: (c) => c.closed.idle,
  created: (c) => c.created,
  errors: (c) => c.errors,
  slow: (c) => c.slow,
};

/** The value of one metric and aggregation on one pool's run. */
export function observe(pool: PoolRun, metric: MetricName, agg: Aggregation): Observation {
  return observeView(new PoolView(pool), metric, agg);
}

function observeView(view: PoolView, metric: MetricName, agg: Aggregation): Observation {
  const run = view.run;
  switch (metric) {
    case 'acquire':
    case 'hold':
    case 'create': {
      const h = view.histogram(HISTOGRAM_OF[metric]);
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
      const n = COUNTER_OF[metric](run.counters);
      if (agg.name === 'count') return { value: n };
      if (!(run.durationMs > 0)) return { noData: 'the measured window has no duration' };
      return { value: n / (run.durationMs / 1000) };
    }
    case 'waited':
    case 'slow_share': {
      const { acquires } = run.counters;
      if (!(acquires > 0)) return { noData: 'no acquires recorded' };
      return { value: (metric === 'waited' ? run.counters.waited : run.counters.slow) / acquires };
    }
    case 'in_use':
    case 'idle':
    case 'waiting':
    case 'utilization': {
      const levels: LevelTimes = metric === 'idle' ? run.occupancy.idle : metric === 'waiting' ? run.occupancy.waiting : run.occupancy.inUse;
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

/** Four significant digits, no trailing zeros. */
function sig(n: number): string {
  return String(Number(n.toPrecision(4)));
}

/** A value in its base unit as people read it: µs, ms or s for latency; % for fractions. */
export function formatValue(value: number, unit: BaseUnit): string {
  switch (unit) {
    case 'us':
      if (value < 1000) return `${sig(value)}µs`;
      if (value < 1_000_000) return `${sig(value / 1000)}ms`;
      return `${sig(value / 1_000_000)}s`;
    case 'fraction':
      return `${sig(value * 100)}%`;
    case 'per_second':
      return `${sig(value)}/s`;
    case 'count':
    case 'connections':
      return sig(value);
  }
}

/** The environments of a run to check: all, or those named (the caller has checked the names exist). */
export function selectEnvironments(run: RunFile, envs?: readonly string[]): EnvironmentRun[] {
  return run.environments.filter((e) => !envs || envs.length === 0 || envs.includes(e.env));
}

/** Whether the selected environments recorded anything at all (any acquire or hold). */
export function hasSamples(run: RunFile, envs?: readonly string[]): boolean {
  return selectEnvironments(run, envs).some((e) => e.pools.some((p) => p.counters.acquires > 0 || p.counters.releases > 0));
}

function absentReason(env: EnvironmentRun, pool: PoolName): string {
  if (pool === 'pgmq' && env.pgmqShared) return `pool 'pgmq' is not in the run for '${env.env}': PGMQ's work went through the database pool there`;
  const present = env.pools.map((p) => p.pool);
  return `pool '${pool}' is not in the run for '${env.env}' (it has: ${present.length > 0 ? present.join(', ') : 'no pools'})`;
}

/**
 * Evaluate thresholds on every selected environment of a run. `*` expands to each pool the
 * environment's run has; a named pool the run lacks gives a `no-data` result.
 */
export function evaluateThresholds(thresholds: readonly Threshold[], run: RunFile, envs?: readonly string[]): ThresholdResult[] {
  const results: ThresholdResult[] = [];
  for (const env of selectEnvironments(run, envs)) {
    const views = new Map(env.pools.map((p) => [p.pool, new PoolView(p)] as const));
    for (const t of thresholds) {
      const pools: Array<PoolName | '*'> = t.pool === '*' ? env.pools.map((p) => p.pool) : [t.pool];
      if (pools.length === 0) pools.push('*');
      for (const pool of pools) {
        const view = pool === '*' ? undefined : views.get(pool);
        const expression = formatThreshold(t, pool);
        const obs: Observation = view ? observeView(view, t.metric, t.aggregation) : { noData: pool === '*' ? `no pools in the run for '${env.env}'` : absentReason(env, pool as PoolName) };
        if ('noData' in obs) {
          results.push({ threshold: t, env: env.env, pool, expression, status: 'no-data', observed: null, observedText: `no data: ${obs.noData}`, reason: obs.noData });
        } else {
          results.push({
            threshold: t,
            env: env.env,
            pool,
            expression,
            status: compare(obs.value, t.operator, t.limit) ? 'held' : 'breached',
            observed: obs.value,
            observedText: `${formatAggregation(t.aggregation)}=${formatValue(obs.value, t.unit)}`,
          });
        }
      }
    }
  }
  return results;
}
