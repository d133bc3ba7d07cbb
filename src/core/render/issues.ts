/**
 * The issues of a config, as `config lint` prints them (and `config show` after its tables). A
 * module of its own so that `config lint` does not load the table renderer, nor chalk: its two
 * styles are written out (the bytes chalk writes at level 1), which keeps `config lint` on a large
 * config within its startup budget (bench/results.md).
 */
import { formatIssue, type Issue } from '../config/validate.js';
import type { RenderOptions } from './options.js';

/** Issues grouped as errors then warnings, one `file:line: message` line each, then a count. */
export function renderIssues(issues: readonly Issue[], opts: RenderOptions): string {
  const heading = (code: 31 | 33, text: string): string => (opts.color ? `\x1b[${code}m\x1b[1m${text}\x1b[22m\x1b[39m` : text);
  const errors = issues.filter((i) => i.severity === 'error');
  const warnings = issues.filter((i) => i.severity === 'warning');
  const lines: string[] = [];
  if (errors.length > 0) lines.push(heading(31, 'errors:'), ...errors.map((i) => `  ${formatIssue(i)}`));
  if (warnings.length > 0) lines.push(heading(33, 'warnings:'), ...warnings.map((i) => `  ${formatIssue(i)}`));
  lines.push(`${errors.length} error${errors.length === 1 ? '' : 's'}, ${warnings.length} warning${warnings.length === 1 ? '' : 's'}`);
  return lines.join('\n');
}
