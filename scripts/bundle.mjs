// Bundles the CLI (dist/cli.js, compiled by tsc) with its dependencies into dist/bundle/: one
// entry that holds the command tree and commander, and one lazy chunk per command, loaded by the
// dynamic import of the command that runs. Node resolves and compiles a few files instead of
// hundreds, which is most of the startup time (bench/run.mjs measures both ways). The library
// entry (dist/index.js) is not bundled: services import plain ESM with types.
// Run by `npm run build` after tsc.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist', 'bundle');

rmSync(OUT, { recursive: true, force: true });
await build({
  entryPoints: { cli: join(ROOT, 'dist', 'cli.js') },
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // The CommonJS dependencies (pg, prom-client, cli-table3, hdr-histogram-js) call require().
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  // pg loads its optional native binding only when asked for it.
  external: ['pg-native'],
  minifyWhitespace: process.argv.includes('--minify'),
  logLevel: 'warning',
});
