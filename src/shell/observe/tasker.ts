/**
 * `--tasker-url`: Tasker's `/health/detailed`, read at the start and the end of an observation
 * only, because each read runs a query on every pool and so changes what is being observed.
 */
import { DatabaseError, UsageError } from '../../core/errors.js';
import { parseTaskerHealth, type TaskerHealth } from '../../core/observe/crossCheck.js';
import { redactUrl } from '../../core/redact.js';

/** Check a `--tasker-url` before any connection (exit 2) and return its /health/detailed URL. */
export function parseTaskerUrl(v: string): URL {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new UsageError(`--tasker-url '${redactUrl(v)}': not a URL`, 'write e.g. --tasker-url http://orchestration:8080');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`--tasker-url '${redactUrl(v)}': only http and https are read`, 'write e.g. --tasker-url http://orchestration:8080');
  return new URL(`${u.pathname.replace(/\/+$/, '')}/health/detailed`, u);
}

/** Read one /health/detailed answer; an unreachable or unreadable endpoint is exit 3. */
export async function readTaskerHealth(url: URL, timeoutMs = 10_000): Promise<TaskerHealth | null> {
  const shown = redactUrl(url.toString());
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
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
