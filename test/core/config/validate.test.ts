import { describe, expect, it } from 'vitest';
import { buildModel, parseFile } from '../../../src/core/config/model.js';
import { validateModel, formatIssue, suggest } from '../../../src/core/config/validate.js';

const BASE = `[common.database]
url = "postgresql://localhost/x"

[common.database.pool]
max_connections = 25
min_connections = 5
acquire_timeout_seconds = 10
idle_timeout_seconds = 300
max_lifetime_seconds = 1800
slow_acquire_threshold_ms = 100

[common.database.pool._docs.max_connections]
description = "documentation, never an unknown key"

[common.pgmq_database]
url = ""

[common.pgmq_database.pool]
max_connections = 15
`;

function lint(envText: string, base = BASE) {
  const m = buildModel(
    {
      dir: 'cfg',
      base: [{ rel: 'base/common.toml', display: 'cfg/base/common.toml', text: base }],
      environments: { prod: [{ rel: 'environments/prod/common.toml', display: 'cfg/environments/prod/common.toml', text: envText }] },
    },
    {},
  );
  return validateModel(m);
}

describe('validateModel', () => {
  const cases: Array<{ name: string; env: string; want: Array<{ severity: string; code: string; line: string }> }> = [
    { name: 'clean', env: '', want: [{ severity: 'warning', code: 'inert-settings', line: "cfg/base/common.toml:19: [common.pgmq_database.pool] keys are inert in 'prod': [common.pgmq_database].url is empty, so PGMQ uses the database pool" }] },
    {
      name: 'typo with suggestion',
      env: '[common.database.pool]\nmax_connection = 40\n',
      want: [{ severity: 'error', code: 'unknown-key', line: "cfg/environments/prod/common.toml:2: unknown key 'max_connection' in [common.database.pool]; did you mean 'max_connections'?" }],
    },
    {
      name: 'unknown key with no close match lists the known keys',
      env: '[common.database.pool]\nfoo = 1\n',
      want: [{ severity: 'error', code: 'unknown-key', line: "cfg/environments/prod/common.toml:2: unknown key 'foo' in [common.database.pool]; known keys: max_connections, min_connections, acquire_timeout_seconds, idle_timeout_seconds, max_lifetime_seconds, slow_acquire_threshold_ms" }],
    },
    {
      name: 'out of range',
      env: '[common.database.pool]\nmax_connections = 0\n',
      want: [{ severity: 'error', code: 'out-of-range', line: "cfg/environments/prod/common.toml:2: [common.database.pool] max_connections = 0 is outside Tasker's range 1-1000" }],
    },
    {
      name: 'lifetime below the 60 s floor',
      env: '[common.database.pool]\nmax_lifetime_seconds = 30\n',
      want: [
        { severity: 'error', code: 'out-of-range', line: "cfg/environments/prod/common.toml:2: [common.database.pool] max_lifetime_seconds = 30 is outside Tasker's range 60-86400" },
        { severity: 'warning', code: 'lifetime-below-idle', line: 'cfg/environments/prod/common.toml:2: [common.database.pool] max_lifetime_seconds = 30 is shorter than idle_timeout_seconds = 300: connections expire before they can idle out, so the idle timeout does nothing' },
      ],
    },
    {
      name: 'wrong type',
      env: '[common.database.pool]\nmax_connections = "40"\n',
      want: [{ severity: 'error', code: 'wrong-type', line: 'cfg/environments/prod/common.toml:2: [common.database.pool] max_connections must be an integer, got the string "40"' }],
    },
    {
      name: 'float is the wrong type',
      env: '[common.database.pool]\nmin_connections = 2.5\n',
      want: [{ severity: 'error', code: 'wrong-type', line: 'cfg/environments/prod/common.toml:2: [common.database.pool] min_connections must be an integer, got 2.5' }],
    },
    {
      name: 'min above max',
      env: '[common.database.pool]\nmin_connections = 30\n',
      want: [{ severity: 'error', code: 'min-above-max', line: 'cfg/environments/prod/common.toml:2: [common.database.pool] min_connections = 30 is above max_connections = 25 (Tasker does not check this; the pool can never hold min)' }],
    },
    {
      name: 'lifetime shorter than idle timeout is a warning',
      env: '[common.database.pool]\nidle_timeout_seconds = 3600\n',
      want: [{ severity: 'warning', code: 'lifetime-below-idle', line: 'cfg/base/common.toml:9: [common.database.pool] max_lifetime_seconds = 1800 is shorter than idle_timeout_seconds = 3600: connections expire before they can idle out, so the idle timeout does nothing' }],
    },
    {
      name: '_docs subtables in an environment file are not unknown keys',
      env: '[common.database.pool._docs.min_connections]\ndescription = "x"\n',
      want: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = lint(c.env)
        .filter((i) => i.code !== 'inert-settings' || c.name === 'clean')
        .map((i) => ({ severity: i.severity, code: i.code, line: formatIssue(i) }));
      expect(got).toEqual(c.want);
    });
  }

  it('pgmq keys are not inert when pgmq has its own url', () => {
    const issues = lint('[common.pgmq_database]\nurl = "postgresql://other/q"\n');
    expect(issues.filter((i) => i.code === 'inert-settings')).toEqual([]);
  });
});

describe('suggest', () => {
  const cases: Array<[string, string | undefined]> = [
    ['max_connection', 'max_connections'],
    ['min_conections', 'min_connections'],
    ['idle_timeout', 'idle_timeout_seconds'],
    ['zzz', undefined],
  ];
  const known = ['max_connections', 'min_connections', 'acquire_timeout_seconds', 'idle_timeout_seconds', 'max_lifetime_seconds', 'slow_acquire_threshold_ms'];
  for (const [w, want] of cases) it(`${w} -> ${want}`, () => expect(suggest(w, known)).toBe(want));
});

describe('parseFile, the nesting guard', () => {
  const file = (text: string) => ({ rel: 'base/deep.toml', display: 'cfg/base/deep.toml', text });
  const header = (n: number, body = 'k = 1\n') => `[${Array(n).fill('t').join('.')}]\n${body}`;
  const arrays = (n: number) => `x = ${'['.repeat(n)}1${']'.repeat(n)}\n`;

  it('takes 64 levels (a value counts one below its table or array) and refuses 65 with the line', () => {
    expect(() => parseFile(file(header(63)))).not.toThrow();
    expect(() => parseFile(file(header(64, '')))).not.toThrow();
    expect(() => parseFile(file(`a = 1\n${header(64)}`))).toThrow('cfg/base/deep.toml:3: tables nested 65 levels deep');
    expect(() => parseFile(file(`a = 1\n${header(65, '')}`))).toThrow('cfg/base/deep.toml:2: tables nested 65 levels deep');
    expect(() => parseFile(file(arrays(63)))).not.toThrow();
    expect(() => parseFile(file(arrays(64)))).toThrow('tables nested 65 levels deep');
    // Dates and empty tables or arrays are values like any other.
    expect(() => parseFile(file(`${header(62, '')}x = [1979-05-27, {}, []]\n`))).not.toThrow();
    expect(() => parseFile(file(`${header(63, '')}x = [{}]\n`))).toThrow('tables nested 65 levels deep');
  });
});
