/**
 * The charts of an observation's saved timeline (`observedTimeline`, src/core/observe/timeline.ts):
 * per pool and replica the open and busy connections over time with the opens and closes by reason
 * below; PgBouncer's clients waiting over time; the server's load by wait class over time against
 * its core count. Pure: the figures are the saved ones, nothing is computed but the drawing.
 */
import type { LoadClass, ObservedTimeline } from '../../evidence/types.js';
import { formatNum, formatS } from '../../units.js';
import { axisTitle, esc, legend, linear, n, NARROW, PAD, pathOf, svgOpen, WIDE, xGrid, yGrid } from './axes.js';

type PoolSeries = ObservedTimeline['pools'][number];

/** Ticks for a count axis from 0 to `top`: at most about six. */
function ticks(top: number): number[] {
  const step = [0.25, 0.5, 1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000].find((s) => top / s <= 6) ?? Math.ceil(top / 6);
  const out: number[] = [];
  for (let v = 0; v <= top + 1e-9; v += step) out.push(Math.round(v * 100) / 100);
  return out;
}

/** Time ticks in seconds across a window of `spanS`. */
function timeTicks(spanS: number): number[] {
  const step = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600].find((s) => spanS / s <= 8) ?? 7200;
  const out: number[] = [];
  for (let t = 0; t <= spanS + 1e-9; t += step) out.push(t);
  return out;
}

/** Step points of a per-bucket series: flat across each bucket. */
function steps(values: readonly number[], x: (s: number) => number, y: (v: number) => number, bucketS: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  values.forEach((v, i) => out.push([x(i * bucketS), y(v)], [x((i + 1) * bucketS), y(v)]));
  return out;
}

/** The top of a count axis for these series (at least 1, a little headroom). */
export function countTop(...series: ReadonlyArray<readonly number[]>): number {
  return Math.max(1, ...series.map((s) => s.reduce((a, v) => Math.max(a, v), 0))) * 1.1;
}

/**
 * One pool of one replica over the window: open connections (the most at a sample of each bucket),
 * busy ones (the mean as an area, the most as a line), the pool's size when known; below, the
 * connections opened (up) and closed by reason (down) in each bucket. `yTop` shares the scale
 * between replicas drawn side by side.
 */
