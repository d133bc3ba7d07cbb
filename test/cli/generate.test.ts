import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, TASKER_FIXTURES } from '../helpers/cli.js';
import { copyExample } from '../helpers/configFixture.js';
import { HEALTHY, syntheticRun, WORKED_EXAMPLE } from '../helpers/syntheticRun.js';
import { buildModel } from '../../src/core/config/model.js';
import { readConfigSources } from '../../src/shell/configDir.js';

/** Every file under a dir: relative path -> bytes and mtime. */
function snapshot(dir: string): Map<string, { bytes: Buffer; mtimeMs: number }> {
  const out = new Map<string, { bytes: Buffer; mtimeMs: number }>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(dir, p), { bytes: readFileSync(p), mtimeMs: statSync(p).mtimeMs });
    }
  };
  walk(dir);
  return out;
}

/** The relative paths whose bytes differ (or exist on one side only). */
function changedFiles(a: ReturnType<typeof snapshot>, b: ReturnType<typeof snapshot>): string[] {
  const names = [...new Set([...a.keys(), ...b.keys()])].sort();
  return names.filter((n) => !a.get(n) || !b.get(n) || !a.get(n)!.bytes.equals(b.get(n)!.bytes));
}

/** A writable copy of a config dir (the tests never edit the fixtures themselves). */
function copyWritable(src: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'pa-gen-'));
  cpSync(src, dir, { recursive: true });
  const walk = (d: string): void => {
    chmodSync(d, 0o755);
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else chmodSync(join(d, e.name), 0o644);
    }
  };
  walk(dir);
  return dir;
}

function effective(dir: string) {
  return buildModel(readConfigSources(dir), {});
}

