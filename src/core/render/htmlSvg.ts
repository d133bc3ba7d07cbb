/**
 * SVG charts for the HTML report, generated as strings: the acquire-wait percentile spectrum,
 * the occupancy and wait timeline with expiries marked, and the queue model's what-if curve.
 * Pure: data in, markup out; the figures drawn come from the analysis (no histogram decoded, no
 * model called here). Every text that reaches the markup goes through {@link esc}.
 */
import type { TimelinePoint } from '../run/types.js';
import type { PoolEvidence } from '../evidence/types.js';
import type { WaitSpectrum, WhatIfCurve } from '../analysis/charts.js';
import { fmtUs } from '../units.js';

/** Escape text for HTML or SVG content and attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

/** A coordinate rounded to 0.1 px: precise enough for a chart, and it keeps the file small. */
function n(x: number): string {
  return String(Math.round(x * 10) / 10);
}

/** Widths of the charts in SVG units: two side by side, or one across (the timeline). */
const NARROW = 640;
const WIDE = 1120;
/** Margins: labels on the left and below, a legend row above. */
const PAD = { left: 64, right: 30, top: 30, bottom: 38 };

/** A linear map from a domain to a pixel range; a zero-width domain maps to the range's start. */
function linear(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0;
  return (v) => (span === 0 ? r0 : r0 + ((v - d0) / span) * (r1 - r0));
}

/** Decade ticks (powers of ten) from 10^lo to 10^hi, for a log axis of microseconds. */
function decadeTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) out.push(e);
  return out;
}

/** A readable duration label for a decade tick: 1 µs, 10 µs, ... 1 ms ... 10 s. */
function usLabel(us: number): string {
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1e6) return `${Math.round(us / 1000)} ms`;
  return `${Math.round(us / 1e6)} s`;
}

