/**
 * What `check` found, its exit code, and its four renderers (text, json, junit, github). The
 * renderers return strings; the command decides where they go. Pure: no I/O.
 */
import { Chalk } from 'chalk';
import { ExitCode } from '../errors.js';
import { formatIssue, type Issue } from '../config/validate.js';
import { formatThreshold, type Threshold } from '../thresholds/parse.js';
import type { ThresholdResult } from '../thresholds/evaluate.js';
import { budgetArithmetic, type BudgetResult, type StaticResult } from './static.js';

/** Version of `check --format json`'s shape. */
export const CHECK_SCHEMA_VERSION = 1;

/** Everything `check` found, ready to render. */
export interface CheckReport {
  /** The saved run the thresholds were evaluated on (absent with `--static`). */
  run?: { path: string; createdAt: string; target: string; partial: boolean; environments: string[] };
  /** Every threshold, parsed (evaluated or not). */
  thresholds: Threshold[];
  /** Results per environment and pool; empty when the thresholds were not evaluated. */
  results: ThresholdResult[];
  /** Whether the thresholds were evaluated (false with `--static`, or when the static checks stopped a run). */
  evaluated: boolean;
  /** Why they were not (default: `--static` needs no run). */
  notEvaluatedReason?: string;
  /** The static checks, or why they were skipped. */
  static?: StaticResult;
  staticSkipped?: string;
  /** The run holds no samples at all in the selected environments. */
  noSamples: boolean;
}

/** Counts and the exit code of a report. */
export interface CheckOutcome {
  exitCode: 0 | 1 | 4;
  held: number;
  breached: number;
  noData: number;
  errors: number;
  warnings: number;
  budgetsOver: number;
}

/**
 * The exit code: 1 for a config error (lint or an over-subscribed budget); else 4 when
 * thresholds were to be evaluated on a run with no samples at all (they would mean nothing);
 * else 1 for a breached threshold or one without data; else 0.
 */
export function checkOutcome(r: CheckReport): CheckOutcome {
  const held = r.results.filter((x) => x.status === 'held').length;
  const breached = r.results.filter((x) => x.status === 'breached').length;
  const noData = r.results.filter((x) => x.status === 'no-data').length;
  const issues = r.static?.issues ?? [];
  const errors = issues.filter((i) => i.severity === 'error').length;
  const warnings = issues.length - errors;
  const budgetsOver = (r.static?.budgets ?? []).filter((b) => b.status === 'over').length;
  let exitCode: CheckOutcome['exitCode'] = ExitCode.Ok;
  if (errors > 0) exitCode = ExitCode.CheckFailed;
  else if (r.evaluated && r.thresholds.length > 0 && r.noSamples) exitCode = ExitCode.NoData;
  else if (breached > 0 || noData > 0) exitCode = ExitCode.CheckFailed;
  return { exitCode, held, breached, noData, errors, warnings, budgetsOver };
}

/** Options of the text renderer. */
export interface TextOptions {
  color: boolean;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function notEvaluated(r: CheckReport): string {
  return r.notEvaluatedReason ?? '--static needs no run';
}

function groupByEnv(results: readonly ThresholdResult[]): Map<string, ThresholdResult[]> {
  const m = new Map<string, ThresholdResult[]>();
  for (const r of results) {
    const list = m.get(r.env) ?? [];
    list.push(r);
    m.set(r.env, list);
  }
  return m;
}

function budgetLine(b: BudgetResult): string {
  if (b.status === 'skipped') return `${b.env}: not checked: ${b.reason}`;
  const src = b.serverSource === 'run' ? ' (server max from the saved run)' : '';
  return `${b.env}: ${budgetArithmetic(b)} ${b.status === 'ok' ? '<=' : '>'} server max_connections ${b.serverMaxConnections}${src}`;
}

/** The k6-like text block: thresholds (one line each), then the config lint and the budgets, then a summary. */
export function renderCheckText(r: CheckReport, opts: TextOptions): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const ok = c.green('✓');
  const bad = c.red('✗');
  const lines: string[] = [];
  const o = checkOutcome(r);

