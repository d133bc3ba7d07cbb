/**
 * The throwaway PostgreSQL of this test worker. The integration tier runs two test files at a time
 * (vitest.config.ts); globalSetup starts one cluster per worker, and each worker process claims one
 * for itself (a lock directory holding its pid, released when the process exits), so a check that
 * looks at the whole server (no backend left, no scratch schema left) sees only its own file's work.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';

let mine: string | undefined;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Claim the cluster at `url` for this process; false when a live process holds it. */
function claim(url: string): boolean {
  const lock = join(tmpdir(), `pool-advisor-test-pg-${new URL(url).port}.lock`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      process.once('exit', () => rmSync(lock, { recursive: true, force: true }));
      return true;
    } catch {
      let holder = NaN;
      try {
        holder = Number(readFileSync(join(lock, 'pid'), 'utf8'));
      } catch {
        return false; // being claimed right now
      }
      if (holder === process.pid) return true;
      if (!Number.isInteger(holder) || holder <= 0 || alive(holder)) return false;
      rmSync(lock, { recursive: true, force: true }); // its holder died without releasing it
    }
  }
  return false;
}

export function pgUrl(): string {
  if (mine) return mine;
  const urls = inject('pgUrls');
  if (!urls?.length) throw new Error('this test needs a PostgreSQL: it belongs in the integration tier (vitest.config.ts)');
  // A worker that just finished its file may still be exiting: wait a little for its cluster.
  const until = Date.now() + 20_000;
  for (;;) {
    const free = urls.find(claim);
    if (free) return (mine = free);
    if (Date.now() > until) break;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
  throw new Error(`no free test PostgreSQL among ${urls.length} after 20 s: more test files run at once than globalSetup started clusters`);
}
