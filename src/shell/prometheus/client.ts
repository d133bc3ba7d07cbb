/**
 * A small client of Prometheus's HTTP API (and of the stores that speak it: Thanos, Mimir,
 * VictoriaMetrics): instant queries and the list of metric names. Auth as users need it: a bearer
 * token (read from an environment variable, never a flag), basic auth, a custom CA. No secret is
 * printed: the URL is shown without its password, and the secrets are added to the output scrubber.
 *
 * Unreachable, refusing (401/403, 5xx) or not a Prometheus API: one DatabaseError line (exit 3).
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { DatabaseError, InterruptedError, UsageError } from '../../core/errors.js';
import { READ_DEFAULTS } from '../../core/flags.js';
import { redactUrl } from '../../core/redact.js';
import { pastCap, pastDeadline, type ReadGuard } from '../deadline.js';
import { addPassword } from '../output.js';
import type { VectorSample } from '../../core/fleet/assemble.js';

/**
 * The most series one query's answer may hold. The planned queries aggregate to one series per
 * pool per replica, and per bucket bound for the wait histograms (bench/fleet.mjs's 100 replicas x
 * 4 pools answer with 400 series, and with 400 x 21 bounds = 8,400 for the buckets), so this is a
 * fleet of a few thousand pools; past it the figures and their output would grow without bound.
 */
export const MAX_SERIES = 50_000;

/** How to authenticate. */
export interface PrometheusAuth {
  bearerToken?: string;
  basic?: { user: string; password: string };
  /** PEM text of the CA that signed the server's certificate. */
  ca?: string;
}

/** The parts of a Prometheus API answer the client reads. */
interface ApiAnswer {
  status: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: unknown;
}

