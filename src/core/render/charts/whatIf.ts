/**
 * The queue model's what-if curve: predicted P99 wait against max_connections, from the curve the
 * analysis computed (ModelFit.curve), with the measured point, the target and the recommendation.
 */
import type { WhatIfCurve } from '../../analysis/charts.js';
import { fmtUs } from '../../units.js';
import { axisTitle, decadeTicks, esc, legend, linear, n, NARROW, PAD, pathOf, svgOpen, usLabel, xGrid, yGrid } from './axes.js';

/** What the what-if chart marks. */
export interface WhatIfMarks {
  /** The pool's max_connections in the run, and its measured P99 wait, µs. */
  current: number;
  measuredP99Us: number;
  targetUs: number;
  /** The recommended max_connections, when a rule changes it. */
  recommended?: number;
  /** The smallest size whose modelled P99 meets the target (when no recommendation says otherwise). */
  need?: number | null;
}

/** Pool sizes drawn: from the first stable size to past the current, the need and the recommendation, at most 120 steps. */
function sizes(curve: WhatIfCurve, m: WhatIfMarks): number[] {
  const from = curve.from;
  const top = Math.min(1000, Math.max(from + 8, Math.ceil(Math.max(m.current, m.recommended ?? 0, m.need ?? 0) * 1.4) + 2));
  const step = Math.max(1, Math.ceil((top - from) / 120));
  const out: number[] = [];
  for (let c = from; c <= top; c += step) out.push(c);
  for (const c of [m.current, m.recommended, m.need]) if (c !== undefined && c !== null && c >= from && c <= top && !out.includes(c)) out.push(c);
  return out.sort((a, b) => a - b);
}

/**
 * The model's what-if curve: predicted P99 wait against max_connections, with the sizes under
 * the offered load shaded (unstable), the measured point, the target and the recommendation.
 * A predicted P99 of zero (fewer than 1% of acquires wait) sits on the bottom edge, labelled 0.
 */
export function whatIfChart(curve: WhatIfCurve, m: WhatIfMarks, opts: { title: string }): string {
  const W = NARROW;
  const H = 270;
  const cs = sizes(curve, m);
  const at = new Map(curve.points.map((q) => [q.c, q.p99WaitUs]));
  // The analysis's curve has every size a recommendation can reach; one it lacks is not drawn.
  const preds = cs.flatMap((c) => (at.has(c) ? [{ c, us: at.get(c)! }] : []));
  const positive = [...preds.map((q) => q.us), m.measuredP99Us, m.targetUs].filter((v) => Number.isFinite(v) && v > 0);
  const lo = Math.floor(Math.log10(Math.max(1, Math.min(...positive)))) - 1;
  // Sizes just above the offered load predict waits of minutes: the axis stops two decades above what matters, and the curve leaves through the top.
  const matters = Math.max(m.measuredP99Us, m.targetUs, preds.find((q) => q.c >= m.current)?.us ?? 0);
  const hi = Math.max(lo + 2, Math.min(Math.ceil(Math.log10(Math.max(...positive))), Math.ceil(Math.log10(Math.max(1, matters))) + 2));
  const cFrom = Math.min(cs[0]!, m.current) - 1;
  const cTo = Math.max(cs[cs.length - 1]!, m.current) + 1;
  const x = linear(cFrom, cTo, PAD.left, W - PAD.right);
  const y = linear(lo, hi, H - PAD.bottom, PAD.top);
  const yus = (us: number): number => (us <= 0 ? y(lo) : y(Math.min(hi, Math.log10(us))));
  const out: string[] = [svgOpen('whatif', W, H, opts.title)];
  const yt = decadeTicks(lo, hi).map((e) => ({ y: y(e), label: e === lo ? '0' : usLabel(10 ** e) }));
  out.push(yGrid(yt, PAD.left, W - PAD.right));
  const span = cTo - cFrom;
  const cStep = [1, 2, 5, 10, 20, 25, 50, 100, 200].find((s) => span / s <= 12) ?? 250;
  const xt: Array<{ x: number; label: string }> = [];
  for (let c = Math.ceil(cFrom / cStep) * cStep; c <= cTo; c += cStep) if (c >= 1) xt.push({ x: x(c), label: String(c) });
  out.push(xGrid(xt, PAD.top, H - PAD.bottom));
  out.push(axisTitle((PAD.left + W - PAD.right) / 2, H - 4, 'max_connections'), axisTitle(14, (PAD.top + H - PAD.bottom) / 2, 'predicted P99 wait', true));
  const unstableTo = cs[0]! - 0.5;
  if (unstableTo > cFrom) out.push(`<rect class="unstable" x="${n(PAD.left)}" y="${n(PAD.top)}" width="${n(x(unstableTo) - PAD.left)}" height="${n(H - PAD.bottom - PAD.top)}"><title>fewer connections than the offered load: waits grow without bound</title></rect>`);
  out.push(`<line class="target" x1="${n(PAD.left)}" x2="${n(W - PAD.right)}" y1="${n(yus(m.targetUs))}" y2="${n(yus(m.targetUs))}"/><text class="note" x="${n(W - PAD.right - 4)}" y="${n(yus(m.targetUs) - 4)}" text-anchor="end">target ${esc(fmtUs(m.targetUs))}</text>`);
  out.push(`<path class="line s-model" d="${pathOf(preds.map((q) => [x(q.c), Number.isFinite(q.us) ? yus(q.us) : NaN]))}"><title>modelled P99 wait by pool size</title></path>`);
  for (const q of preds) {
    if (!Number.isFinite(q.us)) continue;
    out.push(`<circle class="dot" cx="${n(x(q.c))}" cy="${n(yus(q.us))}" r="2"><title>${esc(`max_connections ${q.c}: predicted P99 wait ${q.us > 0 ? fmtUs(q.us) : '0'}`)}</title></circle>`);
  }
  // The recommendation is labelled at the top, the current size at the bottom (where the curve is high, so the corner is free).
  const mark = (c: number, cls: string, label: string, anchorRight: boolean, labelY: number): string => `<line class="${cls}" x1="${n(x(c))}" x2="${n(x(c))}" y1="${n(PAD.top)}" y2="${n(H - PAD.bottom)}"/><text class="note ${cls}-label" x="${n(x(c) + (anchorRight ? -4 : 4))}" y="${n(labelY)}" text-anchor="${anchorRight ? 'end' : 'start'}">${esc(label)}</text>`;
  const goal = m.recommended ?? m.need ?? undefined;
  if (goal !== undefined && goal !== m.current) out.push(mark(goal, 'recommended', `${m.recommended !== undefined ? 'recommended' : 'meets target'}: ${goal}`, goal < m.current, PAD.top + 12));
  out.push(mark(m.current, 'current', `current: ${m.current}`, goal !== undefined && goal > m.current, H - PAD.bottom - 6));
  out.push(`<rect class="measured" x="${n(x(m.current) - 5)}" y="${n(yus(m.measuredP99Us) - 5)}" width="10" height="10" transform="rotate(45 ${n(x(m.current))} ${n(yus(m.measuredP99Us))})"><title>${esc(`measured at ${m.current}: P99 wait ${fmtUs(m.measuredP99Us)}`)}</title></rect>`);
  out.push(legend([['s-model', 'modelled P99 wait'], ['measured', 'measured P99 wait'], ['target', 'target'], ['unstable', 'over capacity']]));
  out.push('</svg>');
  return out.join('');
}