export function observedPoolChart(p: PoolSeries, t: Pick<ObservedTimeline, 'bucketMs' | 'buckets'>, opts: { title: string; size?: number; yTop?: number; narrow?: boolean }): string {
  const W = opts.narrow ? NARROW : WIDE;
  const H = 330;
  const top = { y0: PAD.top, y1: 200 };
  const bottom = { y0: 218, y1: H - PAD.bottom };
  const bucketS = t.bucketMs / 1000;
  const spanS = bucketS * t.buckets;
  const x = linear(0, spanS, PAD.left, W - PAD.right);
  const cTop = opts.yTop ?? countTop(p.openMax, p.busyMax, opts.size !== undefined ? [opts.size] : []);
  const y = linear(0, cTop, top.y1, top.y0);
  const closed = p.closedLifetime.map((v, i) => v + p.closedIdle[i]! + p.closedOther[i]!);
  const churnTop = Math.max(1, ...p.opened, ...closed);
  const mid = (bottom.y0 + bottom.y1) / 2;
  const yc = linear(0, churnTop, mid, bottom.y0);
  const ycDown = linear(0, churnTop, mid, bottom.y1);
  const out: string[] = [svgOpen('observed-pool', W, H, opts.title)];
  out.push(yGrid(ticks(cTop).map((v) => ({ y: y(v), label: formatNum(v) })), PAD.left, W - PAD.right));
  out.push(yGrid([{ y: yc(churnTop), label: `+${churnTop}` }, { y: mid, label: '0' }, { y: ycDown(churnTop), label: `-${churnTop}` }], PAD.left, W - PAD.right));
  out.push(xGrid(timeTicks(spanS).map((s) => ({ x: x(s), label: `${s} s` })), top.y0, bottom.y1));
  out.push(
    axisTitle((PAD.left + W - PAD.right) / 2, H - 4, 'seconds into the window'),
    axisTitle(14, (top.y0 + top.y1) / 2, 'connections', true),
    axisTitle(14, (bottom.y0 + bottom.y1) / 2, 'opened / closed', true),
  );
  const base = steps(p.busyMean.map(() => 0), x, y, bucketS);
  const busy = steps(p.busyMean, x, y, bucketS);
  out.push(`<path class="area a-inuse" d="${pathOf([...busy, ...[...base].reverse()])}Z"><title>busy connections, mean per ${esc(formatS(bucketS))} bucket</title></path>`);
  out.push(`<path class="line s-p99" d="${pathOf(steps(p.busyMax, x, y, bucketS))}"><title>busy connections, most at a sample</title></path>`);
  out.push(`<path class="line s-main" d="${pathOf(steps(p.openMax, x, y, bucketS))}"><title>open connections, most at a sample</title></path>`);
  if (opts.size !== undefined) {
    const ly = y(opts.size);
    out.push(`<line class="limit" x1="${n(PAD.left)}" x2="${n(W - PAD.right)}" y1="${n(ly)}" y2="${n(ly)}"/><text class="note" x="${n(W - PAD.right - 4)}" y="${n(ly - 4)}" text-anchor="end">max_connections ${opts.size}</text>`);
  }
  // Opens up from the middle line, closes down by reason (stacked); one bar per bucket.
  const bw = Math.max(1, x(bucketS) - x(0) - 1);
  const bars: Record<string, string[]> = { 'a-inuse': [], expiry: [], 'a-idle': [], 's-before': [] };
  p.opened.forEach((v, i) => {
    if (v > 0) bars['a-inuse']!.push(`M${n(x(i * bucketS))} ${n(mid)}h${n(bw)}V${n(yc(v))}h${n(-bw)}Z`);
    let at = 0;
    for (const [cls, xs] of [['expiry', p.closedLifetime], ['a-idle', p.closedIdle], ['s-before', p.closedOther]] as const) {
      const c = xs[i]!;
      if (c > 0) bars[cls]!.push(`M${n(x(i * bucketS))} ${n(ycDown(at))}h${n(bw)}V${n(ycDown(at + c))}h${n(-bw)}Z`);
      at += c;
    }
  });
  const sum = (xs: readonly number[]): number => xs.reduce((a, v) => a + v, 0);
  const labels: Record<string, string> = {
    'a-inuse': `opened (${sum(p.opened)})`,
    expiry: `closed: lifetime (${sum(p.closedLifetime)})`,
    'a-idle': `closed: idle (${sum(p.closedIdle)})`,
    's-before': `closed: other (${sum(p.closedOther)})`,
  };
  for (const [cls, d] of Object.entries(bars)) if (d.length > 0) out.push(`<path class="bar ${cls}" d="${d.join('')}"><title>${esc(labels[cls]!)}</title></path>`);
  out.push(`<line class="grid" x1="${n(PAD.left)}" x2="${n(W - PAD.right)}" y1="${n(mid)}" y2="${n(mid)}"/>`);
  out.push(legend([['a-inuse', 'busy (mean)'], ['s-p99', 'busy (most)'], ['s-main', 'open (most)'], ...(opts.size !== undefined ? [['limit', 'size'] as const] : [])]));
  // The key of the bars, right-aligned above the lower panel: a swatch and its total per reason.
  const keys = Object.entries(labels);
  const widths = keys.map(([, l]) => 6 * l.length + 26);
  let kx = W - PAD.right - widths.reduce((a, w) => a + w, 0);
  keys.forEach(([cls, l], i) => {
    out.push(`<g class="legend"><rect class="bar ${cls} swatch" x="${n(kx)}" y="${n(bottom.y0 - 12)}" width="10" height="8"/><text x="${n(kx + 14)}" y="${n(bottom.y0 - 4)}">${esc(l)}</text></g>`);
    kx += widths[i]!;
  });
  out.push('</svg>');
  return out.join('');
}

