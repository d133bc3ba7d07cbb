/**
 * Where the CLI's text goes. Every write passes through {@link scrub} with the secrets known
 * so far, so no database password reaches stdout or stderr even from a driver's message.
 */
import { scrub, passwordOf, secretParamsOf } from '../core/redact.js';

const secrets = new Set<string>();

/** Remember a secret (a password, or a connection target whose password must never be printed). */
export function addSecret(value: string | undefined): void {
  if (!value) return;
  const pw = passwordOf(value);
  if (pw) secrets.add(pw);
  for (const s of secretParamsOf(value)) secrets.add(s);
}

/** Remember a bare password. */
export function addPassword(pw: string | undefined): void {
  if (pw) secrets.add(pw);
}

/** Collect passwords from the environment variables pool-advisor reads. */
export function addEnvSecrets(env: Readonly<Record<string, string | undefined>> = process.env): void {
  addSecret(env.DATABASE_URL);
  addSecret(env.PGMQ_DATABASE_URL);
  addPassword(env.PGPASSWORD);
}

/** Apply the known secrets to a text. */
export function clean(text: string): string {
  return scrub(text, secrets);
}

/**
 * Control characters a terminal would act on: everything below space but tab and newline, DEL, and
 * the C1 range. The tool's own colours (SGR `ESC[...m`) and the progress line's `CR ESC[K` are kept.
 */
const CONTROL = /(\x1b\[(?:[0-9;]*m|K)|\r(?=\x1b\[K))|[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/**
 * Make text safe for a terminal: secrets scrubbed, and control characters that came from input
 * (an environment named with an escape sequence in a run file, a TOML key holding a BEL) shown as
 * `\xNN` instead of acting on the terminal.
 */
export function forTerminal(text: string): string {
  return clean(text).replace(CONTROL, (m: string, keep: string | undefined) => keep ?? `\\x${m.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Write to stdout (machine output, or human output when stdout carries nothing else). */
export function writeOut(text: string): void {
  process.stdout.write(forTerminal(text.endsWith('\n') || text === '' ? text : `${text}\n`));
}

/** Write to stderr (human output when stdout carries machine output, warnings, errors). */
export function writeErr(text: string): void {
  process.stderr.write(forTerminal(text.endsWith('\n') || text === '' ? text : `${text}\n`));
}

let stdioGuarded = false;

/**
 * A reader that goes away (`pool-advisor ... | head`) closes the pipe: the next write fails with
 * EPIPE, which Node raises as an unhandled 'error' event (a stack, exit 1). Here the rest of that
 * stream's output is dropped instead and the command ends as it would have, with its own exit code
 * (docs/reliability.md). Any other failure to write is one line on stderr, when stderr still works.
 * A reader that stays but never reads is not an error: the writes wait in memory (Node writes to a
 * pipe without blocking the process), and a stop signal still ends the command (src/shell/signals.ts).
 */
export function guardStdio(): void {
  if (stdioGuarded) return;
  stdioGuarded = true;
  const reported = new Set<string>();
  for (const [name, stream] of [['stdout', process.stdout], ['stderr', process.stderr]] as const) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') return;
      if (reported.has(name) || name === 'stderr') return;
      reported.add(name);
      writeErr(`ERROR: cannot write to ${name}: ${e.code ?? e.message}`);
    });
  }
}
