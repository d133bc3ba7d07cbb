/**
 * Hostile and broken input (issue 14): each reproduction of a hole found by trying to break the
 * tool, as the user would meet it: the built CLI, a real PostgreSQL where the item needs one.
 * Every refusal is one `ERROR:` line with the documented exit code and no stack.
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pgUrl } from '../helpers/pg.js';
import { refused, runCli, spawnCli } from '../helpers/cli.js';
import { copyExample } from '../helpers/configFixture.js';
import { advisorFile, databaseWorkload, scenarioConfig } from '../helpers/scenario.js';
import { syntheticRun, HEALTHY } from '../helpers/syntheticRun.js';
import { writeRunFile } from '../helpers/checkRunBuilder.js';
import type { RunFile } from '../../src/core/run/types.js';
import { loadConfig } from '../../src/shell/configDir.js';
import { parseAdvisorConfig } from '../../src/core/advisor/parse.js';
import { runSession } from '../../src/shell/session.js';
import { planMeasurement } from '../../src/core/load/plan.js';
import { connectionConfig } from '../../src/shell/target.js';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const NOBODY = 65534;
/** Whether the built CLI runs as `nobody` here (it needs to read the checkout). */
const nobodyCanRun = isRoot && runCli(['--version'], { uid: NOBODY }).status === 0;
/** A target nothing listens on: a command that gets as far as connecting fails with exit 3 at once. */
const DEAD_URL = 'postgresql://u@127.0.0.1:1/db';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'pa-hostile-'));


/** A saved run whose only environment has the given name. */
function runNamed(env: string, edit: (r: RunFile) => void = () => {}): string {
  const run = syntheticRun([HEALTHY], { env });
  edit(run);
  return writeRunFile(run);
}

/** A config dir and advisor config that anyone (the `nobody` user too) can read. */
function openToAll(dir: string): void {
  const st = statSync(dir);
  chmodSync(dir, st.isDirectory() ? 0o755 : 0o644);
  if (st.isDirectory()) for (const n of readdirSync(dir)) openToAll(join(dir, n));
}

const collect = (child: ReturnType<typeof spawnCli>) => {
  const o = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (o.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (o.stderr += d.toString()));
  return o;
};
const exitOf = (child: ReturnType<typeof spawnCli>) => new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
const until = async (cond: () => boolean, ms: number): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
};

const SHORT = advisorFile(databaseWorkload({ rate: 50, hold: '2ms', duration: '30s' }));

describe('1. a huge --rate', () => {
  it('is refused like the config key (exit 2, before any connection)', () => {
    refused(runCli(['analyze', '--env', 'test', '--pool', 'database', '--rate', '1e12', '--duration', '1s', '--warmup', '100ms']), 2, "--rate '1e12': above the maximum 1000000");
  });
  it('at the highest rate allowed, SIGTERM is still heard: exit 130 within seconds', async () => {
    const child = spawnCli(['analyze', '--fixed-duration', '--env', 'test', '--pool', 'database', '--rate', '1000000', '--duration', '60s', '--warmup', '100ms', '--database-url', pgUrl(), '--no-progress', '--advisor-config', SHORT, '--config-dir', scenarioConfig({ max_connections: 5, min_connections: 0 })]);
    const out = collect(child);
    await until(() => out.stderr.includes('Target:'), 10_000);
    await new Promise((r) => setTimeout(r, 1500));
    const t0 = Date.now();
    child.kill('SIGTERM');
    const code = await exitOf(child);
    expect(code, out.stderr).toBe(130);
    expect(Date.now() - t0).toBeLessThan(15_000);
  });
});

