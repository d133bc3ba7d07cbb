/**
 * `--tasker-url`: Tasker's `/health/detailed`, read at the start and the end of an observation
 * only, because each read runs a query on every pool and so changes what is being observed.
 */
import { DatabaseError, UsageError } from '../../core/errors.js';
import { parseTaskerHealth, type TaskerHealth } from '../../core/observe/crossCheck.js';
import { redactUrl } from '../../core/redact.js';
import { addSecret } from '../output.js';
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
  headers.authorization = `Basic ${Buffer.from(`${decodeLoose(url.username)}:${decodeLoose(url.password)}`).toString('base64')}`;
  return { url: bare, headers };
}

/** Read one /health/detailed answer; an unreachable or unreadable endpoint is exit 3. */
export async function readTaskerHealth(url: URL, timeoutMs = 10_000): Promise<TaskerHealth | null> {
  const shown = redactUrl(url.toString());
  let res: Response;
  try {
    const req = taskerRequest(url);
    res = await fetch(req.url, { signal: AbortSignal.timeout(timeoutMs), headers: req.headers });
  } catch (e) {
    throw new DatabaseError(`cannot read Tasker's ${shown}: ${(e as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : ((e as Error).cause as Error | undefined)?.message ?? (e as Error).message}`, 'check --tasker-url points at a running Tasker (orchestration or worker web port)');
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new DatabaseError(`Tasker's ${shown} answered HTTP ${res.status} with something that is not JSON`, 'check --tasker-url points at Tasker\'s web API');
  }
  return parseTaskerHealth(body);
}
