/**
 * Advice that holds up on hard cases (issue 13), end to end on the real PostgreSQL the suite
 * starts (a server on this machine: target kind "local"):
 * - a CPU-bound server pinned at max_connections for the whole run is found by the calibration
 *   phase, max_connections is not raised, and on a local target no key changes at all;
 * - a run whose machine stalled (the process stopped with SIGSTOP mid-window) is invalid: its
 *   figures print with the reason, no key changes, analyze exits 4, and so does recommend --from.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pgUrl } from '../helpers/pg.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { advisorFile, scenarioConfig } from '../helpers/scenario.js';
import type { RunFile } from '../../src/core/run/types.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'pa-hard-'));

describe('hard cases', () => {
  it('a CPU-bound server at max_connections all run long: no raise, the server named as the limit, no key changed on a local target', () => {
    const cfg = scenarioConfig({ max_connections: 8, min_connections: 2, acquire_timeout_seconds: 30 });
    const adv = advisorFile(`[defaults]\nduration = "3s"\nwarmup = "500ms"\n[environments.test.workloads.database]\narrival = "poisson"\nrate = 400\nhold = "sql"\nsql = "SELECT count(*) FROM generate_series(1, 150000)"\n`);
    const out = join(tmp(), 'run.json');
    const r = runCli(['analyze', '--config-dir', cfg, '--advisor-config', adv, '--env', 'test', '--pool', 'database', '--database-url', pgUrl(), '--json', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const data = JSON.parse(r.stdout) as { advice: { targetKind: string; recommendations: Array<{ pool: string; key: string }>; findings: Array<{ pool: string | null; kind: string; message: string }> } };
    expect(data.advice.targetKind).toBe('local');
    expect(data.advice.recommendations.filter((x) => x.pool === 'database')).toEqual([]);
    const ds = data.advice.findings.find((f) => f.pool === 'database' && f.kind === 'database-saturation');
    expect(ds?.message, JSON.stringify(data.advice.findings)).toContain('the server, not the pool, limited this run');
    expect(ds!.message).toContain('this run cannot size the pool');
    expect(data.advice.findings.find((f) => f.kind === 'acquire-timeout')?.message ?? '').not.toContain('addresses');
    const run = JSON.parse(readFileSync(out, 'utf8')) as RunFile;
    expect(run.targetKind).toBe('local');
    const cal = run.environments[0]!.workloads[0]!.calibration!;
    expect(cal.connections).toBe(1);
    expect(cal.holds).toBeGreaterThanOrEqual(5);
  });

  it('a stalled run (the process stopped for 4 s mid-window) is invalid: figures and the reason print, no key changes, exit 4; recommend --from exits 4 too', async () => {
    const cfg = scenarioConfig({ max_connections: 3, min_connections: 1, acquire_timeout_seconds: 30 });
    const adv = advisorFile(`[defaults]\nduration = "8s"\nwarmup = "500ms"\n[environments.test.workloads.database]\narrival = "poisson"\nrate = 150\nhold = "exponential"\nhold_mean = "20ms"\n`);
    const out = join(tmp(), 'run.json');
    const child = spawnCli(['analyze', '--config-dir', cfg, '--advisor-config', adv, '--env', 'test', '--pool', 'database', '--database-url', pgUrl(), '--out', out]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exit = new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
    await new Promise((res) => setTimeout(res, 4500));
    child.kill('SIGSTOP');
    await new Promise((res) => setTimeout(res, 4000));
    child.kill('SIGCONT');
    const code = await exit;
    expect(code, stderr).toBe(4);
    expect(stdout).toContain('INVALID RUN');
    expect(stdout).toMatch(/Acquire wait/);
    expect(stdout).toMatch(/Recommendations\n\s+none/);
    expect(stderr).toMatch(/ERROR: this run: the run is invalid, so no key is changed: test: .*(stalled|late|blocked)/);
    const run = JSON.parse(readFileSync(out, 'utf8')) as RunFile;
    expect(run.environments[0]!.eventLoop!.maxMs).toBeGreaterThan(2000);
    const rec = runCli(['recommend', '--from', out, '--advisor-config', adv]);
    expect(rec.status).toBe(4);
    expect(rec.stdout).toContain('INVALID RUN');
    const chk = runCli(['check', '--from', out, '--advisor-config', adv]);
    expect(chk.status).toBe(4);
  });
});
