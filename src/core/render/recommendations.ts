/**
 * Renderers of the advice: for people (a summary table per environment, the model, the
 * recommendations with their evidence, the findings, then the TOML overrides) and as JSON
 * (`schemaVersion: 1`). They return strings; the command decides where they go.
 */
import { Chalk } from 'chalk';
import { saw, type EnvironmentAnalysis, type PoolAnalysis, type RunAnalysis } from '../analysis/analyze.js';
import { fmtCount, formatMs, formatNum, formatRate, formatS, formatShare, formatUs } from '../units.js';
import type { Advice, EnvironmentAdvice, EvidenceItem, Finding, Recommendation } from '../rules/types.js';
import { SCHEMA_VERSION, type RenderOptions } from './options.js';
import type { EvidencePart } from '../evidence/parts.js';
import { unseenLines } from './unseen.js';
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

/** What the terminal prints for a figure this pool's source could not see. */
const UNSEEN = 'n/a';

/**
 * The summary columns, each with the evidence parts it reads (any of them) and its cell. A column
 * no pool of the environment has is left out; a pool without it shows n/a. Decided from the
 * evidence's parts, never from a value being zero, so older saved observations print right too.
 */
const COLUMNS: ReadonlyArray<{ head: string; parts: readonly EvidencePart[]; cell: (p: PoolAnalysis) => string }> = [
  { head: 'acquires', parts: ['wait', 'arrival'], cell: (p) => fmtCount(p.acquires) },
  { head: 'rate', parts: ['arrival'], cell: (p) => `${formatNum(p.arrivalRate, 1)}/s` },
  { head: 'P50 wait', parts: ['wait'], cell: (p) => formatUs(p.wait.p50Us) },
  { head: 'P99 wait', parts: ['wait'], cell: (p) => formatUs(p.wait.p99Us) },
  { head: 'P99.9 wait', parts: ['wait'], cell: (p) => formatUs(p.wait.p999Us) },
  { head: 'max wait', parts: ['wait'], cell: (p) => formatUs(p.wait.maxUs) },
  { head: 'waited', parts: ['wait'], cell: (p) => formatShare(p.waitedShare) },
  { head: 'in use mean/P95/max', parts: ['occupancy'], cell: (p) => `${formatNum(p.inUse.mean, 1)} / ${p.inUse.p95} / ${p.inUse.max} of ${p.settings.max_connections}${p.sizeOfRecord ? ` (${p.sizeOfRecord.liveFrom}; config ${p.sizeOfRecord.config})` : ''}` },
  { head: 'util', parts: ['occupancy'], cell: (p) => formatShare(p.utilisation) },
  { head: 'timeouts', parts: ['failures'], cell: (p) => fmtCount(p.timeouts) },
  { head: 'target P99', parts: [], cell: (p) => formatMs(p.targetP99WaitMs) },
];

