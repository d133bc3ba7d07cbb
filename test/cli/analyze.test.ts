import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pgUrl } from '../helpers/pg.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { advisorFile, leftovers, scenarioConfig, databaseWorkload } from '../helpers/scenario.js';
import { decode, summarize } from '../../src/core/run/histogram.js';
import { meanLevel } from '../../src/core/run/occupancy.js';
import type { RunFile } from '../../src/core/run/types.js';

const url = () => pgUrl();
const pgmqUrl = () => pgUrl().replace(/\/postgres$/, '/pool_advisor_pgmq');

/** When the last run under test started (leftovers counts only the backends opened since). */
let startedAt = 0;

function analyze(configDir: string, advisor: string, extra: string[] = []) {
  const out = join(mkdtempSync(join(tmpdir(), 'pa-run-')), 'run.json');
  startedAt = Date.now() - 1000;
  const r = runCli(['analyze', '--config-dir', configDir, '--advisor-config', advisor, '--env', 'test', '--database-url', url(), '--out', out, ...extra]);
  const run = r.status === 0 || r.status === 130 || r.status === 3 ? (JSON.parse(readFileSync(out, 'utf8')) as RunFile) : undefined;
  return { ...r, run, out };
}

function dbPool(run: RunFile, name = 'database') {
  const p = run.environments[0]!.pools.find((x) => x.pool === name)!;
  return { p, wait: summarize(decode(p.histograms.wait)), waited: p.counters.waited / Math.max(1, p.counters.acquires) };
}

const WORKLOAD = (rate: number, hold: string, extra = '') => databaseWorkload({ rate, hold, extra });

