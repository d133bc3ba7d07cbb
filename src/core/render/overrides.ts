/**
 * Paste-ready TOML overrides per environment: only the keys that change, in the tables where
 * Tasker reads them, grouped by the environment file they belong in, headed by comments that
 * echo the inputs (environment, workload, duration, date), each key preceded by its reason and
 * followed by the value it replaces. Returns a string; the command decides where it goes.
 */
import { formatS } from '../units.js';
import { POOLS, POOL_NAMES, type Context } from '../config/pools.js';
import type { EnvironmentAdvice, Recommendation } from '../rules/types.js';

/** What the header echoes besides the advice itself. */
export interface OverridesOptions {
  /** When the run was measured (or the advice made), as it should read: `2026-01-02`. */
  date: string;
}

const CONTEXTS: readonly Context[] = ['common', 'orchestration', 'worker'];

/** A comment line (never lets a newline in a rationale break out of the comment). */
function comment(text: string): string {
  return `# ${text.replace(/\s*\n\s*/g, ' ')}`;
}

/** The date part of an ISO timestamp (`2026-01-02T03:04:05Z` -> `2026-01-02`); anything else as given. */
export function dateOf(iso: string): string {
  return /^\d{4}-\d{2}-\d{2}T/.test(iso) ? iso.slice(0, 10) : iso;
}

/** The TOML overrides of one environment. */
export function renderOverrides(env: EnvironmentAdvice, opts: OverridesOptions): string {
  const lines: string[] = [comment(`pool-advisor overrides for environment '${env.env}'`)];
  for (const w of env.workloads) lines.push(comment(`workload: ${w}`));
  if (env.workloads.length === 0) lines.push(comment('workload: (none recorded)'));
  lines.push(comment(`${env.measured === false ? 'observed' : 'measured'}: ${formatS(env.durationS)} on ${opts.date}`));
  if (env.recommendations.length === 0) {
    lines.push(comment('no changes: no rule found a key to change (see the findings)'));
    return `${lines.join('\n')}\n`;
  }
  for (const context of CONTEXTS) {
    const recs = env.recommendations.filter((r) => POOLS[r.pool].context === context);
    if (recs.length === 0) continue;
    lines.push('', comment(`in environments/${env.env}/${context}.toml`));
    for (const pool of POOL_NAMES) {
      const own = recs.filter((r) => r.pool === pool);
      if (own.length === 0) continue;
      lines.push('', `[${own[0]!.table || POOLS[pool].table.join('.')}]`);
      for (const r of own) lines.push(comment(`${r.rule} (${r.confidence} confidence): ${r.rationale}`), `${r.key} = ${r.to}  ${comment(was(r))}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function was(r: Recommendation): string {
  const from = r.from === null ? 'unset' : String(r.from);
  return r.file ? `was ${from} (${r.file}${r.line !== null ? `:${r.line}` : ''})` : `was ${from} (default)`;
}

/** The overrides of every environment, one after another. */
export function renderAllOverrides(envs: readonly EnvironmentAdvice[], opts: OverridesOptions): string {
  return envs.map((e) => renderOverrides(e, opts)).join('\n');
}
