/**
 * Reading a fleet from Prometheus for a command (`observe --prometheus`, `fleet`): the URL and the
 * auth from the flags (secrets from environment variables, never printed), the window's reading,
 * and the connection budget per environment. A shell service: commands call it, none imports another.
 */
import { UsageError } from '../../core/errors.js';
import type { AdvisorConfig } from '../../core/advisor/types.js';
import { defaultPrometheusSpec } from '../../core/metrics-catalogue/families.js';
import type { FleetReading } from '../../core/fleet/assemble.js';
import { seenFleetBudget, type FleetBudget } from '../../core/budget/fleet.js';
import type { FleetWindow } from '../../core/fleet/plan.js';
import { readTextFile } from '../configDir.js';
import { READ_DEFAULTS } from '../../core/flags.js';
import type { ReadGuard } from '../deadline.js';
import { addPassword, addSecret, writeErr } from '../output.js';
import type { ServerFacts } from '../target.js';
import { PrometheusClient, decodeLoose, parsePrometheusUrl, type PrometheusAuth } from './client.js';
import { readFleet } from './fleet.js';

/** The Prometheus flags every command that reads it takes. */
export interface PrometheusFlags {
  prometheus?: string;
  prometheusTokenEnv?: string;
  prometheusUser?: string;
  prometheusPasswordEnv?: string;
  prometheusCa?: string;
  showQueries?: boolean;
}

/** A secret named by an environment variable: present and non-empty, else exit 2 naming the flag. */
function secretFrom(flag: string, variable: string): string {
  const v = process.env[variable];
  if (!v) {
    // The flag takes a variable's name; what was given may be the secret itself: shown only when
    // it reads as a conventional variable name (upper case, digits, '_'), never otherwise.
    if (!/^[A-Z_][A-Z0-9_]{0,63}$/.test(variable)) throw new UsageError(`${flag}: no environment variable has the name given (not shown: it does not read as a variable name, and may be the secret itself)`, `give the name of the variable that holds the secret, e.g. export PROM_TOKEN=... and ${flag} PROM_TOKEN`);
    throw new UsageError(`${flag} ${variable}: the variable is not set or empty`, `export ${variable}=... before running, or drop ${flag}`);
  }
  addPassword(v);
  return v;
}

/** A secret that goes into a header: no control characters (a CR/LF would end the header). The secret itself is never shown. */
function headerSafe(flag: string, variable: string, v: string): string {
  if (/[\x00-\x1f\x7f]/.test(v)) throw new UsageError(`${flag} ${variable}: the value holds a control character (a line break?), which cannot go into an HTTP header`, `export ${variable} without the trailing newline, e.g. ${variable}="$(tr -d '\\r\\n' < token-file)"`);
  return v;
}

/** The auth the flags describe (checked before any request). */
export function prometheusAuth(opts: PrometheusFlags): PrometheusAuth {
  const auth: PrometheusAuth = {};
  if (opts.prometheusTokenEnv && opts.prometheusUser) throw new UsageError('--prometheus-token-env and --prometheus-user both given', 'use a bearer token or basic auth, not both');
  if (opts.prometheusPasswordEnv && !opts.prometheusUser) throw new UsageError('--prometheus-password-env needs --prometheus-user', 'add --prometheus-user NAME');
  if (opts.prometheusTokenEnv) auth.bearerToken = headerSafe('--prometheus-token-env', opts.prometheusTokenEnv, secretFrom('--prometheus-token-env', opts.prometheusTokenEnv));
  if (opts.prometheusUser) {
    if (/[\x00-\x1f\x7f:]/.test(opts.prometheusUser)) throw new UsageError('--prometheus-user: the name holds a colon or a control character, which basic auth cannot carry', 'give the user name alone');
    auth.basic = { user: opts.prometheusUser, password: opts.prometheusPasswordEnv ? headerSafe('--prometheus-password-env', opts.prometheusPasswordEnv, secretFrom('--prometheus-password-env', opts.prometheusPasswordEnv)) : '' };
  }
  if (opts.prometheusCa) auth.ca = readTextFile(opts.prometheusCa, opts.prometheusCa);
  return auth;
}

/** A client for `--prometheus`, its password registered as a secret; everything checked before any request. */
export function prometheusClient(opts: PrometheusFlags & { prometheus: string }, guard: ReadGuard = READ_DEFAULTS): PrometheusClient {
  addSecret(opts.prometheus);
  const url = parsePrometheusUrl('--prometheus', opts.prometheus);
  if (url.password) {
    addPassword(url.password);
    addPassword(decodeLoose(url.password));
  }
  return new PrometheusClient(url, prometheusAuth(opts), guard);
}

/** What one reading gives a command. */
export interface PrometheusReading {
  reading: FleetReading;
  /** The server, credentials removed. */
  display: string;
  budgets: FleetBudget[];
}

/** Read the window, with the budget of each environment (the server's limits from `live` when given, else the topology). */
export async function readPrometheus(client: PrometheusClient, advisor: AdvisorConfig, window: FleetWindow, opts: { showQueries?: boolean; live?: Pick<ServerFacts, 'maxConnections' | 'superuserReserved' | 'reservedConnections'> } = {}): Promise<PrometheusReading> {
  let reading: FleetReading;
  try {
    reading = await readFleet(client, advisor.prometheus ?? defaultPrometheusSpec(), window);
  } finally {
    if (opts.showQueries) writeErr(client.asked.map((q) => `query: ${q}`).join('\n'));
  }
  for (const why of reading.refused ?? []) writeErr(`warning: Prometheus at ${client.display}: ${why}`);
  const budgets: FleetBudget[] = [];
  for (const env of [...new Set(reading.replicas.map((r) => r.env))]) {
    const b = seenFleetBudget(reading.replicas, env, Object.hasOwn(advisor.environments, env) ? advisor.environments[env]!.topology : undefined, opts.live);
    if (b) budgets.push(b);
  }
  return { reading, display: client.display, budgets };
}
