/** Formatting figures in the unit that reads best (DESIGN.md, "Output conventions"). */

/** A duration given in µs: `0.9 µs`, `160 µs`, `12.3 ms`, `1.20 s`. */
export function fmtUs(us: number): string {
  if (!Number.isFinite(us)) return '-';
  if (us < 10) return `${us.toFixed(1)} µs`;
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 10_000) return `${(us / 1000).toFixed(2)} ms`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(1)} ms`;
  if (us < 60_000_000) return `${(us / 1e6).toFixed(2)} s`;
  return `${(us / 60e6).toFixed(1)} min`;
}

/** A share (0-1) as a percentage. */
export function fmtPct(share: number): string {
  if (!Number.isFinite(share)) return '-';
  const p = share * 100;
  if (p === 0) return '0%';
  if (p < 0.1) return '<0.1%';
  return `${p < 10 ? p.toFixed(1) : Math.round(p)}%`;
}

/** A count or rate with sensible precision. */
export function fmtNum(x: number, digits = 1): string {
  if (!Number.isFinite(x)) return '-';
  if (Number.isInteger(x)) return String(x);
  return x.toFixed(digits);
}
