import { expect } from 'vitest';
/** Spawn the built CLI the way a user would, with NO_COLOR and a clean environment. */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'bin', 'pool-advisor.js');
/** Tasker's real config, copied from tasker-core (test/fixtures/tasker-core/README.md). */
export const TASKER_FIXTURES = join(ROOT, 'test', 'fixtures', 'tasker-core', 'config', 'tasker');

/** One recommendation as `--json` prints it (the fields the CLI tests read). */
export interface Rec {
  env: string;
  pool: string;
  key: string;
  from: number;
  to: number;
  rule: string;
  confidence: string;
  evidence?: Array<{ name: string; value: unknown }>;
}

/** A recommendation's (or a finding's) evidence by name. */
export function evidenceOf(r: { evidence?: Array<{ name: string; value: unknown }> }): Record<string, unknown> {
  return Object.fromEntries((r.evidence ?? []).map((e) => [e.name, e.value]));
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The environment a CLI test runs with: no database variables unless given. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'DATABASE_URL' || k === 'PGMQ_DATABASE_URL' || k.startsWith('PG')) continue;
    env[k] = v;
  }
  return { ...env, NO_COLOR: '1', CI: 'true', ...extra };
}

/** Run the CLI to completion without blocking the test's own event loop (for CLIs that run side by side). */
export function runCliAsync(args: string[]): Promise<CliResult> {
  const child = spawnCli(args);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (status) => resolve({ status, stdout, stderr })));
}

/** Run the CLI to completion (synchronously). */
export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string>; input?: string; uid?: number } = {}): CliResult {
  const ids = opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid } : {};
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env: cleanEnv(opts.env), encoding: 'utf8', input: opts.input, timeout: 120_000, ...ids });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Run the CLI asynchronously (for tests that signal it or scrape it while it runs). */
export function spawnCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  return spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env: cleanEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** One `ERROR:` line, the given exit code, no stack, never the bug message. */
export function refused(r: CliResult, code: number, want?: string | RegExp): string {
  expect(r.status, r.stderr).toBe(code);
  const errs = r.stderr.split('\n').filter((l) => l.startsWith('ERROR:'));
  expect(errs, r.stderr).toHaveLength(1);
  if (typeof want === 'string') expect(errs[0]).toContain(want);
  else if (want) expect(errs[0]).toMatch(want);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr).not.toContain('unexpected error');
  expect(r.stderr).not.toContain('please report');
  return errs[0]!;
}
