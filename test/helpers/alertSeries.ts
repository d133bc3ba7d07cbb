/**
 * Synthetic series for `promtool test rules`: the raw metrics each family exports (names written
 * here from docs/facts.md and docs/metrics.md, independently of the catalogue, src/core/metrics-catalogue/families.ts), filled so
 * that one figure has a chosen value. A rule that reads a wrong name gets no data and never fires,
 * so the fire / not-fire tests catch it.
 */
import type { FamilyName } from '../../src/core/alerts/families.js';
import type { Figure } from '../../src/core/alerts/figures.js';

/** promtool's input interval (seconds) and the number of steps each series has. */
export const STEP_S = 15;
export const STEPS = 120;

/** One input series of a promtool test. */
export interface InputSeries {
  series: string;
  values: string;
}

function labelText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',');
}

const constant = (v: number) => `${v}x${STEPS}`;
const counter = (perSecond: number) => `0+${perSecond * STEP_S}x${STEPS}`;

/**
 * The series a test feeds: a built-in family's, OpenTelemetry's as its JS SDK's Prometheus exporter
 * serves them (`otel-js`: histograms without a unit suffix, docs/facts.md), or `billing`, a family of
 * the advisor config ({@link BILLING_FAMILY}).
 */
export type SeriesFamily = FamilyName | 'otel-js' | 'billing';

/** The pool label of each family, and what Tasker calls the `database` pool. */
export const POOL_LABEL: Record<SeriesFamily, string> = {
  'pool-advisor': 'pool_name',
  otel: 'db_client_connection_pool_name',
  'otel-js': 'db_client_connection_pool_name',
  hikaricp: 'pool',
  'go-sql': 'db_name',
  tasker: 'pool',
  billing: 'service_pool',
};

/** A service's own pool metrics, declared in the advisor config: times in milliseconds, a state label of its own. */
export const BILLING_FAMILY = `[prometheus]
[[prometheus.families]]
name = "billing"
pool_label = "service_pool"
unit = "milliseconds"
wait = "billing_pool_wait_ms"
use = "billing_pool_hold_ms"
timeouts = "billing_pool_timeouts_total"
in_use = 'billing_pool_connections{phase="busy"}'
idle = 'billing_pool_connections{phase="free"}'
max = "billing_pool_max"
pending = "billing_pool_waiting"
`;

/**
 * Series of one pool of one target such that `figure` has the value `v` (seconds, events per
 * second, a fraction, or connections), for a pool of `max` connections. Everything else the family
 * exports for the pool is present and quiet.
 */
