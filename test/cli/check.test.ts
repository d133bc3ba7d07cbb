import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pgUrl } from '../helpers/pg.js';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { runCli, TASKER_FIXTURES } from '../helpers/cli.js';
import { EXAMPLE_DIR } from '../helpers/configFixture.js';
import { loadAdvisorConfig, SHIPPED_ADVISOR_CONFIG } from '../../src/shell/advisorConfig.js';
import { buildEnvironment, buildPoolRun, buildRunFile, healthyPool, saturatedPool, writeRunFile } from '../helpers/checkRunBuilder.js';

/** GitHub's workflow command syntax: `::level key=value,key=value::message`, properties escaped. */
const ANNOTATION = /^::(error|warning|notice)( (file|line|endLine|col|endColumn|title)=[^,:\r\n]*(,(file|line|endLine|col|endColumn|title)=[^,:\r\n]*)*)?::[^\r\n]*$/;

/**
 * A scratch working directory: no ./config/tasker, and an empty ./pool-advisor.toml so the
 * shipped advisor config's thresholds and topology stay out of tests that do not ask for them.
 */
function scratch(advisor = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'pa-check-'));
  writeFileSync(join(dir, 'pool-advisor.toml'), advisor);
  return dir;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const THRESHOLDS = ['database.acquire: p(99) < 50ms', '*.timeouts: count == 0', '*.waited: rate < 5%', 'database.utilization: p(95) < 80%', 'database.hold: avg < 10ms'];
const flags = THRESHOLDS.flatMap((t) => ['--threshold', t]);

const holdsRun = writeRunFile(buildRunFile([buildEnvironment('test', [healthyPool()]), buildEnvironment('production', [healthyPool(), healthyPool('orchestration_web')], false)]));
const breachRun = writeRunFile(buildRunFile([buildEnvironment('test', [healthyPool()]), buildEnvironment('production', [saturatedPool(), healthyPool('orchestration_web')], false)]));