  if (r.run) {
    lines.push(c.bold(`THRESHOLDS  ${r.run.path}`) + c.dim(` (run of ${r.run.createdAt}${r.run.partial ? ', partial' : ''})`));
  } else {
    lines.push(c.bold('THRESHOLDS'));
  }
  if (r.thresholds.length === 0) {
    lines.push('  none (give --threshold, or thresholds in the advisor config)');
  } else if (!r.evaluated) {
    lines.push(`  ${plural(r.thresholds.length, 'threshold')} parsed and valid; not evaluated: ${notEvaluated(r)}`);
    for (const t of r.thresholds) lines.push(`    ${c.dim('·')} ${formatThreshold(t)}`);
  } else {
    for (const [env, list] of groupByEnv(r.results)) {
      lines.push(`  ${c.bold(env)}`);
      const width = Math.max(...list.map((x) => x.expression.length));
      for (const x of list) {
        const mark = x.status === 'held' ? ok : bad;
        const value = x.status === 'no-data' ? c.yellow(x.observedText) : x.observedText;
        lines.push(`    ${mark} ${x.expression.padEnd(width)}  ${value}`);
      }
    }
  }

  lines.push('');
  if (!r.static) {
    lines.push(c.bold('CONFIG'), `  not checked: ${r.staticSkipped ?? 'no config dir'}`);
  } else {
    lines.push(c.bold(`CONFIG  ${r.static.configDir}`));
    const errors = r.static.issues.filter((i) => i.severity === 'error');
    const warnings = r.static.issues.filter((i) => i.severity === 'warning');
    if (errors.length === 0 && warnings.length === 0) lines.push(`  ${ok} no problems found`);
    for (const i of errors) lines.push(`  ${bad} ${formatIssue(i)}`);
    for (const i of warnings) lines.push(`  ${c.yellow('!')} ${formatIssue(i)}`);
    if (r.static.budgets.length > 0) {
      lines.push('', c.bold('CONNECTION BUDGET'));
      for (const b of r.static.budgets) lines.push(`  ${b.status === 'ok' ? ok : b.status === 'over' ? bad : c.dim('-')} ${budgetLine(b)}`);
    }
  }

  lines.push('');
  const parts: string[] = [];
  if (r.evaluated && r.thresholds.length > 0) {
    const total = r.results.length;
    parts.push(`${plural(total, 'threshold')}: ${o.held} held, ${o.breached} breached${o.noData > 0 ? `, ${o.noData} without data` : ''}`);
  }
  if (r.static) parts.push(`config: ${plural(o.errors, 'error')}, ${plural(o.warnings, 'warning')}`);
  const mark = o.exitCode === ExitCode.Ok ? ok : bad;
  const verdict = o.exitCode === ExitCode.Ok ? 'check passed' : o.exitCode === ExitCode.NoData ? 'no samples in the run' : 'check failed';
  lines.push(`${mark} ${verdict}${parts.length > 0 ? ` · ${parts.join(' · ')}` : ''}`);
  return `${lines.join('\n')}\n`;
}

/** The JSON shape of `check --format json` (documented in docs/thresholds.md). */
export function checkJsonData(r: CheckReport): unknown {
  const o = checkOutcome(r);
  return {
    schemaVersion: CHECK_SCHEMA_VERSION,
    ok: o.exitCode === ExitCode.Ok,
    exitCode: o.exitCode,
    run: r.run ?? null,
    thresholds: r.evaluated
      ? r.results.map((x) => ({
          env: x.env,
          pool: x.pool,
          expression: x.expression,
          input: x.threshold.input,
          source: x.threshold.source?.label ?? null,
          metric: x.threshold.metric,
          aggregation: x.threshold.aggregation,
          operator: x.threshold.operator,
          limit: x.threshold.limit,
          unit: x.threshold.unit,
          status: x.status,
          observed: x.observed,
          observedText: x.observedText,
          ...(x.reason ? { reason: x.reason } : {}),
        }))
      : r.thresholds.map((t) => ({ expression: formatThreshold(t), input: t.input, source: t.source?.label ?? null, status: 'not-evaluated', reason: notEvaluated(r) })),
    config: r.static ? { dir: r.static.configDir, issues: r.static.issues, budgets: r.static.budgets } : { skipped: r.staticSkipped ?? 'no config dir' },
    summary: { held: o.held, breached: o.breached, noData: o.noData, errors: o.errors, warnings: o.warnings, budgetsOver: o.budgetsOver },
  };
}