describe('3. names that are JavaScript built-ins', () => {
  it('generate --set toString.database.max_connections=5 plans a new environment', () => {
    const r = runCli(['generate', '--config-dir', copyExample(), '--set', 'toString.database.max_connections=5', '--dry-run']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('environments/toString/common.toml');
  });
  it("an environment directory named 'constructor' under check --static and analyze", () => {
    const dir = copyExample({ 'environments/constructor/common.toml': '[common.database.pool]\nmax_connections = 7\n' });
    const c = runCli(['check', '--static', '--config-dir', dir]);
    expect(c.status, c.stderr).toBe(0);
    expect(c.stdout).toContain("'constructor'");
    // analyze gets as far as connecting (exit 3 on a dead target), with the environment planned.
    refused(runCli(['analyze', '--env', 'constructor', '--config-dir', dir, '--database-url', DEAD_URL, '--duration', '1s']), 3);
  });
  it("an environment directory '__proto__' is read, not skipped: its max_connections 5000 fails lint", () => {
    const dir = copyExample({ 'environments/__proto__/common.toml': '[common.database.pool]\nmax_connections = 5000\n' });
    const r = runCli(['config', 'lint', '--config-dir', dir]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("environments/__proto__/common.toml:2: [common.database.pool] max_connections = 5000 is outside Tasker's range");
  });
  for (const env of ['__proto__', 'constructor']) {
    it(`a run file with env '${env}' under recommend --from and generate --from`, () => {
      const f = runNamed(env, (r) => (r.environments[0]!.pools[0]!.settings.max_connections = 2));
      const rec = runCli(['recommend', '--from', f]);
      expect(rec.status, rec.stderr).toBe(0);
      expect(rec.stdout).toContain(env);
      const gen = runCli(['generate', '--config-dir', copyExample(), '--from', f, '--dry-run']);
      expect(gen.status, gen.stderr).toBe(0);
      expect(gen.stderr).not.toContain('unexpected error');
    });
  }
});

describe('4. an output path that is an input', () => {
  it('recommend --from r.json --report r.json is refused and the run is untouched', () => {
    const f = runNamed('test');
    const before = readFileSync(f, 'utf8');
    refused(runCli(['recommend', '--from', f, '--report', f]), 2, 'is the same file as the input --from');
    expect(readFileSync(f, 'utf8')).toBe(before);
  });
  it('compare b.json x.json --report b.json, and through a symlink', () => {
    const b = runNamed('test');
    const x = runNamed('test');
    refused(runCli(['compare', b, x, '--report', b]), 2, 'is the same file as the input <before>');
    const link = join(tmp(), 'link.html');
    symlinkSync(x, link);
    refused(runCli(['compare', b, x, '--report', link]), 2, 'is the same file as the input <after>');
    expect(JSON.parse(readFileSync(x, 'utf8')).schemaVersion).toBe(1);
  });
  it('analyze --out onto a config file, or --out and --report onto one file', () => {
    const dir = copyExample();
    const target = join(dir, 'environments', 'test', 'common.toml');
    refused(runCli(['analyze', '--env', 'test', '--config-dir', dir, '--out', target, '--database-url', DEAD_URL]), 2, 'is the same file as the input the config file');
    const out = join(tmp(), 'o.json');
    refused(runCli(['analyze', '--env', 'test', '--out', out, '--report', out, '--database-url', DEAD_URL]), 2, 'one would overwrite the other');
  });
});

describe('5. --format github injection', () => {
  it('an environment name holding a newline and ::error never starts a line', () => {
    const f = runNamed('test\n::error file=x::pwned\r::warning ::also');
    for (const threshold of ['database.acquire: p(99) < 10s', 'database.acquire: p(99) < 1us']) {
      const r = runCli(['check', '--from', f, '--format', 'github', '--threshold', threshold]);
      expect([0, 1]).toContain(r.status);
      for (const line of r.stdout.split('\n')) {
        expect(line).not.toMatch(/^::(error|warning) (file=x|::also)/);
        if (line.startsWith('::')) expect(line).toMatch(/^::(error|warning) [^:]*::/);
      }
      expect(r.stdout).toContain('test%0A::error file=x::pwned%0D::warning ::also');
    }
  });
});

describe('6. min_connections above max', () => {
  it('--set min above max is refused before connecting (exit 2)', () => {
    const r = runCli(['analyze', '--env', 'test', '--set', 'test.database.min_connections=50', '--database-url', DEAD_URL]);
    refused(r, 2, 'min_connections 50 is above max_connections');
    expect(r.stderr).not.toContain('Target:');
  });
  it('a warm-up that cannot finish (min above max) stops on an interrupt', async () => {
    const dir = scenarioConfig({ max_connections: 2, min_connections: 1, acquire_timeout_seconds: 60 });
    const model = loadConfig(dir);
    const advisor = parseAdvisorConfig(databaseWorkload({ rate: 10, hold: '1ms', duration: '30s' }), 'pool-advisor.toml');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 500);
    const t0 = Date.now();
    const run = await runSession({
      ...planMeasurement({
        model,
        advisor,
        envs: ['test'],
        flags: {},
        // Past the flag check on purpose: the session itself must not hang on a pool that cannot fill.
        sets: [{ env: 'test', pool: 'database', key: 'min_connections', value: 5 }],
      }),
      seed: 1,
      main: connectionConfig({ url: pgUrl() }),
      pgmq: connectionConfig({ url: pgUrl() }),
      targetDisplay: 'test',
      toolVersion: 'test',
      signal: ac.signal,
    });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(run.environments[0]!.interrupted).toBe(true);
  });
});

describe('7. an unwritable --out', () => {
  it.skipIf(!isRoot || !nobodyCanRun)('is refused before connecting (as nobody, into a root-only directory)', () => {
    const cfg = copyExample();
    openToAll(cfg);
    const ro = tmp();
    chmodSync(ro, 0o755);
    const r = runCli(['analyze', '--env', 'test', '--config-dir', cfg, '--out', join(ro, 'run.json'), '--database-url', DEAD_URL], { uid: NOBODY });
    refused(r, 2, 'cannot write in');
    expect(r.stderr).not.toContain('Target:');
  });
});

describe('8. SIGHUP', () => {
  it('is handled like SIGTERM: exit 130, the throwaway cluster and its directory removed', async () => {
    const child = spawnCli(['analyze', '--fixed-duration', '--env', 'test', '--duration', '60s', '--warmup', '0s', '--no-progress', '--advisor-config', SHORT, '--config-dir', scenarioConfig({ max_connections: 3, min_connections: 0 })]);
    const out = collect(child);
    await until(() => out.stderr.includes('Target:'), 30_000);
    expect(out.stderr).toContain('throwaway');
    await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGHUP');
    expect(await exitOf(child), out.stderr).toBe(130);
    expect(out.stderr).toContain('SIGHUP');
    const left = readdirSync(tmpdir()).filter((n) => n.startsWith(`pool-advisor-pg-${child.pid}-`));
    expect(left).toEqual([]);
  });
});

describe('9. crashes that are user situations', () => {
  const cases: Array<{ name: string; make: () => string; args?: (d: string) => string[]; asNobody?: boolean; want: string | RegExp }> = [
    { name: 'a table header nested 7,000 levels', make: () => copyExample({ 'environments/test/deep.toml': `[${Array(7000).fill('a').join('.')}]\n` }), want: /deep\.toml:1: tables nested \d+ levels deep/ },
    {
      name: 'a symlink loop in environments/',
      make: () => {
        const d = copyExample();
        symlinkSync('loop', join(d, 'environments', 'loop'));
        return d;
      },
      want: 'environments/loop: cannot read: a symlink loop',
    },
    {
      name: 'environments/ as a regular file',
      make: () => {
        const d = copyExample();
        execFileSync('rm', ['-rf', join(d, 'environments')]);
        writeFileSync(join(d, 'environments'), 'x');
        return d;
      },
      want: 'environments: is not a directory',
    },
    {
      name: 'environments/ with mode 000',
      asNobody: true,
      make: () => {
        const d = copyExample();
        openToAll(d);
        chmodSync(join(d, 'environments'), 0o000);
        return d;
      },
      want: 'environments: cannot list: permission denied',
    },
    { name: 'an environment name of 300 characters', make: () => copyExample(), args: (d) => ['generate', '--config-dir', d, '--set', `${'e'.repeat(300)}.database.max_connections=5`], want: 'cannot name an environment' },
    {
      name: 'mkdir failing for a new environment directory',
      asNobody: true,
      make: () => {
        const d = copyExample();
        openToAll(d);
        chmodSync(join(d, 'environments'), 0o555);
        return d;
      },
      args: (d) => ['generate', '--config-dir', d, '--set', 'newenv.database.max_connections=5'],
      want: 'cannot create the environment directory: permission denied',
    },
  ];
  for (const c of cases) {
    it.skipIf(Boolean(c.asNobody) && isRoot && !nobodyCanRun)(c.name, () => {
      const d = c.make();
      const r = runCli(c.args?.(d) ?? ['config', 'show', '--config-dir', d], c.asNobody && isRoot ? { uid: NOBODY } : {});
      refused(r, 2, c.want);
    });
  }
});

describe('10. config and run files that are not regular files', () => {
  const fifo = (p: string): string => (execFileSync('mkfifo', [p]), p);
  it('a config file symlinked to /dev/zero, or a FIFO, is refused at once', () => {
    const a = copyExample();
    symlinkSync('/dev/zero', join(a, 'environments', 'test', 'zero.toml'));
    refused(runCli(['config', 'show', '--config-dir', a]), 2, 'zero.toml: is not a regular file (a device)');
    const b = copyExample();
    fifo(join(b, 'environments', 'test', 'pipe.toml'));
    refused(runCli(['config', 'show', '--config-dir', b]), 2, 'pipe.toml: is not a regular file (a FIFO)');
  });
  it('recommend --from /dev/zero, a FIFO, and the advisor config as a FIFO', () => {
    refused(runCli(['recommend', '--from', '/dev/zero']), 2, 'is not a regular file (a device)');
    refused(runCli(['recommend', '--from', fifo(join(tmp(), 'run.json'))]), 2, 'is not a regular file (a FIFO)');
    refused(runCli(['recommend', '--from', runNamed('test'), '--advisor-config', fifo(join(tmp(), 'pool-advisor.toml'))]), 2, 'is not a regular file (a FIFO)');
  });
});

describe('11. durations that would overflow a timer', () => {
  it('--duration 999999h is refused; so is the same in the advisor config', () => {
    refused(runCli(['analyze', '--env', 'test', '--duration', '999999h']), 2, "--duration '999999h': longer than the 24h limit");
    const adv = advisorFile(databaseWorkload({ rate: 10, hold: '1ms', duration: '999999h' }));
    refused(runCli(['analyze', '--env', 'test', '--advisor-config', adv]), 2, 'is too long');
  });
});

describe('12. hostile run files', () => {
  const cases: Array<[string, (r: RunFile) => void, string]> = [
    ['max_connections = 1e300', (r) => (r.environments[0]!.pools[0]!.settings.max_connections = 1e300), 'settings.max_connections: 1e+300 is out of range'],
    ['a negative count', (r) => (r.environments[0]!.pools[0]!.counters.acquires = -5), 'counters.acquires: -5 is out of range'],
    ['a fractional count', (r) => (r.environments[0]!.pools[0]!.counters.timeouts = 0.5), 'counters.timeouts: 0.5 is out of range'],
    ['a negative rate', (r) => ((r.environments[0]!.workloads[0]!.workload.arrival as { rate: number }).rate = -1), 'arrival.rate: -1 is out of range'],
    ['a config snapshot of 1e300 connections', (r) => (r.environments[0]!.config.database!.settings.max_connections = 1e300), 'config.database.settings.max_connections'],
    ['an unknown pool in the config', (r) => ((r.environments[0]!.config as Record<string, unknown>).nosuch = {}), "unknown pool 'nosuch'"],
  ];
  for (const [name, edit, want] of cases) {
    it(`${name}: one line naming the field (exit 2)`, () => {
      const f = runNamed('test', edit);
      refused(runCli(['recommend', '--from', f]), 2, want);
      refused(runCli(['generate', '--config-dir', copyExample(), '--from', f, '--dry-run']), 2, want);
    });
  }
});

describe('13. a target without a scheme', () => {
  it("'u:S3cr3tPW@127.0.0.1:1/db' is refused and its password never printed", () => {
    for (const r of [
      runCli(['analyze', '--env', 'test', '--database-url', 'u:S3cr3tPW@127.0.0.1:1/db']),
      runCli(['analyze', '--env', 'test'], { env: { DATABASE_URL: 'u:S3cr3tPW@127.0.0.1:1/db' } }),
    ]) {
      refused(r, 2, 'is not a connection URL (no scheme)');
      expect(r.stdout + r.stderr).not.toContain('S3cr3tPW');
    }
  });
});

describe('14. user situations are not reported as bugs', () => {
  it('a second environment file that also sets the key: generate writes the file that wins', () => {
    const dir = copyExample({ 'environments/test/orchestration.toml': '[common.database.pool]\nmax_connections = 12\n' });
    const r = runCli(['generate', '--config-dir', dir, '--set', 'test.database.max_connections=20']);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'environments/test/orchestration.toml'), 'utf8')).toContain('max_connections = 20');
    const show = JSON.parse(runCli(['config', 'show', '--config-dir', dir, '--env', 'test', '--json']).stdout);
    expect(show.environments[0].pools.database.settings.max_connections).toBe(20);
  });
  it('an environment directory symlinked to another: one clear line, nothing written', () => {
    const dir = copyExample();
    symlinkSync('production', join(dir, 'environments', 'staging'));
    const before = readFileSync(join(dir, 'environments/production/common.toml'), 'utf8');
    refused(runCli(['generate', '--config-dir', dir, '--set', 'staging.database.max_connections=20']), 2, "writing 'staging' would change 'production' too");
    expect(readFileSync(join(dir, 'environments/production/common.toml'), 'utf8')).toBe(before);
  });
});