/** An SVG path through points; NaN or non-finite points break the line. */
export function pathOf(points: ReadonlyArray<readonly [number, number]>): string {
  let d = '';
  let pen = false;
  for (const [x, y] of points) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${n(x)} ${n(y)}`;
    pen = true;
  }
  return d;
}

function svgOpen(kind: string, width: number, height: number, label: string): string {
  return `<svg class="chart" data-chart="${esc(kind)}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(label)}" xmlns="http://www.w3.org/2000/svg"><title>${esc(label)}</title>`;
}

/** Horizontal grid lines with labels on the left. */
function yGrid(ticks: ReadonlyArray<{ y: number; label: string }>, x0: number, x1: number): string {
  return ticks.map((t) => `<line class="grid" x1="${n(x0)}" x2="${n(x1)}" y1="${n(t.y)}" y2="${n(t.y)}"/><text class="tick" x="${n(x0 - 6)}" y="${n(t.y + 4)}" text-anchor="end">${esc(t.label)}</text>`).join('');
}

/** Vertical grid lines with labels underneath. */
function xGrid(ticks: ReadonlyArray<{ x: number; label: string }>, y0: number, y1: number): string {
  return ticks.map((t) => `<line class="grid" x1="${n(t.x)}" x2="${n(t.x)}" y1="${n(y0)}" y2="${n(y1)}"/><text class="tick" x="${n(t.x)}" y="${n(y1 + 16)}" text-anchor="middle">${esc(t.label)}</text>`).join('');
}

function axisTitle(x: number, y: number, text: string, rotate = false): string {
  return `<text class="axis-title" x="${n(x)}" y="${n(y)}" text-anchor="middle"${rotate ? ` transform="rotate(-90 ${n(x)} ${n(y)})"` : ''}>${esc(text)}</text>`;
}

/** A legend row above the plot: [css class, label] pairs, left to right. */
function legend(items: ReadonlyArray<readonly [string, string]>): string {
  let x = PAD.left;
  const parts: string[] = [];
  for (const [cls, label] of items) {
    parts.push(`<g class="legend"><rect class="${esc(cls)} swatch" x="${n(x)}" y="8" width="12" height="8"/><text x="${n(x + 16)}" y="16">${esc(label)}</text></g>`);
    x += 6.5 * label.length + 34;
  }
  return parts.join('');
}

/** The percentile of a fractional position on the spectrum axis: x = log10(1 / (1 − q)). */
function percentileLabel(x: number): string {
  if (x === 0) return '0%';
  return `${(100 - 100 / 10 ** x).toFixed(Math.max(0, x - 2))}%`;
}

/** One series of the spectrum chart. */
export interface SpectrumSeries {
  label: string;
  /** CSS class of the line (`s-main`, `s-before`, `s-after`). */
  cls: string;
  /** The spectrum of acquire waits (from the analysis). */
  spectrum: WaitSpectrum;
}

/**
 * The acquire-wait percentile spectrum: wait (log scale) against percentile, spread so that each
 * extra nine (90%, 99%, 99.9%...) gets the same width, which is where pools differ. Marks the
 * P50, P99, P99.9 and max of the first series and the target as a dashed line.
 */
export function spectrumChart(series: readonly SpectrumSeries[], opts: { targetUs?: number; title: string }): string {
  const W = NARROW;
  const H = 260;
  const data = series.map((s) => ({ s, h: s.spectrum, pts: s.spectrum.points }));
  const all = data.flatMap((d) => d.pts.map((p) => p[1]));
  if (all.length === 0) return emptyChart('spectrum', opts.title, 'no acquires recorded');
  const ys = opts.targetUs ? [...all, opts.targetUs] : all;
  const lo = Math.floor(Math.log10(Math.min(...ys)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...ys))));
  const xMax = Math.max(2, Math.ceil(Math.max(...data.flatMap((d) => d.pts.map((p) => p[0])))));
  const x = linear(0, xMax, PAD.left, W - PAD.right);
  const y = linear(lo, hi, H - PAD.bottom, PAD.top);
  const yl = (us: number): number => y(Math.log10(Math.max(1, us)));
  const out: string[] = [svgOpen('spectrum', W, H, opts.title)];
  out.push(yGrid(decadeTicks(lo, hi).map((e) => ({ y: y(e), label: usLabel(10 ** e) })), PAD.left, W - PAD.right));
  out.push(xGrid(Array.from({ length: xMax + 1 }, (_, i) => ({ x: x(i), label: percentileLabel(i) })), PAD.top, H - PAD.bottom));
  out.push(axisTitle((PAD.left + W - PAD.right) / 2, H - 4, 'percentile of acquires'), axisTitle(14, (PAD.top + H - PAD.bottom) / 2, 'acquire wait', true));
  if (opts.targetUs) {
    out.push(`<line class="target" x1="${n(PAD.left)}" x2="${n(W - PAD.right)}" y1="${n(yl(opts.targetUs))}" y2="${n(yl(opts.targetUs))}"/>`);
    out.push(`<text class="note" x="${n(W - PAD.right - 4)}" y="${n(yl(opts.targetUs) - 4)}" text-anchor="end">target P99 ${esc(fmtUs(opts.targetUs))}</text>`);
  }
  for (const d of data) out.push(`<path class="line ${esc(d.s.cls)}" d="${pathOf(d.pts.map(([px, py]) => [x(px), yl(py)]))}"><title>${esc(d.s.label)}</title></path>`);
  const first = data[0]!;
  if (first.h.count > 0) {
    const marks: Array<[string, number, number]> = [
      ['P50', Math.log10(2), first.h.p50Us],
      ['P99', 2, first.h.p99Us],
      ['P99.9', 3, first.h.p999Us],
    ];
    const xLast = first.pts[first.pts.length - 1]![0];
    for (const [label, px, v] of marks) {
      if (px > xLast) continue;
      out.push(`<circle class="mark ${esc(first.s.cls)}" cx="${n(x(px))}" cy="${n(yl(v))}" r="3.5"><title>${esc(`${first.s.label} ${label}: ${fmtUs(v)}`)}</title></circle>`);
      out.push(`<text class="note" x="${n(x(px) + 6)}" y="${n(yl(v) - 6)}">${esc(`${label} ${fmtUs(v)}`)}</text>`);
    }
    out.push(`<circle class="mark ${esc(first.s.cls)}" cx="${n(x(xLast))}" cy="${n(yl(first.h.maxUs))}" r="3.5"><title>${esc(`${first.s.label} max: ${fmtUs(first.h.maxUs)}`)}</title></circle>`);
  }
  out.push(legend([...data.map((d) => [d.s.cls, d.s.label] as const), ...(opts.targetUs ? [['target', 'target P99'] as const] : [])]));
  out.push('</svg>');
  return out.join('');
}

function emptyChart(kind: string, title: string, why: string): string {
  return `<p class="empty" data-chart-empty="${esc(kind)}">${esc(title)}: ${esc(why)}</p>`;
}

/** Step points of a per-interval value: flat across each interval. */
function steps(points: readonly TimelinePoint[], value: (p: TimelinePoint) => number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const p of points) {
    const v = value(p);
    out.push([p.t / 1000, v], [(p.t + p.dt) / 1000, v]);
  }
  return out;
}

/** An area under step points, closed down to the baseline points (reversed). */
function areaPath(top: Array<[number, number]>, base: Array<[number, number]>): string {
  if (top.length === 0) return '';
  return `${pathOf([...top, ...[...base].reverse()])}Z`;
}

function timeTicks(durationS: number): number[] {
  const targets = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
  const step = targets.find((s) => durationS / s <= 8) ?? Math.ceil(durationS / 8);
  const out: number[] = [];
  for (let t = 0; t <= durationS + 1e-9; t += step) out.push(t);
  return out;
}

function timeLabel(s: number): string {
  if (s < 60 || s % 60 !== 0) return `${s}s`;
  return `${s / 60}m`;
}

/**
 * The timeline of one pool: connections in use and idle (stacked) with the waiters and
 * max_connections on top, the P99 wait of each interval (log scale) below, and a strip of
 * lifetime expiries; each interval has a tooltip with its figures.
 */
export function timelineChart(p: PoolEvidence, opts: { title: string; targetUs?: number }): string {
  const pts = p.timeline?.points ?? [];
  if (pts.length === 0) return emptyChart('timeline', opts.title, 'no timeline recorded');
  const W = WIDE;
  const H = 400;
  const top = { y0: PAD.top, y1: 196 };
  const strip = { y0: 208, y1: 222 };
  const bottom = { y0: 234, y1: H - PAD.bottom };
  const durS = Math.max(p.source.durationMs / 1000, ...pts.map((q) => (q.t + q.dt) / 1000));
  const x = linear(0, durS, PAD.left, W - PAD.right);
  const cMax = Math.max(1, p.settings.max_connections, ...pts.map((q) => Math.max(q.totalMax, q.waitingMax, q.inUseMax)));
  const yc = linear(0, cMax * 1.08, top.y1, top.y0);
  const waits = pts.map((q) => q.waitP99Us).filter((v) => v > 0);
  const wVals = opts.targetUs ? [...waits, opts.targetUs] : waits;
  const lo = wVals.length > 0 ? Math.floor(Math.log10(Math.max(1, Math.min(...wVals)))) : 0;
  const hi = Math.max(lo + 1, wVals.length > 0 ? Math.ceil(Math.log10(Math.max(...wVals))) : 1);
  const yw = linear(lo, hi, bottom.y1, bottom.y0);
  const ywl = (us: number): number => yw(Math.log10(Math.max(1, us)));
  const out: string[] = [svgOpen('timeline', W, H, opts.title)];

  const cStep = cMax <= 10 ? 2 : cMax <= 25 ? 5 : cMax <= 60 ? 10 : cMax <= 150 ? 25 : Math.ceil(cMax / 6 / 50) * 50;
  const cTicks: Array<{ y: number; label: string }> = [];
  for (let c = 0; c <= cMax * 1.08; c += cStep) cTicks.push({ y: yc(c), label: String(c) });
  out.push(yGrid(cTicks, PAD.left, W - PAD.right));
  out.push(yGrid(decadeTicks(lo, hi).map((e) => ({ y: yw(e), label: usLabel(10 ** e) })), PAD.left, W - PAD.right));
  out.push(xGrid(timeTicks(durS).map((t) => ({ x: x(t), label: timeLabel(t) })), top.y0, bottom.y1));
  out.push(axisTitle(14, (top.y0 + top.y1) / 2, 'connections', true), axisTitle(14, (bottom.y0 + bottom.y1) / 2, 'P99 wait', true), axisTitle((PAD.left + W - PAD.right) / 2, H - 4, 'time into the measured window'));

  const inUse = steps(pts, (q) => q.inUseMean);
  const stacked = steps(pts, (q) => q.inUseMean + q.idleMean);
  const zero = inUse.map(([t]) => [t, 0] as [number, number]);
  const px = (ps: Array<[number, number]>, f: (v: number) => number): Array<[number, number]> => ps.map(([t, v]) => [x(t), f(v)]);
  out.push(`<path class="area a-idle" d="${areaPath(px(stacked, yc), px(inUse, yc))}"><title>idle connections (mean per interval)</title></path>`);
  out.push(`<path class="area a-inuse" d="${areaPath(px(inUse, yc), px(zero, yc))}"><title>connections in use (mean per interval)</title></path>`);
  out.push(`<path class="line s-waiting" d="${pathOf(px(steps(pts, (q) => q.waitingMean), yc))}"><title>acquires waiting (mean per interval)</title></path>`);
  const maxY = yc(p.settings.max_connections);
  out.push(`<line class="limit" x1="${n(PAD.left)}" x2="${n(W - PAD.right)}" y1="${n(maxY)}" y2="${n(maxY)}"/><text class="note" x="${n(W - PAD.right - 4)}" y="${n(maxY - 4)}" text-anchor="end">max_connections ${p.settings.max_connections}</text>`);

  // P99 wait per interval; intervals with no acquires break the line.
  const waitPts: Array<[number, number]> = [];
  for (const q of pts) {
    const v = q.acquires > 0 && q.waitP99Us > 0 ? ywl(q.waitP99Us) : NaN;
    waitPts.push([x(q.t / 1000), v], [x((q.t + q.dt) / 1000), v]);
  }
  out.push(`<path class="line s-p99" d="${pathOf(waitPts)}"><title>P99 acquire wait per interval</title></path>`);
  if (opts.targetUs) {
    const ty = ywl(opts.targetUs);
    out.push(`<line class="target" x1="${n(PAD.left)}" x2="${n(W - PAD.right)}" y1="${n(ty)}" y2="${n(ty)}"/><text class="note" x="${n(W - PAD.right - 4)}" y="${n(ty - 4)}" text-anchor="end">target P99 ${esc(fmtUs(opts.targetUs))}</text>`);
  }

  // Expiries: a tick in the strip for each, and a faint line across both panels when they are few.
  out.push(`<rect class="strip" x="${n(PAD.left)}" y="${n(strip.y0)}" width="${n(W - PAD.right - PAD.left)}" height="${n(strip.y1 - strip.y0)}"/>`);
  out.push(`<text class="tick" x="${n(PAD.left - 6)}" y="${n(strip.y1 - 3)}" text-anchor="end">expiries</text>`);
  const expiryTimes = p.churn?.expiryTimesMs ?? [];
  const expiries = expiryTimes.length > 0 ? expiryTimes.map((ms) => ms / 1000) : pts.filter((q) => q.expired > 0).map((q) => (q.t + q.dt / 2) / 1000);
  if (expiries.length > 0) {
    out.push(`<path class="expiry" d="${expiries.map((t) => `M${n(x(t))} ${n(strip.y0 + 1)}V${n(strip.y1 - 1)}`).join('')}"><title>${esc(`${p.churn?.closed.lifetime ?? 0} lifetime expiries${p.churn?.expiryTimesTruncated ? ' (only the first ones are marked)' : ''}`)}</title></path>`);
    if (expiries.length <= 50) out.push(`<path class="expiry-line" d="${expiries.map((t) => `M${n(x(t))} ${n(top.y0)}V${n(bottom.y1)}`).join('')}"/>`);
  }

  // One transparent band per interval, carrying its figures as a tooltip.
  for (const q of pts) {
    const tip = `${timeLabel(Math.round(q.t / 100) / 10)}-${timeLabel(Math.round((q.t + q.dt) / 100) / 10)}: in use ${q.inUseMean} (max ${q.inUseMax}), idle ${q.idleMean}, waiting ${q.waitingMean} (max ${q.waitingMax}); ${q.acquires} acquires, P99 wait ${fmtUs(q.waitP99Us)}, max ${fmtUs(q.waitMaxUs)}${q.timeouts ? `, ${q.timeouts} timeouts` : ''}${q.expired ? `, ${q.expired} expired` : ''}${q.created ? `, ${q.created} opened` : ''}`;
    out.push(`<rect class="hit" x="${n(x(q.t / 1000))}" y="${n(top.y0)}" width="${n(Math.max(0.5, x((q.t + q.dt) / 1000) - x(q.t / 1000)))}" height="${n(bottom.y1 - top.y0)}"><title>${esc(tip)}</title></rect>`);
  }
  out.push(legend([['a-inuse', 'in use'], ['a-idle', 'idle'], ['s-waiting', 'waiting'], ['limit', 'max_connections'], ['s-p99', 'P99 wait per interval'], ['expiry', 'lifetime expiry']]));
  out.push('</svg>');
  return out.join('');
}

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
