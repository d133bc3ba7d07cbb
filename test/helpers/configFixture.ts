/** Build small Tasker-shaped config dirs in temp dirs for tests. */
import { mkdirSync, mkdtempSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from './cli.js';

/** The shipped example config, the project's own fixture of Tasker's shape. */
export const EXAMPLE_DIR = join(ROOT, 'config', 'tasker');

/** Write files (relative path -> text) into a fresh temp config dir and return its path. */
export function makeConfigDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pa-cfg-'));
  for (const [rel, text] of Object.entries(files)) {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
  return dir;
}

/** Copy the example config into a temp dir, then apply extra files over it. */
export function copyExample(extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'pa-cfg-'));
  cpSync(EXAMPLE_DIR, dir, { recursive: true });
  for (const [rel, text] of Object.entries(extra)) {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
  return dir;
}
