/**
 * Renderers of the advice: for people (a summary table per environment, the model, the
 * recommendations with their evidence, the findings, then the TOML overrides) and as JSON
 * (`schemaVersion: 1`). They return strings; the command decides where they go.
 */
import { Chalk } from 'chalk';
import type { EnvironmentAnalysis, PoolAnalysis, RunAnalysis } from '../analysis/analyze.js';
import { formatMs, formatNum, formatRate, formatS, formatShare, formatUs } from '../units.js';
import type { Advice, EnvironmentAdvice, EvidenceItem, Finding, Recommendation } from '../rules/types.js';
import { SCHEMA_VERSION, type RenderOptions } from './options.js';
import { dateOf, renderOverrides } from './overrides.js';
import { compactTable } from './table.js';

/** An evidence value in the unit that reads best. */
export function formatEvidence(e: EvidenceItem): string {
  const v = e.value;
  if (v === null) return 'n/a';
  if (typeof v !== 'number') return String(v);
  switch (e.unit) {
    case 'us':
      return formatUs(v);
    case 'ms':
      return formatMs(v);
    case 's':
      return formatS(v);
    case 'share':
      return formatShare(v);
    case 'per_s':
      return `${formatRate(v)}/s`;
    case 'per_min':
      return `${formatRate(v)}/min`;
    case 'ratio':
      return `x${formatNum(v, 2)}`;
    default:
      return formatNum(v, 1);
  }
}

function poolTable(env: EnvironmentAnalysis, color: boolean): string {
  const t = compactTable(['pool', 'acquires', 'rate', 'P50 wait', 'P99 wait', 'P99.9 wait', 'max wait', 'waited', 'in use mean/P95/max', 'util', 'timeouts', 'target P99'], color, [
    'left',
    'right',
    'right',
    'right',
    'right',
    'right',
    'right',
    'right',
    'right',
    'right',
    'right',
    'right',
  ]);
  for (const p of env.pools) {
    t.push([
      p.pool,
      String(p.acquires),
      `${formatNum(p.arrivalRate, 1)}/s`,
      formatUs(p.wait.p50Us),
      formatUs(p.wait.p99Us),
      formatUs(p.wait.p999Us),
      formatUs(p.wait.maxUs),
      formatShare(p.waitedShare),
      `${formatNum(p.inUse.mean, 1)} / ${p.inUse.p95} / ${p.inUse.max} of ${p.settings.max_connections}${p.sizeOfRecord ? ` (${p.sizeOfRecord.liveFrom}; config ${p.sizeOfRecord.config})` : ''}`,
      formatShare(p.utilisation),
      String(p.timeouts),
      formatMs(p.targetP99WaitMs),
    ]);
  }
  return t.toString();
}

function modelLine(p: PoolAnalysis): string | undefined {
  const m = p.model;
  if (!m.input || !m.current) return undefined;
  const a = m.input.arrivals;
  const method = m.current.method === 'erlang-c' ? 'Erlang C' : m.current.method === 'allen-cunneen' ? 'Erlang C + Allen-Cunneen (approximate)' : m.current.method === 'burst-mixture' ? 'Erlang C burst mixture (approximate)' : 'finite source M/M/c//N';
  const load = a.kind === 'open' ? `${formatNum(a.lambda, 1)} acquires/s` : `${a.callers} callers, think ${formatS(a.thinkS)}`;
  const need = m.needForTarget === null ? `no size up to 1000 meets ${formatMs(p.targetP99WaitMs)}` : `smallest size meeting ${formatMs(p.targetP99WaitMs)}: ${m.needForTarget}`;
  const err = m.error ? ` (measured ${formatS(m.error.measured.p99S)})` : '';
  return `${p.pool}: ${method}, ${load}, mean hold ${formatS(m.input.meanHoldS)} (cv ${formatNum(p.hold.cv, 2)}); P99 wait at ${m.current.c}: ${formatS(m.current.p99WaitS)}${err}; ${need}`;
}

function recLines(r: Recommendation, c: InstanceType<typeof Chalk>): string[] {
  const where = r.file ? `${r.file}${r.line !== null ? `:${r.line}` : ''}` : 'default';
  const limited = r.limitedBy === 'budget' ? ' · capped by the connection budget' : r.limitedBy === 'range' ? " · clamped to Tasker's range" : '';
  return [
    `  ${c.bold(`${r.pool} ${r.key} ${r.from ?? 'unset'} -> ${r.to}`)}  ${c.dim(`[${r.table}] · ${r.rule} · ${r.confidence} confidence · from ${where}${limited}`)}`,
    `    ${r.rationale}`,
    `    ${c.dim(`evidence: ${r.evidence.map((e) => `${e.label} ${formatEvidence(e)}`).join('; ')}`)}`,
  ];
}

