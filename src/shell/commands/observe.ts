/**
 * `pool-advisor observe`: sample what a PostgreSQL server sees of a running service's connections
 * (nothing added to the service), reconstruct each pool of each replica, and print and save the
 * figures. Everything is validated before a connection opens.
 */
import { CommandOutcome, ExitCode, NoDataError, UsageError } from '../../core/errors.js';
import { parseDurationFlag } from '../../core/flags.js';
import { parseDurationMs } from '../../core/advisor/parse.js';
import { matchGroup, parseGroupBy, parseMapFlag, type MapRule } from '../../core/observe/map.js';
import type { GroupSettings } from '../../core/observe/summary.js';
import type { ObservationFile } from '../../core/observe/file.js';
import { renderObservation } from '../../core/observe/render.js';
import type { ConfigModel } from '../../core/config/model.js';
import { writeFileAtomic } from '../atomicWrite.js';
import { addSecret, clean, writeErr, writeOut } from '../output.js';
import { assertReportPath } from '../report.js';
import { withInterrupt } from '../signals.js';
import { showProgress, useColor } from '../tty.js';
import { connectionConfig, isLocalHost, resolveTarget } from '../target.js';
import { loadValidConfig } from '../validConfig.js';
import { observeServer } from '../observe/run.js';
import { parseTaskerUrl } from '../observe/tasker.js';
import { version } from '../version.js';

interface ObserveFlags {
  databaseUrl?: string;
  duration?: string;
  interval?: string;
  groupBy?: string[];
  map?: string[];
  configDir?: string;
  taskerUrl?: string[];
  out?: string;
  json?: boolean;
  progress?: boolean;
}

/** Settings of the Tasker pool a group maps to (size from Tasker's live answer when it has one). */
function settingsFor(model: ConfigModel, rules: readonly MapRule[]) {
  return (g: Parameters<typeof matchGroup>[0], tasker: ReadonlyArray<{ pools: Array<{ pool: string; maxConnections: number | null }> }>): GroupSettings | null => {
    const r = matchGroup(g, rules);
    if (!r) return null;
    const env = model.environments.find((e) => e.name === r.env)!;
    const s = env.pools[r.pool].settings;
    const live = tasker.flatMap((h) => h.pools).find((p) => p.pool === r.pool && p.maxConnections !== null);
    return {
      env: r.env,
      pool: r.pool,
      map: r.text,
      maxConnections: live?.maxConnections ?? s.max_connections,
      sizeSource: live ? 'tasker' : 'config',
      lifetimeS: s.max_lifetime_seconds > 0 ? s.max_lifetime_seconds : null,
      idleTimeoutS: s.idle_timeout_seconds > 0 ? s.idle_timeout_seconds : null,
    };
  };
}

/** Run `observe` with its parsed flags. */
export async function observeCommand(f: ObserveFlags): Promise<void> {
  addSecret(f.databaseUrl);
  if (f.out) assertReportPath('--out', f.out);
  const durationMs = f.duration !== undefined ? parseDurationFlag('--duration', f.duration) * 1000 : 600_000;
  const intervalMs = f.interval !== undefined ? parseDurationMs(f.interval) : 200;
  if (intervalMs === undefined || intervalMs < 10) throw new UsageError(`--interval '${f.interval}': expected a duration of at least 10ms`, 'write e.g. --interval 200ms');
  if (intervalMs > durationMs) throw new UsageError(`--interval ${f.interval} is longer than --duration ${f.duration ?? '10m'}`, 'sample more often than once per observation');
  const groupBy = parseGroupBy(f.groupBy);
  const taskerUrls = (f.taskerUrl ?? []).map(parseTaskerUrl);
  let model: ConfigModel | undefined;
  let rules: MapRule[] = [];
  if (f.map?.length) {
    const loaded = loadValidConfig(f.configDir);
    model = loaded.model;
    rules = f.map.map((m) => parseMapFlag(m, model!.environments.map((e) => e.name), groupBy));
  }
  const target = resolveTarget(f.databaseUrl);
  if (!target) throw new UsageError('observe needs a server to observe', 'pass --database-url postgresql://monitor@host:5432/db (or set DATABASE_URL / PG* variables)');
  const targetKind = isLocalHost(target.host) ? 'local' : 'remote';
  const ac = new AbortController();
  let signalled = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (signalled) return;
    signalled = true;
    writeErr(`\n${sig}: stopping; the partial observation follows.`);
    ac.abort();
  };
  const progress = showProgress(Boolean(f.json)) && f.progress !== false;
  await withInterrupt(onSignal, async () => {
    const { file, error } = await observeServer({
      config: connectionConfig(target),
      display: `${target.display} (from ${target.source})`,
      targetKind,
      intervalMs,
      durationMs,
      groupBy,
      maps: f.map ?? [],
      settingsFor: model ? settingsFor(model, rules) : undefined,
      configDir: model?.dir ?? null,
      taskerUrls,
      toolVersion: version(),
      signal: ac.signal,
      status: (l) => writeErr(l),
      onProgress: progress
        ? (p) => process.stderr.write(clean(`\r\x1b[K[observe] ${Math.floor(p.elapsedMs / 1000)}s, ${Math.max(0, Math.ceil((durationMs - p.elapsedMs) / 1000))}s left  ${p.samples} samples, ${p.connections} connections now`))
        : undefined,
    });
    if (progress) process.stderr.write('\r\x1b[K');
    emit(file, f);
    if (error !== undefined) throw error;
    if (file.observation.samples === 0) throw new NoDataError('no sample of pg_stat_activity was taken', 'observe for longer (--duration)');
    if (signalled) throw new CommandOutcome(ExitCode.Interrupted);
  });
}

function emit(file: ObservationFile, f: ObserveFlags): void {
  if (f.out) {
    writeFileAtomic(f.out, clean(`${JSON.stringify(file)}\n`), { display: f.out });
    writeErr(`Saved the observation to ${f.out}${file.partial ? ' (partial)' : ''}`);
  }
  if (f.json) writeOut(JSON.stringify(file, null, 2));
  else writeOut(renderObservation(file, { color: useColor(process.stdout) }));
}
