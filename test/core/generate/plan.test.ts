import { describe, expect, it } from 'vitest';
import { buildModel, type ConfigSources } from '../../../src/core/config/model.js';
import { checkMerged, newFileHeader, planGenerate, selectEnvs } from '../../../src/core/generate/plan.js';
import { mergeSettings, settingsFromFlags, settingsFromRun, type Setting } from '../../../src/core/generate/settings.js';

/** One `--set` of generate as a setting. */
const parseSet = (flag: string): Setting => settingsFromFlags([flag])[0]!;
import { UsageError } from '../../../src/core/errors.js';

describe('settingsFromRun', () => {
  it('reads {env, pool, key, to}, maps setting names to TOML keys, skips advice without a value', () => {
    const r = settingsFromRun(
      {
        recommendations: [
          { env: 'test', pool: 'database', key: 'max_connections', from: 30, to: 40 },
          { env: 'test', pool: 'orchestration_web', key: 'min_connections', to: 6 },
          { env: 'test', pool: 'orchestration_web', key: 'max_lifetime_seconds', to: 900 },
          { env: 'test', pool: 'database', key: 'idle_timeout_seconds', why: 'advice only' },
        ],
      },
      'run.json',
    );
    expect(r.settings.map((s) => [s.env, s.pool, s.key, s.value, s.source])).toEqual([
      ['test', 'database', 'max_connections', 40, 'run.json: recommendations[0]'],
      ['test', 'orchestration_web', 'web_api_pool_size', 12, 'run.json: recommendations[1]'],
    ]);
    expect(r.skipped).toEqual([
      'run.json: recommendations[2]: [orchestration.web.database_pools] has no key for max_lifetime_seconds, skipped',
      "run.json: recommendations[3]: no numeric 'to' (advice only), skipped",
    ]);
  });
  it('refuses a file without recommendations, and out-of-range values', () => {
    expect(() => settingsFromRun({ environments: [] }, 'run.json')).toThrow("run.json: has no 'recommendations' array");
    expect(() => settingsFromRun({ recommendations: [{ env: 'test', pool: 'database', key: 'max_connections', to: 5000 }] }, 'run.json')).toThrow(
      "run.json: recommendations[0]: 5000 is outside Tasker's range 1-1000",
    );
  });
});

describe('mergeSettings and selectEnvs', () => {
  const a = parseSet('test.database.max_connections=40');
  const b = parseSet('test.database.max_connections=41');
  const c = parseSet('production.database.max_connections=50');
  it('a later setting of the same key wins', () => expect(mergeSettings([a, c], [b]).map((s) => s.value)).toEqual([50, 41]));
  it('--env keeps its environments and reports the rest', () => {
    expect(selectEnvs([a, c], ['test'], ['test', 'production'])).toEqual({ settings: [a], skipped: [c] });
    expect(selectEnvs([a, c], undefined, [])).toEqual({ settings: [a, c], skipped: [] });
  });
  it('--env with a name that matches nothing is refused', () => {
    expect(() => selectEnvs([a], ['prodution'], ['test', 'production'])).toThrow("--env 'prodution': no such environment and no setting for it; choose one of: test, production");
  });
});

const SOURCES: ConfigSources = {
  dir: 'cfg',
  base: [
    {
      rel: 'base/common.toml',
      display: 'cfg/base/common.toml',
      text: '[common.database]\nurl = "postgresql://localhost/x"\n\n[common.database.pool]\nmax_connections = 25\nmin_connections = 5\n\n[common.pgmq_database]\nurl = ""\n\n[common.pgmq_database.pool]\nmax_connections = 15\n',
    },
    { rel: 'base/orchestration.toml', display: 'cfg/base/orchestration.toml', text: '[orchestration.web.database_pools]\nweb_api_pool_size = 20\nweb_api_max_connections = 30\n' },
  ],
  environments: {
    test: [{ rel: 'environments/test/common.toml', display: 'cfg/environments/test/common.toml', text: '# Test\n[common.database.pool]\nmax_connections = 30 # CI budget\n' }],
  },
};

describe('planGenerate', () => {
  it('edits the existing file surgically and reports from/to/line', () => {
    const plan = planGenerate(SOURCES, [parseSet('test.database.max_connections=40')], {});
    expect(plan.files).toHaveLength(1);
    expect(plan.files[0]!.after).toBe('# Test\n[common.database.pool]\nmax_connections = 40 # CI budget\n');
    expect(plan.files[0]!.changes).toEqual([{ env: 'test', pool: 'database', table: 'common.database.pool', key: 'max_connections', from: 30, to: 40, action: 'updated', line: 3 }]);
    expect(plan.unchanged).toEqual([]);
  });

  it('creates a context file, and a new environment with a header comment', () => {
    const plan = planGenerate(SOURCES, [parseSet('test.orchestration_web.web_api_max_connections=35'), parseSet('staging.database.max_connections=12')], {});
    expect(plan.files.map((f) => [f.rel, f.before, f.createsEnv])).toEqual([
      ['environments/test/orchestration.toml', undefined, false],
      ['environments/staging/common.toml', undefined, true],
    ]);
    expect(plan.files[1]!.after).toBe(`${newFileHeader('staging', 'common')}\n[common.database.pool]\nmax_connections = 12\n`);
    expect(plan.files[1]!.display).toBe('cfg/environments/staging/common.toml');
    const staging = plan.after.environments.find((e) => e.name === 'staging')!;
    expect(staging.pools.database.settings.max_connections).toBe(12);
    expect(staging.pools.database.settings.min_connections).toBe(5);
  });

  it('a value the environment already has is unchanged, and writes nothing', () => {
    const plan = planGenerate(SOURCES, [parseSet('test.database.max_connections=30'), parseSet('test.database.min_connections=5')], {});
    expect(plan.files).toEqual([]);
    expect(plan.unchanged.map((u) => [u.setting.key, u.origin?.rel])).toEqual([
      ['max_connections', 'environments/test/common.toml'],
      ['min_connections', 'base/common.toml'],
    ]);
  });

  it('keys of a new table come in Tasker order whatever the flag order', () => {
    const plan = planGenerate(SOURCES, [parseSet('test.pgmq.min_connections=2'), parseSet('test.pgmq.max_connections=20')], {});
    expect(plan.files[0]!.after).toBe('# Test\n[common.database.pool]\nmax_connections = 30 # CI budget\n\n[common.pgmq_database.pool]\nmax_connections = 20\nmin_connections = 2\n');
    expect(plan.warnings).toEqual([expect.stringContaining("[common.pgmq_database.pool] keys are inert in 'test'")]);
  });

  it('refuses values that would make the config invalid (min above max)', () => {
    expect(() => planGenerate(SOURCES, [parseSet('test.database.min_connections=50')], {})).toThrow(
      'the new values would make the config invalid: cfg/environments/test/common.toml:4: [common.database.pool] min_connections = 50 is above max_connections = 30',
    );
  });

  it('checkMerged names the first difference between two configs', () => {
    const settings = [parseSet('test.database.max_connections=40')];
    const before = buildModel(SOURCES, {});
    expect(checkMerged(before, before, settings)).toBe('test: common.database.pool.max_connections: expected 40, found 30');
    const plan = planGenerate(SOURCES, settings, {});
    expect(checkMerged(plan.before, plan.after, settings)).toBeUndefined();
  });
});
