/**
 * One size of record per pool: the config's max_connections is what `generate` edits and the `from`
 * of a change; a live source (Tasker's /health/detailed, a pool's own max gauge) that says another
 * is a warning naming both, and the model uses the live one (the size the window was seen at). Pure.
 */
import type { PoolConfigSnapshot } from '../run/types.js';

/**
 * The warning when a live size differs from the config's: both named, and which one the model used.
 */
export function sizeWarning(snapshot: PoolConfigSnapshot, live: { maxConnections: number; from: string }): string {
  const k = snapshot.keys.max_connections;
  const where = k?.file ? ` (${k.file}${k.line ? `:${k.line}` : ''})` : '';
  return `max_connections: the config says ${snapshot.settings.max_connections}${where}, ${live.from} says the pool ran with ${live.maxConnections}; the model used ${live.maxConnections} (the size the window was seen at), and a change is written from the config's ${snapshot.settings.max_connections} (what generate edits) - if the running pool should have the config's size, the deployed config is not the one in --config-dir`;
}