export function seriesFor(family: SeriesFamily, figure: Figure, v: number, poolValue: string, max = 10): InputSeries[] {
  const base = { [POOL_LABEL[family]]: poolValue, instance: 'svc:9187', job: 'svc' };
  const out: InputSeries[] = [];
  const add = (name: string, values: string, extra: Record<string, string> = {}) => out.push({ series: `${name}{${labelText({ ...base, ...extra })}}`, values });
  const acquiresPerS = 10;
  // A latency with every value near `seconds`: one bucket (0.9s, 1.1s], sum = count × seconds.
  // `per` units per second: 1000 for a histogram in milliseconds.
  const histogram = (name: string, seconds: number, perS: number, withBuckets: boolean, per = 1) => {
    if (withBuckets) {
      const s = Math.max(seconds, 1e-6) * per;
      add(`${name}_bucket`, counter(0), { le: String(s * 0.9) });
      add(`${name}_bucket`, counter(perS), { le: String(s * 1.1) });
      add(`${name}_bucket`, counter(perS), { le: '+Inf' });
    }
    add(`${name}_sum`, counter(perS * seconds * per));
    add(`${name}_count`, counter(perS));
  };
  const lat = figure.kind === 'latency' ? figure : undefined;
  const latencyOf = (m: 'acquire' | 'hold' | 'create') => (lat?.metric === m ? v : 0.001);
  const counterOf = (m: string) => (figure.kind === 'counter' && figure.metric === m ? v : 0);
  const slowShare = figure.kind === 'ratio' ? v : 0;
  // Connections in use: a gauge figure of in_use, or utilisation × max.
  const inUse = figure.kind === 'gauge' ? (figure.metric === 'in_use' ? v : figure.metric === 'utilization' ? v * max : 1) : 1;
  const idle = figure.kind === 'gauge' && figure.metric === 'idle' ? v : 1;
  const waiting = figure.kind === 'gauge' && figure.metric === 'waiting' ? v : 0;
  // Hold time × acquire rate = mean in use (Little): the hold time that gives `inUse`.
  const holdS = lat?.metric === 'hold' ? v : inUse / acquiresPerS;

  switch (family) {
    case 'pool-advisor':
    case 'otel':
    case 'otel-js': {
      const otel = family !== 'pool-advisor';
      const sfx = family === 'otel-js' ? '' : '_seconds';
      histogram(`db_client_connection_wait_time${sfx}`, latencyOf('acquire'), acquiresPerS, true);
      histogram(`db_client_connection_use_time${sfx}`, holdS, acquiresPerS, true);
      histogram(`db_client_connection_create_time${sfx}`, latencyOf('create'), otel ? Math.max(counterOf('created'), 0.01) : 0.01, true);
      add('db_client_connection_timeouts_total', counter(counterOf('timeouts') + (otel ? counterOf('failures') : 0)));
      add('db_client_connection_max', constant(max));
      add('db_client_connection_pending_requests', constant(waiting));
      if (otel) {
        add('db_client_connection_count', constant(inUse), { db_client_connection_state: 'used' });
        add('db_client_connection_count', constant(idle), { db_client_connection_state: 'idle' });
      } else {
        add('db_client_connections', constant(inUse), { state: 'used' });
        add('db_client_connections', constant(idle), { state: 'idle' });
        add('db_client_connection_idle_min', constant(2));
        add('pool_advisor_connections_created_total', counter(counterOf('created')));
        for (const reason of ['expired', 'idle', 'error', 'shutdown']) add('pool_advisor_connections_closed_total', counter(reason === 'expired' ? counterOf('expired') : reason === 'idle' ? counterOf('idle_closed') : 0), { reason });
        add('pool_advisor_slow_acquires_total', counter(counterOf('slow') + slowShare * acquiresPerS));
        // Tasker's acquire_errors: failures other than timeouts plus timeouts.
        add('pool_advisor_acquire_errors_total', counter(counterOf('errors') + counterOf('timeouts') + counterOf('failures')));
        add('pool_advisor_oldest_waiter_age_seconds', constant(0));
      }
      break;
    }
    case 'hikaricp': {
      const timer = (name: string, seconds: number, perS: number) => {
        histogram(name, seconds, perS, false);
        add(`${name}_max`, constant(seconds));
      };
      timer('hikaricp_connections_acquire_seconds', latencyOf('acquire'), acquiresPerS);
      timer('hikaricp_connections_usage_seconds', holdS, acquiresPerS);
      timer('hikaricp_connections_creation_seconds', latencyOf('create'), Math.max(counterOf('created'), 0.01));
      add('hikaricp_connections_timeout_total', counter(counterOf('timeouts') + counterOf('failures')));
      add('hikaricp_connections', constant(inUse + idle));
      add('hikaricp_connections_active', constant(inUse));
      add('hikaricp_connections_idle', constant(idle));
      add('hikaricp_connections_pending', constant(waiting));
      add('hikaricp_connections_max', constant(max));
      add('hikaricp_connections_min', constant(2));
      break;
    }
    case 'go-sql':
      add('go_sql_max_open_connections', constant(max));
      add('go_sql_open_connections', constant(inUse + idle));
      add('go_sql_in_use_connections', constant(inUse));
      add('go_sql_idle_connections', constant(idle));
      add('go_sql_wait_count_total', counter(1));
      add('go_sql_wait_duration_seconds_total', counter(0.01));
      add('go_sql_max_idle_closed_total', counter(0));
      add('go_sql_max_idle_time_closed_total', counter(counterOf('idle_closed')));
      add('go_sql_max_lifetime_closed_total', counter(counterOf('expired')));
      break;
    case 'billing':
      histogram('billing_pool_wait_ms', latencyOf('acquire'), acquiresPerS, true, 1000);
      histogram('billing_pool_hold_ms', holdS, acquiresPerS, true, 1000);
      add('billing_pool_timeouts_total', counter(counterOf('timeouts') + counterOf('failures')));
      add('billing_pool_connections', constant(inUse), { phase: 'busy' });
      add('billing_pool_connections', constant(idle), { phase: 'free' });
      add('billing_pool_max', constant(max));
      add('billing_pool_waiting', constant(waiting));
      break;
    case 'tasker':
      add('tasker_db_pool_connections', constant(inUse), { state: 'active' });
      add('tasker_db_pool_connections', constant(idle), { state: 'idle' });
      break;
  }
  return out;
}
