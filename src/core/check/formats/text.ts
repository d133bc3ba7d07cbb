/** `check --format text`: for people, on a terminal or in a CI log. */
import { Chalk } from 'chalk';
import { ExitCode } from '../../errors.js';
import { formatIssue } from '../../config/validate.js';
import { formatThreshold } from '../../thresholds/parse.js';
import { checkOutcome, plural, notEvaluated, groupByEnv, budgetLine, type CheckReport, type TextOptions } from '../report.js';

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
