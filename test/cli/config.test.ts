import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, TASKER_FIXTURES } from '../helpers/cli.js';
import { copyExample, makeConfigDir } from '../helpers/configFixture.js';

describe('config show on Tasker\'s real files (test/fixtures/tasker-core)', () => {
  // The table in test/fixtures/tasker-core/README.md: max, min, acquire s, idle s, lifetime s, slow ms.
  const expected: Record<string, { database: number[]; pgmq: number[] }> = {
    development: { database: [25, 5, 10, 300, 1800, 200], pgmq: [15, 3, 5, 300, 1800, 100] },
    test: { database: [30, 2, 30, 60, 3600, 500], pgmq: [10, 1, 5, 60, 3600, 500] },
    production: { database: [50, 10, 10, 300, 1800, 50], pgmq: [25, 5, 5, 300, 1800, 50] },
  };
  const keys = ['max_connections', 'min_connections', 'acquire_timeout_seconds', 'idle_timeout_seconds', 'max_lifetime_seconds', 'slow_acquire_threshold_ms'];

  it('--json gives the README table for every environment', () => {
    const r = runCli(['config', 'show', '--config-dir', TASKER_FIXTURES, '--json']);
    expect(r.status).toBe(0);
    const data = JSON.parse(r.stdout);
    expect(data.schemaVersion).toBe(1);
    for (const env of data.environments) {
      for (const pool of ['database', 'pgmq'] as const) {
        expect(keys.map((k) => data.environments.find((e: { name: string }) => e.name === env.name).pools[pool].keys[k].value), `${env.name} ${pool}`).toEqual(expected[env.name]![pool]);
      }
    }
    expect(data.environments.map((e: { name: string }) => e.name)).toEqual(['development', 'test', 'production']);
    const test = data.environments.find((e: { name: string }) => e.name === 'test');
    expect(test.pools.orchestration_web.keys.web_api_max_connections.value).toBe(15);
    expect(test.pools.orchestration_web.keys.max_total_connections_hint.value).toBe(30);
    expect(test.pools.database.url).toBe('postgresql://tasker@localhost:5432/tasker_rust_test');
  });

  it('the human table shows the same values and the inert warnings, and no password', () => {
    const r = runCli(['config', 'show', '--config-dir', TASKER_FIXTURES]);
    expect(r.status).toBe(0);
    for (const env of ['development', 'test', 'production']) {
      expect(r.stdout).toContain(`[common.pgmq_database.pool] keys are inert in '${env}'`);
      expect(r.stdout).toContain(`[worker.web.database_pools] keys are inert in '${env}'`);
    }
    expect(r.stdout).toMatch(/max_connections\s+│ 50 \*/);
    expect(r.stdout + r.stderr).not.toContain('tasker:tasker');
  });

  it('config lint exits 0 (warnings only)', () => {
    const r = runCli(['config', 'lint', '--config-dir', TASKER_FIXTURES]);
    expect(r.stdout).toContain('0 errors, 6 warnings');
    expect(r.status).toBe(0);
    expect(r.stdout + r.stderr).not.toContain('tasker:tasker');
  });

  it('the merge of base + test equals Tasker\'s own generated/complete-test.toml for every pool key', async () => {
    const { parse } = await import('smol-toml');
    const { buildModel } = await import('../../src/core/config/model.js');
    const { readConfigSources } = await import('../../src/shell/configDir.js');
    const generated = parse(readFileSync(join(TASKER_FIXTURES, 'generated', 'complete-test.toml'), 'utf8')) as Record<string, any>;
    // Compare before substitution: Tasker's generated file keeps ${...} as written.
    const model = buildModel(readConfigSources(TASKER_FIXTURES), new Proxy({}, { get: () => undefined }));
    const merged = model.environments.find((e) => e.name === 'test')!.merged as Record<string, any>;
    expect(merged.common.database.pool).toEqual(generated.common.database.pool);
    expect(merged.common.pgmq_database.pool).toEqual(generated.common.pgmq_database.pool);
    expect(merged.orchestration.web.database_pools).toEqual(generated.orchestration.web.database_pools);
    expect(merged.worker.web.database_pools).toEqual(generated.worker.web.database_pools);
  });
});

describe('config commands on bad input', () => {
  it('a typo: lint exits 1 with file:line and a suggestion; show exits 2 with the same line', () => {
    const dir = copyExample({ 'environments/production/common.toml': '[common.database.pool]\nmax_connections = 50\nmax_connection = 40\n' });
    const file = join(dir, 'environments/production/common.toml');
    const lint = runCli(['config', 'lint', '--config-dir', dir]);
    expect(lint.status).toBe(1);
    expect(lint.stdout).toContain(`${file}:3: unknown key 'max_connection' in [common.database.pool]; did you mean 'max_connections'?`);
    const show = runCli(['config', 'show', '--config-dir', dir]);
    expect(show.status).toBe(2);
    expect(show.stderr).toContain(`${file}:3: unknown key 'max_connection' in [common.database.pool]; did you mean 'max_connections'?`);
    expect(show.stderr).not.toMatch(/\n\s+at /);
  });

  it('malformed TOML: exit 2 with file:line:col and no stack trace', () => {
    const dir = copyExample({ 'environments/test/common.toml': '[common.database.pool]\nmax_connections = \n' });
    for (const cmd of [['config', 'show'], ['config', 'lint']]) {
      const r = runCli([...cmd, '--config-dir', dir]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`${join(dir, 'environments/test/common.toml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:\\d+: invalid TOML`));
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('a missing dir and an empty dir: exit 2 saying what was expected', () => {
    const missing = runCli(['config', 'show', '--config-dir', '/nonexistent/config/tasker']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("config dir '/nonexistent/config/tasker' does not exist; expected a Tasker config dir holding base/*.toml and environments/<env>/*.toml");
    const empty = mkdtempSync(join(tmpdir(), 'pa-empty-'));
    const r = runCli(['config', 'lint', '--config-dir', empty]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('has no base/ directory; expected a Tasker config dir');
  });

  it('an unknown --env is a usage error naming the environments', () => {
    const r = runCli(['config', 'show', '--env', 'staging']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--env 'staging': no such environment");
    expect(r.stderr).toContain('development, test, production');
  });

  it('an unknown flag is exit 2', () => {
    const r = runCli(['config', 'show', '--bogus']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown option '--bogus'");
  });

  it('the example config that ships is clean and runs with no flags', () => {
    const r = runCli(['config', 'lint']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('0 errors');
    const v = runCli(['--version']);
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('min above max and an out-of-range value are lint errors with file and line', () => {
    const dir = makeConfigDir({
      'base/common.toml': '[common.database]\nurl = "postgresql://u:s3cret-pass-word@h/db"\n[common.database.pool]\nmax_connections = 5\nmin_connections = 8\nidle_timeout_seconds = 99999\n',
      'environments/dev/common.toml': '',
    });
    const r = runCli(['config', 'lint', '--config-dir', dir]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`${join(dir, 'base/common.toml')}:5: [common.database.pool] min_connections = 8 is above max_connections = 5`);
    expect(r.stdout).toContain(`${join(dir, 'base/common.toml')}:6: [common.database.pool] idle_timeout_seconds = 99999 is outside Tasker's range 1-3600`);
  });
});
