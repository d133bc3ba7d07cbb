import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli.js';
import { ROOT, runCli } from '../helpers/cli.js';

const REGENERATE = 'docs/cli.md is out of date: run `npm run build && node scripts/cli-docs.mjs`';

/** Every command path of the tree: [], ['analyze'], ['config'], ['config', 'show'], ... */
function paths(cmd: Command, path: string[] = []): string[][] {
  return [path, ...cmd.commands.flatMap((c) => paths(c, [...path, c.name()]))];
}

/** The sections of docs/cli.md: `## pool-advisor x y` followed by a ```text block. */
function sections(md: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of md.matchAll(/^## (pool-advisor[^\n]*)\n\n```text\n([\s\S]*?)\n```$/gm)) out.set(m[1]!, m[2]!);
  return out;
}

describe('docs/cli.md', () => {
  const doc = sections(readFileSync(join(ROOT, 'docs', 'cli.md'), 'utf8'));
  const all = paths(buildProgram());

  it('has one section per command of the CLI, in the tree order', () => {
    expect([...doc.keys()], REGENERATE).toEqual(all.map((p) => ['pool-advisor', ...p].join(' ')));
  });

  it.each(all.map((p) => [p.join(' ') || '(root)', p] as const))('the section of %s equals its --help', (_, path) => {
    const r = runCli([...path, '--help']);
    expect(r.status).toBe(0);
    expect(doc.get(['pool-advisor', ...path].join(' ')), REGENERATE).toBe(r.stdout.trimEnd());
  });
});
