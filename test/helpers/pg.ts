/**
 * The throwaway PostgreSQL of this test worker. The integration tier runs two test files at a time
 * (vitest.config.ts); globalSetup starts one cluster per worker, so a check that looks at the whole
 * server (no backend left, no scratch schema left) sees only its own file's work.
 */
import { inject } from 'vitest';

export function pgUrl(): string {
  const urls = inject('pgUrls');
  if (!urls?.length) throw new Error('this test needs a PostgreSQL: it belongs in the integration tier (vitest.config.ts)');
  const id = Number(process.env.VITEST_POOL_ID ?? '1');
  return urls[(Math.max(1, id) - 1) % urls.length]!;
}
