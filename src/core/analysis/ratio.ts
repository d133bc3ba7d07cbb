/** Guarded division: an empty or zero-length window gives zeros, not NaN. Pure. */


/** x / y, or `otherwise` when y is zero or not finite. */
export function ratio(x: number, y: number, otherwise = 0): number {
  return y > 0 && Number.isFinite(y) && Number.isFinite(x) ? x / y : otherwise;
}
