/**
 * Units for people: durations in the unit that reads best (µs, ms, s), shares as percentages,
 * rates per second or minute. Used by rule rationales and the human renderers alike.
 */

function trim(x: number, decimals: number): string {
  return String(Number(x.toFixed(decimals)));
}

/** A duration given in µs: `850 µs`, `80.3 ms`, `1.25 s`; `∞` when unbounded. */
export function formatUs(us: number): string {
  if (!Number.isFinite(us)) return '∞';
  const a = Math.abs(us);
  if (a < 1000) return `${Math.round(us)} µs`;
  if (a < 1e6) return `${trim(us / 1000, a < 100_000 ? 1 : 0)} ms`;
  return `${trim(us / 1e6, a < 10e6 ? 2 : 1)} s`;
}

/** A duration given in seconds. */
export function formatS(s: number): string {
  return formatUs(s * 1e6);
}

/** A duration given in ms. */
export function formatMs(ms: number): string {
  return formatUs(ms * 1000);
}

/** A share (0-1) as a percentage: `41.2%`, `0.05%`, `0%`. */
export function formatShare(x: number): string {
  if (!Number.isFinite(x)) return '∞';
  const p = x * 100;
  if (p === 0) return '0%';
  if (Math.abs(p) < 1) return `${trim(p, 2)}%`;
  return `${trim(p, 1)}%`;
}

/** A plain number with at most `decimals` decimals. */
export function formatNum(x: number, decimals = 2): string {
  if (!Number.isFinite(x)) return '∞';
  return trim(x, decimals);
}

/** A rate for people: three significant figures at most (`138`, `13.8`, `1.38`, `0.05`), never `137.99`. */
export function formatRate(x: number): string {
  if (!Number.isFinite(x)) return '∞';
  const a = Math.abs(x);
  if (a >= 100) return String(Math.round(x));
  if (a >= 10) return trim(x, 1);
  return trim(x, 2);
}
