/**
 * pg-pool's private internals that the instrumentation and the sqlx emulation rely on, checked
 * once per pool before anything is wired. pg-pool exposes no hook for them: `remove` carries no
 * reason (so the close ledger wraps the `Client` class and reads `_expired`), and sqlx's
 * behaviour (a reaper, FIFO reuse) needs the idle list, `_remove` and `_pulseQueue`
 * (docs/facts.md, "node-postgres pool"). This project's own installs pin pg-pool with
 * `overrides` in package.json; a pool built by a different pg-pool fails here with one line
 * naming what is missing, not later with a TypeError in the middle of a run.
 * test/shell/pool/internals.test.ts fails when an upgrade changes them.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { KnownError, ExitCode } from '../../core/errors.js';

/** The pg-pool version these internals were read from and are tested against. */
export const TESTED_PG_POOL = '3.14.0';

/** What each use needs, by name and expected kind. */
const NEEDS = {
  instrumentation: [
    ['Client', 'function'],
    ['options', 'object'],
    ['_expired', 'WeakSet'],
  ],
  'sqlx emulation': [
    ['_idle', 'Array'],
    ['_remove', 'function'],
    ['_pulseQueue', 'function'],
  ],
} as const;

type Use = keyof typeof NEEDS;

function kindOf(v: unknown): string {
  if (Array.isArray(v)) return 'Array';
  if (v instanceof WeakSet) return 'WeakSet';
  return v === null ? 'null' : typeof v;
}

/**
 * The version of `pkg` as this module resolves it (the user's pool may come from another copy),
 * read from the package.json above its entry point (pg-pool's `exports` hide the file itself).
 */
export function installedVersion(pkg: string): string {
  try {
    let dir = dirname(createRequire(import.meta.url).resolve(pkg));
    for (;;) {
      try {
        const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
        if (manifest.name === pkg && manifest.version) return manifest.version;
      } catch {
        // no package.json at this level: keep climbing
      }
      const up = dirname(dir);
      if (up === dir) return 'unknown';
      dir = up;
    }
  } catch {
    return 'unknown';
  }
}

/** The names `use` needs that `pool` lacks or has of another kind, as "name (kind)". */
export function missingInternals(pool: object, use: Use): string[] {
  const p = pool as Record<string, unknown>;
  return NEEDS[use].filter(([name, kind]) => kindOf(p[name]) !== kind).map(([name, kind]) => `${name} (${kind})`);
}

/** Throw one clear line when `pool` lacks the internals `use` needs. */
export function assertPoolInternals(pool: object, use: Use): void {
  const missing = missingInternals(pool, use);
  if (missing.length === 0) return;
  throw new KnownError(
    `the pg pool lacks pg-pool internals the ${use} needs: ${missing.join(', ')} (pool-advisor is tested with pg-pool ${TESTED_PG_POOL}; this process resolves pg-pool ${installedVersion('pg-pool')})`,
    ExitCode.Internal,
    `install pg-pool ${TESTED_PG_POOL} (npm ci keeps the lockfile's pin), or report the version at the project's issue tracker`,
  );
}
