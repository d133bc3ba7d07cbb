/**
 * `pool-advisor fleet --prometheus URL`: the pools of every replica of a fleet, read from the
 * pool metrics its Prometheus already holds (docs/fleet.md): arrival rates, mean in use by
 * Little's law, wait percentiles, timeouts, sizes, and the connection budget the replicas seen
 * add up to (against the topology's max_connections, or the server's with --database-url).
 * The figures only; `observe --prometheus` reads the same and advises on it.
 * Auth: a bearer token or a password from an environment variable (never a flag's value), a user,
 * a CA file.
 */
import { fleetWindow } from '../../core/fleet/window.js';
import { parseReadLimits } from '../../core/flags.js';
import { fleetJson, renderFleet } from '../../core/render/fleet.js';
import { loadAdvisorConfig } from '../advisorConfig.js';
import { addSecret, writeOut } from '../output.js';
import { connectionConfig, probe, resolveTarget, type ServerFacts } from '../target.js';
import { useColor } from '../tty.js';
import { prometheusClient, readPrometheus, type PrometheusFlags } from '../prometheus/read.js';

interface FleetOptions extends PrometheusFlags {
  prometheus: string;
  since?: string;
  start?: string;
  end?: string;
  advisorConfig?: string;
  json?: boolean;
  databaseUrl?: string;
  readTimeout?: string;
  readLimit?: string;
}

/** Run `fleet` with its parsed flags. */
export async function fleetCommand(opts: FleetOptions): Promise<void> {
  const read = parseReadLimits(opts);
  const client = prometheusClient(opts, read);
  const window = fleetWindow(opts, Date.now());
  const advisor = loadAdvisorConfig(opts.advisorConfig);
  let live: ServerFacts | undefined;
  if (opts.databaseUrl !== undefined) {
    addSecret(opts.databaseUrl);
    const target = resolveTarget(opts.databaseUrl)!;
    live = await probe(connectionConfig(target), target.display, read);
  }
  const { reading, display, budgets } = await readPrometheus(client, advisor, window, { showQueries: opts.showQueries, live });
  if (opts.json) writeOut(fleetJson(reading, display, budgets));
  else writeOut(renderFleet(reading, display, budgets, { color: useColor(process.stdout) }));
}