describe('15. the smaller ones', () => {
  it('control characters from a run file and from TOML keys are escaped before the terminal', () => {
    const f = runNamed('t\x1b]0;owned\x07\x1b[2J');
    const r = runCli(['recommend', '--from', f]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/[\x07]|\x1b\]|\x1b\[2J/);
    expect(r.stdout).toContain('t\\x1b]0;owned\\x07\\x1b[2J');
    const dir = copyExample({ 'environments/test/common.toml': '[common.database.pool]\n"max\\u0007conn\\u001b[2J" = 5\n' });
    const lint = runCli(['config', 'lint', '--config-dir', dir]);
    expect(lint.status).toBe(1);
    expect(lint.stdout).not.toMatch(/[\x07]|\x1b\[2J/);
    expect(lint.stdout).toContain('max\\x07conn\\x1b[2J');
  });
  it("--warmup 0s is accepted, as the config's \"0s\" is", () => {
    const r = runCli(['analyze', '--env', 'test', '--warmup', '0s', '--duration', '1s', '--database-url', DEAD_URL]);
    refused(r, 3);
    const adv = advisorFile(`${databaseWorkload({ rate: 10, hold: '1ms', duration: '1s' })}\n`.replace('warmup = "1s"', 'warmup = "0s"'));
    refused(runCli(['analyze', '--env', 'test', '--advisor-config', adv, '--database-url', DEAD_URL]), 3);
  });
  it('--metrics-host 0.0.0.0 warns that the endpoints are exposed', () => {
    const r = runCli(['analyze', '--env', 'test', '--metrics-port', '0', '--metrics-host', '0.0.0.0', '--duration', '200ms', '--warmup', '0s', '--database-url', pgUrl(), '--advisor-config', SHORT, '--config-dir', scenarioConfig({ max_connections: 3, min_connections: 0 })]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: --metrics-host 0\.0\.0\.0: the endpoints are reachable from other machines/);
  });
  it('a repeated --set for one key is refused (analyze and generate)', () => {
    refused(runCli(['analyze', '--env', 'test', '--set', 'test.database.max_connections=5', '--set', 'test.database.max_connections=6']), 2, 'is given twice (5 and 6)');
    refused(runCli(['generate', '--config-dir', copyExample(), '--set', 'test.database.max_connections=5', '--set', 'test.database.max_connections=6', '--dry-run']), 2, 'is given twice (5 and 6)');
  });
  it('a pool listed twice in a topology service is refused with a line', () => {
    const adv = advisorFile('[environments.test.topology]\nserver_max_connections = 100\nservices = [{ name = "web", replicas = 2, pools = ["database", "database"] }]\n');
    refused(runCli(['check', '--static', '--advisor-config', adv]), 2, "pools lists 'database' twice");
  });
  it('SIGTERM to recommend exits 130', async () => {
    // A run of many environments keeps recommend busy (about 40 ms each) long enough to be signalled mid-work.
    const run = syntheticRun([HEALTHY]);
    run.environments = Array.from({ length: 100 }, (_, i) => ({ ...run.environments[0]!, env: `e${i}` }));
    const f = writeRunFile(run);
    // A signal that lands before Node has loaded the CLI kills it whatever the CLI does (no exit
    // code): then try again, later. After the fix one attempt exits 130; before it, none could.
    const codes: Array<number | null> = [];
    for (const delayMs of [800, 2000]) {
      const child = spawnCli(['recommend', '--from', f, '--json']);
      await new Promise((r) => setTimeout(r, delayMs));
      child.kill('SIGTERM');
      codes.push(await exitOf(child));
      if (codes.at(-1) !== null) break;
    }
    expect(codes.at(-1)).toBe(130);
  });
  it('TOML floats in integer keys are refused, whole or not, in both configs', () => {
    for (const v of ['1e1', '30.0', '2.5']) {
      const dir = copyExample({ 'environments/test/common.toml': `[common.database.pool]\nmax_connections = ${v}\n` });
      const r = runCli(['config', 'lint', '--config-dir', dir]);
      expect(r.status).toBe(1);
      expect(r.stdout).toContain('max_connections must be an integer');
    }
    const adv = advisorFile('[environments.test.workloads.database]\narrival = "closed"\nconcurrency = 16.0\nhold = "constant"\nhold_time = "1ms"\n');
    refused(runCli(['analyze', '--env', 'test', '--advisor-config', adv]), 2, 'concurrency: must be an integer, got the float 16.0');
  });
  it('appending to a file with no final newline keeps it without one', () => {
    const dir = copyExample({ 'environments/test/orchestration.toml': '# no final newline\n[orchestration.web]\nenabled = true' });
    const r = runCli(['generate', '--config-dir', dir, '--set', 'test.orchestration_web.web_api_max_connections=20']);
    expect(r.status, r.stderr).toBe(0);
    const text = readFileSync(join(dir, 'environments/test/orchestration.toml'), 'utf8');
    expect(text).toContain('web_api_max_connections = 20');
    expect(text.endsWith('\n')).toBe(false);
  });
});
