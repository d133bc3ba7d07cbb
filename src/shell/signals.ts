/**
 * The signals that stop pool-advisor: Ctrl-C (SIGINT), SIGTERM (a service manager, a cancelled CI
 * job) and SIGHUP (the terminal went away). All three are handled alike (docs/architecture.md,
 * "Signals"): a command that drives load stops it and keeps the partial result; any
 * other command stops at once. Either way the exit code is 130 and a throwaway PostgreSQL is
 * removed (its `process.on('exit')` hook runs on every exit path).
 */
import { ExitCode } from '../core/errors.js';
import { writeErr } from './output.js';

/** The signals handled, in the order a user meets them. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** One of {@link STOP_SIGNALS}. */
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** Bodies running under {@link withInterrupt}: while any runs, the signals are theirs. */
let listening = 0;
let installed = false;

/** Route the stop signals (once per process; the CLI entry calls it): with no command listening, exit 130 now. */
export function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  for (const sig of STOP_SIGNALS) {
    process.on(sig, () => {
      if (listening > 0) return;
      writeErr(`\n${sig}: stopped.`);
      process.exit(ExitCode.Interrupted);
    });
  }
}

/**
 * Run `body` with the stop signals delivered to `onSignal` instead of stopping the process (a
 * command that drives load aborts it and reports what it measured).
 */
export async function withInterrupt<T>(onSignal: (sig: StopSignal) => void, body: () => Promise<T>): Promise<T> {
  listening++;
  let backstop: NodeJS.Timeout | undefined;
  const handler = (sig: StopSignal): void => {
    // Every wait is abortable, so the body ends within moments; should one not, the process still
    // exits 130 within STOP_DEADLINE_MS (the exit hook removes a throwaway server).
    backstop ??= setTimeout(() => {
      writeErr(`${sig}: not stopped within ${STOP_DEADLINE_MS / 1000} s; exiting now.`);
      process.exit(ExitCode.Interrupted);
    }, STOP_DEADLINE_MS).unref();
    onSignal(sig);
  };
  for (const sig of STOP_SIGNALS) process.on(sig, handler);
  try {
    return await body();
  } finally {
    listening--;
    // The body ended: what runs after it is not this wait's to cut short.
    clearTimeout(backstop);
    for (const sig of STOP_SIGNALS) process.removeListener(sig, handler);
  }
}

/** The longest a command takes to exit after a stop signal (its throwaway server's removal aside). */
export const STOP_DEADLINE_MS = 1900;