/** `check --format json`. */
export function renderCheckJson(r: CheckReport): string {
  return `${JSON.stringify(checkJsonData(r), null, 2)}\n`;
}

/** Escape text for XML content and attribute values, dropping characters XML 1.0 cannot hold. */
export function xmlEscape(s: string): string {
  return s
    .replace(/[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

interface Case {
  classname: string;
  name: string;
  failure?: { type: string; message: string; body: string };
  skipped?: string;
}

function testsuite(name: string, cases: Case[], systemOut?: string): string {
  const failures = cases.filter((k) => k.failure).length;
  const skipped = cases.filter((k) => k.skipped !== undefined).length;
  const out = [`  <testsuite name="${xmlEscape(name)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}">`];
  for (const k of cases) {
    const open = `    <testcase classname="${xmlEscape(k.classname)}" name="${xmlEscape(k.name)}" time="0"`;
    if (k.failure) {
      out.push(`${open}>`, `      <failure type="${xmlEscape(k.failure.type)}" message="${xmlEscape(k.failure.message)}">${xmlEscape(k.failure.body)}</failure>`, '    </testcase>');
    } else if (k.skipped !== undefined) {
      out.push(`${open}>`, `      <skipped message="${xmlEscape(k.skipped)}"/>`, '    </testcase>');
    } else out.push(`${open}/>`);
  }
  if (systemOut) out.push(`    <system-out>${xmlEscape(systemOut)}</system-out>`);
  out.push('  </testsuite>');
  return out.join('\n');
}

/**
 * `check --format junit`: one testcase per threshold result, per config lint error (or one
 * passing `config lint` case when there is none, a skipped one when the config was not
 * checked) and per connection budget; warnings go to the config suite's system-out.
 */
export function renderCheckJunit(r: CheckReport): string {
  const suites: Array<{ name: string; cases: Case[]; out?: string }> = [];
  if (r.evaluated && r.thresholds.length > 0) {
    suites.push({
      name: 'pool-advisor thresholds',
      cases: r.results.map((x) => ({
        classname: `pool-advisor.thresholds.${x.env}`,
        name: x.expression,
        ...(x.status === 'held'
          ? {}
          : {
              failure: {
                type: x.status,
                message: x.status === 'breached' ? `breached: ${x.observedText}` : x.observedText,
                body: `${x.env}: ${x.expression}: ${x.observedText}`,
              },
            }),
      })),
    });
  }
  if (r.static) {
    const lintErrors = r.static.issues.filter((i) => i.severity === 'error' && i.code !== 'connection-budget');
    const warnings = r.static.issues.filter((i) => i.severity === 'warning');
    const cases: Case[] = lintErrors.map((i) => ({
      classname: 'pool-advisor.config',
      name: formatIssue(i),
      failure: { type: i.code, message: i.message, body: formatIssue(i) },
    }));
    if (lintErrors.length === 0) cases.push({ classname: 'pool-advisor.config', name: `config lint: ${r.static.configDir}` });
    for (const b of r.static.budgets) {
      const issue = r.static.issues.find((i) => i.code === 'connection-budget' && i.envs.includes(b.env));
      cases.push({
        classname: 'pool-advisor.budget',
        name: `connection budget: ${b.env}`,
        ...(b.status === 'over' && issue ? { failure: { type: 'connection-budget', message: issue.message, body: formatIssue(issue) } } : {}),
        ...(b.status === 'skipped' ? { skipped: b.reason ?? 'not checked' } : {}),
      });
    }
    suites.push({ name: 'pool-advisor config', cases, ...(warnings.length > 0 ? { out: warnings.map((i) => `warning: ${formatIssue(i)}`).join('\n') } : {}) });
  } else {
    suites.push({ name: 'pool-advisor config', cases: [{ classname: 'pool-advisor.config', name: 'config lint', skipped: r.staticSkipped ?? 'no config dir' }] });
  }
  const tests = suites.reduce((n, s) => n + s.cases.length, 0);
  const failures = suites.reduce((n, s) => n + s.cases.filter((k) => k.failure).length, 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="pool-advisor check" tests="${tests}" failures="${failures}" errors="0">`,
    ...suites.map((s) => testsuite(s.name, s.cases, s.out)),
    '</testsuites>',
    '',
  ].join('\n');
}

/** Escape a workflow command's message (GitHub: `%`, CR, LF). */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escape a workflow command's property value (the message's escapes, plus `:` and `,`). */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * A plain log line of the github format. GitHub reads any line that starts with `::` as a
 * workflow command, so text from input (an environment name holding a newline and
 * `::error ...`) must not start a line: it is escaped like a command's message, which keeps it
 * on one line that starts with the tool's own text.
 */
function logLine(s: string): string {
  return escapeData(s);
}

function annotation(level: 'error' | 'warning', props: { file?: string; line?: number; col?: number; title: string }, message: string): string {
  const p: string[] = [];
  if (props.file) p.push(`file=${escapeProperty(props.file)}`);
  if (props.file && props.line) p.push(`line=${props.line}`);
  if (props.file && props.line && props.col) p.push(`col=${props.col}`);
  p.push(`title=${escapeProperty(props.title)}`);
  return `::${level} ${p.join(',')}::${escapeData(message)}`;
}

function issueAnnotation(i: Issue): string {
  const title = i.code === 'connection-budget' ? 'pool-advisor connection budget' : `pool-advisor ${i.code}`;
  const envs = i.envs.length > 0 && !i.envs.every((e) => i.message.includes(`'${e}'`)) ? ` (${i.envs.join(', ')})` : '';
  return annotation(i.severity, { ...(i.file ? { file: i.file } : {}), ...(i.line ? { line: i.line } : {}), ...(i.column ? { col: i.column } : {}), title }, `${i.message}${envs}`);
}

/**
 * `check --format github`: a workflow-command annotation per breached or data-less threshold
 * (at the advisor config when the threshold came from it), per config error and warning (at
 * its file and line); held thresholds and the summary as plain log lines.
 */
export function renderCheckGithub(r: CheckReport): string {
  const lines: string[] = [];
  for (const x of r.results) {
    if (x.status === 'held') {
      lines.push(logLine(`✓ ${x.env}: ${x.expression} (${x.observedText})`));
      continue;
    }
    const src = x.threshold.source;
    const title = x.status === 'breached' ? 'pool-advisor threshold breached' : 'pool-advisor threshold without data';
    lines.push(annotation('error', { ...(src?.file ? { file: src.file } : {}), ...(src?.line ? { line: src.line } : {}), title }, `${x.env}: ${x.expression}: ${x.observedText}`));
  }
  if (!r.evaluated && r.thresholds.length > 0) lines.push(logLine(`${plural(r.thresholds.length, 'threshold')} parsed and valid; not evaluated: ${notEvaluated(r)}`));
  if (r.static) for (const i of r.static.issues) lines.push(issueAnnotation(i));
  else lines.push(logLine(`config not checked: ${r.staticSkipped ?? 'no config dir'}`));
  const o = checkOutcome(r);
  lines.push(
    `pool-advisor check: ${o.exitCode === ExitCode.Ok ? 'passed' : o.exitCode === ExitCode.NoData ? 'no samples in the run' : 'failed'}` +
      ` (${o.held} held, ${o.breached} breached, ${o.noData} without data; ${plural(o.errors, 'config error')}, ${plural(o.warnings, 'warning')})`,
  );
  return `${lines.join('\n')}\n`;
}

/** The output formats of `check`. */
export type CheckFormat = 'text' | 'json' | 'junit' | 'github';

/** Renderers by format name. */
export const CHECK_RENDERERS: Readonly<Record<CheckFormat, (r: CheckReport, opts: TextOptions) => string>> = {
  text: renderCheckText,
  json: (r) => renderCheckJson(r),
  junit: (r) => renderCheckJunit(r),
  github: (r) => renderCheckGithub(r),
};
