/** The shell's clock: monotonic microseconds for every measurement (the pool, the generator, /metrics). */

/** Monotonic clock in µs (performance.now: the same clock as process.hrtime, without a BigInt per reading). */
export function nowUs(): number {
  return performance.now() * 1000;
}
