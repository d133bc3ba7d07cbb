import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { unifiedDiff } from '../../../src/core/render/diff.js';

const labels = { oldLabel: 'a/f.toml', newLabel: 'b/f.toml' };

/** Apply a unified diff to a text: the check that the hunks are right. */
function applyPatch(text: string, diff: string): string {
  const lines = text.split(/(?<=\n)/).filter((l) => l !== '');
  const out: string[] = [];
  let at = 0;
  const body = diff.split('\n').slice(2);
  for (let i = 0; i < body.length; i++) {
    const h = /^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@$/.exec(body[i]!);
    if (!h) continue;
    const count = h[2] === undefined ? 1 : Number(h[2]);
    const start = count === 0 ? Number(h[1]) : Number(h[1]) - 1;
    while (at < start) out.push(lines[at++]!);
    for (i++; i < body.length && !body[i]!.startsWith('@@'); i++) {
      const l = body[i]!;
      if (l === '') continue;
      const noEol = body[i + 1] === '\\ No newline at end of file';
      const text2 = l.slice(1) + (noEol ? '' : '\n');
      if (l[0] === ' ') {
        out.push(lines[at++]!);
      } else if (l[0] === '-') at++;
      else if (l[0] === '+') out.push(text2);
      if (noEol) i++;
    }
    i--;
  }
  while (at < lines.length) out.push(lines[at++]!);
  return out.join('');
}

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => expect(unifiedDiff('a\n', 'a\n', labels)).toBe(''));

  it('one changed line with three lines of context (golden)', () => {
    const before = ['1', '2', '3', '4', '5', '6', '7', '8', '9'].map((s) => `${s}\n`).join('');
    const after = before.replace('5\n', 'five\n');
    expect(unifiedDiff(before, after, labels)).toBe('--- a/f.toml\n+++ b/f.toml\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n');
  });

  it('a new file', () => {
    expect(unifiedDiff('', 'a\nb\n', { oldLabel: '/dev/null', newLabel: 'b/new.toml' })).toBe('--- /dev/null\n+++ b/new.toml\n@@ -0,0 +1,2 @@\n+a\n+b\n');
  });

  it('appending at the end, and a missing final newline', () => {
    expect(unifiedDiff('a\nb', 'a\nb\nc\n', labels)).toBe('--- a/f.toml\n+++ b/f.toml\n@@ -1,2 +1,3 @@\n a\n-b\n\\ No newline at end of file\n+b\n+c\n');
  });

  it('distant changes make separate hunks, near ones one', () => {
    const before = Array.from({ length: 30 }, (_, i) => `${i}\n`).join('');
    const after = before.replace('2\n', 'two\n').replace('25\n', 'twenty-five\n');
    const d = unifiedDiff(before, after, labels);
    expect(d.match(/^@@/gm)).toHaveLength(2);
    expect(d).toContain('@@ -1,6 +1,6 @@');
    expect(d).toContain('@@ -23,7 +23,7 @@');
    const near = before.replace('2\n', 'two\n').replace('8\n', 'eight\n');
    expect(unifiedDiff(before, near, labels).match(/^@@/gm)).toHaveLength(1);
  });

  it('applying the diff to the old text gives the new text (property)', () => {
    const lines = fc.array(fc.constantFrom('a', 'b', 'c', '', 'x = 1'), { maxLength: 30 });
    fc.assert(
      fc.property(lines, lines, fc.boolean(), (a, b, finalNl) => {
        const oldText = a.map((l) => `${l}\n`).join('');
        const newText = b.join('\n') + (finalNl && b.length > 0 ? '\n' : '');
        const d = unifiedDiff(oldText, newText, labels);
        expect(oldText === newText ? d === '' : applyPatch(oldText, d) === newText).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
