/** `check --format github`: GitHub Actions workflow commands (annotations). */
import { ExitCode } from '../../errors.js';
import { type Issue } from '../../config/validate.js';
import { checkOutcome, plural, notEvaluated, type CheckReport } from '../report.js';

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
