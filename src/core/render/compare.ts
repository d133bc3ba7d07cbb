/**
 * The terminal form of `pool-advisor compare`: per environment and pool, a table of the figures
 * before and after with the change, and the settings that differ. Returns a string.
 */
import { Chalk } from 'chalk';
import type { CompareUnit, MetricChange, PoolComparison, RunComparison } from '../analysis/compare.js';
import { compactTable } from './table.js';
import { fmtNum, fmtPct, fmtUs } from '../units.js';
import type { RenderOptions } from './options.js';

/** A compared value in its unit; `-` when the run does not have it. */
export function fmtValue(unit: CompareUnit, v: number | null): string {
  if (v === null) return '-';
  switch (unit) {
    case 'us':
      return fmtUs(v);
    case 'share':
      return fmtPct(v);
    case 'count':
      return String(Math.round(v));
    default:
      return fmtNum(v);
  }
}

/** The change of a figure: `-42.1 ms (-93%)`, `+3`, `-12.3 pp` (percentage points for shares). */
export function fmtChange(m: MetricChange): string {
  if (m.delta === null) return '-';
  if (m.delta === 0) return '0';
  const sign = m.delta > 0 ? '+' : '-';
  const abs = Math.abs(m.delta);
  let text: string;
  switch (m.unit) {
    case 'us':
      text = `${sign}${fmtUs(abs)}`;
      break;
    case 'share': {
      const pp = fmtNum(abs * 100);
      return /^0(\.0+)?$/.test(pp) ? '0' : `${sign}${pp} pp`;
    }
    case 'count':
      text = `${sign}${Math.round(abs)}`;
      break;
    default:
      text = `${sign}${fmtNum(abs)}`;
  }
  // A change too small to show in the unit's precision reads as none, not as `-0.0 (-0%)`.
  if (/^[+-]0(\.0+)?( µs)?$/.test(text)) return '0';
  return m.relative === null ? text : `${text} (${sign}${fmtNum(Math.abs(m.relative) * 100, 0)}%)`;
}

function poolTable(p: PoolComparison, c: InstanceType<typeof Chalk>, color: boolean): string {
  const t = compactTable(['figure', 'before', 'after', 'change', ''], color, ['left', 'right', 'right', 'right', 'left']);
  for (const m of p.metrics) {
    const verdict = m.verdict === 'better' ? c.green('better') : m.verdict === 'worse' ? c.red('worse') : m.verdict === 'same' ? c.dim('same') : '';
    t.push([m.label, fmtValue(m.unit, m.before), fmtValue(m.unit, m.after), fmtChange(m), verdict]);
  }
  return t.toString();
}

/** The human comparison of two runs. */
export function renderCompare(cmp: RunComparison, opts: RenderOptions): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const side = (label: string, s: RunComparison['before']): string => `${label}: ${s.file} (${s.kind === 'observation' ? 'observed' : 'measured'} ${s.createdAt}, ${s.target}${s.partial ? ', partial' : ''})`;
  const out: string[] = [side('Before', cmp.before), side('After ', cmp.after)];
  for (const e of cmp.environments) {
    out.push('', c.bold(`Environment: ${e.env}`) + (e.presentIn === 'both' ? '' : c.yellow(`  (only in the ${e.presentIn} run)`)));
    if (e.workloadsDiffer) {
      out.push(c.yellow('  The workloads differ, so this is not like for like:'));
      for (const w of e.workloadsDiffer.before) out.push(`    before: ${w}`);
      for (const w of e.workloadsDiffer.after) out.push(`    after:  ${w}`);
    }
    for (const p of e.pools) {
      const settings = p.settings.length > 0 ? `settings changed: ${p.settings.map((s) => `${s.key} ${s.before} -> ${s.after}`).join(', ')}` : p.presentIn === 'both' ? 'same settings' : `only in the ${p.presentIn} run`;
      out.push(`${c.bold(p.pool)}  ${c.dim(settings)}`, poolTable(p, c, opts.color));
    }
  }
  return `${out.join('\n')}\n`;
}

/** The `--json` form: the comparison without the chart data. */
export function compareData(c: RunComparison): unknown {
  // An undefined key is left out of the JSON; overwriting keeps the others where they were.
  return { ...c, environments: c.environments.map((e) => ({ ...e, pools: e.pools.map((p) => ({ ...p, spectra: undefined })) })) };
}
