/**
 * The pieces every SVG chart of the HTML report is drawn with: escaping, coordinates, linear
 * scales, decade and grid ticks with their labels, axis titles, the legend row and the placeholder
 * for a chart with no data. Pure: data in, markup out; every text that reaches the markup goes
 * through {@link esc}.
 */

/** Escape text for HTML or SVG content and attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

/** A coordinate rounded to 0.1 px: precise enough for a chart, and it keeps the file small. */
export function n(x: number): string {
  return String(Math.round(x * 10) / 10);
}

/** Widths of the charts in SVG units: two side by side, or one across (the timeline). */
export const NARROW = 640;
export const WIDE = 1120;
/** Margins: labels on the left and below, a legend row above. */
export const PAD = { left: 64, right: 30, top: 30, bottom: 38 };

/** A linear map from a domain to a pixel range; a zero-width domain maps to the range's start. */
export function linear(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0;
  return (v) => (span === 0 ? r0 : r0 + ((v - d0) / span) * (r1 - r0));
}

/** Decade ticks (powers of ten) from 10^lo to 10^hi, for a log axis of microseconds. */
export function decadeTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) out.push(e);
  return out;
}

/** A readable duration label for a decade tick: 1 µs, 10 µs, ... 1 ms ... 10 s. */
export function usLabel(us: number): string {
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

export function svgOpen(kind: string, width: number, height: number, label: string): string {
  return `<svg class="chart" data-chart="${esc(kind)}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(label)}" xmlns="http://www.w3.org/2000/svg"><title>${esc(label)}</title>`;
}

/** Horizontal grid lines with labels on the left. */
export function yGrid(ticks: ReadonlyArray<{ y: number; label: string }>, x0: number, x1: number): string {
  return ticks.map((t) => `<line class="grid" x1="${n(x0)}" x2="${n(x1)}" y1="${n(t.y)}" y2="${n(t.y)}"/><text class="tick" x="${n(x0 - 6)}" y="${n(t.y + 4)}" text-anchor="end">${esc(t.label)}</text>`).join('');
}

/** Vertical grid lines with labels underneath. */
export function xGrid(ticks: ReadonlyArray<{ x: number; label: string }>, y0: number, y1: number): string {
  return ticks.map((t) => `<line class="grid" x1="${n(t.x)}" x2="${n(t.x)}" y1="${n(y0)}" y2="${n(y1)}"/><text class="tick" x="${n(t.x)}" y="${n(y1 + 16)}" text-anchor="middle">${esc(t.label)}</text>`).join('');
}

export function axisTitle(x: number, y: number, text: string, rotate = false): string {
  return `<text class="axis-title" x="${n(x)}" y="${n(y)}" text-anchor="middle"${rotate ? ` transform="rotate(-90 ${n(x)} ${n(y)})"` : ''}>${esc(text)}</text>`;
}

/** A legend row above the plot: [css class, label] pairs, left to right. */
export function legend(items: ReadonlyArray<readonly [string, string]>): string {
  let x = PAD.left;
  const parts: string[] = [];
  for (const [cls, label] of items) {
    parts.push(`<g class="legend"><rect class="${esc(cls)} swatch" x="${n(x)}" y="8" width="12" height="8"/><text x="${n(x + 16)}" y="16">${esc(label)}</text></g>`);
    x += 6.5 * label.length + 34;
  }
  return parts.join('');
}

export function emptyChart(kind: string, title: string, why: string): string {
  return `<p class="empty" data-chart-empty="${esc(kind)}">${esc(title)}: ${esc(why)}</p>`;
}

