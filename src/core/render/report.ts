/**
 * The terminal report of a run, shared by `analyze` and `recommend --from` so that both print the
 * same thing for the same run: per environment, the measured tables (wait, occupancy, churn,
 * sparkline, generator) and then the model, recommendations, findings and TOML overrides.
 */
import { Chalk } from 'chalk';
import type { EvidenceFile } from '../evidence/types.js';
import type { RunAnalysis } from '../analysis/analyze.js';
import type { Advice } from '../rules/types.js';
import { renderEnvironment } from './run.js';
import { renderEnvironmentAdvice } from './recommendations.js';
import { dateOf } from './overrides.js';
import type { RenderOptions } from './options.js';

/** Render a run with its analysis and advice. */
export function renderReport(run: EvidenceFile, analysis: RunAnalysis, advice: Advice, opts: RenderOptions): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const date = dateOf(run.createdAt);
  const t = analysis.targetInfo;
  const parts: string[] = [`Target: ${run.target}${run.server ? ` (PostgreSQL ${run.server.version}, max_connections ${run.server.maxConnections})` : ''}; kind: ${t.kind}${t.inferred ? ' (inferred: the run predates recorded target kinds)' : ''}`];
  for (const e of run.environments) {
    const env = analysis.environments.find((x) => x.env === e.env);
    const adv = advice.environments.find((x) => x.env === e.env);
    if (!env) throw new Error(`no analysis of environment ${e.env}`);
    let block = renderEnvironment(e, env, opts);
    if (adv) block += `\n${renderEnvironmentAdvice(env, adv, { ...opts, date, withoutTable: true }).trimEnd()}`;
    parts.push(block);
  }
  if (run.partial) parts.push(c.yellow.bold(`This run is partial${run.error ? `: ${run.error}` : ' (interrupted)'}: the figures cover what was measured before it stopped.`));
  return `${parts.join('\n\n')}\n`;
}