/** Percent-decoding that keeps malformed text as it is (a password may contain a bare `%`). */
export function decodeLoose(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Check a `--prometheus` URL: http(s), host present; returns it without a trailing slash. */
export function parsePrometheusUrl(flag: string, text: string): URL {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new UsageError(`${flag} '${redactUrl(text)}': not a URL`, `write e.g. ${flag} http://prometheus:9090`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`${flag} '${redactUrl(text)}': the scheme must be http or https`, `write e.g. ${flag} https://prometheus.example:9090`);
  u.pathname = u.pathname.replace(/\/+$/, '');
  return u;
}

/** A Prometheus HTTP API client that counts its queries. */
export class PrometheusClient {
  /** Queries sent (instant queries and name listings). */
  queries = 0;
  /** What was asked, in order: each PromQL expression, and the name listing. */
  readonly asked: string[] = [];
  /** The URL as it may be printed (no password). */
  readonly display: string;
  private readonly headers: Record<string, string>;
  /** Requests in flight, so {@link cancel} can end them. */
  private readonly inFlight = new Set<() => void>();

  constructor(
    private readonly base: URL,
    private readonly auth: PrometheusAuth = {},
    private readonly guard: ReadGuard = READ_DEFAULTS,
  ) {
    this.display = redactUrl(base.toString()).replace(/\/$/, '');
    this.headers = { accept: 'application/json' };
    const user = auth.basic ?? (base.username ? { user: decodeLoose(base.username), password: decodeLoose(base.password) } : undefined);
    if (auth.bearerToken) this.headers.authorization = `Bearer ${auth.bearerToken}`;
    else if (user) {
      const basic = Buffer.from(`${user.user}:${user.password}`).toString('base64');
      // A server that echoes the header in its error must not print the credentials (base64 is not a secret's disguise).
      if (user.password) addPassword(basic);
      this.headers.authorization = `Basic ${basic}`;
    }
    if (auth.bearerToken) addPassword(auth.bearerToken);
  }

  /** An instant query at `timeS` (seconds since the epoch): the vector's samples. */
  async query(promql: string, timeS: number): Promise<VectorSample[]> {
    this.asked.push(promql);
    const data = (await this.get('/api/v1/query', { query: promql, time: timeS.toFixed(3) })) as { resultType?: string; result?: Array<{ metric: Record<string, string>; value: [number, string] }> };
    if (data?.resultType === 'scalar' || data?.resultType === 'string') return [];
    if (data?.resultType !== 'vector' || !Array.isArray(data.result)) throw new DatabaseError(`Prometheus at ${this.display} answered a query with no vector`, 'is this the Prometheus HTTP API (…/api/v1)? check the URL');
    if (data.result.length > MAX_SERIES) {
      throw new DatabaseError(`Prometheus at ${this.display} answered a query with ${data.result.length} series (at most ${MAX_SERIES} are read: a pool per replica per series)`, 'narrow the series with the [prometheus] table of the advisor config (docs/fleet.md), or read one environment at a time');
    }
    // Entries that are not a sample (null, a string, a sample with no value) are not counted: a
    // hostile or broken store must not reach the figures with them.
    const out: VectorSample[] = [];
    for (const r of data.result as unknown[]) {
      if (typeof r !== 'object' || r === null) continue;
      const { metric, value } = r as { metric?: unknown; value?: unknown };
      if (!Array.isArray(value) || (typeof value[1] !== 'string' && typeof value[1] !== 'number')) continue;
      const labels: Record<string, string> = Object.create(null) as Record<string, string>;
      if (typeof metric === 'object' && metric !== null) for (const [k, v] of Object.entries(metric)) if (typeof v === 'string') labels[k] = v;
      out.push({ metric: labels, value: Number(value[1]) });
    }
    return out;
  }

  /** End every request in flight now (another one failed: their answers would not be used). */
  cancel(): void {
    for (const stop of [...this.inFlight]) stop();
  }

  /** The metric names with samples between `startS` and `endS` (seconds since the epoch). */
  async metricNames(startS: number, endS: number): Promise<string[]> {
    this.asked.push('GET /api/v1/label/__name__/values');
    const data = await this.get('/api/v1/label/__name__/values', { start: startS.toFixed(3), end: endS.toFixed(3) });
    if (!Array.isArray(data)) throw new DatabaseError(`Prometheus at ${this.display} listed no metric names`, 'is this the Prometheus HTTP API (…/api/v1)? check the URL');
    return data.filter((n): n is string => typeof n === 'string');
  }

  private async get(path: string, params: Record<string, string>): Promise<unknown> {
    this.queries++;
    const url = new URL(this.base.toString());
    url.username = '';
    url.password = '';
    url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const { status, body } = await this.send(url);
    let answer: ApiAnswer | undefined;
    try {
      answer = JSON.parse(body) as ApiAnswer;
    } catch {
      answer = undefined;
    }
    if (status === 401 || status === 403) {
      throw new DatabaseError(`Prometheus at ${this.display} refused the request: HTTP ${status}`, this.auth.bearerToken || this.headers.authorization ? 'check the token or the user and password it was given' : 'it needs credentials: --prometheus-token-env VAR, or --prometheus-user with --prometheus-password-env VAR');
    }
    if (answer?.status === 'error') {
      throw new DatabaseError(`Prometheus at ${this.display} refused a query (${answer.errorType ?? `HTTP ${status}`}): ${answer.error ?? 'no reason given'}`, 'check the metric names in the [prometheus] table of the advisor config, or the server');
    }
    if (status < 200 || status >= 300 || answer?.status !== 'success') {
      throw new DatabaseError(`Prometheus at ${this.display} answered HTTP ${status} with no API answer`, 'is this the Prometheus HTTP API? check the URL (and any path prefix)');
    }
    return answer.data;
  }

  /**
   * One GET within the guard: the whole answer within the deadline (an idle-socket timeout would
   * let a server trickle one byte every few seconds forever), at most `maxBytes` of body counted
   * as it arrives, and the abort signal; any of them destroys the request.
   */
  private send(url: URL): Promise<{ status: number; body: string }> {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const { timeoutMs, maxBytes, signal } = this.guard;
    const what = `Prometheus at ${this.display}`;
    return new Promise((resolve, reject) => {
      let settled = false;
      let req: ReturnType<typeof httpRequest> | undefined;
      const finish = (f: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.inFlight.delete(cancelled);
        f();
      };
      const cancelled = (): void => fail(new DatabaseError(`${what}: cancelled (another query failed)`));
      this.inFlight.add(cancelled);
      const fail = (e: Error): void => finish(() => {
        req?.destroy();
        reject(e);
      });
      const onAbort = (): void => fail(new InterruptedError());
      const timer = setTimeout(() => fail(pastDeadline(what, timeoutMs)), timeoutMs);
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        req = request(url, { method: 'GET', headers: this.headers, ...(this.auth.ca ? { ca: this.auth.ca } : {}) }, (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let bytes = 0;
          if (Number(res.headers['content-length']) > maxBytes) return fail(pastCap(what, maxBytes));
          res.on('data', (c: Buffer) => {
            bytes += c.length;
            if (bytes > maxBytes) return fail(pastCap(what, maxBytes));
            chunks.push(c);
          });
          res.on('end', () => finish(() => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') })));
          res.on('error', (e) => fail(this.unreachable(e)));
          res.on('aborted', () => fail(this.unreachable(Object.assign(new Error('the answer was cut off'), { code: 'ECONNRESET' }))));
        });
      } catch (e) {
        return fail(this.unreachable(e as Error));
      }
      req.on('error', (e) => fail(this.unreachable(e)));
      req.end();
    });
  }

  private unreachable(e: Error & { code?: string }): DatabaseError {
    const tls = /CERT|SSL|TLS|SELF_SIGNED/i.test(e.code ?? '') || /certificate/i.test(e.message);
    return new DatabaseError(
      `Prometheus at ${this.display} unreachable: ${e.code ? `${e.code}: ` : ''}${e.message.replace(/\s+/g, ' ')}`,
      tls ? "the server's certificate is not trusted: give its CA with --prometheus-ca FILE" : 'check the URL and that Prometheus is up and reachable from here',
    );
  }
}
