/**
 * The load generator: drives one workload through an instrumented pool. Open mode sends on a
 * schedule (Poisson or constant) whatever the pool does, and measures each request from when it
 * was due (schedule latency, no coordinated omission) beside the pool's own acquire wait. Closed
 * mode runs N callers that each wait for their previous request.
 *
 * The hot path: one clock read per launch, one per acquire; histogram records only.
 */
import type pg from 'pg';
import { arrivals, deriveSeed, holdSampler, holdSpecMeanMs, prng } from '../../core/load/schedule.js';
import { encode, newHistogram, recordUs, summarize, type Histogram } from '../../core/run/histogram.js';
import type { CalibrationStats, GeneratorStats, WorkloadSpec } from '../../core/run/types.js';
import { nowUs } from '../clock.js';
import type { QueueWorkload } from './queue.js';

/** Requests in flight beyond this are not sent (counted as dropped, and the run is marked behind). */
const MAX_IN_FLIGHT = 20_000;

/** Launches per turn of the event loop before the schedule yields. */
const MAX_LAUNCHES_PER_TURN = 1000;

/** Error codes of a connect that mean the database is gone (or refuses us) rather than busy. */
const FATAL_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ECONNRESET', '28P01', '28000', '3D000', '57P01', '57P02', '57P03', '53300']);

/** A connect error that means the database is gone rather than busy. */
export function isFatalConnectError(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  if (!err) return false;
  if (FATAL_CODES.has(err.code ?? '')) return true;
  return /terminated unexpectedly|Connection terminated|the database system is (starting up|shutting down)/i.test(err.message ?? '');
}

/** The first line of an error, bounded (a driver's message can carry a whole query). */
function firstLine(e: Error): string {
  const code = (e as { code?: string }).code;
  const line = String(e?.message ?? e).split('\n')[0]!.slice(0, 300);
  return code ? `${line} (SQLSTATE ${code})` : line;
}

/** Clients that already have an error listener (once per client, not per request). */
const guarded = new WeakSet<object>();
/**
 * A connection that dies while checked out emits 'error' on its client; with no listener that
 * would crash the process. The request's own query fails with the same error and is counted.
 */
const ignoreClientError = (): void => {};

/** Options of a {@link Generator}. */
export interface GeneratorOptions {
  spec: WorkloadSpec;
  seed: number;
  /** The pool to drive (its connect() is measured by the instrumented wrapper). */
  pool: pg.Pool;
  /** The queue workload's SQL, when the hold is `queue`. */
  queue?: QueueWorkload;
  /** Called once when connects keep failing in a way that means the database is gone. */
  onFatal?: (err: Error) => void;
}

