/**
 * Rendering a {@link RulesPlan}: the Prometheus rules file (YAML, with what the family cannot
 * express as comments at the top) and the summary `alerts` prints. Pure: both return strings.
 */
import { promDuration, type Figure } from './figures.js';
import type { AlertRule, RulesPlan } from './build.js';
import { Document } from 'yaml';

/** Where the rules came from, for the file's header. */
export interface RulesOrigin {
  /** The advisor config the thresholds were read from, as given. */
  advisorConfig: string;
  /** How many thresholds came from `--threshold`. */
  flagThresholds: number;
  /** Where constant max_connections came from, when a family needed them. */
  maxConnections?: string;
}

/** The name of a plan's groups: `pool-advisor-otel-recording`, `pool-advisor-otel-alerts`. */
export function groupName(plan: RulesPlan, kind: 'recording' | 'alerts' | 'budget'): string {
  return `pool-advisor-${plan.family}-${kind}`;
}

function alertYaml(a: Pick<AlertRule, 'alert' | 'expr' | 'forS' | 'severity' | 'annotations'>): Record<string, unknown> {
  return {
    alert: a.alert,
    expr: a.expr,
    ...(a.forS > 0 ? { for: promDuration(a.forS) } : {}),
    labels: { severity: a.severity },
    annotations: { ...a.annotations },
  };
}

/** Lines listing what was not expressed, or expressed in part. */
function listLines(plan: RulesPlan): string[] {
  const out: string[] = [];
  if (plan.notExpressed.length > 0) {
    out.push(`Not expressible with the ${plan.family} family (no rule written):`);
    for (const n of plan.notExpressed) out.push(`  ${n.what}: ${n.reason}`);
  }
  if (plan.partial.length > 0) {
    out.push(`Expressed in part with the ${plan.family} family:`);
    for (const n of plan.partial) out.push(`  ${n.what}: the alert ${n.reason}`);
  }
  return out;
}

/** The rules file: a header of comments, then the groups (recording rules first). */
export function renderRulesFile(plan: RulesPlan, origin: RulesOrigin): string {
  const source = plan.defaults
    ? `Tasker's default alert table (${origin.advisorConfig} has no [check] thresholds)`
    : `the [check] thresholds of ${origin.advisorConfig}${origin.flagThresholds > 0 ? ` and ${origin.flagThresholds} --threshold flag${origin.flagThresholds === 1 ? '' : 's'}` : ''}`;
  const header = [
    `Prometheus rules written by \`pool-advisor alerts --family ${plan.family}\` from ${source}.`,
    `Metrics: ${plan.title}.`,
    ...(origin.maxConnections ? [`Utilisation divides by the ${origin.maxConnections}.`] : []),
    `Load it with rule_files in prometheus.yml and check it with \`promtool check rules\`; see docs/alerts.md.`,
    ...plan.notes,
    ...(listLines(plan).length > 0 ? ['', ...listLines(plan)] : []),
  ];
  const groups: Array<Record<string, unknown>> = [];
  if (plan.recording.length > 0) groups.push({ name: groupName(plan, 'recording'), rules: plan.recording.map((r) => ({ record: r.record, expr: r.expr })) });
  if (plan.alerts.length > 0) groups.push({ name: groupName(plan, 'alerts'), rules: plan.alerts.map(alertYaml) });
  if (plan.budget) groups.push({ name: groupName(plan, 'budget'), rules: [alertYaml(plan.budget)] });
  // YAML 1.1 quoting, so readers that still follow 1.1 (Prometheus's Go reader) see every string as written.
  const doc = new Document({ groups }, { version: '1.1' });
  doc.commentBefore = header.map(commentLine).join('\n');
  return doc.toString({ lineWidth: 0 });
}

/** A header line as YAML comment text: a leading space, and control characters escaped so the comment stays one line. */
function commentLine(line: string): string {
  const shown = line.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return shown === '' ? '' : ` ${shown}`;
}

function figureWindow(f: Figure): string {
  return promDuration(f.window);
}

/** The summary `alerts` prints: what was written, then every threshold it could not express and why. */
export function renderAlertsSummary(plan: RulesPlan, written: string | undefined): string {
  const where = written ? ` to ${written}` : '';
  const lines = [
    `${plan.alerts.length} alert${plan.alerts.length === 1 ? '' : 's'} and ${plan.recording.length} recording rule${plan.recording.length === 1 ? '' : 's'} for the ${plan.family} family${where}, from ${plan.defaults ? "Tasker's default alert table (the advisor config has no thresholds)" : 'the thresholds'}`,
  ];
  for (const a of plan.alerts) lines.push(`  ${a.alert} (${a.severity}${a.forS > 0 ? `, for ${promDuration(a.forS)}` : ''}, window ${figureWindow(a.figure)}): ${a.annotations.threshold}`);
  if (plan.budget) lines.push(`  ${plan.budget.alert} (${plan.budget.severity}${plan.budget.forS > 0 ? `, for ${promDuration(plan.budget.forS)}` : ''}): ${plan.budget.annotations.threshold}`);
  lines.push(...plan.notes, ...listLines(plan));
  return `${lines.join('\n')}\n`;
}
