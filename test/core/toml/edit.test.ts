import { describe, expect, it } from 'vitest';
import { parse } from 'smol-toml';
import { editToml, formatKeyPath, type TomlEdit } from '../../../src/core/toml/edit.js';
import { UsageError } from '../../../src/core/errors.js';

const POOL = ['common', 'database', 'pool'];
const set = (key: string, value: number, table: string[] = POOL): TomlEdit => ({ table, key, value });

describe('editToml: surgical edits', () => {
  const cases: Array<{ name: string; before: string; edits: TomlEdit[]; after: string; actions: string[] }> = [
    {
      name: 'replaces only the value text',
      before: '[common.database.pool]\nmax_connections = 30\nmin_connections = 2\n',
      edits: [set('max_connections', 40)],
      after: '[common.database.pool]\nmax_connections = 40\nmin_connections = 2\n',
      actions: ['updated'],
    },
    {
      name: 'keeps a trailing comment and odd spacing on the line',
      before: '[common.database.pool]\n  max_connections\t=   30   # budget: 10 services x 30\n',
      edits: [set('max_connections', 125)],
      after: '[common.database.pool]\n  max_connections\t=   125   # budget: 10 services x 30\n',
      actions: ['updated'],
    },
    {
      name: 'keeps a quoted key as written',
      before: '[common.database.pool]\n"max_connections" = 30\n',
      edits: [set('max_connections', 31)],
      after: '[common.database.pool]\n"max_connections" = 31\n',
      actions: ['updated'],
    },
    {
      name: 'a value already equal (even written 3_0) is left alone',
      before: '[common.database.pool]\nmax_connections = 3_0\n',
      edits: [set('max_connections', 30)],
      after: '[common.database.pool]\nmax_connections = 3_0\n',
      actions: ['unchanged'],
    },
    {
      name: 'a missing key goes after the last assignment of its table, before comments of the next',
      before: '[common.database.pool]\n# why 30\nmax_connections = 30\n\n# PGMQ next\n[common.pgmq_database.pool]\nmax_connections = 10\n',
      edits: [set('min_connections', 5)],
      after: '[common.database.pool]\n# why 30\nmax_connections = 30\nmin_connections = 5\n\n# PGMQ next\n[common.pgmq_database.pool]\nmax_connections = 10\n',
      actions: ['inserted'],
    },
    {
      name: 'an inserted key copies the indentation and = spacing of the key before it',
      before: '[common.database.pool]\n    max_connections=30\n',
      edits: [set('min_connections', 5)],
      after: '[common.database.pool]\n    max_connections=30\n    min_connections=5\n',
      actions: ['inserted'],
    },
    {
      name: 'CRLF documents get CRLF lines',
      before: '# c\r\n[common.database.pool]\r\nmax_connections = 30\r\n\r\n[x]\r\ny = 1\r\n',
      edits: [set('min_connections', 5)],
      after: '# c\r\n[common.database.pool]\r\nmax_connections = 30\r\nmin_connections = 5\r\n\r\n[x]\r\ny = 1\r\n',
      actions: ['inserted'],
    },
    {
      name: 'a last line without a newline stays without one',
      before: '[common.database.pool]\nmax_connections = 30',
      edits: [set('min_connections', 5)],
      after: '[common.database.pool]\nmax_connections = 30\nmin_connections = 5',
      actions: ['inserted'],
    },
    {
      name: 'an empty table section gets the key right after its header',
      before: '[common.database.pool]\n\n[other]\na = 1\n',
      edits: [set('max_connections', 40)],
      after: '[common.database.pool]\nmax_connections = 40\n\n[other]\na = 1\n',
      actions: ['inserted'],
    },
    {
      name: 'a table made by dotted keys gets a dotted key in the same section',
      before: '[common.database]\nurl = "x"\npool.max_connections = 30\n\n[y]\n',
      edits: [set('min_connections', 2)],
      after: '[common.database]\nurl = "x"\npool.max_connections = 30\npool.min_connections = 2\n\n[y]\n',
      actions: ['inserted'],
    },
    {
      name: 'a missing table is appended after one blank line',
      before: '# Development overrides\n\n[common.execution]\nenvironment = "development"\n',
      edits: [set('max_connections', 20, ['common', 'pgmq_database', 'pool'])],
      after: '# Development overrides\n\n[common.execution]\nenvironment = "development"\n\n[common.pgmq_database.pool]\nmax_connections = 20\n',
      actions: ['appended'],
    },
    {
      name: 'no second blank line when the document already ends with one',
      before: '[a]\nb = 1\n\n',
      edits: [set('max_connections', 20)],
      after: '[a]\nb = 1\n\n[common.database.pool]\nmax_connections = 20\n',
      actions: ['appended'],
    },
    {
      name: 'a document without a final newline',
      before: '[a]\nb = 1',
      edits: [set('max_connections', 20)],
      // The layout is kept: still no final newline.
      after: '[a]\nb = 1\n\n[common.database.pool]\nmax_connections = 20',
      actions: ['appended'],
    },
    {
      name: 'an empty document',
      before: '',
      edits: [set('max_connections', 20)],
      after: '[common.database.pool]\nmax_connections = 20\n',
      actions: ['appended'],
    },
    {
      name: 'a table that exists only through a deeper header is appended (TOML allows it)',
      before: '[common.database.pool._docs.max_connections]\ndescription = "d"\n',
      edits: [set('max_connections', 20)],
      after: '[common.database.pool._docs.max_connections]\ndescription = "d"\n\n[common.database.pool]\nmax_connections = 20\n',
      actions: ['appended'],
    },
    {
      name: 'several edits: an appended table collects its keys in order',
      before: '[a]\nb = 1\n',
      edits: [set('max_connections', 20), set('min_connections', 2), set('b', 7, ['a'])],
      after: '[a]\nb = 7\n\n[common.database.pool]\nmax_connections = 20\nmin_connections = 2\n',
      actions: ['appended', 'inserted', 'updated'],
    },
    {
      name: 'text that looks like keys inside strings and multi-line values is not touched',
      before: '[common.database.pool]\nnote = """\nmax_connections = 1\n[common.database.pool]\n"""\nlist = [\n  1, # max_connections = 2\n  2,\n]\nmax_connections = 30 # "quoted # comment"\n',
      edits: [set('max_connections', 31), set('min_connections', 1)],
      after: '[common.database.pool]\nnote = """\nmax_connections = 1\n[common.database.pool]\n"""\nlist = [\n  1, # max_connections = 2\n  2,\n]\nmax_connections = 31 # "quoted # comment"\nmin_connections = 1\n',
      actions: ['updated', 'inserted'],
    },
    {
      name: 'a string value (wrong type) is replaced by the integer, the comment kept',
      before: '[common.database.pool]\nmax_connections = "30" # was a string\n',
      edits: [set('max_connections', 30)],
      after: '[common.database.pool]\nmax_connections = 30 # was a string\n',
      actions: ['updated'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = editToml(c.before, c.edits);
      expect(r.text).toBe(c.after);
      expect(r.applied.map((a) => a.action)).toEqual(c.actions);
      const parsed = parse(r.text) as Record<string, any>;
      for (const e of c.edits) expect(e.table.reduce((t, k) => t[k], parsed)[e.key]).toBe(e.value);
    });
  }

  it('reports the line of each key in the new text and the previous value text', () => {
    const r = editToml('# x\n[common.database.pool]\nmax_connections = 0x1E\n', [set('max_connections', 40), set('min_connections', 4)]);
    expect(r.applied.map((a) => [a.line, a.previous])).toEqual([
      [3, '0x1E'],
      [4, undefined],
    ]);
  });

  const refusals: Array<{ name: string; before: string; message: RegExp }> = [
    { name: 'an inline table', before: '[common.database]\npool = { max_connections = 30 }\n', message: /doc:2: cannot set \[common\.database\.pool\] max_connections: 'common\.database\.pool' is written as a value/ },
    { name: 'a key that is a table', before: '[common.database.pool.max_connections]\na = 1\n', message: /it is a table in this file/ },
    { name: 'an array of tables on the way', before: '[[common.database]]\nurl = "x"\n', message: /array of tables \[\[common\.database\]\]/ },
    { name: 'invalid TOML', before: '[common.database.pool\n', message: /^doc: invalid TOML/ },
  ];
  for (const c of refusals) {
    it(`refuses ${c.name} with a UsageError naming the file`, () => {
      expect(() => editToml(c.before, [set('max_connections', 40)], 'doc')).toThrow(UsageError);
      expect(() => editToml(c.before, [set('max_connections', 40)], 'doc')).toThrow(c.message);
    });
  }

  it('formatKeyPath quotes segments that are not bare keys', () => {
    expect(formatKeyPath(['common', 'database', 'pool'])).toBe('common.database.pool');
    expect(formatKeyPath(['a b', 'c.d', 'e'])).toBe('"a b"."c.d".e');
  });
});