function poolTable(env: EnvironmentAnalysis, color: boolean): string {
  const has = (p: PoolAnalysis, parts: readonly EvidencePart[]): boolean => parts.length === 0 || parts.some((x) => saw(p, x));
  const cols = COLUMNS.filter((c) => env.pools.some((p) => has(p, c.parts)));
  const t = compactTable(['pool', ...cols.map((c) => c.head)], color, ['left', ...cols.map(() => 'right' as const)]);
  for (const p of env.pools) t.push([p.coverage?.replica ? `${p.pool} (${p.coverage.replica})` : p.pool, ...cols.map((c) => (has(p, c.parts) ? c.cell(p) : UNSEEN))]);
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

/**
 * The findings, with the rules that could not judge a pool on this evidence folded into one line
 * per pool (what each would have judged; the parts it lacked are said once, above the table).
 */
function findingLines(findings: readonly Finding[], c: InstanceType<typeof Chalk>): string[] {
  const out: string[] = [];
  const folded = new Map<string, Finding[]>();
  for (const f of findings) {
    if (!f.cannotJudge) {
      out.push(findingLine(f, c));
      continue;
    }
    const key = f.pool ?? '';
    if (!folded.has(key)) folded.set(key, []);
    folded.get(key)!.push(f);
  }
  for (const [pool, fs] of folded) {
    const rules = fs.map((f) => f.kind).join(', ');
    out.push(`  ${c.dim('info')} ${pool || 'environment'} ${c.dim('cannot judge')}: ${fs.map((f) => f.cannotJudge!.judges).join('; ')} ${c.dim(`(${rules}): the evidence lacks what they need`)}`);
  }
  return out;
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
    out.push(c.bold(`Environment ${env.env}: ${formatS(env.durationS)} ${env.measured ? 'measured' : 'observed'}${env.interrupted ? ' (interrupted)' : ''}`));
    for (const w of env.workloads) out.push(`  workload: ${w}`);
    if (env.pools.length > 0) out.push(poolTable(env, opts.color));
    for (const l of unseenLines(env)) out.push(c.dim(`  ${l}`));
  }
  const models = env.pools.map(modelLine).filter((x): x is string => x !== undefined);
  if (models.length > 0) out.push(c.bold('Model'), ...models.map((m) => `  ${m}`));
  for (const p of env.pools) for (const n of p.model.notes) out.push(c.dim(`  note (${p.pool}): ${n}`));
  for (const p of env.pools) if (p.sqlxBehaviour.length > 0) out.push(c.dim(`  note (${p.pool}): sqlx emulation: ${p.sqlxBehaviour.join('; ')}`));
  for (const p of env.pools) if (p.server.note) out.push(c.dim(`  note (${p.pool}): ${p.server.note}`));
  for (const p of env.pools) {
    if (saw(p, 'failures') && p.slow.count > 0) {
      out.push(c.dim(`  note (${p.pool}): ${p.slow.count} acquire${p.slow.count === 1 ? '' : 's'} over the slow threshold of ${formatMs(p.slow.thresholdMs)} (${formatShare(p.slow.share)})${saw(p, 'wait') ? `, the slowest ${formatUs(p.wait.maxUs)}` : ''}; analyze --slow-log writes each to stderr as a JSON line`));
    }
  }
  for (const n of env.validity.notes) out.push(c.dim(`  note: ${n}`));
  if (!env.validity.valid) out.push(c.red.bold(`INVALID RUN: ${env.validity.reasons.join('; ')}. No key is changed.`));
  out.push(c.bold('Recommendations'));
  if (advice.recommendations.length === 0) out.push('  none');
  for (const r of advice.recommendations) out.push(...recLines(r, c));
  if (advice.findings.length > 0) out.push(c.bold('Findings'), ...findingLines(advice.findings, c));
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

/**
 * The figures of a pool's analysis and the evidence parts they are computed from (any of them).
 * In the JSON a figure whose parts the source could not see is absent, never 0 (docs/fleet.md).
 */
const FIGURE_PARTS: Readonly<Partial<Record<keyof PoolAnalysis, readonly EvidencePart[]>>> = {
  acquires: ['wait', 'arrival'],
  wait: ['wait'],
  waitByPath: ['waitPaths'],
  waitedShare: ['wait'],
  queuedShare: ['waitPaths'],
  arrivalRate: ['arrival'],
  demandRate: ['arrival'],
  hold: ['hold'],
  offeredLoad: ['hold'],
  create: ['create'],
  inUse: ['occupancy'],
  idle: ['occupancy'],
  total: ['occupancy'],
  waiting: ['waiting'],
  utilisation: ['occupancy'],
  peakUtilisation: ['occupancy'],
  timeouts: ['failures'],
  timeoutShare: ['failures'],
  errors: ['failures'],
  errorShare: ['failures'],
  expiries: ['churn'],
  idleCloses: ['churn'],
  slow: ['failures'],
  holdTrend: ['holdByInUse'],
  holdTrendHalves: ['holdByInUse'],
  meetsTarget: ['wait'],
};

/** A pool's analysis as the JSON has it: without what only the charts and tables draw (the what-if curve and the display figures), nor the figures of parts its source could not see. */
function poolData(p: PoolAnalysis): unknown {
  const { curve: _curve, ...model } = p.model;
  const unseen: Record<string, undefined> = {};
  for (const [key, parts] of Object.entries(FIGURE_PARTS)) if (!parts!.some((x) => saw(p, x))) unseen[key] = undefined;
  // Overwriting keeps each key where it was; an undefined one is left out of the JSON.
  return { ...p, model, display: undefined, ...unseen };
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
