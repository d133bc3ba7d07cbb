/**
 * Reading a fleet's pool metrics from Prometheus over a window: list the metric names present,
 * recognise the families, run the planned queries (a few at a time), assemble the figures.
 * The shell half of src/core/fleet; the command that prints it is `fleet`.
 */
import { NoDataError } from '../../core/errors.js';
import { FAMILIES, poolLikeNames, recognise, type PrometheusSpec } from '../../core/metrics-catalogue/families.js';
import { planQueries, type FleetWindow } from '../../core/fleet/plan.js';
import { assembleFleet, type FleetReading, type VectorSample } from '../../core/fleet/assemble.js';
import type { PrometheusClient } from './client.js';

/** Queries in flight at once: enough to hide round trips, few enough not to load the server. */
const CONCURRENCY = 4;

/** Read the window; NoDataError (exit 4) when no family is there or no pool has samples in it. */
export async function readFleet(client: PrometheusClient, spec: PrometheusSpec, window: FleetWindow): Promise<FleetReading> {
  const names = await client.metricNames(window.startMs / 1000, window.endMs / 1000);
  const matches = recognise(names, [...FAMILIES, ...spec.families], spec.units);
  const span = `between ${new Date(window.startMs).toISOString()} and ${new Date(window.endMs).toISOString()}`;
  if (matches.length === 0) {
    const likely = poolLikeNames(names);
    const shown = (likely.length > 0 ? likely : names).slice(0, 30);
    throw new NoDataError(
      `Prometheus at ${client.display} has no pool metrics pool-advisor knows ${span}: ${names.length} metric names${names.length > 0 ? `, ${likely.length > 0 ? 'pool-like' : 'e.g.'}: ${shown.join(', ')}${(likely.length > 0 ? likely : names).length > shown.length ? ', ...' : ''}` : ''}`,
      'map your own names in the [prometheus] table of the advisor config ([[prometheus.families]], docs/fleet.md), or widen the window',
    );
  }
  const plan = planQueries(matches, spec, window);
  const answers: VectorSample[][] = new Array(plan.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < plan.length) {
      const i = next++;
      try {
        answers[i] = await client.query(plan[i]!.promql, window.endMs / 1000);
      } catch (e) {
        // The first failure is the answer: no more queries, and the ones in flight end now.
        if (!failed) {
          failed = true;
          client.cancel();
        }
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, plan.length) }, worker));
  const reading = assembleFleet(matches, spec, window, plan, answers);
  if (reading.replicas.length === 0) {
    throw new NoDataError(`Prometheus at ${client.display}: the ${matches.map((m) => m.def.id).join(', ')} metrics have no samples ${span}`, 'choose a window when the services ran (--since, or --start and --end)');
  }
  return { ...reading, queries: client.queries };
}
