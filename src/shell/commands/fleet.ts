/**
 * `pool-advisor fleet --prometheus URL`: the pools of every replica of a fleet, read from the
 * pool metrics its Prometheus already holds (docs/fleet.md): arrival rates, mean in use by
 * Little's law, wait percentiles, timeouts, sizes, and the connection budget the replicas seen
 * add up to (against the topology's max_connections, or the server's with --database-url).
 * Auth: a bearer token or a password from an environment variable (never a flag's value), a user,
 * a CA file.
 */
import { UsageError } from '../../core/errors.js';
import { defaultPrometheusSpec } from '../../core/fleet/families.js';
import { fleetBudget, type FleetBudget } from '../../core/fleet/assemble.js';
import { fleetWindow } from '../../core/fleet/window.js';
import { fleetJson, renderFleet } from '../../core/fleet/render.js';
import { loadAdvisorConfig } from '../advisorConfig.js';
import { readTextFile } from '../configDir.js';
import { addPassword, addSecret, writeErr, writeOut } from '../output.js';
import { connectionConfig, probe, resolveTarget, type ServerFacts } from '../target.js';
import { useColor } from '../tty.js';
import { PrometheusClient, decodeLoose, parsePrometheusUrl, type PrometheusAuth } from '../prometheus/client.js';
import { readFleet } from '../prometheus/fleet.js';

interface FleetOptions {
  prometheus: string;
  since?: string;
  start?: string;
  end?: string;
  advisorConfig?: string;
  prometheusTokenEnv?: string;
  prometheusUser?: string;
  prometheusPasswordEnv?: string;
  prometheusCa?: string;
  json?: boolean;
  showQueries?: boolean;
  databaseUrl?: string;
}

/** A secret named by an environment variable: present and non-empty, else exit 2 naming the flag. */
function secretFrom(flag: string, variable: string): string {
  const v = process.env[variable];
  if (!v) throw new UsageError(`${flag} ${variable}: the variable is not set or empty`, `export ${variable}=... before running, or drop ${flag}`);
  addPassword(v);
  return v;
}

/** The auth the flags describe (checked before any request). */
export function prometheusAuth(opts: Pick<FleetOptions, 'prometheusTokenEnv' | 'prometheusUser' | 'prometheusPasswordEnv' | 'prometheusCa'>): PrometheusAuth {
  const auth: PrometheusAuth = {};
  if (opts.prometheusTokenEnv && opts.prometheusUser) throw new UsageError('--prometheus-token-env and --prometheus-user both given', 'use a bearer token or basic auth, not both');
  if (opts.prometheusPasswordEnv && !opts.prometheusUser) throw new UsageError('--prometheus-password-env needs --prometheus-user', 'add --prometheus-user NAME');
  if (opts.prometheusTokenEnv) auth.bearerToken = secretFrom('--prometheus-token-env', opts.prometheusTokenEnv);
  if (opts.prometheusUser) auth.basic = { user: opts.prometheusUser, password: opts.prometheusPasswordEnv ? secretFrom('--prometheus-password-env', opts.prometheusPasswordEnv) : '' };
  if (opts.prometheusCa) auth.ca = readTextFile(opts.prometheusCa, opts.prometheusCa);
  return auth;
}

/** Run `fleet` with its parsed flags. */
export async function fleetCommand(opts: FleetOptions): Promise<void> {
  const url = parsePrometheusUrl('--prometheus', opts.prometheus);
  if (url.password) {
    addPassword(url.password);
    addPassword(decodeLoose(url.password));
  }
  const window = fleetWindow(opts, Date.now());
  const auth = prometheusAuth(opts);
  const advisor = loadAdvisorConfig(opts.advisorConfig);
  const spec = advisor.prometheus ?? defaultPrometheusSpec();
  let live: ServerFacts | undefined;
  if (opts.databaseUrl !== undefined) {
    addSecret(opts.databaseUrl);
    const target = resolveTarget(opts.databaseUrl)!;
    live = await probe(connectionConfig(target), target.display);
  }
  const client = new PrometheusClient(url, auth);
  let reading;
  try {
    reading = await readFleet(client, spec, window);
  } finally {
    if (opts.showQueries) writeErr(client.asked.map((q) => `query: ${q}`).join('\n'));
  }
  const budgets: FleetBudget[] = [];
  for (const env of [...new Set(reading.replicas.map((r) => r.env))]) {
    const b = fleetBudget(reading.replicas, env, Object.hasOwn(advisor.environments, env) ? advisor.environments[env]!.topology : undefined, live);
    if (b) budgets.push(b);
  }
  if (opts.json) writeOut(fleetJson(reading, client.display, budgets));
  else writeOut(renderFleet(reading, client.display, budgets, { color: useColor(process.stdout) }));
}
