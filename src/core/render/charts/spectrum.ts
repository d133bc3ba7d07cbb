/**
 * The acquire-wait percentile spectrum: wait (log scale) against percentile, each extra nine the
 * same width. Draws the spectra the analysis computed.
 */
import type { WaitSpectrum } from '../../analysis/charts.js';
import { fmtUs } from '../../units.js';
import { axisTitle, decadeTicks, emptyChart, esc, legend, linear, n, NARROW, PAD, pathOf, svgOpen, usLabel, xGrid, yGrid } from './axes.js';

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