describe('check --from a saved run', () => {
  it('a run that holds every threshold: exit 0, a ✓ line per threshold and pool', () => {
    const r = runCli(['check', '--from', holdsRun, ...flags], { cwd: scratch() });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^THRESHOLDS {2}\S+run\.json \(run of 2026-01-01T00:00:00\.000Z\)$/m);
    expect(r.stdout).toContain('    ✓ database.acquire: p(99) < 50ms     p(99)=200µs\n');
    expect(r.stdout).toContain('    ✓ orchestration_web.waited: rate < 5%     rate=2%\n');
    expect(r.stdout).toContain('    ✓ database.utilization: p(95) < 80%  p(95)=50%\n');
    expect(r.stdout).not.toContain('✗');
    expect(r.stdout).toContain('CONFIG\n  not checked: no --config-dir and no ./config/tasker here');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('✓ check passed · 12 thresholds: 12 held, 0 breached');
  });

  it('a run that breaches: exit 1, ✗ with the observed value for each breach', () => {
    const r = runCli(['check', '--from', breachRun, ...flags, '--config-dir', EXAMPLE_DIR], { cwd: scratch() });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('    ✗ database.acquire: p(99) < 50ms          p(99)=120.1ms\n');
    expect(r.stdout).toContain('    ✗ database.timeouts: count == 0           count=7\n');
    expect(r.stdout).toContain('    ✗ database.waited: rate < 5%              rate=60%\n');
    expect(r.stdout).toContain('    ✓ orchestration_web.timeouts: count == 0  count=0\n');
    expect(r.stdout).toContain(`CONFIG  ${EXAMPLE_DIR}\n`);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('✗ check failed · 12 thresholds: 7 held, 5 breached · config: 0 errors, 5 warnings');
    expect(r.stderr).toBe('');
  });

  it('--env limits the check to one environment', () => {
    const r = runCli(['check', '--from', breachRun, ...flags, '--env', 'test'], { cwd: scratch() });
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain('production');
  });

  it('a pool the run does not have is "no data" and fails (exit 1)', () => {
    const r = runCli(['check', '--from', holdsRun, '--threshold', 'pgmq.acquire: p(99) < 50ms'], { cwd: scratch() });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("✗ pgmq.acquire: p(99) < 50ms  no data: pool 'pgmq' is not in the run for 'test': PGMQ's work went through the database pool there");
  });

  it('a run with no samples at all: exit 4', () => {
    const empty = writeRunFile(buildRunFile([buildEnvironment('test', [buildPoolRun()])]));
    const r = runCli(['check', '--from', empty, '--threshold', 'database.acquire: p(99) < 50ms'], { cwd: scratch() });
    expect(r.status).toBe(4);
    expect(r.stderr).toContain(`ERROR: ${empty}: the run holds no samples, so no threshold can be judged`);
  });

  it('an observation that saw only a pool it could not map: exit 4, saying no threshold is about it (recommend advises on it)', () => {
    const dir = scratch();
    const obs = join(dir, 'unmapped.json');
    const source = { kind: 'server-sampling', detail: 'pg_stat_activity', startedAt: 0, durationMs: 1000 };
    const unmapped = { label: 'app:orders', replica: null, source, reason: 'no --map ties it to a Tasker pool', figures: { meanBusy: 2, openMax: 4, reserved: 0, maxConnections: null } };
    writeFileSync(obs, JSON.stringify({ kind: 'observation', schemaVersion: 1, createdAt: '2026-12-07T00:00:00.000Z', target: 'postgresql://o@db/x', partial: false, environments: [{ env: 'production', durationMs: 1000, warmupMs: 0, pgmqShared: true, interrupted: false, pools: [], unmapped: [unmapped], workloads: [], config: {}, overrides: [] }] }));
    const r = runCli(['check', '--from', obs, '--threshold', '*.in_use: mean < 10'], { cwd: dir });
    expect(r.status).toBe(4);
    expect(r.stderr).toContain(`ERROR: ${obs}: no threshold can be judged: the evidence saw only pools that map to no Tasker pool`);
  });

  it('thresholds from the advisor config, with --threshold added', () => {
    const cwd = scratch();
    writeFileSync(join(cwd, 'advisor.toml'), '[check]\nthresholds = ["database.acquire: p(99) < 50ms"]\n');
    const r = runCli(['check', '--from', breachRun, '--advisor-config', 'advisor.toml', '--threshold', 'database.timeouts: count == 0', '--env', 'production'], { cwd });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('✗ database.acquire: p(99) < 50ms');
    expect(r.stdout).toContain('✗ database.timeouts: count == 0');
  });

  it('--format json: schemaVersion 1, one entry per threshold and pool', () => {
    const r = runCli(['check', '--from', breachRun, ...flags, '--format', 'json'], { cwd: scratch() });
    expect(r.status).toBe(1);
    const data = JSON.parse(r.stdout);
    expect(data).toMatchObject({ schemaVersion: 1, ok: false, exitCode: 1, summary: { held: 7, breached: 5, noData: 0 } });
    expect(data.thresholds.find((t: { env: string; expression: string }) => t.env === 'production' && t.expression === 'database.acquire: p(99) < 50ms')).toMatchObject({
      status: 'breached',
      observed: 120063,
      limit: 50000,
      unit: 'us',
      source: '--threshold',
    });
  });

  it('--format junit: valid XML (parsed), a failing testcase per breach', () => {
    const r = runCli(['check', '--from', breachRun, ...flags, '--format', 'junit', '--config-dir', EXAMPLE_DIR], { cwd: scratch() });
    expect(r.status).toBe(1);
    expect(XMLValidator.validate(r.stdout)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => ['testsuite', 'testcase'].includes(n) }).parse(r.stdout);
    const cases = (doc.testsuites.testsuite as Array<{ testcase: Array<{ name: string; failure?: { type: string } }> }>).flatMap((s) => s.testcase);
    expect(cases.filter((c) => c.failure?.type === 'breached').map((c) => c.name)).toEqual([
      'database.acquire: p(99) < 50ms',
      'database.timeouts: count == 0',
      'database.waited: rate < 5%',
      'database.utilization: p(95) < 80%',
      'database.hold: avg < 10ms',
    ]);
    expect(doc.testsuites.failures).toBe('5');
  });

  it('--format github: every annotation matches the workflow-command syntax', () => {
    const r = runCli(['check', '--from', breachRun, ...flags, '--format', 'github', '--config-dir', EXAMPLE_DIR], { cwd: scratch() });
    expect(r.status).toBe(1);
    const annotations = r.stdout.split('\n').filter((l) => l.startsWith('::'));
    expect(annotations.filter((l) => l.startsWith('::error'))).toHaveLength(5);
    for (const l of annotations) expect(l).toMatch(ANNOTATION);
    expect(annotations).toContain('::error title=pool-advisor threshold breached::production: database.acquire: p(99) < 50ms: p(99)=120.1ms');
  });
});

