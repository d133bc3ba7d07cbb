/** `check --format json`: the whole report as JSON (documented in docs/thresholds.md). */
import { ExitCode } from '../../errors.js';
import { formatThreshold } from '../../thresholds/parse.js';
import { CHECK_SCHEMA_VERSION, checkOutcome, notEvaluated, type CheckReport } from '../report.js';

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
