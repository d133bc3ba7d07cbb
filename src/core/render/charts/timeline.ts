/**
 * The timeline of one pool: connections in use and idle, waiters, max_connections, the P99 wait
 * per interval and the lifetime expiries, from the evidence's timeline.
 */
import type { TimelinePoint } from '../../run/types.js';
import type { PoolEvidence } from '../../evidence/types.js';
import { fmtNum, fmtUs } from '../../units.js';
import { axisTitle, decadeTicks, emptyChart, esc, legend, linear, n, PAD, pathOf, svgOpen, usLabel, WIDE, xGrid, yGrid } from './axes.js';

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
    const tip = `${timeLabel(Math.round(q.t / 100) / 10)}-${timeLabel(Math.round((q.t + q.dt) / 100) / 10)}: in use ${fmtNum(q.inUseMean)} (max ${q.inUseMax}), idle ${fmtNum(q.idleMean)}, waiting ${fmtNum(q.waitingMean)} (max ${q.waitingMax}); ${q.acquires} acquires, P99 wait ${fmtUs(q.waitP99Us)}, max ${fmtUs(q.waitMaxUs)}${q.timeouts ? `, ${q.timeouts} timeouts` : ''}${q.expired ? `, ${q.expired} expired` : ''}${q.created ? `, ${q.created} opened` : ''}`;
    out.push(`<rect class="hit" x="${n(x(q.t / 1000))}" y="${n(top.y0)}" width="${n(Math.max(0.5, x((q.t + q.dt) / 1000) - x(q.t / 1000)))}" height="${n(bottom.y1 - top.y0)}"><title>${esc(tip)}</title></rect>`);
  }
  out.push(legend([['a-inuse', 'in use'], ['a-idle', 'idle'], ['s-waiting', 'waiting'], ['limit', 'max_connections'], ['s-p99', 'P99 wait per interval'], ['expiry', 'lifetime expiry']]));
  out.push('</svg>');
  return out.join('');
}