function findingLine(f: Finding, c: InstanceType<typeof Chalk>): string {
  const mark = f.kind === 'healthy' ? c.green('ok') : f.severity === 'error' ? c.red('error') : f.severity === 'warning' ? c.yellow('warning') : c.dim('info');
  const where = f.file ? c.dim(` (${f.file}${f.line !== undefined ? `:${f.line}` : ''})`) : '';
  return `  ${mark} ${f.pool ?? 'environment'} ${c.dim(f.kind)}: ${f.message}${where}`;
}

/** Options of the human renderer. */
export interface AdviceRenderOptions extends RenderOptions {
  /** Echoed in the overrides header; the run's createdAt date by default. */
  date?: string;
  /** Leave out the per-pool figures table (when the measured tables are printed just above). */
  withoutTable?: boolean;
}

/** The human report of one environment. */
export function renderEnvironmentAdvice(env: EnvironmentAnalysis, advice: EnvironmentAdvice, opts: AdviceRenderOptions & { date: string }): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const out: string[] = [];
  if (!opts.withoutTable) {
    out.push(c.bold(`Environment ${env.env}: ${formatS(env.durationS)} measured${env.interrupted ? ' (interrupted)' : ''}`));
    for (const w of env.workloads) out.push(`  workload: ${w}`);
    if (env.pools.length > 0) out.push(poolTable(env, opts.color));
  }
  const models = env.pools.map(modelLine).filter((x): x is string => x !== undefined);
  if (models.length > 0) out.push(c.bold('Model'), ...models.map((m) => `  ${m}`));
  for (const p of env.pools) for (const n of p.model.notes) out.push(c.dim(`  note (${p.pool}): ${n}`));
  for (const p of env.pools) if (p.sqlxBehaviour.length > 0) out.push(c.dim(`  note (${p.pool}): sqlx emulation: ${p.sqlxBehaviour.join('; ')}`));
  for (const p of env.pools) if (p.server.note) out.push(c.dim(`  note (${p.pool}): ${p.server.note}`));
  for (const n of env.validity.notes) out.push(c.dim(`  note: ${n}`));
  if (!env.validity.valid) out.push(c.red.bold(`INVALID RUN: ${env.validity.reasons.join('; ')}. No key is changed.`));
  out.push(c.bold('Recommendations'));
  if (advice.recommendations.length === 0) out.push('  none');
  for (const r of advice.recommendations) out.push(...recLines(r, c));
  if (advice.findings.length > 0) out.push(c.bold('Findings'), ...advice.findings.map((f) => findingLine(f, c)));
  out.push(c.bold('TOML overrides'), renderOverrides(advice, { date: opts.date }).trimEnd());
  return `${out.join('\n')}\n`;
}

/** The human report of a whole run. */
export function renderAdvice(analysis: RunAnalysis, advice: Advice, opts: AdviceRenderOptions): string {
  const date = opts.date ?? dateOf(analysis.createdAt);
  const parts: string[] = [];
  if (analysis.partial) parts.push('Partial run: the figures below cover what was measured before it stopped.\n');
  for (const env of analysis.environments) {
    const a = advice.environments.find((e) => e.env === env.env);
    if (a) parts.push(renderEnvironmentAdvice(env, a, { ...opts, date }));
  }
  return parts.join('\n');
}

/** A pool's analysis as the JSON has it: without what only the charts and tables draw (the what-if curve and the display figures). */
function poolData(p: PoolAnalysis): unknown {
  const { curve: _curve, ...model } = p.model;
  // Overwriting keeps each key where it was; an undefined one is left out of the JSON.
  return { ...p, model, display: undefined };
}

/**
 * The JSON form (`--json`): every recommendation and finding (each names its environment), and
 * per environment the pool analyses and the overrides text. The top-level `recommendations`
 * array of `{env, pool, key, to, ...}` is what `generate --from` reads. Infinite values (an
 * unstable queue) serialise as null.
 */
export function adviceData(analysis: RunAnalysis, advice: Advice, opts: { date?: string } = {}): unknown {
  const date = opts.date ?? dateOf(analysis.createdAt);
  return {
    schemaVersion: SCHEMA_VERSION,
    createdAt: analysis.createdAt,
    target: analysis.target,
    targetKind: analysis.targetInfo.kind,
    targetKindInferred: analysis.targetInfo.inferred,
    partial: analysis.partial,
    valid: analysis.valid,
    recommendations: advice.environments.flatMap((e) => e.recommendations),
    findings: advice.environments.flatMap((e) => e.findings),
    environments: analysis.environments.map((env) => {
      const a = advice.environments.find((e) => e.env === env.env);
      return {
        env: env.env,
        durationS: env.durationS,
        workloads: env.workloads,
        validity: env.validity,
        pools: env.pools.map(poolData),
        overrides: a ? renderOverrides(a, { date }) : '',
      };
    }),
  };
}
