/**
 * The Prometheus side of `/metrics`: a prom-client registry whose metrics read the pools'
 * recorders when they are collected (at scrape time). Nothing here runs on the acquire path.
 *
 * OpenTelemetry's DB connection-pool names (docs/facts.md, "Pool metrics in the wild") in Prometheus form, plus
 * pool-advisor's own figures that no convention names yet (the `pool_advisor_` prefix). Every
 * series carries `pool_name`. docs/metrics.md lists them all.
 */
import { Registry, type Metric } from 'prom-client';
import { BUCKET_BOUNDS_US, toBuckets } from '../../core/metrics/buckets.js';
import type { Histogram } from '../../core/run/histogram.js';
import type { InstrumentedPool } from '../pool/instrumentedPool.js';

/** The pools to report: a fixed list, or a function read at every scrape (pools come and go). */
export type PoolSource = readonly InstrumentedPool[] | (() => readonly InstrumentedPool[]);

/** The pools of a source now. */
export function poolsOf(source: PoolSource): readonly InstrumentedPool[] {
  return typeof source === 'function' ? source() : source;
}

type Labels = Record<string, string | number>;
interface Sample {
  value: number;
  labels: Labels;
  metricName?: string;
}
type MetricKind = 'gauge' | 'counter' | 'histogram';

/**
 * A metric whose samples are computed when the registry collects it. prom-client's own Histogram
 * can only observe values one by one; this one copies the HDR histogram's counts into buckets
 * instead, so it implements the contract prom-client's Registry reads (name, help, type,
 * aggregator, get, reset) rather than extending a class.
 */
class CollectedMetric {
  readonly aggregator = 'sum';
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: MetricKind,
    private readonly read: () => Sample[],
  ) {}

  async get(): Promise<{ name: string; help: string; type: MetricKind; aggregator: string; values: Sample[] }> {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.read() };
  }

  /** The values live in the recorders; there is nothing to reset here. */
  reset(): void {}
}

/** Samples of a histogram metric (buckets, +Inf, sum, count) for one pool. */
function histogramSamples(name: string, pool: string, h: Histogram): Sample[] {
  const b = toBuckets(h, BUCKET_BOUNDS_US);
  return [
    ...b.buckets.map((x) => ({ metricName: `${name}_bucket`, labels: { pool_name: pool, le: x.le }, value: x.count })),
    { metricName: `${name}_bucket`, labels: { pool_name: pool, le: '+Inf' }, value: b.count },
    { metricName: `${name}_sum`, labels: { pool_name: pool }, value: b.sumSeconds },
    { metricName: `${name}_count`, labels: { pool_name: pool }, value: b.count },
  ];
}

/** Metric names, in the order they are exposed. */
export const METRIC_NAMES = {
  connections: 'db_client_connections',
  pending: 'db_client_connection_pending_requests',
  max: 'db_client_connection_max',
  idleMin: 'db_client_connection_idle_min',
  timeouts: 'db_client_connection_timeouts_total',
  wait: 'db_client_connection_wait_time_seconds',
  use: 'db_client_connection_use_time_seconds',
  create: 'db_client_connection_create_time_seconds',
  created: 'pool_advisor_connections_created_total',
  closed: 'pool_advisor_connections_closed_total',
  slow: 'pool_advisor_slow_acquires_total',
  errors: 'pool_advisor_acquire_errors_total',
  oldestWaiter: 'pool_advisor_oldest_waiter_age_seconds',
} as const;

/** Build the metrics of a pool source into `registry` (a new one when absent) and return it. */
export function metricsRegistry(source: PoolSource, registry: Registry = new Registry()): Registry {
  const perPool = (f: (p: InstrumentedPool) => Sample[]) => (): Sample[] => poolsOf(source).flatMap(f);
  const one = (f: (p: InstrumentedPool) => number) => perPool((p) => [{ labels: { pool_name: p.name }, value: f(p) }]);
  const n = METRIC_NAMES;
  const metrics = [
    new CollectedMetric(n.connections, 'Connections open in the pool, by state: idle, or used (checked out)', 'gauge', perPool((p) => {
      const g = p.gauges();
      return [
        { labels: { pool_name: p.name, state: 'idle' }, value: g.idle },
        { labels: { pool_name: p.name, state: 'used' }, value: g.inUse },
      ];
    })),
    new CollectedMetric(n.pending, 'Acquires waiting for a connection', 'gauge', one((p) => p.gauges().waiting)),
    new CollectedMetric(n.max, 'The most connections the pool opens (max_connections)', 'gauge', one((p) => p.recorder.settings.max_connections)),
    new CollectedMetric(n.idleMin, 'The connections the pool keeps open when idle (min_connections)', 'gauge', one((p) => p.recorder.settings.min_connections)),
    new CollectedMetric(n.timeouts, 'Acquires that timed out waiting for a connection', 'counter', one((p) => p.recorder.counters.timeouts)),
    new CollectedMetric(n.wait, 'Time to acquire a connection (inside pool.connect()), timed-out and failed acquires included', 'histogram', perPool((p) => histogramSamples(n.wait, p.name, p.recorder.liveHistograms().wait))),
    new CollectedMetric(n.use, 'Time a connection was checked out, from acquire to release', 'histogram', perPool((p) => histogramSamples(n.use, p.name, p.recorder.liveHistograms().hold))),
    new CollectedMetric(n.create, 'Time to open a new connection', 'histogram', perPool((p) => histogramSamples(n.create, p.name, p.recorder.liveHistograms().create))),
    new CollectedMetric(n.created, 'Connections opened', 'counter', one((p) => p.recorder.counters.created)),
    new CollectedMetric(n.closed, 'Connections closed, by reason: expired (max lifetime), idle (idle timeout), error, shutdown', 'counter', perPool((p) =>
      (['expired', 'idle', 'error', 'shutdown'] as const).map((reason) => ({ labels: { pool_name: p.name, reason }, value: p.recorder.counters.closed[reason] })),
    )),
    new CollectedMetric(n.slow, 'Acquires that waited at least slow_acquire_threshold_ms', 'counter', one((p) => p.recorder.counters.slow)),
    new CollectedMetric(n.errors, 'Acquires that failed, timeouts included', 'counter', one((p) => p.recorder.counters.errors + p.recorder.counters.timeouts)),
    new CollectedMetric(n.oldestWaiter, 'Age of the oldest acquire still waiting (0 when none waits)', 'gauge', one((p) => p.gauges().oldestWaiterMs / 1000)),
  ];
  // prom-client's Registry reads any object with this shape; its type only names its own classes.
  for (const m of metrics) registry.registerMetric(m as unknown as Metric);
  return registry;
}
