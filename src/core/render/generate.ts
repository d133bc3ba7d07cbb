/**
 * Renderers for `generate`: the human summary, the `--dry-run` diff and the `--json` data.
 * They return strings or data; the command decides where they go.
 */
import type { FilePlan, GeneratePlan, PlannedChange } from '../generate/plan.js';
import { unifiedDiff } from './diff.js';
import { SCHEMA_VERSION } from './options.js';

/** How the plan was carried out. */
export interface GenerateOutcome {
  /** The config dir as the user named it. */
  configDir: string;
  dryRun: boolean;
  /** Whether the files were written (and verified). */
  written: boolean;
  /** Settings left out, with the reason (`--env`, advice without a value...). */
  skipped: string[];
}

function show(v: unknown): string {
  return v === undefined ? 'unset' : String(v);
}

function describeChange(c: PlannedChange): string {
  const how = c.action === 'updated' ? '' : c.action === 'inserted' ? ', key added' : ', table added';
  return `[${c.table}] ${c.key}: ${show(c.from)} -> ${c.to} (line ${c.line}${how})`;
}

/** The `--dry-run` diff of one file, with `a/` and `b/` labels relative to the config dir (`patch -p1` applies it there). */
export function renderFileDiff(f: FilePlan): string {
  return unifiedDiff(f.before ?? '', f.after, { oldLabel: f.before === undefined ? '/dev/null' : `a/${f.rel}`, newLabel: `b/${f.rel}` });
}

/** The human summary: what changed per file, what already had its value, and what was done. */
export function renderGenerateSummary(plan: GeneratePlan, outcome: GenerateOutcome): string {
  const lines: string[] = [];
  for (const f of plan.files) {
    lines.push(`${f.display}${f.before === undefined ? ` (new file${f.createsEnv ? ', new environment' : ''})` : ''}`);
    for (const c of f.changes) lines.push(`  ${c.env}: ${describeChange(c)}`);
  }
  for (const u of plan.unchanged) {
    const s = u.setting;
    const where = u.origin ? ` (${u.origin.file}:${u.origin.line})` : '';
    lines.push(`already set: ${s.env}.${s.pool}.${s.key} = ${s.value}${where}`);
  }
  const n = plan.files.length;
  const files = `${n} file${n === 1 ? '' : 's'}`;
  if (n === 0) lines.push('nothing to change: every setting already has the asked value; no file was touched');
  else if (outcome.dryRun) lines.push(`dry run: ${files} would change; nothing was written`);
  else if (outcome.written) lines.push(`wrote ${files}; re-read ${outcome.configDir}: every environment merges to the asked values and nothing else changed`);
  return `${lines.join('\n')}\n`;
}

/** The `--json` shape (documented in docs/generate.md). */
export function generateData(plan: GeneratePlan, outcome: GenerateOutcome): unknown {
  return {
    schemaVersion: SCHEMA_VERSION,
    configDir: outcome.configDir,
    dryRun: outcome.dryRun,
    changed: plan.files.length > 0,
    written: outcome.written,
    files: plan.files.map((f) => ({
      file: f.rel,
      path: f.display,
      created: f.before === undefined,
      createsEnvironment: f.createsEnv,
      changes: f.changes.map((c) => ({ env: c.env, pool: c.pool, table: c.table, key: c.key, from: c.from ?? null, to: c.to, action: c.action, line: c.line })),
      ...(outcome.dryRun ? { diff: renderFileDiff(f) } : {}),
    })),
    unchanged: plan.unchanged.map((u) => ({
      env: u.setting.env,
      pool: u.setting.pool,
      key: u.setting.key,
      value: u.setting.value,
      file: u.origin?.file ?? null,
      line: u.origin?.line ?? null,
    })),
    skipped: outcome.skipped,
    warnings: plan.warnings,
  };
}
