import { describe, expect, it } from 'vitest';
import { evidenceFromRun } from '../../../src/core/evidence/fromRun.js';
import { parse as parseToml } from 'smol-toml';
import { defaultAdvisorConfig } from '../../../src/core/advisor/defaults.js';
import { dateOf, renderAllOverrides, renderOverrides } from '../../../src/core/render/overrides.js';
import { adviceData, formatEvidence, renderAdvice } from '../../../src/core/render/recommendations.js';
import { adviseEvidence } from '../../../src/core/rules/index.js';
import type { EnvironmentAdvice, Recommendation } from '../../../src/core/rules/types.js';
import { syntheticRun, WORKED_EXAMPLE } from '../../helpers/syntheticRun.js';

function rec(over: Partial<Recommendation>): Recommendation {
  return {
    env: 'production',
    pool: 'database',
    table: 'common.database.pool',
    key: 'max_connections',
    setting: 'max_connections',
    from: 5,
    file: 'config/tasker/base/common.toml',
    line: 11,
    to: 8,
    rule: 'pool-saturation',
    evidence: [],
    rationale: '56.6% of acquires waited and the P99 wait 134 ms is over the 10 ms target; Erlang C puts 8 connections at a P99 wait of 8.9 ms.',
    confidence: 'high',
    ...over,
  };
}

const production: EnvironmentAdvice = {
  env: 'production',
  durationS: 60,
  workloads: ['database: open poisson 200/s, hold exponential mean 20 ms, 60 s', 'pgmq: closed 8 callers, think 5 ms, hold constant 5 ms, 60 s'],
  recommendations: [
    rec({}),
    rec({
      key: 'max_lifetime_seconds',
      setting: 'max_lifetime_seconds',
      from: 60,
      line: 15,
      file: 'config/tasker/environments/production/common.toml',
      to: 600,
      rule: 'lifetime-churn',
      rationale: '8 expiries per minute, up to 10 within one second (connections opened together expire together); 600 s brings expiries under 1 per minute.',
      confidence: 'medium',
    }),
    rec({
      pool: 'orchestration_web',
      table: 'orchestration.web.database_pools',
      key: 'web_api_pool_size',
      setting: 'min_connections',
      from: 30,
      file: null,
      line: null,
      to: 18,
      rule: 'idle-surplus',
      rationale: '7 or fewer connections were in use 95% of the time, so min_connections 15 keeps about 8 open for nothing; 9 leaves 2 of headroom.',
      confidence: 'low',
    }),
  ],
  findings: [],
};

const GOLDEN = `# pool-advisor overrides for environment 'production'
# workload: database: open poisson 200/s, hold exponential mean 20 ms, 60 s
# workload: pgmq: closed 8 callers, think 5 ms, hold constant 5 ms, 60 s
# measured: 60 s on 2026-01-02

# in environments/production/common.toml

[common.database.pool]
# pool-saturation (high confidence): 56.6% of acquires waited and the P99 wait 134 ms is over the 10 ms target; Erlang C puts 8 connections at a P99 wait of 8.9 ms.
max_connections = 8  # was 5 (config/tasker/base/common.toml:11)
# lifetime-churn (medium confidence): 8 expiries per minute, up to 10 within one second (connections opened together expire together); 600 s brings expiries under 1 per minute.
max_lifetime_seconds = 600  # was 60 (config/tasker/environments/production/common.toml:15)

# in environments/production/orchestration.toml

[orchestration.web.database_pools]
# idle-surplus (low confidence): 7 or fewer connections were in use 95% of the time, so min_connections 15 keeps about 8 open for nothing; 9 leaves 2 of headroom.
web_api_pool_size = 18  # was 30 (default)
`;

