/**
 * Where the CLI's text goes. Every write passes through {@link scrub} with the secrets known
 * so far, so no database password reaches stdout or stderr even from a driver's message.
 */
import { scrub, passwordOf } from '../core/redact.js';

const secrets = new Set<string>();

/** Remember a secret (a password, or a connection target whose password must never be printed). */
export function addSecret(value: string | undefined): void {
  if (!value) return;
  const pw = passwordOf(value);
  if (pw) secrets.add(pw);
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

/** Write to stdout (machine output, or human output when stdout carries nothing else). */
export function writeOut(text: string): void {
  process.stdout.write(clean(text.endsWith('\n') || text === '' ? text : `${text}\n`));
}

/** Write to stderr (human output when stdout carries machine output, warnings, errors). */
export function writeErr(text: string): void {
  process.stderr.write(clean(text.endsWith('\n') || text === '' ? text : `${text}\n`));
}