/** Drives one workload. */
export class Generator {
  private stopped = false;
  private inFlight = 0;
  private drainWaiters: Array<() => void> = [];
  private scheduleLatency: Histogram = newHistogram();
  private lag: Histogram = newHistogram();
  private due = 0;
  private issued = 0;
  private completed = 0;
  private failed = 0;
  private sqlFailed = 0;
  private firstSqlError: string | undefined;
  private dropped = 0;
  private windowStartUs = 0;
  private windowEndUs: number | undefined;
  private consecutiveFatal = 0;
  private firstFatalAt = 0;
  private fatalReported = false;
  private readonly hold: () => number;
  private readonly rand: () => number;
  /** Open mode: requests are due on a schedule, so lag and schedule latency are measured (closed mode reports neither). */
  private readonly scheduled: boolean;
  private startUs = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: GeneratorOptions) {
    this.rand = prng(deriveSeed(opts.seed, `${opts.spec.pool}:hold`));
    this.hold = holdSampler(opts.spec.hold, this.rand);
    this.scheduled = opts.spec.arrival.mode === 'open';
  }

  /** Start sending. */
  start(): void {
    this.startUs = nowUs();
    this.windowStartUs = this.startUs;
    const a = this.opts.spec.arrival;
    if (a.mode === 'open') this.openLoop(a);
    else for (let i = 0; i < a.concurrency; i++) void this.worker(a.thinkMs);
  }

  /** Start the measured window: the generator's own figures restart. */
  resetWindow(): void {
    this.scheduleLatency = newHistogram();
    this.lag = newHistogram();
    this.due = 0;
    this.issued = 0;
    this.completed = 0;
    this.failed = 0;
    this.sqlFailed = 0;
    this.firstSqlError = undefined;
    this.dropped = 0;
    this.windowStartUs = nowUs();
    this.windowEndUs = undefined;
  }

  /** Stop sending; requests in flight finish. */
  stop(): void {
    this.stopped = true;
    this.windowEndUs ??= nowUs();
    if (this.timer) clearTimeout(this.timer);
  }

  /** Wait until no request is in flight, or `timeoutMs` passes. Resolves with the number still in flight. */
  async drain(timeoutMs: number): Promise<number> {
    if (this.inFlight === 0) return 0;
    await Promise.race([new Promise<void>((r) => this.drainWaiters.push(r)), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    return this.inFlight;
  }

  private openLoop(a: Extract<WorkloadSpec['arrival'], { mode: 'open' }>): void {
    const sched = arrivals(a, this.opts.spec.rampS, this.opts.spec.burst, prng(deriveSeed(this.opts.seed, `${this.opts.spec.pool}:arrivals`)));
    let next = this.startUs + sched.next();
    const loop = (): void => {
      if (this.stopped) return;
      const now = nowUs();
      // At most a slice of launches per turn, so a high rate (or a generator far behind) never
      // holds the event loop: signals, timers and the pool's own callbacks still run.
      let launches = 0;
      while (next <= now && !this.stopped && launches++ < MAX_LAUNCHES_PER_TURN) {
        this.due++;
        if (this.inFlight >= MAX_IN_FLIGHT) this.dropped++;
        else void this.request(next, now);
        next = this.startUs + sched.next();
      }
      const waitMs = (next - nowUs()) / 1000;
      // setTimeout cannot wake more precisely than ~1 ms: closer than that, yield and check again.
      this.timer = waitMs > 1.5 ? setTimeout(loop, waitMs - 1) : (setImmediate(loop) as unknown as NodeJS.Timeout);
    };
    loop();
  }

  private async worker(thinkMs: number): Promise<void> {
    while (!this.stopped) {
      this.due++;
      // Nothing is due on a schedule in closed mode: no clock read, no lag.
      await this.request(0, 0);
      if (thinkMs > 0 && !this.stopped) await new Promise((r) => setTimeout(r, thinkMs));
    }
  }

  /** One request: acquire, hold, release. `dueUs` is when it should have started. */
  private async request(dueUs: number, startUs: number): Promise<void> {
    this.inFlight++;
    this.issued++;
    if (this.scheduled) recordUs(this.lag, startUs - dueUs);
    let client: pg.PoolClient | undefined;
    try {
      client = await this.opts.pool.connect();
      if (this.scheduled) recordUs(this.scheduleLatency, nowUs() - dueUs);
      if (!guarded.has(client)) {
        guarded.add(client);
        client.on('error', ignoreClientError);
      }
      this.consecutiveFatal = 0;
    } catch (e) {
      this.failed++;
      this.noteConnectError(e as Error);
      this.done();
      return;
    }
    let err: Error | undefined;
    try {
      await this.execute(client);
      this.completed++;
    } catch (e) {
      err = e as Error;
      this.failed++;
      this.sqlFailed++;
      this.firstSqlError ??= firstLine(err);
    } finally {
      // A failed query releases with its error, so pg-pool drops the connection.
      client.release(err);
      this.done();
    }
  }

  private noteConnectError(e: Error): void {
    if (!isFatalConnectError(e)) return;
    const t = nowUs();
    if (this.consecutiveFatal === 0) this.firstFatalAt = t;
    this.consecutiveFatal++;
    // One refused connect can be a blip; a run of them for half a second is a dead server.
    if (!this.fatalReported && this.consecutiveFatal >= 3 && t - this.firstFatalAt >= 500_000) {
      this.fatalReported = true;
      this.opts.onFatal?.(e);
    }
  }

  private done(): void {
    this.inFlight--;
    if (this.inFlight === 0 && this.stopped) for (const w of this.drainWaiters.splice(0)) w();
  }

  /** The hold. Not async: the query's own promise is awaited, with no extra promise per request. */
  private execute(client: pg.PoolClient, hold: () => number = this.hold): Promise<unknown> {
    const h = this.opts.spec.hold;
    if (h.kind === 'sql') return client.query(h.sql);
    if (h.kind === 'queue') return this.opts.queue!.cycle(client, h.batch);
    const ms = hold();
    return ms < 0.05 ? client.query('SELECT 1') : client.query('SELECT pg_sleep($1)', [ms / 1000]);
  }

  /**
   * The calibration phase: the workload's hold, back to back on one connection, for up to
   * `maxMs` or `maxHolds` holds (whichever comes first), with its own random stream so the
   * measured schedule is the same with or without it. Runs before `start()`.
   */
  async calibrate(maxMs: number, maxHolds: number, signal?: AbortSignal): Promise<CalibrationStats> {
    const h = newHistogram();
    const rand = prng(deriveSeed(this.opts.seed, `${this.opts.spec.pool}:calibration`));
    const sample = holdSampler(this.opts.spec.hold, rand);
    let requestedMs = 0;
    const hold = (): number => {
      const ms = sample();
      requestedMs += ms;
      return ms;
    };
    const until = nowUs() + maxMs * 1000;
    let failed = 0;
    const client = await this.opts.pool.connect();
    if (!guarded.has(client)) {
      guarded.add(client);
      client.on('error', ignoreClientError);
    }
    let err: Error | undefined;
    try {
      for (let i = 0; i < maxHolds && nowUs() < until && !signal?.aborted; i++) {
        const t = nowUs();
        try {
          await this.execute(client, hold);
          recordUs(h, nowUs() - t);
        } catch (e) {
          failed++;
          // A failed statement may leave the connection unusable: stop here, the run will show the error.
          err = e as Error;
          break;
        }
      }
    } finally {
      client.release(err);
    }
    const s = summarize(h);
    const specMs = holdSpecMeanMs(this.opts.spec.hold);
    const asked = s.count + failed;
    return {
      connections: 1,
      holds: s.count,
      meanUs: s.mean,
      p50Us: s.p50,
      failed,
      ...(specMs !== undefined && asked > 0 ? { requestedMeanUs: (requestedMs * 1000) / asked, specMeanUs: specMs * 1000 } : {}),
    };
  }

  /** Requests in flight now. */
  get pending(): number {
    return this.inFlight;
  }

  /** The generator's figures for the window. */
  stats(): GeneratorStats {
    const end = this.windowEndUs ?? nowUs();
    const seconds = Math.max(1e-9, (end - this.windowStartUs) / 1e6);
    const a = this.opts.spec.arrival;
    // A lag that matters is decided by the analysis from the saved lag histogram; here only drops.
    const behind = a.mode === 'open' && this.dropped > 0;
    return {
      mode: a.mode,
      requests: this.due,
      completed: this.completed,
      failed: this.failed,
      sqlFailed: this.sqlFailed,
      ...(this.firstSqlError !== undefined ? { firstSqlError: this.firstSqlError } : {}),
      dropped: this.dropped,
      ...(a.mode === 'open' ? { targetRate: a.rate, scheduleLatency: encode(this.scheduleLatency), lag: encode(this.lag) } : {}),
      achievedRate: this.issued / seconds,
      behind,
      ...(behind ? { behindReason: `${this.dropped} requests were not sent: ${MAX_IN_FLIGHT} already in flight` } : {}),
    };
  }
}