/** PgBouncer's clients waiting for a server connection over the window, per database and user (mean per bucket, most as a dashed line). */
export function proxyWaitingChart(w: NonNullable<ObservedTimeline['proxyWaiting']>, t: Pick<ObservedTimeline, 'bucketMs' | 'buckets'>, opts: { title: string }): string {
  const W = WIDE;
  const H = 240;
  const bucketS = t.bucketMs / 1000;
  const spanS = bucketS * t.buckets;
  const x = linear(0, spanS, PAD.left, W - PAD.right);
  const cTop = countTop(...w.map((s) => s.waitingMax));
  const y = linear(0, cTop, H - PAD.bottom, PAD.top);
  const out: string[] = [svgOpen('proxy-waiting', W, H, opts.title)];
  out.push(yGrid(ticks(cTop).map((v) => ({ y: y(v), label: formatNum(v) })), PAD.left, W - PAD.right));
  out.push(xGrid(timeTicks(spanS).map((s) => ({ x: x(s), label: `${s} s` })), PAD.top, H - PAD.bottom));
  out.push(axisTitle((PAD.left + W - PAD.right) / 2, H - 4, 'seconds into the window'), axisTitle(14, (PAD.top + H - PAD.bottom) / 2, 'clients waiting', true));
  for (const s of w) {
    const who = `${s.database}/${s.user}`;
    out.push(`<path class="line s-waiting" d="${pathOf(steps(s.waitingMean, x, y, bucketS))}"><title>${esc(`${who}: clients waiting, mean per bucket`)}</title></path>`);
    out.push(`<path class="line s-before" d="${pathOf(steps(s.waitingMax, x, y, bucketS))}"><title>${esc(`${who}: clients waiting, most at a read`)}</title></path>`);
  }
  out.push(legend([['s-waiting', 'waiting (mean)'], ['s-before', 'waiting (most at a read)']]));
  out.push('</svg>');
  return out.join('');
}

/** The colour class of each load class. */
const LOAD_CLS: Readonly<Record<LoadClass, string>> = { CPU: 'l-cpu', Lock: 'l-lock', LWLock: 'l-lwlock', BufferPin: 'l-bufferpin', IO: 'l-io', IPC: 'l-ipc', Client: 'l-client', Timeout: 'l-timeout', Extension: 'l-extension' };

/** The server's average active sessions by wait class over the window (stacked), against its core count. */
export function loadChart(load: NonNullable<ObservedTimeline['load']>, t: Pick<ObservedTimeline, 'bucketMs' | 'buckets'>, opts: { title: string }): string {
  const W = WIDE;
  const H = 260;
  const bucketS = t.bucketMs / 1000;
  const spanS = bucketS * t.buckets;
  const x = linear(0, spanS, PAD.left, W - PAD.right);
  const totals = new Array<number>(t.buckets).fill(0).map((_, i) => load.byClass.reduce((a, c) => a + (c.aas[i] ?? 0), 0));
  const cTop = countTop(totals, load.cores !== null ? [load.cores] : []);
  const y = linear(0, cTop, H - PAD.bottom, PAD.top);
  const out: string[] = [svgOpen('load', W, H, opts.title)];
  out.push(yGrid(ticks(cTop).map((v) => ({ y: y(v), label: formatNum(v) })), PAD.left, W - PAD.right));
  out.push(xGrid(timeTicks(spanS).map((s) => ({ x: x(s), label: `${s} s` })), PAD.top, H - PAD.bottom));
  out.push(axisTitle((PAD.left + W - PAD.right) / 2, H - 4, 'seconds into the window'), axisTitle(14, (PAD.top + H - PAD.bottom) / 2, 'average active sessions', true));
  const below = new Array<number>(t.buckets).fill(0);
  for (const c of load.byClass) {
    const upper = below.map((b, i) => b + (c.aas[i] ?? 0));
    const d = `${pathOf([...steps(upper, x, y, bucketS), ...steps(below, x, y, bucketS).reverse()])}Z`;
    const mean = c.aas.reduce((a, v) => a + v, 0) / Math.max(1, c.aas.length);
    out.push(`<path class="area ${LOAD_CLS[c.class]}" d="${d}"><title>${esc(`${c.class}: ${formatNum(mean, 2)} active sessions on average`)}</title></path>`);
    upper.forEach((v, i) => (below[i] = v));
  }
  if (load.cores !== null) {
    const ly = y(load.cores);
    out.push(`<line class="limit" x1="${n(PAD.left)}" x2="${n(W - PAD.right)}" y1="${n(ly)}" y2="${n(ly)}"/><text class="note" x="${n(W - PAD.right - 4)}" y="${n(ly - 4)}" text-anchor="end">${esc(`${load.cores} core${load.cores === 1 ? '' : 's'} (${load.coresSource})`)}</text>`);
  }
  out.push(legend([...load.byClass.map((c) => [LOAD_CLS[c.class], c.class] as const), ...(load.cores !== null ? [['limit', 'cores'] as const] : [])]));
  out.push('</svg>');
  return out.join('');
}