describe('renderOverrides', () => {
  it('renders only the changed keys, per file and table, with reasons (golden)', () => {
    expect(renderOverrides(production, { date: '2026-01-02' })).toBe(GOLDEN);
  });

  it('is valid TOML with the values in Tasker’s tables', () => {
    const doc = parseToml(renderOverrides(production, { date: '2026-01-02' })) as Record<string, any>;
    expect(doc.common.database.pool).toEqual({ max_connections: 8, max_lifetime_seconds: 600 });
    expect(doc.orchestration.web.database_pools).toEqual({ web_api_pool_size: 18 });
  });

  it('says so when nothing changes (golden)', () => {
    const env: EnvironmentAdvice = { env: 'test', durationS: 30, workloads: [], recommendations: [], findings: [] };
    expect(renderOverrides(env, { date: '2026-01-02' })).toBe(
      `# pool-advisor overrides for environment 'test'
# workload: (none recorded)
# measured: 30 s on 2026-01-02
# no changes: no rule found a key to change (see the findings)
`,
    );
  });

  it('keeps a rationale with a newline inside its comment', () => {
    const env: EnvironmentAdvice = { ...production, recommendations: [rec({ rationale: 'line one\nline two' })] };
    const out = renderOverrides(env, { date: 'd' });
    expect(out).toContain('# pool-saturation (high confidence): line one line two\n');
    expect(() => parseToml(out)).not.toThrow();
  });

  it('renders every environment one after another', () => {
    const out = renderAllOverrides([production, { ...production, env: 'test', recommendations: [] }], { date: '2026-01-02' });
    expect(out).toBe(`${GOLDEN}\n# pool-advisor overrides for environment 'test'\n# workload: database: open poisson 200/s, hold exponential mean 20 ms, 60 s\n# workload: pgmq: closed 8 callers, think 5 ms, hold constant 5 ms, 60 s\n# measured: 60 s on 2026-01-02\n# no changes: no rule found a key to change (see the findings)\n`);
  });

  it('dateOf keeps the date of an ISO timestamp', () => {
    expect(dateOf('2026-01-02T03:04:05.000Z')).toBe('2026-01-02');
    expect(dateOf('yesterday')).toBe('yesterday');
  });
});

describe('the worked example end to end', () => {
  const run = syntheticRun([WORKED_EXAMPLE]);
  const { analysis, advice } = adviseEvidence(evidenceFromRun(run), defaultAdvisorConfig());

  it('gives paste-ready overrides raising max_connections to 8', () => {
    const out = renderOverrides(advice.environments[0]!, { date: dateOf(run.createdAt) });
    expect(out).toContain("# pool-advisor overrides for environment 'test'\n# workload: database: open poisson 200/s, hold exponential mean 20 ms, 60 s\n# measured: 60 s on 2026-01-02\n");
    expect(out).toContain('[common.database.pool]\n# pool-saturation (high confidence): ');
    expect(out).toContain('max_connections = 8  # was 5 (config/tasker/base/common.toml:11)\n');
    expect(parseToml(out)).toEqual({ common: { database: { pool: { max_connections: 8 } } } });
  });

  it('the human report has the table, the model, the recommendation and the overrides, without colour when asked', () => {
    const out = renderAdvice(analysis, advice, { color: false });
    expect(out).toContain('Environment test: 60 s measured');
    expect(out).toMatch(/│ database │\s+12000 │/);
    expect(out).toContain('database: Erlang C, 200 acquires/s, mean hold 20 ms');
    expect(out).toContain('smallest size meeting 10 ms: 8');
    expect(out).toContain('database max_connections 5 -> 8  [common.database.pool] · pool-saturation · high confidence · from config/tasker/base/common.toml:11');
    expect(out).toContain('max_connections = 8  # was 5');
    expect(out).not.toMatch(/\u001b\[/);
    expect(renderAdvice(analysis, advice, { color: true })).toMatch(/\u001b\[/);
  });

  it('the JSON form has schemaVersion 1, the analysis, the recommendations and the overrides', () => {
    const data = JSON.parse(JSON.stringify(adviceData(analysis, advice))) as any;
    expect(data.schemaVersion).toBe(1);
    expect(data.environments[0].env).toBe('test');
    expect(data.environments[0].pools[0].acquires).toBe(12000);
    expect(data.recommendations).toHaveLength(1);
    expect(data.recommendations[0]).toMatchObject({ env: 'test', pool: 'database', key: 'max_connections', from: 5, to: 8, rule: 'pool-saturation', file: 'config/tasker/base/common.toml', line: 11 });
    expect(Array.isArray(data.findings)).toBe(true);
    expect(data.environments[0].overrides).toContain('max_connections = 8');
  });
});

describe('formatEvidence', () => {
  it.each([
    [{ name: 'a', label: 'a', value: 80300, unit: 'us' as const }, '80.3 ms'],
    [{ name: 'a', label: 'a', value: 10, unit: 'ms' as const }, '10 ms'],
    [{ name: 'a', label: 'a', value: 1800, unit: 's' as const }, '1800 s'],
    [{ name: 'a', label: 'a', value: 0.5656, unit: 'share' as const }, '56.6%'],
    [{ name: 'a', label: 'a', value: 200, unit: 'per_s' as const }, '200/s'],
    [{ name: 'a', label: 'a', value: 2.5, unit: 'ratio' as const }, 'x2.5'],
    [{ name: 'a', label: 'a', value: null, unit: 'us' as const }, 'n/a'],
    [{ name: 'a', label: 'a', value: Infinity, unit: 'us' as const }, '∞'],
    [{ name: 'a', label: 'a', value: 'erlang-c' }, 'erlang-c'],
  ])('%j -> %s', (e, want) => {
    expect(formatEvidence(e)).toBe(want);
  });
});