describe('analyze scenarios on a real PostgreSQL', () => {
  it('saturated: arrival rate x hold above max_connections gives many waits and a high P99', async () => {
    const r = analyze(scenarioConfig({ max_connections: 4, min_connections: 1, acquire_timeout_seconds: 30 }), advisorFile(WORKLOAD(300, '20ms')));
    expect(r.status, r.stderr).toBe(0);
    const { wait, waited } = dbPool(r.run!);
    expect(waited).toBeGreaterThan(0.5);
    expect(wait.p99).toBeGreaterThan(50_000);
    expect(r.stdout).toContain('Environment: test');
    expect(await leftovers(url(), startedAt)).toEqual({ backends: 0, schemas: [] });
  });

  it('healthy: almost no waits', async () => {
    const r = analyze(scenarioConfig({ max_connections: 10, min_connections: 4 }), advisorFile(WORKLOAD(50, '2ms')));
    expect(r.status, r.stderr).toBe(0);
    const { wait, waited, p } = dbPool(r.run!);
    expect(p.counters.acquires).toBeGreaterThan(120);
    expect(waited).toBeLessThan(0.05);
    // Under sqlx emulation an acquire from idle includes sqlx's ping (one round trip to the server),
    // as Tasker's does. The median acquire is that round trip alone; its tail is the server's and
    // the machine's (tens of ms on a loaded 2-core machine), not the pool's, so it is not asserted.
    expect(wait.p50).toBeLessThan(5_000);
  });

  it('a short lifetime via --set (outside Tasker\'s range, with a warning) counts expiries', () => {
    const r = analyze(scenarioConfig({ max_connections: 5, min_connections: 2 }), advisorFile(WORKLOAD(100, '5ms')), ['--set', 'test.database.max_lifetime_seconds=1']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain("warning: --set test.database.max_lifetime_seconds=1 is outside Tasker's range 60-86400");
    const { p } = dbPool(r.run!);
    expect(p.settings.max_lifetime_seconds).toBe(1);
    expect(p.counters.closed.expired).toBeGreaterThanOrEqual(4);
    expect(r.run!.environments[0]!.config.database!.keys.max_lifetime_seconds).toMatchObject({ value: 1, file: '--set' });
  });

  it('min_connections far above need: idle connections counted', () => {
    const r = analyze(scenarioConfig({ max_connections: 25, min_connections: 20 }), advisorFile(WORKLOAD(20, '2ms')));
    expect(r.status, r.stderr).toBe(0);
    const { p } = dbPool(r.run!);
    expect(meanLevel(p.occupancy.idle)).toBeGreaterThan(18);
    expect(meanLevel(p.occupancy.inUse)).toBeLessThan(1);
  });

  it('PGMQ shared: both workloads go through the database pool, and the output says so', async () => {
    const adv = advisorFile(`${WORKLOAD(50, '2ms')}\n[environments.test.workloads.pgmq]\narrival = "poisson"\nrate = 40\nhold = "queue"\nbatch = 3\n`);
    const r = analyze(scenarioConfig({ max_connections: 6, min_connections: 1 }), adv);
    expect(r.status, r.stderr).toBe(0);
    const env = r.run!.environments[0]!;
    expect(env.pgmqShared).toBe(true);
    expect(env.pools.map((p) => p.pool)).toEqual(['database']);
    expect(env.workloads.map((w) => [w.workload.pool, w.through])).toEqual([
      ['database', 'database'],
      ['pgmq', 'database'],
    ]);
    expect(env.workloads[1]!.generator.completed).toBeGreaterThan(100);
    expect(r.stdout).toContain('PGMQ shares the database pool: both workloads go through it');
    expect(await leftovers(url(), startedAt)).toEqual({ backends: 0, schemas: [] });
  });

  it('PGMQ separate: its own pool on its own database, driven at the same time', async () => {
    const adv = advisorFile(`${WORKLOAD(50, '2ms')}\n[environments.test.workloads.pgmq]\narrival = "poisson"\nrate = 40\nhold = "queue"\nbatch = 3\n`);
    const cfg = scenarioConfig({ max_connections: 6, min_connections: 1 }, { pgmqUrl: 'postgresql://localhost/pgmq', pgmq: { max_connections: 3, min_connections: 1 } });
    const r = analyze(cfg, adv, ['--pgmq-database-url', pgmqUrl()]);
    expect(r.status, r.stderr).toBe(0);
    const env = r.run!.environments[0]!;
    expect(env.pgmqShared).toBe(false);
    expect(env.pools.map((p) => p.pool)).toEqual(['database', 'pgmq']);
    expect(env.pools[1]!.settings.max_connections).toBe(3);
    expect(env.pools[1]!.counters.acquires).toBeGreaterThan(100);
    expect(r.stdout).toContain('PGMQ has its own pool');
    expect(await leftovers(url(), startedAt)).toEqual({ backends: 0, schemas: [] });
    expect(await leftovers(pgmqUrl(), startedAt)).toEqual({ backends: 0, schemas: [] });
  });
});

describe('analyze: safety and exit paths', () => {
  it('a non-local target without --yes exits 2 before any connection', () => {
    const t0 = Date.now();
    const r = runCli(['analyze', '--database-url', 'postgresql://app:S3cretPassw0rd@db.example.invalid:5432/app', '--duration', '1s']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('refusing to drive load at postgresql://app@db.example.invalid:5432/app');
    expect(r.stderr).toContain('--yes');
    expect(r.stderr + r.stdout).not.toContain('S3cretPassw0rd');
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('an unreachable database exits 3 quickly with one line and no password', () => {
    const t0 = Date.now();
    const r = runCli(['analyze', '--database-url', 'postgresql://app:S3cretPassw0rd@127.0.0.1:1/app', '--duration', '1s', '--env', 'test']);
    expect(r.status).toBe(3);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('ERROR:'));
    expect(errors).toEqual(['ERROR: cannot connect to postgresql://app@127.0.0.1:1/app (from --database-url): connection refused (is the server running, and on that port?)']);
    expect(r.stderr + r.stdout).not.toContain('S3cretPassw0rd');
    expect(Date.now() - t0).toBeLessThan(7000);
  });

  it('bad flags exit 2 with the flag named', () => {
    expect(runCli(['analyze', '--duration', 'ten']).stderr).toContain("--duration 'ten': not a duration");
    const r = runCli(['analyze', '--set', 'test.database.max_conections=4']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("did you mean 'max_connections'?");
    expect(runCli(['analyze', '--pool', 'orchestration_web']).status).toBe(2);
    // A bad --out is refused before any connection, not after the run with a stack trace.
    const out = runCli(['analyze', '--out', '/nonexistent/dir/run.json', '--duration', '1s']);
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('ERROR: --out /nonexistent/dir/run.json: the directory /nonexistent/dir does not exist');
    expect(out.stderr).not.toContain('Target:');
  });

  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`${sig} mid-run: exit 130, the partial result printed and saved, no backend or scratch schema left`, async () => {
      const out = join(mkdtempSync(join(tmpdir(), 'pa-run-')), 'run.json');
      const adv = advisorFile(`${WORKLOAD(100, '5ms')}\n[environments.test.workloads.pgmq]\narrival = "poisson"\nrate = 20\nhold = "queue"\n`.replace('duration = "4s"', 'duration = "60s"'));
      startedAt = Date.now() - 1000;
      // --fixed-duration: the signal must find the run still measuring (a settled answer could end it first).
      const child = spawnCli(['analyze', '--fixed-duration', '--config-dir', scenarioConfig({ max_connections: 5, min_connections: 2 }), '--advisor-config', adv, '--env', 'test', '--database-url', url(), '--out', out]);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      await new Promise((r) => setTimeout(r, 3500));
      const t0 = Date.now();
      child.kill(sig);
      const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      expect(code, stderr).toBe(130);
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(stdout).toContain('[interrupted: partial]');
      const run = JSON.parse(readFileSync(out, 'utf8')) as RunFile;
      expect(run.partial).toBe(true);
      expect(run.environments[0]!.interrupted).toBe(true);
      expect(run.environments[0]!.pools[0]!.counters.acquires).toBeGreaterThan(50);
      expect(await leftovers(url(), startedAt)).toEqual({ backends: 0, schemas: [] });
    });
  }
});
