/**
 * The CLI entry: builds the commands and is the only place that turns errors into exit codes
 * (docs/architecture.md, "Exit codes"). Known errors print one `ERROR:` line and a hint; anything else is
 * a bug and prints its stack.
 */
import { Command, CommanderError } from 'commander';
import { CommandOutcome, ExitCode, KnownError } from './core/errors.js';
import { registerCommands } from './shell/commands/tree.js';
import { version } from './shell/version.js';
import { addEnvSecrets, forTerminal, guardStdio, writeErr } from './shell/output.js';
import { installSignalHandlers } from './shell/signals.js';

/** Build the command tree (exported for the docs test that compares `--help` with docs/cli.md). */
export function buildProgram(): Command {
  const program = new Command('pool-advisor')
    .description('Measure a PostgreSQL connection pool under a realistic load, and tell (and write) the pool settings that fit')
    .version(version(), '-V, --version', 'print the version')
    .showHelpAfterError(HELP_HINT)
    .exitOverride()
    .configureOutput(OUTPUT);
  registerCommands(program);
  for (const c of program.commands) inherit(c);
  return program;
}

/** The hint after one of commander's own usage errors (an unknown flag, a missing value). */
const HELP_HINT = 'hint: run with --help for the flags and their values';

/** commander's own errors look like the tool's: one `ERROR:` line (then the hint), exit 2. */
const OUTPUT = {
  writeOut: (s: string) => process.stdout.write(forTerminal(s)),
  writeErr: (s: string) => process.stderr.write(forTerminal(s)),
  outputError: (s: string, write: (s: string) => void) => write(s.replace(/^error: /, 'ERROR: ')),
};

/** Usage errors inside sub-commands behave like the root's: no process.exit, exit code 2. */
function inherit(cmd: Command): void {
  cmd.exitOverride();
  cmd.configureOutput(OUTPUT);
  cmd.showHelpAfterError(HELP_HINT);
  for (const c of cmd.commands) inherit(c);
}

/** Run the CLI with the given argv; sets process.exitCode rather than exiting mid-work. */
export async function main(argv: string[] = process.argv): Promise<void> {
  addEnvSecrets();
  guardStdio();
  installSignalHandlers();
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    process.exitCode = exitCodeFor(e);
  }
}

function exitCodeFor(e: unknown): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return ExitCode.Ok;
    // commander already printed the reason (one line) and the hint.
    return ExitCode.Usage;
  }
  if (e instanceof CommandOutcome) return e.exitCode;
  if (e instanceof KnownError) {
    writeErr(`ERROR: ${e.message}`);
    if (e.hint) writeErr(`hint: ${e.hint}`);
    return e.exitCode;
  }
  writeErr(`unexpected error (a bug in pool-advisor; please report it):\n${(e as Error)?.stack ?? String(e)}`);
  return ExitCode.Internal;
}
