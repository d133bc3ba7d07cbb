/**
 * The charts of a pool seen only by its occupancy (an observation from the server's side): the
 * busy count's distribution over the window and the probability an acquire waits by pool size at
 * the load it implies (both from the analysis's occupancy model; nothing is computed here), and
 * the opens and closes by reason over the window (the times the evidence keeps).
 */
import type { OccupancyModel } from '../../analysis/occupancyModel.js';
import type { ChurnEvidence } from '../../evidence/types.js';
import { formatNum, formatShare } from '../../units.js';
import { axisTitle, esc, legend, linear, n, NARROW, PAD, pathOf, svgOpen, WIDE, xGrid, yGrid } from './axes.js';

/** The sizes a chart marks: the pool's now, and the advised one when a rule changes it. */
export interface SizeMarks {
  current: number;
  advised?: number;
}

/** Ticks for a count axis from 0 to `top`: about ten, on 1, 2 or 5 times a power of ten. */
function countTicks(top: number): number[] {
  const step = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500].find((s) => top / s <= 10) ?? 1000;
  const out: number[] = [];
  for (let v = 0; v <= top; v += step) out.push(v);
  return out;
}

/** A vertical marker across the plot with its label at `labelY`. */
function marker(x: number, cls: string, label: string, labelY: number, right: boolean, h: number): string {
  return `<line class="${cls}" x1="${n(x)}" x2="${n(x)}" y1="${n(PAD.top)}" y2="${n(h - PAD.bottom)}"/><text class="note ${cls}-label" x="${n(x + (right ? -4 : 4))}" y="${n(labelY)}" text-anchor="${right ? 'end' : 'start'}">${esc(label)}</text>`;
}

/**
 * The share of the window the pool had each number of connections busy, as bars, with the pool's
 * size and the advised size marked.
 */
export function busyDistributionChart(m: OccupancyModel, marks: SizeMarks, opts: { title: string }): string {
  const W = NARROW;
  const H = 250;
  const top = Math.max(1, ...m.busyShares.map(([l]) => l), marks.current, marks.advised ?? 0) + 1;
  const x = linear(-0.5, top + 0.5, PAD.left, W - PAD.right);
  const peak = Math.max(0.01, ...m.busyShares.map(([, s]) => s));
  const yTop = Math.min(1, Math.ceil(peak * 10) / 10);
  const y = linear(0, yTop, H - PAD.bottom, PAD.top);
  const out: string[] = [svgOpen('busy', W, H, opts.title)];
  const yStep = yTop <= 0.2 ? 0.05 : yTop <= 0.5 ? 0.1 : 0.2;
  const yt: Array<{ y: number; label: string }> = [];
  for (let v = 0; v <= yTop + 1e-9; v += yStep) yt.push({ y: y(v), label: formatShare(v) });
  out.push(yGrid(yt, PAD.left, W - PAD.right));
  out.push(xGrid(countTicks(top).map((v) => ({ x: x(v), label: String(v) })), PAD.top, H - PAD.bottom));
  out.push(axisTitle((PAD.left + W - PAD.right) / 2, H - 4, 'connections busy at once'), axisTitle(14, (PAD.top + H - PAD.bottom) / 2, 'share of the window', true));
  const bw = Math.max(1, (x(1) - x(0)) * 0.8);
  for (const [level, share] of m.busyShares) {
    out.push(`<rect class="a-inuse" x="${n(x(level) - bw / 2)}" y="${n(y(share))}" width="${n(bw)}" height="${n(Math.max(0, y(0) - y(share)))}"><title>${esc(`${level} busy: ${formatShare(share)} of the window`)}</title></rect>`);
  }
  const advised = marks.advised !== undefined && marks.advised !== marks.current ? marks.advised : undefined;
  out.push(marker(x(marks.current), 'current', `size now: ${marks.current}`, PAD.top + 12, advised !== undefined && advised > marks.current ? true : x(marks.current) > W / 2, H));
  if (advised !== undefined) out.push(marker(x(advised), 'recommended', `advised: ${advised}`, PAD.top + 26, advised < marks.current ? true : x(advised) > W / 2, H));
  out.push(legend([['a-inuse', 'time at this many busy'], ['current', 'size now'], ...(advised !== undefined ? [['recommended', 'advised size'] as const] : [])]));
  out.push('</svg>');
  return out.join('');
}

/** Lowest probability drawn: the axis stops at 1 in 10,000. */
const FLOOR = -4;

/**
 * The probability an acquire waits (Erlang C) by pool size at the load the busy count implies, on
 * a log scale, with the 1% the sizing aims for and the sizes marked.
 */
