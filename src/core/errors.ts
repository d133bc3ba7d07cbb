/**
 * Exit codes (docs/architecture.md, "Exit codes"). The CLI entry is the only place that turns an
 * error into one of these.
 */
export const ExitCode = {
  /** Success; for `check`, every threshold and lint rule held. */
  Ok: 0,
  /** `check` found a breached threshold or a lint error; `config lint` found an error. */
  CheckFailed: 1,
  /** Usage or configuration error: a flag, file or expression that cannot be read or parsed. */
  Usage: 2,
  /** Database unreachable, or the run failed against the database. */
  Database: 3,
  /** Not enough data to answer: no samples, or an invalid run (the machine or the load generator stalled). */
  NoData: 4,
  /** Interrupted (Ctrl-C or SIGTERM); the partial result is still printed and saved. */
  Interrupted: 130,
  /** An unexpected error: a bug in pool-advisor (the stack is printed). EX_SOFTWARE of sysexits.h. */
  Internal: 70,
} as const;

/** One of {@link ExitCode}'s values. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Line breaks shown as `\n` and `\r`, so a message stays on its one line. */
function oneLine(s: string): string {
  return s.replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

/**
 * An error the tool expected: it prints as one line (`ERROR: <message>`, then the hint) and
 * maps to a documented exit code. Anything else is a bug and prints a stack.
 */
export class KnownError extends Error {
  readonly exitCode: ExitCodeValue;
  readonly hint?: string;
  constructor(message: string, exitCode: ExitCodeValue, hint?: string) {
    // One line whatever the input it quotes (a name holding a newline must not forge a line of output).
    super(oneLine(message));
    this.name = 'KnownError';
    this.exitCode = exitCode;
    this.hint = hint === undefined ? undefined : oneLine(hint);
  }
}

/** A flag, file, expression or config that cannot be used (exit 2). */
export class UsageError extends KnownError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.Usage, hint);
    this.name = 'UsageError';
  }
}

/** A database that cannot be reached or a run that failed against it (exit 3). */
export class DatabaseError extends KnownError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.Database, hint);
    this.name = 'DatabaseError';
  }
}

/** Not enough data to answer (exit 4). */
export class NoDataError extends KnownError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.NoData, hint);
    this.name = 'NoDataError';
  }
}

/** A run that cannot be trusted (the machine or the generator stalled): its figures were printed, no key changed (exit 4). */
export class InvalidRunError extends KnownError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.NoData, hint);
    this.name = 'InvalidRunError';
  }
}

/** What `generate` would write overflows a layer of the connection budget (exit 1, as a failed check). */
export class OverBudgetError extends KnownError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.CheckFailed, hint);
    this.name = 'OverBudgetError';
  }
}

/**
 * A command that finished and printed all it had, ending with a code other than 0 (`check` found a
 * breach, `config lint` an error, a run was interrupted): nothing more is printed. Commands throw
 * it; only the CLI entry turns it into the exit code.
 */
export class CommandOutcome extends Error {
  readonly exitCode: ExitCodeValue;
  constructor(exitCode: ExitCodeValue) {
    super(`exit ${exitCode}`);
    this.name = 'CommandOutcome';
    this.exitCode = exitCode;
  }
}

/** A wait ended by SIGINT, SIGTERM or SIGHUP: exit 130 with nothing more to say (the signal was already reported). */
export class InterruptedError extends CommandOutcome {
  constructor() {
    super(ExitCode.Interrupted);
    this.name = 'InterruptedError';
  }
}
