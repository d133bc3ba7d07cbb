/**
 * Progress off a terminal: a command that runs longer than {@link HEARTBEAT_MS} writes one
 * newline-terminated line on stderr, `progress: ...`, about every 10 s, so a log (CI, a pipe)
 * shows it is alive and how far it is. On a terminal the live progress line does this instead;
 * `--no-progress` turns both off.
 */
import { writeErr } from './output.js';
import { showProgress } from './tty.js';

/** How often the line is written, ms. */
export const HEARTBEAT_MS = 10_000;

/** The fixed prefix of every line. */
export const HEARTBEAT_PREFIX = 'progress: ';

/**
 * Start the heartbeat when it is due (off a terminal, progress not turned off): every
 * {@link HEARTBEAT_MS} it writes `progress: <what()>`. Returns the function that stops it.
 */
export function startHeartbeat(what: () => string, o: { progress?: boolean; machineOutput: boolean }): () => void {
  if (o.progress === false || showProgress(o.machineOutput)) return () => {};
  const t = setInterval(() => writeErr(`${HEARTBEAT_PREFIX}${what()}`), HEARTBEAT_MS);
  t.unref();
  return () => clearInterval(t);
}
