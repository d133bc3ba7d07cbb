/** The package version, read once from package.json. */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// The package root, two levels above this module (dist/shell/, or dist/bundle/ in the bundle).
// Not configDir's PACKAGE_ROOT: that module loads the config parser, which `--version` and
// `--help` do not need.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

let cached: string | undefined;

/** The version of pool-advisor. */
export function version(): string {
  cached ??= (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  return cached;
}
