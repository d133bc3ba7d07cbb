/** `check --format junit`: JUnit XML, one testcase per threshold result and config error. */
import { formatIssue } from '../../config/validate.js';
import { type CheckReport } from '../report.js';

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
