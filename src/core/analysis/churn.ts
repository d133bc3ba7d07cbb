/** Connection churn: expiries in bursts, idle closes reopened soon after, and how often an acquire finds at most one idle connection. Pure. */
import type { LevelTimes, TimelinePoint } from '../run/types.js';

/** Expiries closer together than this count as one burst. */
export const EXPIRY_BURST_WINDOW_MS = 1000;

/** The largest number of times within any window of `windowMs`. */
export function maxInWindow(timesMs: readonly number[], windowMs: number): number {
  const t = [...timesMs].sort((a, b) => a - b);
  let best = 0;
  let i = 0;
  for (let j = 0; j < t.length; j++) {
    while (t[j]! - t[i]! >= windowMs) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

/**
 * Pair idle closes with the connection opens that follow them within `windowS`, from the
 * timeline (first-in first-out, at the timeline's resolution). Opens in the same interval as a
 * close count: at one-second resolution the order inside an interval is unknown.
 */
export function idleReopens(points: ReadonlyArray<Pick<TimelinePoint, 't' | 'idleClosed' | 'created'>>, windowS: number): { reopened: number; maxGapS: number | null } {
  const pending: Array<{ t: number; n: number }> = [];
  let reopened = 0;
  let maxGap: number | null = null;
  for (const p of points) {
    if (p.idleClosed > 0) pending.push({ t: p.t, n: p.idleClosed });
    let opens = p.created;
    while (opens > 0 && pending.length > 0) {
      const first = pending[0]!;
      if (p.t - first.t > windowS * 1000) {
        pending.shift();
        continue;
      }
      const m = Math.min(first.n, opens);
      reopened += m;
      opens -= m;
      first.n -= m;
      maxGap = Math.max(maxGap ?? 0, (p.t - first.t) / 1000);
      if (first.n === 0) pending.shift();
    }
  }
  return { reopened, maxGapS: maxGap };
}

/**
 * The same pairing from the times of single events (ms since the window start), as the server's
 * view gives them: each idle close when it was first seen gone, each open at its backend's start.
 * A close and an open at the same instant pair (the close first), as in one timeline interval.
 */
export function idleReopensFromTimes(idleClosedAtMs: readonly number[], openedAtMs: readonly number[], windowS: number): { reopened: number; maxGapS: number | null } {
  const events = [...idleClosedAtMs.map((t) => ({ t, idleClosed: 1, created: 0 })), ...openedAtMs.map((t) => ({ t, idleClosed: 0, created: 1 }))];
  events.sort((a, b) => a.t - b.t || b.idleClosed - a.idleClosed);
  return idleReopens(events, windowS);
}

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Share of the window with at most one idle connection (an acquire that finds an expired one then has nothing to step over to). */
export function idleScarce(t: LevelTimes | undefined): number {
  if (!t) return 0;
  const total = t.levels.reduce((s, [, us]) => s + us, 0);
  if (total <= 0) return t.last <= 1 ? 1 : 0;
  return t.levels.filter(([lv]) => lv <= 1).reduce((s, [, us]) => s + us, 0) / total;
}
