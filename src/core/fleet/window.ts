/**
 * The window a fleet reading covers, from `--since` or `--start`/`--end`. Pure: the clock is passed in.
 */
import { UsageError } from '../errors.js';
import { parseDurationMs } from '../advisor/parse.js';
import type { FleetWindow } from './plan.js';

/** The longest window read at once: Prometheus keeps 15 days by default, and a month of 1 s scrapes is already a lot. */
const MAX_WINDOW_MS = 31 * 24 * 3_600_000;

/** `--start` / `--end`: RFC 3339 (`2026-11-29T21:00:00Z`) or seconds since the epoch. */
export function parseTimeFlag(flag: string, text: string): number {
  const fix = `write e.g. ${flag} 2026-11-29T21:00:00Z (RFC 3339) or ${flag} 1795986000 (seconds since the epoch)`;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) throw new UsageError(`${flag} '${text}': not a time`, fix);
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) throw new UsageError(`${flag} '${text}': not a time`, fix);
  return ms;
}

/** The window from the flags: `--since D` ends now; `--start` alone ends now; `--end` needs `--start` or `--since`. */
export function fleetWindow(flags: { since?: string; start?: string; end?: string }, nowMs: number): FleetWindow {
  if (flags.since !== undefined && flags.start !== undefined) throw new UsageError('--since and --start both given', 'give --since 1h (ending now, or at --end), or --start and --end');
  const endMs = flags.end !== undefined ? parseTimeFlag('--end', flags.end) : nowMs;
  let startMs: number;
  if (flags.start !== undefined) startMs = parseTimeFlag('--start', flags.start);
  else {
    const since = flags.since ?? '1h';
    const ms = parseDurationMs(since);
    if (ms === undefined) throw new UsageError(`--since '${since}': not a duration`, 'write e.g. --since 1h (units: s, m, h)');
    if (ms <= 0) throw new UsageError(`--since '${since}': the window must be longer than 0`, 'write e.g. --since 1h (units: s, m, h)');
    startMs = endMs - ms;
  }
  if (!(endMs > startMs)) throw new UsageError(`the window is empty: --start ${new Date(startMs).toISOString()} is not before --end ${new Date(endMs).toISOString()}`, 'give a start before the end');
  if (endMs - startMs > MAX_WINDOW_MS) throw new UsageError(`the window is ${Math.round((endMs - startMs) / 86_400_000)} days long`, 'read at most 31 days at once');
  if (endMs > nowMs + 60_000) throw new UsageError(`--end ${new Date(endMs).toISOString()} is in the future`, 'end the window now or earlier');
  return { startMs, endMs };
}
