/**
 * A token bucket for log lines, so a saturated pool cannot flood the log: up to `perSecond` lines
 * a second (with a burst of the same size); what it refuses is counted, and the count goes out
 * with the next line allowed. Pure: the clock is an argument.
 */
export class LogRateLimiter {
  private tokens: number;
  private last: number | undefined;
  private suppressed = 0;
  /** Lines refused since the start. */
  totalSuppressed = 0;

  constructor(private readonly perSecond: number) {
    this.tokens = perSecond;
  }

  /**
   * Whether a line may go out at `nowUs`. When it may, returns the number of lines suppressed
   * since the last one that went out (to report with it); when not, returns -1.
   */
  take(nowUs: number): number {
    if (this.last !== undefined) this.tokens = Math.min(this.perSecond, this.tokens + ((nowUs - this.last) / 1e6) * this.perSecond);
    this.last = nowUs;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      const s = this.suppressed;
      this.suppressed = 0;
      return s;
    }
    this.suppressed++;
    this.totalSuppressed++;
    return -1;
  }
}
