/**
 * Units and numbers for people, in one place (docs/architecture.md, "Output conventions"), used by every
 * renderer, the rules' rationales and the thresholds. Three styles, each printing what it always
 * has:
 * - prose (`format*`): in sentences, rationales and the HTML report; trailing zeros trimmed
 *   (`850 µs`, `80.3 ms`, `1.25 s`, `41.2%`), `∞` for an unbounded value;
 * - table columns (`fmt*`): fixed decimals so a column reads evenly (`5.00 ms`, `12.3 ms`,
 *   `88%`), `-` for an unbounded value;
 * - compact (`formatCompact`): four significant digits, no space (`5ms`, `0.5%`), as `check`
 *   prints a threshold's observed value beside its expression.
 */

/** Past this magnitude (a trillion) a number is printed with three significant digits and its exponent (`1.67e+306`), never in full. */
const HUGE = 1e12;

function trim(x: number, decimals: number): string {
  if (Math.abs(x) >= HUGE) return x.toPrecision(3);
  return String(Number(x.toFixed(decimals)));
}

/** A number without the binary noise of a unit conversion (1.1 ms is 1100 µs, not 1100.0000000000002). */
export function withoutBinaryNoise(n: number): number {
  return Number(n.toPrecision(12));
}

// Prose.

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
  if (a >= HUGE) return x.toPrecision(3);
  if (a >= 100) return String(Math.round(x));
  if (a >= 10) return trim(x, 1);
  return trim(x, 2);
}

/** A number as a workload spec gives it: an integer as it is, else rounded to three decimals. */
export function formatSpecNum(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Math.round(x * 1000) / 1000);
}

// Table columns.

/** A duration given in µs: `0.9 µs`, `160 µs`, `12.3 ms`, `1.20 s`. */
export function fmtUs(us: number): string {
  if (!Number.isFinite(us)) return '-';
  if (us < 10) return `${us.toFixed(1)} µs`;
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 10_000) return `${(us / 1000).toFixed(2)} ms`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(1)} ms`;
  if (us < 60_000_000) return `${(us / 1e6).toFixed(2)} s`;
  const min = us / 60e6;
  return `${min >= HUGE ? min.toPrecision(3) : min.toFixed(1)} min`;
}

/** A share (0-1) as a percentage. */
export function fmtPct(share: number): string {
  if (!Number.isFinite(share)) return '-';
  const p = share * 100;
  if (p === 0) return '0%';
  if (p < 0.1) return '<0.1%';
  if (p >= HUGE) return `${p.toPrecision(3)}%`;
  return `${p < 10 ? p.toFixed(1) : Math.round(p)}%`;
}

/**
 * A count for people: a whole number as it is; one that is not (a counter's increase that
 * Prometheus extrapolates to the window's edges) rounded and marked as an estimate, `≈1228`.
 */
export function fmtCount(x: number): string {
  if (!Number.isFinite(x)) return '-';
  if (Number.isInteger(x)) return String(x);
  return `≈${fmtNum(Math.round(x))}`;
}

/** A count or rate with sensible precision. */
export function fmtNum(x: number, digits = 1): string {
  if (!Number.isFinite(x)) return '-';
  if (Math.abs(x) >= HUGE) return x.toPrecision(3);
  if (Number.isInteger(x)) return String(x);
  return x.toFixed(digits);
}

// Compact.

/** The units {@link formatCompact} knows: durations in µs, fractions, rates per second, counts. */
export type CompactUnit = 'us' | 'count' | 'per_second' | 'fraction' | 'connections';

/** Four significant digits, no trailing zeros. */
function sig(n: number): string {
  if (Math.abs(n) >= HUGE) return n.toPrecision(3);
  return String(Number(n.toPrecision(4)));
}

/** A value in its base unit, compact: `850µs`, `5ms`, `1.2s`, `0.5%`, `120/s`, `3`. */
export function formatCompact(value: number, unit: CompactUnit): string {
  switch (unit) {
    case 'us':
      if (value < 1000) return `${sig(value)}µs`;
      if (value < 1_000_000) return `${sig(value / 1000)}ms`;
      return `${sig(value / 1_000_000)}s`;
    case 'fraction':
      return `${sig(value * 100)}%`;
    case 'per_second':
      return `${sig(value)}/s`;
    case 'count':
    case 'connections':
      return sig(value);
  }
}
