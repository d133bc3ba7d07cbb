// Bundles the CLI (dist/cli.js, compiled by tsc) with its dependencies into dist/bundle/: one
// entry that holds the command tree and commander, and one lazy chunk per command, loaded by the
// dynamic import of the command that runs. Node resolves and compiles a few files instead of
// hundreds, which is most of the startup time (bench/run.mjs measures both ways). The library
// entry (dist/index.js) is not bundled: services import plain ESM with types.
// Run by `npm run build` after tsc.
import { build } from 'esbuild';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * hdr-histogram-js loads its WebAssembly build (a base64 module, its loader) and pako (a zlib in
 * JavaScript for browsers) whatever it is asked for. The tool builds and decodes JavaScript
 * histograms only (never `useWebAssembly`), and on Node the library inflates with node:zlib, so
 * the bundle replaces both with stand-ins that fail loudly if ever called. The library entry
 * (dist/index.js) keeps the real modules.
 */
const HDR_STANDINS = {
  name: 'hdr-histogram-js-standins',
  setup(b) {
    b.onResolve({ filter: /^pako$/ }, () => ({ path: 'pako', namespace: 'standin' }));
    b.onResolve({ filter: /^\.\/wasm$|^\.\.\/wasm$/ }, (a) => (a.resolveDir.includes(join('node_modules', 'hdr-histogram-js')) ? { path: 'hdr-wasm', namespace: 'standin' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'standin' }, (a) => ({
      loader: 'js',
      contents:
        a.path === 'pako'
          ? "const no = () => { throw new Error('pako is not in the pool-advisor bundle: node:zlib is used'); };\nmodule.exports = { inflate: no, deflate: no };\n"
          : "const no = () => { throw new Error('the WebAssembly histograms are not in the pool-advisor bundle'); };\nclass WasmHistogram { static build() { no(); } static decode() { no(); } }\nmodule.exports = { WasmHistogram, webAssemblyAvailable: false, webAssemblyReady: () => false, initWebAssembly: async () => no(), initWebAssemblySync: no };\n",
    }));
  },
};
const OUT = join(ROOT, 'dist', 'bundle');

rmSync(OUT, { recursive: true, force: true });
const result = await build({
  entryPoints: { cli: join(ROOT, 'dist', 'cli.js') },
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: 'esm',
  // .mjs: Node knows each chunk is ESM from its name; a .js file makes it look for the nearest
  // package.json's "type" (dist/bundle/, dist/, the root) for every chunk a command loads.
  outExtension: { '.js': '.mjs' },
  platform: 'node',
  target: 'node20',
  // The CommonJS dependencies (pg, prom-client, cli-table3, hdr-histogram-js) call require().
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  // pg loads its optional native binding only when asked for it.
  external: ['pg-native'],
  minifyWhitespace: process.argv.includes('--minify'),
  logLevel: 'warning',
  metafile: true,
  plugins: [HDR_STANDINS],
});
// What each chunk imports: test/cli/bundle.test.ts checks that no command loads what it does not use.
writeFileSync(join(OUT, 'meta.json'), JSON.stringify(result.metafile));
