import { describe, expect, it } from 'vitest';
import { deepMerge, stripDocs, substitute, buildModel, type Table } from '../../../src/core/config/model.js';

describe('deepMerge (Tasker semantics)', () => {
  const cases: Array<{ name: string; base: Table; over: Table; want: Table }> = [
    { name: 'tables merge recursively', base: { a: { b: 1, c: 2 } }, over: { a: { c: 3 } }, want: { a: { b: 1, c: 3 } } },
    { name: 'scalars are replaced', base: { a: 1 }, over: { a: 2 }, want: { a: 2 } },
    { name: 'arrays are replaced, not concatenated', base: { a: [1, 2, 3] }, over: { a: [9] }, want: { a: [9] } },
    { name: 'new keys are added', base: { a: 1 }, over: { b: 2 }, want: { a: 1, b: 2 } },
    { name: 'a table replaces a scalar', base: { a: 1 }, over: { a: { x: 1 } }, want: { a: { x: 1 } } },
    { name: 'deep nesting', base: { a: { b: { c: { d: 1, e: 2 } } } }, over: { a: { b: { c: { e: 5 } } } }, want: { a: { b: { c: { d: 1, e: 5 } } } } },
  ];
  for (const c of cases) it(c.name, () => expect(deepMerge(c.base, c.over)).toEqual(c.want));
});

describe('stripDocs', () => {
  it('drops _docs subtables at any depth and keeps the rest', () => {
    expect(stripDocs({ pool: { max: 1, _docs: { max: { description: 'x' } } }, a_docs: 1, b: { c_docs: { d: 1 }, e: 2 } })).toEqual({
      pool: { max: 1 },
      b: { e: 2 },
    });
  });
});

describe('substitute', () => {
  const env = { SET: 'value', EMPTY: '' };
  const cases: Array<[string, string]> = [
    ['${SET}', 'value'],
    ['${UNSET}', '${UNSET}'],
    ['${UNSET:-fallback}', 'fallback'],
    ['${EMPTY:-fallback}', 'fallback'],
    ['${SET:-fallback}', 'value'],
    ['${UNSET:-}', ''],
    ['pre-${SET}-post', 'pre-value-post'],
    ['${UNSET:-postgresql://u:p@h/db}', 'postgresql://u:p@h/db'],
    ['two ${SET} ${SET}', 'two value value'],
    ['no vars', 'no vars'],
  ];
  for (const [input, want] of cases) it(`${input} -> ${want}`, () => expect(substitute(input, env)).toBe(want));
});

describe('buildModel', () => {
  const base = {
    rel: 'base/common.toml',
    display: 'base/common.toml',
    text: `[common.database]\nurl = "\${DATABASE_URL:-postgresql://localhost/x}"\n[common.database.pool]\nmax_connections = 25\nmin_connections = 5\n[common.database.pool._docs.max_connections]\ndescription = "d"\n[common.pgmq_database]\nurl = "\${PGMQ_DATABASE_URL:-}"\n[common.pgmq_database.pool]\nmax_connections = 15\n`,
  };
  const env = { rel: 'environments/prod/common.toml', display: 'environments/prod/common.toml', text: `[common.database.pool]\nmax_connections = 50\n` };

  it('merges an environment over base with origins', () => {
    const m = buildModel({ dir: 'd', base: [base], environments: { prod: [env] } }, {});
    const p = m.environments[0]!.pools.database;
    expect(p.settings.max_connections).toBe(50);
    expect(p.raw.max_connections).toMatchObject({ value: 50, overridden: true, origin: { rel: 'environments/prod/common.toml', line: 2 } });
    expect(p.raw.min_connections).toMatchObject({ value: 5, overridden: false, origin: { rel: 'base/common.toml', line: 5 } });
    expect(m.environments[0]!.merged).not.toHaveProperty(['common', 'database', 'pool', '_docs']);
  });

  it('pgmq shares the main pool when its url is empty, and not when it differs', () => {
    const shared = buildModel({ dir: 'd', base: [base], environments: { prod: [env] } }, {});
    expect(shared.environments[0]!.pools.pgmq).toMatchObject({ active: false, sharesDatabasePool: true });
    const sep = buildModel({ dir: 'd', base: [base], environments: { prod: [env] } }, { PGMQ_DATABASE_URL: 'postgresql://localhost/q' });
    expect(sep.environments[0]!.pools.pgmq).toMatchObject({ active: true, sharesDatabasePool: false, url: 'postgresql://localhost/q' });
    const same = buildModel({ dir: 'd', base: [base], environments: { prod: [env] } }, { PGMQ_DATABASE_URL: 'postgresql://localhost/x' });
    expect(same.environments[0]!.pools.pgmq.sharesDatabasePool).toBe(true);
  });

  it('web pools: min is half the pool size, lifetime is sqlx default', () => {
    const orch = {
      rel: 'base/orchestration.toml',
      display: 'base/orchestration.toml',
      text: `[orchestration.web.database_pools]\nweb_api_pool_size = 21\nweb_api_max_connections = 30\nweb_api_connection_timeout_seconds = 30\nweb_api_idle_timeout_seconds = 600\nmax_total_connections_hint = 50\n`,
    };
    const m = buildModel({ dir: 'd', base: [base, orch], environments: { prod: [env] } }, {});
    expect(m.environments[0]!.pools.orchestration_web.settings).toEqual({
      max_connections: 30,
      min_connections: 10,
      acquire_timeout_seconds: 30,
      idle_timeout_seconds: 600,
      max_lifetime_seconds: 1800,
      slow_acquire_threshold_ms: 100,
    });
    expect(m.environments[0]!.pools.orchestration_web.raw.max_total_connections_hint?.value).toBe(50);
  });

  it('reports TOML syntax errors with file:line:col', () => {
    const bad = { rel: 'environments/prod/common.toml', display: 'environments/prod/common.toml', text: `[common.database.pool]\nmax_connections = = 3\n` };
    expect(() => buildModel({ dir: 'd', base: [base], environments: { prod: [bad] } }, {})).toThrow(/^environments\/prod\/common\.toml:2:\d+: invalid TOML/);
  });
});