describe('check with the shipped advisor config', () => {
  it('its thresholds apply when no advisor config is given, and its topology fits the shipped example config', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'pa-check-'));
    const shipped = loadAdvisorConfig(SHIPPED_ADVISOR_CONFIG);
    const r = runCli(['check', '--from', holdsRun, '--format', 'json', '--config-dir', EXAMPLE_DIR], { cwd });
    const data = JSON.parse(r.stdout);
    expect(new Set(data.thresholds.map((t: { input: string }) => t.input))).toEqual(new Set(shipped.thresholds));
    const s = runCli(['check', '--static'], { cwd });
    expect(s.status).toBe(0);
    expect(s.stdout).toContain('CONNECTION BUDGET');
  });

  it("its topology (the example fleet) is not applied to someone else's config dir", () => {
    const cwd = mkdtempSync(join(tmpdir(), 'pa-check-'));
    const dir = mkdtempSync(join(tmpdir(), 'pa-static-'));
    cpSync(EXAMPLE_DIR, dir, { recursive: true });
    const r = runCli(['check', '--static', '--config-dir', dir], { cwd });
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain('CONNECTION BUDGET');
  });
});

describe('check: usage errors exit 2 before anything runs', () => {
  it('an invalid threshold quotes it, gives the reason and lists what the metric supports', () => {
    const r = runCli(['check', '--static', '--threshold', 'database.timeouts: p(99) < 5ms'], { cwd: scratch() });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      "ERROR: --threshold: threshold 'database.timeouts: p(99) < 5ms': 'timeouts' has no aggregation 'p(99)'; 'timeouts' (counter) supports count, rate (per second); bare numbers\n" +
        'hint: see docs/thresholds.md for the grammar and every metric\n',
    );
  });

  it('an invalid threshold in the advisor config names the file', () => {
    const cwd = scratch();
    writeFileSync(join(cwd, 'advisor.toml'), '[check]\nthresholds = ["database.acquire: p(99) < 5%"]\n');
    const r = runCli(['check', '--from', holdsRun, '--advisor-config', 'advisor.toml'], { cwd });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("ERROR: advisor.toml: threshold 'database.acquire: p(99) < 5%': unit '%' does not fit a latency");
  });

  it("analyze's flags with --from or --static: exit 2 rather than silently ignored", () => {
    const r = runCli(['check', '--from', holdsRun, '--rate', '50'], { cwd: scratch() });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('ERROR: --rate has no effect with --from: it applies when check runs analyze first');
    const fixed = runCli(['check', '--from', holdsRun, '--fixed-duration'], { cwd: scratch() });
    expect(fixed.status).toBe(2);
    expect(fixed.stderr).toContain('ERROR: --fixed-duration has no effect with --from');
    const s = runCli(['check', '--static', '--set', 'test.database.max_connections=5'], { cwd: scratch() });
    expect(s.status).toBe(2);
    expect(s.stderr).toContain('ERROR: --set has no effect with --static');
  });

  it('unreadable or wrong run files, unknown --env, conflicting flags, bad --format', () => {
    const cwd = scratch();
    writeFileSync(join(cwd, 'bad.json'), '{ not json');
    writeFileSync(join(cwd, 'other.json'), '{"schemaVersion": 7}');
    const cases: Array<[string[], string]> = [
      [['--from', 'missing.json'], 'ERROR: missing.json: cannot read: no such file'],
      [['--from', 'bad.json'], 'ERROR: bad.json: not JSON ('],
      [['--from', 'other.json'], 'ERROR: other.json: schemaVersion 7 is not supported (this pool-advisor reads 1)'],
      [['--from', holdsRun, '--env', 'staging'], "ERROR: --env 'staging': not in the run"],
      [['--from', holdsRun, '--static'], 'ERROR: --from and --static cannot be used together'],
      [['--static', '--format', 'xml'], "argument 'xml' is invalid"],
      [['--static', '--advisor-config', 'nope.toml'], 'ERROR: nope.toml: cannot read: no such file'],
    ];
    for (const [args, message] of cases) {
      const r = runCli(['check', ...args], { cwd });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('a topology with an unknown pool is a usage error at its line', () => {
    const cwd = scratch();
    writeFileSync(join(cwd, 'advisor.toml'), '[environments.production.topology]\nserver_max_connections = 100\nservices = [{ name = "api", replicas = 2, pools = ["databse"] }]\n');
    const r = runCli(['check', '--static', '--advisor-config', 'advisor.toml', '--config-dir', EXAMPLE_DIR], { cwd });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('ERROR: advisor.toml:3: environments.production.topology.services: entry 1 (api): pools must list pool names');
  });
});

describe('check without --from: static checks, then analyze with the same flags, then the thresholds', () => {
  const dbUrl = pgUrl();
  const light = '[environments.test.workloads.database]\narrival = "constant"\nrate = 20\nhold = "constant"\nhold_time = "1ms"\n';
  const measureFlags = ['--env', 'test', '--duration', '1s', '--warmup', '0', '--database-url', dbUrl, '--no-progress'];

  it('measures a run, saves it with --out, and holds: exit 0', () => {
    const cwd = scratch(light);
    const r = runCli(['check', ...measureFlags, '--config-dir', EXAMPLE_DIR, '--out', 'run.json', '--threshold', 'database.acquire: p(99) < 1s', '--threshold', 'database.timeouts: count == 0'], { cwd });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^THRESHOLDS {2}run\.json \(run of /m);
    expect(r.stdout).toMatch(/✓ database\.acquire: p\(99\) < 1s {3}p\(99\)=\d/);
    expect(r.stdout).toContain('✓ database.timeouts: count == 0');
    expect(r.stdout).toContain('✓ check passed');
    const saved = JSON.parse(readFileSync(join(cwd, 'run.json'), 'utf8'));
    expect(saved.environments.map((e: { env: string }) => e.env)).toEqual(['test']);
    const again = runCli(['check', '--from', 'run.json', '--threshold', 'database.timeouts: count == 0'], { cwd });
    expect(again.status).toBe(0);
  });

  it('a config error stops it before any load: exit 1, no connection made', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pa-static-'));
    cpSync(EXAMPLE_DIR, dir, { recursive: true });
    writeFileSync(join(dir, 'environments/test/common.toml'), '[common.database.pool]\nmax_connections = 10\nmin_conections = 2\n');
    const r = runCli(['check', ...measureFlags, '--config-dir', dir, '--threshold', 'database.timeouts: count == 0'], { cwd: scratch(light) });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("1 threshold parsed and valid; not evaluated: the static checks failed, so no load was run");
    expect(r.stdout).toContain(`✗ ${join(dir, 'environments/test/common.toml')}:3: unknown key 'min_conections'`);
    expect(r.stderr).not.toContain('Target:');
  });

  it('an unreachable database: exit 3', () => {
    const r = runCli(['check', '--env', 'test', '--duration', '1s', '--warmup', '0', '--database-url', 'postgresql://nobody@127.0.0.1:1/none', '--config-dir', EXAMPLE_DIR, '--no-progress'], {
      cwd: scratch(light),
    });
    expect(r.status).toBe(3);
  });
});

/** Config dirs to break: a copy of the real Tasker files, and of the shipped example. */
const SOURCES: Array<[string, string]> = [
  ["Tasker's real files (test/fixtures/tasker-core)", TASKER_FIXTURES],
  ['the shipped example config', EXAMPLE_DIR],
];

for (const [label, source] of SOURCES) {
  describe(`check --static on ${label}`, () => {
    function copy(edit?: (text: string) => string): { dir: string; file: string } {
      const dir = mkdtempSync(join(tmpdir(), 'pa-static-'));
      cpSync(source, dir, { recursive: true });
      const file = join(dir, 'environments/production/common.toml');
      if (edit) writeFileSync(file, edit(readFileSync(file, 'utf8')));
      return { dir, file };
    }
    const lineOf = (file: string, text: string): number => readFileSync(file, 'utf8').split('\n').findIndex((l) => l.startsWith(text)) + 1;

    it('passes as shipped (warnings only): exit 0', () => {
      const r = runCli(['check', '--static', '--config-dir', source], { cwd: scratch() });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/✓ check passed · config: 0 errors, \d+ warnings/);
    });

    it('a typo fails with exit 1 at its file and line, with a suggestion', () => {
      const { dir, file } = copy((t) => t.replace('max_connections = 50\n', 'max_connections = 50\nmax_conections = 40\n'));
      const r = runCli(['check', '--static', '--config-dir', dir], { cwd: scratch() });
      expect(r.status).toBe(1);
      expect(r.stdout).toContain(`✗ ${file}:${lineOf(file, 'max_conections')}: unknown key 'max_conections' in [common.database.pool]; did you mean 'max_connections'?`);
      const gh = runCli(['check', '--static', '--config-dir', dir, '--format', 'github'], { cwd: scratch() });
      expect(gh.status).toBe(1);
      const line = gh.stdout.split('\n').find((l) => l.includes('unknown-key'))!;
      expect(line).toMatch(ANNOTATION);
      expect(line).toMatch(new RegExp(`^::error file=${escapeRe(file)},line=${lineOf(file, 'max_conections')},col=1,title=pool-advisor unknown-key::`));
    });

    it('min above max fails with exit 1 at its file and line', () => {
      const { dir, file } = copy((t) => t.replace('min_connections = 10\n', 'min_connections = 80\n'));
      const r = runCli(['check', '--static', '--config-dir', dir], { cwd: scratch() });
      expect(r.status).toBe(1);
      expect(r.stdout).toContain(`✗ ${file}:${lineOf(file, 'min_connections = 80')}: [common.database.pool] min_connections = 80 is above max_connections = 50`);
    });

    it('a topology that over-subscribes the server fails with exit 1 at the largest max_connections', () => {
      const { dir, file } = copy();
      const cwd = scratch();
      writeFileSync(
        join(cwd, 'advisor.toml'),
        [
          '[environments.production.topology]',
          'server_max_connections = 200',
          'other_connections = 10',
          'services = [',
          '  { name = "orchestration", replicas = 2, pools = ["database", "pgmq", "orchestration_web"] },',
          '  { name = "worker", replicas = 4, pools = ["database", "worker_web"] },',
          ']',
          '',
        ].join('\n'),
      );
      const r = runCli(['check', '--static', '--config-dir', dir, '--advisor-config', 'advisor.toml'], { cwd });
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(
        new RegExp(
          `✗ ${escapeRe(file)}:${lineOf(file, 'max_connections = 50')}: connection budget over-subscribed in 'production': 2 × orchestration \\(database 50 \\+ pgmq (0 \\(inert\\)|25) \\+ orchestration_web \\d+\\) \\+ 4 × worker \\(database 50 \\+ worker_web 0 \\(inert\\)\\) \\+ 3 superuser reserved \\+ 10 other = \\d+ > server max_connections 200; the largest share is \\[common.database.pool\\] max_connections = 50 × 6 replicas = 300`,
        ),
      );
      const junit = runCli(['check', '--static', '--config-dir', dir, '--advisor-config', 'advisor.toml', '--format', 'junit'], { cwd });
      expect(junit.status).toBe(1);
      expect(XMLValidator.validate(junit.stdout)).toBe(true);
      const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (n) => ['testsuite', 'testcase'].includes(n) }).parse(junit.stdout);
      const budget = doc.testsuites.testsuite[0].testcase.find((c: { name: string }) => c.name === 'connection budget: production');
      expect(budget.failure.type).toBe('connection-budget');
    });
  });
}
