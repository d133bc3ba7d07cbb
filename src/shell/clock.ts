/** The shell's clock: monotonic microseconds for every measurement (the pool, the generator, /metrics). */

/** Monotonic clock in µs. */
export function nowUs(): number {
  return Number(process.hrtime.bigint()) / 1000;
}
