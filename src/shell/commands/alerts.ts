/**
 * `pool-advisor alerts`: Prometheus alerting and recording rules from the advisor config's
 * `[check]` thresholds (or Tasker's alert table when there are none), in the metric names of the
 * chosen family. The translation and the YAML are the core's (core/alerts); this reads the config,
 * checks the flags, and writes the file (atomically) or stdout.
 */
import { existsSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { parseDurationMs } from '../../core/advisor/parse.js';
import { suggest } from '../../core/config/validate.js';
import { parseThresholds } from '../../core/thresholds/parse.js';
import { FAMILY_NAMES, familyNamed, isUnexpressible } from '../../core/alerts/families.js';
import { planAlerts } from '../../core/alerts/build.js';
import { serverLimits } from '../../core/budget/inputs.js';
import { serverAllows } from '../../core/budget/model.js';
import { renderAlertsSummary, renderRulesFile } from '../../core/alerts/render.js';
import { loadAdvisorConfig, resolveAdvisorConfig, SHIPPED_ADVISOR_CONFIG } from '../advisorConfig.js';
import { writeFileAtomic } from '../atomicWrite.js';
import { loadConfig, resolveConfigDir } from '../configDir.js';
import { isPoolName, POOL_NAMES, type PoolName } from '../../core/config/pools.js';
import { checkEnvs } from '../validConfig.js';
import { assertReportPath } from '../report.js';
import { clean, writeErr, writeOut } from '../output.js';

interface AlertsOptions {
  family: string;
  configDir?: string;
  env?: string;
  out?: string;
  advisorConfig?: string;
  threshold?: string[];
  window?: string;
  for?: string;
  poolName?: string[];
}

/** `--pool-name database=HikariPool-1`: the pool label's value for one of pool-advisor's pools. */
function parsePoolNames(values: readonly string[]): Map<PoolName, string> {
  const out = new Map<PoolName, string>();
  for (const v of values) {
    const eq = v.indexOf('=');
    const pool = eq < 0 ? v : v.slice(0, eq);
    const name = eq < 0 ? '' : v.slice(eq + 1);
    const fix = 'write e.g. --pool-name database=HikariPool-1';
    if (!isPoolName(pool)) {
      const guess = suggest(pool, POOL_NAMES);
      throw new UsageError(`--pool-name '${v}': unknown pool '${pool}'${guess ? ` (did you mean '${guess}'?)` : ''}; pools: ${POOL_NAMES.join(', ')}`, fix);
    }
    if (name === '' || !/^[\x20-\x7E]+$/.test(name)) throw new UsageError(`--pool-name '${v}': expected POOL=NAME with a non-empty printable name`, fix);
    if (out.has(pool)) throw new UsageError(`--pool-name '${v}': pool '${pool}' is named twice`, 'give each pool one --pool-name');
    out.set(pool, name);
  }
  return out;
}

/** `--window 5m` / `--for 30s` -> whole seconds within [min, 24h]. */
function seconds(flag: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const ms = parseDurationMs(v);
  const fix = `write e.g. ${flag} 5m (whole seconds, ${min === 0 ? '0s' : '1s'} to 24h)`;
  if (ms === undefined) throw new UsageError(`${flag} '${v}': not a duration`, fix);
  if (ms % 1000 !== 0 || ms < min * 1000 || ms > 86_400_000) throw new UsageError(`${flag} '${v}': must be whole seconds from ${min === 0 ? '0s' : '1s'} to 24h`, fix);
  return ms / 1000;
}

/** The file a path names, following links, for comparing an output with the inputs. */
function identity(path: string): string {
  return existsSync(path) ? realpathSync(path) : resolve(path);
}

/** Run `alerts` with parsed options. */
export function runAlerts(opts: AlertsOptions): void {
  const poolNames = parsePoolNames(opts.poolName ?? []);
  const windowS = seconds('--window', opts.window, 1);
  const forS = seconds('--for', opts.for, 0);
  const configPath = resolveAdvisorConfig(opts.advisorConfig);
  const config = loadAdvisorConfig(opts.advisorConfig);
  // A built-in family, or one of the advisor config's [[prometheus.families]].
  const family = familyNamed(opts.family, config.prometheus);
  if (!family) {
    const names = [...FAMILY_NAMES, ...(config.prometheus?.families ?? []).map((f) => f.id)];
    const guess = suggest(opts.family, names);
    throw new UsageError(`--family '${opts.family}': unknown metric family${guess ? ` (did you mean '${guess}'?)` : ''}`, `choose one of: ${names.join(', ')}${config.prometheus?.families.length ? '' : ', or name your own in [[prometheus.families]] of the advisor config (docs/fleet.md)'}`);
  }
  // Only a family without a max gauge (Tasker's) divides utilisation by the config's max_connections.
  if (!isUnexpressible(family.gauges.max) && (opts.env !== undefined || opts.configDir !== undefined)) {
    throw new UsageError(`${opts.env !== undefined ? '--env' : '--config-dir'} has no effect with --family ${opts.family}: it gives max_connections to --family tasker, whose metrics have no maximum`, `drop it, or use --family tasker`);
  }
  const inputs = [configPath];
  for (const env of [...Object.values(config.environments), { workloads: config.defaultWorkloads ?? {} }]) {
    for (const w of Object.values(env.workloads)) {
      if (w?.hold.kind === 'sql' && w.hold.source !== undefined) inputs.push(isAbsolute(w.hold.source) ? w.hold.source : join(dirname(configPath), w.hold.source));
    }
  }
  // Tasker exports no max_connections: with --env, its config's values are the divisors of utilisation.
  let maxConnections: Map<PoolName, number> | undefined;
  let maxNote: string | undefined;
  if (opts.env !== undefined) {
    const dir = resolveConfigDir(opts.configDir);
    const model = loadConfig(dir);
    checkEnvs(model, [opts.env]);
    const env = model.environments.find((e) => e.name === opts.env)!;
    for (const f of env.files) inputs.push(join(dir, f.rel));
    maxConnections = new Map();
    for (const pool of ['database', 'pgmq'] as const) if (env.pools[pool].active) maxConnections.set(pool, env.pools[pool].settings.max_connections);
    maxNote = `max_connections of environment '${opts.env}' in ${model.dir}: ${[...maxConnections].map(([p, n]) => `${p} ${n}`).join(', ')}`;
  } else if (opts.configDir !== undefined) {
    throw new UsageError("--config-dir needs --env: the rules divide by one environment's max_connections", 'add --env ENV, e.g. --env production');
  }
  if (opts.out !== undefined) {
    assertReportPath('--out', opts.out);
    const target = identity(opts.out);
    if (inputs.some((i) => identity(i) === target)) throw new UsageError(`--out ${opts.out}: is an input of this command (the advisor config or a file it reads); writing it would destroy it`, 'choose another file, e.g. --out pool-alerts.rules.yml');
  }
  const shipped = configPath === SHIPPED_ADVISOR_CONFIG;
  const source = config.source;
  const thresholds = parseThresholds([
    ...config.thresholds.map((text) => ({ text, source: shipped ? { label: source } : { label: source, file: source } })),
    ...(opts.threshold ?? []).map((text) => ({ text, source: { label: '--threshold' } })),
  ]);
  // The live budget's limit where postgres_exporter is not scraped: the topology of --env, or of the
  // one environment with a server_max_connections (the shipped config describes the example fleet: none).
  const withServer = shipped ? [] : Object.entries(config.environments).filter(([name, e]) => e.topology?.serverMaxConnections !== undefined && (opts.env === undefined || name === opts.env));
  const limits = withServer.length === 1 ? serverLimits(withServer[0]![1].topology, undefined) : undefined;
  const plan = planAlerts({ family, thresholds, ...(windowS !== undefined ? { windowS } : {}), ...(forS !== undefined ? { forS } : {}), ...(maxConnections ? { maxConnections } : {}), poolNames, budget: limits ? { allowed: serverAllows(limits) } : {} });
  const file = renderRulesFile(plan, { advisorConfig: source, flagThresholds: (opts.threshold ?? []).length, ...(maxNote ? { maxConnections: maxNote } : {}) });
  if (opts.out !== undefined) {
    writeFileAtomic(opts.out, clean(file), { display: opts.out });
    writeOut(renderAlertsSummary(plan, opts.out));
  } else {
    writeOut(file);
    writeErr(renderAlertsSummary(plan, undefined));
  }
}
