/**
 * `--tasker-url`: Tasker's `/health/detailed`, read at the start and the end of an observation
 * only, because each read runs a query on every pool and so changes what is being observed.
 */
import { DatabaseError, InterruptedError, KnownError, UsageError } from '../../core/errors.js';
import { READ_DEFAULTS } from '../../core/flags.js';
import { pastCap, pastDeadline, type ReadGuard } from '../deadline.js';
import { parseTaskerHealth, type TaskerHealth } from '../../core/observe/crossCheck.js';
import { redactUrl } from '../../core/redact.js';
import { addPassword, addSecret } from '../output.js';
import { decodeLoose } from '../prometheus/client.js';

/**
 * Check a `--tasker-url` before any connection (exit 2) and return its /health/detailed URL. Its
 * password and secret query parameters are registered as secrets (never printed); user info in
 * the URL is sent as a Basic Authorization header (see {@link taskerRequest}).
 */
export function parseTaskerUrl(v: string): URL {
  addSecret(v);
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new UsageError(`--tasker-url '${redactUrl(v)}': not a URL`, 'write e.g. --tasker-url http://orchestration:8080');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`--tasker-url '${redactUrl(v)}': only http and https are read`, 'write e.g. --tasker-url http://orchestration:8080');
  return new URL(`${u.pathname.replace(/\/+$/, '')}/health/detailed`, u);
}

/**
 * The URL to fetch and its headers: user info moves into a Basic Authorization header (fetch
 * refuses a URL that carries credentials, and would print it whole in its error).
 */
export function taskerRequest(url: URL): { url: URL; headers: Record<string, string> } {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (url.username === '' && url.password === '') return { url, headers };
  const bare = new URL(url.toString());
  bare.username = '';
  bare.password = '';
  const basic = Buffer.from(`${decodeLoose(url.username)}:${decodeLoose(url.password)}`).toString('base64');
  // A server that echoes the header in its error must not print the credentials.
  if (url.password !== '') addPassword(basic);
  headers.authorization = `Basic ${basic}`;
  return { url: bare, headers };
}

/**
 * Read one /health/detailed answer within the guard (the whole body within the deadline, at most
 * `maxBytes` of it, abortable); an unreachable, slow, oversized or unreadable endpoint is exit 3.
 */
export async function readTaskerHealth(url: URL, guard: ReadGuard = { ...READ_DEFAULTS, timeoutMs: 10_000 }): Promise<TaskerHealth | null> {
  const shown = redactUrl(url.toString());
  const what = `Tasker's ${shown}`;
  const hint = "check --tasker-url points at a running Tasker (orchestration or worker web port)";
  const ac = new AbortController();
  let why: Error | undefined;
  const stop = (e: Error): void => {
    why ??= e;
    ac.abort();
  };
  const timer = setTimeout(() => stop(pastDeadline(what, guard.timeoutMs)), guard.timeoutMs);
  const onAbort = (): void => stop(new InterruptedError());
  if (guard.signal?.aborted) onAbort();
  guard.signal?.addEventListener('abort', onAbort, { once: true });
  let status = 0;
  let text = '';
  try {
    // fetch refuses a URL holding credentials (and its error would quote them): they go in a header.
    const req = taskerRequest(url);
    const res = await fetch(req.url, { signal: ac.signal, headers: req.headers });
    status = res.status;
    if (Number(res.headers.get('content-length')) > guard.maxBytes) stop(pastCap(what, guard.maxBytes));
    const chunks: Uint8Array[] = [];
    let bytes = 0;
    if (res.body && !why) {
      for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) {
        bytes += c.length;
        if (bytes > guard.maxBytes) {
          stop(pastCap(what, guard.maxBytes));
          break;
        }
        chunks.push(c);
      }
    }
    if (why) throw why;
    text = Buffer.concat(chunks).toString('utf8');
  } catch (e) {
    if (why) throw why;
    if (e instanceof KnownError || e instanceof InterruptedError) throw e;
    throw new DatabaseError(`cannot read ${what}: ${((e as Error).cause as Error | undefined)?.message ?? (e as Error).message}`, hint);
  } finally {
    clearTimeout(timer);
    guard.signal?.removeEventListener('abort', onAbort);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new DatabaseError(`${what} answered HTTP ${status} with something that is not JSON`, "check --tasker-url points at Tasker's web API");
  }
  return parseTaskerHealth(body);
}
