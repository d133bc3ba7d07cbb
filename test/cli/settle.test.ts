import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pgUrl } from '../helpers/pg.js';
import { runCli } from '../helpers/cli.js';
import { advisorFile, databaseWorkload, scenarioConfig } from '../helpers/scenario.js';
import type { RunFile } from '../../src/core/run/types.js';

describe('analyze stops when the answer is settled (issue 35)', () => {
  /**
   * One run covers the new default and progress off a terminal: a pool far from any boundary
   * (200/s x 2 ms, 0.4 connections busy, on 4, against a 100 ms target: the machine's own noise in the P99 wait, a few ms on a loaded CI machine, is far from it) settles at a look from 10 s on, well before its
   * 30 s maximum; the run file records it; and since the command ran more than 10 s with stderr a
   * pipe, a `progress: ` line was written.
   */
  it('settles a pool far from any boundary before --duration, says so, records it, and writes progress lines off a terminal', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'pa-settle-')), 'run.json');
    const adv = advisorFile(databaseWorkload({ rate: 200, hold: '2ms', dist: 'exponential', duration: '30s', defaults: 'seed = 11\ntarget_p99_wait = "100ms"\n' }));
    const cfg = scenarioConfig({ max_connections: 4, min_connections: 2 });
    const started = Date.now();
    const r = runCli(['analyze', '--config-dir', cfg, '--advisor-config', adv, '--env', 'test', '--pool', 'database', '--database-url', pgUrl(), '--out', out]);
    const tookS = (Date.now() - started) / 1000;
    expect(r.status, r.stderr).toBe(0);
    const m = /^\[test\] settled after (\d+) s \(at most 30 s\)$/m.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    const after = Number(m![1]);
    expect(after).toBeGreaterThanOrEqual(10);
    expect(after).toBeLessThan(30);
    expect(tookS).toBeLessThan(28);
    const run = JSON.parse(readFileSync(out, 'utf8')) as RunFile;
    const env = run.environments[0]!;
    expect(env.settle).toMatchObject({ settled: true, maxS: 30, alpha: 0.05 });
    expect(env.settle!.looks).toBeGreaterThanOrEqual(1);
    expect(env.durationMs).toBeLessThan(29_000);
    expect(env.plannedDurationMs).toBeLessThan(30_000);
    expect(run.environments[0]!.pools[0]!.counters.acquires).toBeGreaterThan(1500);
    // Progress off a terminal: newline-terminated lines with the fixed prefix.
    expect(r.stderr).toMatch(/^progress: \[test\] (warm-up|measuring) \d+s, \d+s left {2}database: P99 .*, waiting \d+$/m);
    // The saved run reads back (the reader checks the new part).
    const rec = runCli(['recommend', '--from', out, '--json']);
    expect(rec.status, rec.stderr).toBe(0);
  }, 60_000);
});