describe("generate on Tasker's real files (test/fixtures/tasker-core)", () => {
  it('--set test.database.max_connections=40 changes exactly one line; every other byte of every file is identical', () => {
    const dir = copyWritable(TASKER_FIXTURES);
    const before = snapshot(dir);
    const r = runCli(['generate', '--config-dir', dir, '--set', 'test.database.max_connections=40']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('test: [common.database.pool] max_connections: 30 -> 40 (line 19)');
    const after = snapshot(dir);
    expect(changedFiles(before, after)).toEqual(['environments/test/common.toml']);
    const oldLines = before.get('environments/test/common.toml')!.bytes.toString('utf8').split('\n');
    const newLines = after.get('environments/test/common.toml')!.bytes.toString('utf8').split('\n');
    expect(newLines).toHaveLength(oldLines.length);
    const differing = oldLines.map((l, i) => (l === newLines[i] ? -1 : i)).filter((i) => i >= 0);
    expect(differing).toEqual([18]);
    expect([oldLines[18], newLines[18]]).toEqual(['max_connections = 30', 'max_connections = 40']);
    // The rest of the line's bytes too: the file is the original with '30' replaced by '40' at one offset.
    const oldText = before.get('environments/test/common.toml')!.bytes.toString('utf8');
    const at = oldText.indexOf('max_connections = 30\n') + 'max_connections = '.length;
    expect(after.get('environments/test/common.toml')!.bytes.toString('utf8')).toBe(`${oldText.slice(0, at)}40${oldText.slice(at + 2)}`);

    const model = effective(dir);
    const test = model.environments.find((e) => e.name === 'test')!;
    expect(test.pools.database.settings.max_connections).toBe(40);
    expect(test.pools.database.settings.min_connections).toBe(2);
    expect(model.environments.find((e) => e.name === 'production')!.pools.database.settings.max_connections).toBe(50);
  });

  it('--set development.pgmq.max_connections=20 appends the table and key; the rest of the file is byte-identical', () => {
    const dir = copyWritable(TASKER_FIXTURES);
    const before = snapshot(dir);
    const r = runCli(['generate', '--config-dir', dir, '--set', 'development.pgmq.max_connections=20']);
    expect(r.status).toBe(0);
    // The pgmq pool shares the main pool in development: written, with the warning that it does nothing there.
    expect(r.stderr).toContain("warning: ");
    expect(r.stderr).toContain("[common.pgmq_database.pool] keys are inert in 'development'");
    const after = snapshot(dir);
    expect(changedFiles(before, after)).toEqual(['environments/development/common.toml']);
    const oldBytes = before.get('environments/development/common.toml')!.bytes;
    const newBytes = after.get('environments/development/common.toml')!.bytes;
    expect(newBytes.subarray(0, oldBytes.length).equals(oldBytes)).toBe(true);
    expect(newBytes.subarray(oldBytes.length).toString('utf8')).toBe('\n[common.pgmq_database.pool]\nmax_connections = 20\n');

    const dev = effective(dir).environments.find((e) => e.name === 'development')!;
    expect(dev.pools.pgmq.raw['max_connections']!.value).toBe(20);
    expect(dev.pools.pgmq.raw['min_connections']!.value).toBe(3);
    expect(dev.pools.database.settings.slow_acquire_threshold_ms).toBe(200);
  });

  it('the merge of the result gives the new values, and a second identical run is a no-op (bytes and mtimes)', () => {
    const dir = copyWritable(TASKER_FIXTURES);
    const args = ['generate', '--config-dir', dir, '--set', 'test.database.max_connections=40', '--set', 'development.pgmq.max_connections=20'];
    expect(runCli(args).status).toBe(0);
    const model = effective(dir);
    expect(model.environments.find((e) => e.name === 'test')!.pools.database.settings.max_connections).toBe(40);
    expect(model.environments.find((e) => e.name === 'development')!.pools.pgmq.settings.max_connections).toBe(20);
    const show = JSON.parse(runCli(['config', 'show', '--config-dir', dir, '--json']).stdout);
    expect(show.environments.find((e: { name: string }) => e.name === 'test').pools.database.keys.max_connections).toMatchObject({ value: 40, overridden: true, line: 19 });

    const first = snapshot(dir);
    const again = runCli(args);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('nothing to change');
    const second = snapshot(dir);
    expect(changedFiles(first, second)).toEqual([]);
    for (const [name, f] of first) expect(second.get(name)!.mtimeMs, name).toBe(f.mtimeMs);
  });
});

describe('generate (own fixtures)', () => {
  it('an out-of-range --set exits 2 with one line naming the flag, the range and the fix; nothing is written', () => {
    const dir = copyExample();
    const before = snapshot(dir);
    const r = runCli(['generate', '--config-dir', dir, '--set', 'test.database.max_connections=5000']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("ERROR: --set 'test.database.max_connections=5000': 5000 is outside Tasker's range 1-1000 for [common.database.pool] max_connections\nhint: use a value from 1 to 1000\n");
    expect(r.stdout).toBe('');
    expect(changedFiles(before, snapshot(dir))).toEqual([]);
  });

  it('--dry-run prints a unified diff and writes nothing; the diff applies to give what a real run writes', () => {
    const dir = copyExample();
    const before = snapshot(dir);
    const args = ['--set', 'test.database.max_connections=12', '--set', 'production.pgmq.idle_timeout_seconds=120', '--set', 'staging.database.max_connections=8'];
    const r = runCli(['generate', '--config-dir', dir, '--dry-run', ...args]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--- a/environments/test/common.toml\n+++ b/environments/test/common.toml\n');
    expect(r.stdout).toMatch(/^-max_connections = 10$/m);
    expect(r.stdout).toMatch(/^\+max_connections = 12$/m);
    expect(r.stdout).toContain('--- /dev/null\n+++ b/environments/staging/common.toml\n');
    expect(r.stderr).toContain('dry run: 3 files would change; nothing was written');
    const after = snapshot(dir);
    expect(changedFiles(before, after)).toEqual([]);
    for (const [name, f] of before) expect(after.get(name)!.mtimeMs).toBe(f.mtimeMs);
    expect(existsSync(join(dir, 'environments', 'staging'))).toBe(false);

    const patched = copyExample();
    const patch = join(mkdtempSync(join(tmpdir(), 'pa-patch-')), 'gen.diff');
    writeFileSync(patch, r.stdout);
    const apply = spawnSync('git', ['apply', patch], { cwd: patched, encoding: 'utf8' });
    expect(apply.stderr).toBe('');
    expect(runCli(['generate', '--config-dir', dir, ...args]).status).toBe(0);
    expect(changedFiles(snapshot(dir), snapshot(patched))).toEqual([]);
  });

  it('--json reports what changed with schemaVersion 1; human text stays off stdout', () => {
    const dir = copyExample();
    const r = runCli(['generate', '--config-dir', dir, '--json', '--set', 'production.orchestration_web.web_api_max_connections=60', '--set', 'production.database.max_connections=50']);
    expect(r.status).toBe(0);
    const data = JSON.parse(r.stdout);
    expect(data).toMatchObject({ schemaVersion: 1, configDir: dir, dryRun: false, changed: true, written: true, skipped: [] });
    expect(data.files).toEqual([
      {
        file: 'environments/production/orchestration.toml',
        path: join(dir, 'environments/production/orchestration.toml'),
        created: false,
        createsEnvironment: false,
        changes: [{ env: 'production', pool: 'orchestration_web', table: 'orchestration.web.database_pools', key: 'web_api_max_connections', from: 50, to: 60, action: 'updated', line: 5 }],
      },
    ]);
    expect(data.unchanged).toEqual([{ env: 'production', pool: 'database', key: 'max_connections', value: 50, file: join(dir, 'environments/production/common.toml'), line: 4 }]);
  });

  it('creates a new environment dir and file with a header comment', () => {
    const dir = copyExample();
    const r = runCli(['generate', '--config-dir', dir, '--set', 'staging.database.max_connections=8', '--set', 'staging.database.min_connections=1']);
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, 'environments/staging/common.toml'), 'utf8')).toBe(
      '# Staging Environment - Common Configuration Overrides\n# Pool settings written by pool-advisor generate; comments and layout added by hand are kept.\n\n[common.database.pool]\nmax_connections = 8\nmin_connections = 1\n',
    );
    expect(readdirSync(join(dir, 'environments/staging'))).toEqual(['common.toml']);
    const staging = effective(dir).environments.find((e) => e.name === 'staging')!;
    expect(staging.pools.database.settings).toMatchObject({ max_connections: 8, min_connections: 1, acquire_timeout_seconds: 10 });
  });

  it('--env limits the environments written; the others are reported', () => {
    const dir = copyExample();
    const before = snapshot(dir);
    const r = runCli(['generate', '--config-dir', dir, '--set', 'test.database.max_connections=12', '--set', 'production.database.max_connections=60', '--env', 'test']);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("note: --set production.database.max_connections=60: environment 'production' is not in --env, skipped");
    expect(changedFiles(before, snapshot(dir))).toEqual(['environments/test/common.toml']);
  });

  it('--from JSON with a recommendations array ({env, pool, key, to}, as recommend --json prints) writes them', () => {
    const dir = copyExample();
    const run = join(mkdtempSync(join(tmpdir(), 'pa-run-')), 'run.json');
    writeFileSync(run, JSON.stringify({ schemaVersion: 1, recommendations: [{ env: 'production', pool: 'database', key: 'max_connections', from: 50, to: 40, why: 'oversized' }] }));
    const r = runCli(['generate', '--config-dir', dir, '--from', run, '--set', 'production.database.min_connections=8']);
    expect(r.status).toBe(0);
    const prod = effective(dir).environments.find((e) => e.name === 'production')!;
    expect(prod.pools.database.settings).toMatchObject({ max_connections: 40, min_connections: 8 });
  });

  it('--from a run saved by analyze --out writes the recommendations recommend gives for it', () => {
    const dir = copyExample();
    const tmp = mkdtempSync(join(tmpdir(), 'pa-run-'));
    const run = join(tmp, 'run.json');
    writeFileSync(run, JSON.stringify(syntheticRun([WORKED_EXAMPLE])));
    const advisor = join(tmp, 'advisor.toml');
    writeFileSync(advisor, '[defaults]\ntarget_p99_wait = "10ms"\n');
    const rec = JSON.parse(runCli(['recommend', '--from', run, '--advisor-config', advisor, '--json']).stdout);
    expect(rec.recommendations.map((x: { env: string; pool: string; key: string; to: number }) => [x.env, x.pool, x.key, x.to])).toEqual([['test', 'database', 'max_connections', 8]]);
    const r = runCli(['generate', '--config-dir', dir, '--from', run, '--advisor-config', advisor]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('test: [common.database.pool] max_connections: 10 -> 8 (line');
    expect(effective(dir).environments.find((e) => e.name === 'test')!.pools.database.settings.max_connections).toBe(8);
  });

  it('--from a run with no samples exits 4 and writes nothing', () => {
    const dir = copyExample();
    const before = snapshot(dir);
    const run = join(mkdtempSync(join(tmpdir(), 'pa-run-')), 'empty.json');
    writeFileSync(run, JSON.stringify(syntheticRun([{ ...HEALTHY, durationS: 1, arrivals: { kind: 'constant', rate: 0 } }])));
    const r = runCli(['generate', '--config-dir', dir, '--from', run]);
    expect(r.status).toBe(4);
    expect(r.stderr).toContain('the run recorded no acquires');
    expect(changedFiles(before, snapshot(dir))).toEqual([]);
  });

  it('keeps the file mode', () => {
    const dir = copyExample();
    const file = join(dir, 'environments/test/common.toml');
    chmodSync(file, 0o640);
    expect(runCli(['generate', '--config-dir', dir, '--set', 'test.database.max_connections=12']).status).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o640);
  });

  it('refuses a symlink that leads outside the config dir, and writes nothing', () => {
    const dir = copyExample();
    const outside = join(mkdtempSync(join(tmpdir(), 'pa-outside-')), 'common.toml');
    const file = join(dir, 'environments/test/common.toml');
    writeFileSync(outside, readFileSync(file));
    unlinkSync(file);
    symlinkSync(outside, file);
    const before = readFileSync(outside, 'utf8');
    const r = runCli(['generate', '--config-dir', dir, '--set', 'test.database.max_connections=12']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`resolves to ${outside}, outside the config dir`);
    expect(readFileSync(outside, 'utf8')).toBe(before);
  });

  it('refuses values that would make the config invalid (exit 2, nothing written)', () => {
    const dir = copyExample();
    const before = snapshot(dir);
    const r = runCli(['generate', '--config-dir', dir, '--set', 'test.database.min_connections=20']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('min_connections = 20 is above max_connections = 10');
    expect(changedFiles(before, snapshot(dir))).toEqual([]);
  });

  it('usage errors: no setting at all, no config dir, an unknown --env', () => {
    expect(runCli(['generate', '--config-dir', copyExample()]).stderr).toContain('ERROR: nothing to write: pass --set ENV.POOL.KEY=VALUE (repeatable), --from run.json, or --measure');
    const empty = mkdtempSync(join(tmpdir(), 'pa-empty-'));
    const noDir = runCli(['generate', '--set', 'test.database.max_connections=12'], { cwd: empty });
    expect(noDir.status).toBe(2);
    expect(noDir.stderr).toContain('no config dir to write');
    const badEnv = runCli(['generate', '--config-dir', copyExample(), '--set', 'test.database.max_connections=12', '--env', 'prodution']);
    expect(badEnv.status).toBe(2);
    expect(badEnv.stderr).toContain("--env 'prodution': no such environment");
  });
});
