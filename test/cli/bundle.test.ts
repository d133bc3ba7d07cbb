import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';

/** esbuild's metafile of the CLI bundle (scripts/bundle.mjs, run by `npm run build`). */
interface Meta {
  outputs: Record<string, { entryPoint?: string; imports: Array<{ path: string; kind: string }>; inputs: Record<string, unknown> }>;
}

const meta = JSON.parse(readFileSync(join(ROOT, 'dist', 'bundle', 'meta.json'), 'utf8')) as Meta;

/** Every source module a chunk loads before it runs: its own and those of the chunks it imports statically. */
function loadedWith(entryPoint: string): string[] {
  const start = Object.keys(meta.outputs).find((o) => meta.outputs[o]!.entryPoint === entryPoint);
  if (!start) throw new Error(`no chunk for ${entryPoint}`);
  const seen = new Set<string>();
  const todo = [start];
  while (todo.length > 0) {
    const o = todo.pop()!;
    if (seen.has(o) || !meta.outputs[o]) continue;
    seen.add(o);
    for (const i of meta.outputs[o]!.imports) if (i.kind === 'import-statement') todo.push(i.path);
  }
  return [...seen].flatMap((o) => Object.keys(meta.outputs[o]!.inputs));
}

const has = (inputs: string[], pkg: string): boolean => inputs.some((i) => i.startsWith(`node_modules/${pkg}/`));

describe('the CLI bundle loads what a command needs when it runs', () => {
  it('starts with the command tree and commander only', () => {
    const start = loadedWith('dist/cli.js');
    expect(has(start, 'commander')).toBe(true);
    for (const pkg of ['pg', 'pg-pool', 'prom-client', 'hdr-histogram-js', 'cli-table3', 'chalk', 'smol-toml']) expect(has(start, pkg), pkg).toBe(false);
    expect(start.filter((i) => i.startsWith('dist/shell/commands/'))).toEqual(['dist/shell/commands/tree.js']);
  });

  it.each([
    ['dist/shell/commands/recommend.js', ['pg', 'pg-pool', 'prom-client']],
    ['dist/shell/commands/check.js', ['pg', 'pg-pool', 'prom-client']],
    ['dist/shell/commands/compare.js', ['pg', 'pg-pool', 'prom-client']],
    ['dist/shell/commands/config.js', ['pg', 'pg-pool', 'prom-client', 'hdr-histogram-js']],
    ['dist/shell/commands/generate.js', ['pg', 'pg-pool', 'prom-client']],
    ['dist/shell/commands/alerts.js', ['pg', 'pg-pool', 'prom-client']],
  ])('%s loads none of %j before it runs', (entry, absent) => {
    const inputs = loadedWith(entry);
    for (const pkg of absent) expect(has(inputs, pkg), pkg).toBe(false);
  });

  it('analyze loads pg and the metrics server with its chunk', () => {
    const inputs = loadedWith('dist/shell/commands/analyze.js');
    expect(has(inputs, 'pg')).toBe(true);
    expect(has(inputs, 'prom-client')).toBe(true);
  });

  it('the bundled CLI runs a command from its lazy chunk', () => {
    const r = runCli(['config', 'lint', '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).schemaVersion).toBe(1);
  });
});