export function waitChanceChart(m: OccupancyModel, marks: SizeMarks, opts: { title: string }): string {
  const W = NARROW;
  const H = 250;
  const pts = m.pWaitBySize;
  const from = Math.min(pts[0]?.[0] ?? 1, marks.current, marks.advised ?? Infinity) - 1;
  const to = Math.max(pts[pts.length - 1]?.[0] ?? 2, marks.current, marks.advised ?? 0) + 1;
  const x = linear(from, to, PAD.left, W - PAD.right);
  const y = linear(FLOOR, 0, H - PAD.bottom, PAD.top);
  const yp = (p: number): number => y(Math.max(FLOOR, Math.log10(Math.max(p, 10 ** FLOOR))));
  const out: string[] = [svgOpen('wait-chance', W, H, opts.title)];
  out.push(yGrid([0, -1, -2, -3, -4].map((e) => ({ y: y(e), label: formatShare(10 ** e) })), PAD.left, W - PAD.right));
  const span = to - from;
  const step = [1, 2, 5, 10, 20, 25, 50, 100, 200].find((s) => span / s <= 12) ?? 250;
  const xt: Array<{ x: number; label: string }> = [];
  for (let c = Math.ceil(from / step) * step; c <= to; c += step) if (c >= 1) xt.push({ x: x(c), label: String(c) });
  out.push(xGrid(xt, PAD.top, H - PAD.bottom));
  out.push(axisTitle((PAD.left + W - PAD.right) / 2, H - 4, 'max_connections'), axisTitle(14, (PAD.top + H - PAD.bottom) / 2, 'chance an acquire waits', true));
  out.push(`<line class="target" x1="${n(PAD.left)}" x2="${n(W - PAD.right)}" y1="${n(y(-2))}" y2="${n(y(-2))}"/><text class="note" x="${n(W - PAD.right - 4)}" y="${n(y(-2) - 4)}" text-anchor="end">1%</text>`);
  const load = m.estimatedLoad ?? m.offeredLoad;
  out.push(`<path class="line s-model" d="${pathOf(pts.map(([c, p]) => [x(c), yp(p)]))}"><title>${esc(`Erlang C at a load of ${formatNum(load, 2)} busy${m.reserved ? `, ${m.reserved} held for LISTEN` : ''}`)}</title></path>`);
  for (const [c, p] of pts) out.push(`<circle class="dot" cx="${n(x(c))}" cy="${n(yp(p))}" r="2"><title>${esc(`max_connections ${c}: ${formatShare(p)} of acquires wait`)}</title></circle>`);
  const advised = marks.advised !== undefined && marks.advised !== marks.current ? marks.advised : undefined;
  out.push(marker(x(marks.current), 'current', `size now: ${marks.current}`, H - PAD.bottom - 6, advised !== undefined && advised > marks.current, H));
  if (advised !== undefined) out.push(marker(x(advised), 'recommended', `advised: ${advised}`, PAD.top + 12, advised < marks.current, H));
  out.push(legend([['s-model', 'chance of waiting (model)'], ['target', '1%'], ['current', 'size now'], ...(advised !== undefined ? [['recommended', 'advised size'] as const] : [])]));
  out.push('</svg>');
  return out.join('');
}

/** The rows of the churn chart: the times a source gave, by what happened. */
const CHURN_ROWS = [
  ['openedAtMs', 'opened', 'a-inuse'],
  ['expiryTimesMs', 'closed: lifetime', 'expiry'],
  ['idleClosedAtMs', 'closed: idle', 'a-idle'],
] as const;

/**
 * Connections opened and closed over the window, by reason, one row each, a tick per event (the
 * times a source without a timeline keeps: the server's view). Null when the evidence has none.
 */
export function churnChart(churn: ChurnEvidence, durationMs: number, opts: { title: string }): string | null {
  const rows = CHURN_ROWS.map(([key, label, cls]) => ({ label, cls, times: churn[key] ?? [] }));
  if (rows.every((r) => r.times.length === 0)) return null;
  const W = WIDE;
  const rowH = 30;
  const H = PAD.top + rows.length * rowH + PAD.bottom;
  const left = 190;
  const spanS = Math.max(1, durationMs / 1000);
  const x = linear(0, spanS, left, W - PAD.right);
  const out: string[] = [svgOpen('churn', W, H, opts.title)];
  const step = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600].find((s) => spanS / s <= 10) ?? 7200;
  const xt: Array<{ x: number; label: string }> = [];
  for (let t = 0; t <= spanS; t += step) xt.push({ x: x(t), label: `${t} s` });
  out.push(xGrid(xt, PAD.top, H - PAD.bottom));
  out.push(axisTitle((left + W - PAD.right) / 2, H - 4, 'seconds into the window'), axisTitle(14, (PAD.top + H - PAD.bottom) / 2, 'event', true));
  rows.forEach((r, i) => {
    const y0 = PAD.top + i * rowH + 6;
    const y1 = y0 + rowH - 12;
    out.push(`<text class="note" x="${n(left - 8)}" y="${n((y0 + y1) / 2 + 4)}" text-anchor="end">${esc(`${r.label} (${r.times.length})`)}</text>`);
    if (r.times.length > 0) out.push(`<path class="tick-mark ${r.cls}" d="${r.times.map((t) => `M${n(x(Math.min(spanS, Math.max(0, t / 1000))))} ${n(y0)}V${n(y1)}`).join('')}"><title>${esc(`${r.label}: ${r.times.length} in the window`)}</title></path>`);
  });
  out.push('</svg>');
  return out.join('');
}
