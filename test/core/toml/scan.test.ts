import { describe, expect, it } from 'vitest';
import { findKey, locate, scanToml } from '../../../src/core/toml/scan.js';

const DOC = [
  '# Tasker',
  '[common.database]',
  'url = "postgresql://x/y" # main',
  '',
  '[common.database.pool]',
  'max_connections = 30 # CI budget',
  '"min_connections" = 5',
  'inline = { a = 1, b = "}" }',
  "text = '''",
  'max_connections = 99',
  "'''",
  '',
  '[[common.hooks]]',
  'name = "a"',
].join('\n');

describe('the TOML position scanner', () => {
  const scan = scanToml(DOC);

  it('finds every assignment with its full path, line and column, and where its value text is', () => {
    const k = findKey(scan, ['common', 'database', 'pool', 'max_connections'])!;
    expect([k.line, k.column]).toEqual([6, 1]);
    expect(DOC.slice(k.valueStart, k.valueEnd)).toBe('30');
    expect(DOC.slice(k.lineStart, k.lineEnd)).toBe('max_connections = 30 # CI budget\n');
    // A quoted key is the same key; a string's text is not an assignment.
    expect(DOC.slice(findKey(scan, ['common', 'database', 'pool', 'min_connections'])!.valueStart, findKey(scan, ['common', 'database', 'pool', 'min_connections'])!.valueEnd)).toBe('5');
    expect(scan.keys.filter((x) => x.path.at(-1) === 'max_connections')).toHaveLength(1);
  });

  it('takes an inline table and a multi-line string as one value each', () => {
    const inline = findKey(scan, ['common', 'database', 'pool', 'inline'])!;
    expect(DOC.slice(inline.valueStart, inline.valueEnd)).toBe('{ a = 1, b = "}" }');
    const text = findKey(scan, ['common', 'database', 'pool', 'text'])!;
    expect(DOC.slice(text.valueStart, text.valueEnd)).toBe("'''\nmax_connections = 99\n'''");
  });

  it('records table headers, arrays of tables, and the line ending', () => {
    expect(scan.tables.map((t) => [t.path.join('.'), t.line, t.array])).toEqual([
      ['common.database', 2, false],
      ['common.database.pool', 5, false],
      ['common.hooks', 13, true],
    ]);
    expect(scan.eol).toBe('\n');
    expect(scanToml('a = 1\r\nb = 2\r\n').eol).toBe('\r\n');
  });

  it('locates a path at its key, else at the nearest table header', () => {
    expect(locate(scan, ['common', 'database', 'url'])).toEqual({ line: 3, column: 1 });
    expect(locate(scan, ['common', 'database', 'pool', 'idle_timeout_seconds'])).toEqual({ line: 5, column: 1 });
    expect(locate(scan, ['nowhere'])).toBeUndefined();
  });
});
