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
import { DatabaseError, UsageError } from '../../core/errors.js';
import { redactUrl } from '../../core/redact.js';
import type { VectorSample } from '../../core/fleet/assemble.js';

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

  constructor(
    private readonly base: URL,
    private readonly auth: PrometheusAuth = {},
    private readonly timeoutMs = 30_000,
  ) {
    this.display = redactUrl(base.toString()).replace(/\/$/, '');
    this.headers = { accept: 'application/json' };
    const user = auth.basic ?? (base.username ? { user: decodeLoose(base.username), password: decodeLoose(base.password) } : undefined);
    if (auth.bearerToken) this.headers.authorization = `Bearer ${auth.bearerToken}`;
    else if (user) this.headers.authorization = `Basic ${Buffer.from(`${user.user}:${user.password}`).toString('base64')}`;
  }

  /** An instant query at `timeS` (seconds since the epoch): the vector's samples. */
  async query(promql: string, timeS: number): Promise<VectorSample[]> {
    this.asked.push(promql);
    const data = (await this.get('/api/v1/query', { query: promql, time: timeS.toFixed(3) })) as { resultType?: string; result?: Array<{ metric: Record<string, string>; value: [number, string] }> };
    if (data?.resultType === 'scalar' || data?.resultType === 'string') return [];
    if (data?.resultType !== 'vector' || !Array.isArray(data.result)) throw new DatabaseError(`Prometheus at ${this.display} answered a query with no vector`, 'is this the Prometheus HTTP API (…/api/v1)? check the URL');
    return data.result.map((r) => ({ metric: r.metric ?? {}, value: Number(r.value?.[1]) }));
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

  private send(url: URL): Promise<{ status: number; body: string }> {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(url, { method: 'GET', headers: this.headers, timeout: this.timeoutMs, ...(this.auth.ca ? { ca: this.auth.ca } : {}) }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (e) => reject(this.unreachable(e)));
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${this.timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })));
      req.on('error', (e) => reject(this.unreachable(e)));
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
