/**
 * The issues of a config, as `config lint` prints them (and `config show` after its tables). A
 * module of its own so that `config lint` does not load the table renderer.
 */
import { Chalk } from 'chalk';
import { formatIssue, type Issue } from '../config/validate.js';
import type { RenderOptions } from './options.js';

/** Issues grouped as errors then warnings, one `file:line: message` line each, then a count. */
export function renderIssues(issues: readonly Issue[], opts: RenderOptions): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const errors = issues.filter((i) => i.severity === 'error');
  const warnings = issues.filter((i) => i.severity === 'warning');
  const lines: string[] = [];
  if (errors.length > 0) lines.push(c.red.bold('errors:'), ...errors.map((i) => `  ${formatIssue(i)}`));
  if (warnings.length > 0) lines.push(c.yellow.bold('warnings:'), ...warnings.map((i) => `  ${formatIssue(i)}`));
  lines.push(`${errors.length} error${errors.length === 1 ? '' : 's'}, ${warnings.length} warning${warnings.length === 1 ? '' : 's'}`);
  return lines.join('\n');
}
