/** Terminal facts: whether to colour, whether to show progress. */

/** Colour only on a TTY, and never when NO_COLOR is set (https://no-color.org). */
export function useColor(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
}

/** A progress display is shown on a TTY only, never in CI, never with machine output. */
export function showProgress(machineOutput: boolean): boolean {
  return Boolean(process.stderr.isTTY) && !process.env.CI && !machineOutput;
}
