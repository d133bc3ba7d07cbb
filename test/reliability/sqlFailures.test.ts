/**
 * A workload whose SQL fails on every request (issue 14, item 2): the failed requests make the run
 * invalid. The first error is shown (password scrubbed) with its count, no key is changed, and
 * analyze exits 3 (most requests failed in SQL); recommend and generate --from on the saved run
 * refuse it the same way. Acquire timeouts stay evidence of a saturated pool (not tested here).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startThrowaway, type ThrowawayCluster } from '../../src/shell/throwawayPg.js';
import { runCli } from '../helpers/cli.js';
import { advisorFile, scenarioConfig } from '../helpers/scenario.js';
import type { RunFile } from '../../src/core/run/types.js';

const PASSWORD = 'Sql-Fail-Pass-7d1e';
let c: ThrowawayCluster | undefined;
afterAll(async () => {
  await c?.stop();
});

describe('a workload whose SQL fails on every request', () => {
  it('exits 3 with the first error and its count, changes no key, and a saved run is refused by recommend and generate --from', async () => {
    c = await startThrowaway({ maxConnections: 40, password: PASSWORD });
    const dir = mkdtempSync(join(tmpdir(), 'pa-sqlfail-'));
    const out = join(dir, 'run.json');
    const cfg = scenarioConfig({ max_connections: 10, min_connections: 2 });
    const adv = advisorFile(`[defaults]\nduration = "2s"\nwarmup = "500ms"\n[environments.test.workloads.database]\narrival = "poisson"\nrate = 50\nhold = "sql"\nsql = "SELECT * FROM nosuch_table"\n`);
    const r = runCli(['analyze', '--config-dir', cfg, '--advisor-config', adv, '--env', 'test', '--pool', 'database', '--database-url', c.url, '--out', out]);
    expect(r.status, r.stderr).toBe(3);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('ERROR:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/test: \d+ of \d+ requests failed in SQL \(first error: relation "nosuch_table" does not exist \(SQLSTATE 42P01\)\): the run failed against the database, so no key is changed/);
    expect(r.stdout).toContain('INVALID RUN');
    expect(r.stdout).toMatch(/Recommendations\n\s+none/);
    expect(r.stdout).not.toMatch(/max_connections \d+ -> \d+/);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    const run = JSON.parse(readFileSync(out, 'utf8')) as RunFile;
    const g = run.environments[0]!.workloads[0]!.generator;
    expect(g.sqlFailed).toBeGreaterThan(20);
    expect(g.sqlFailed).toBe(g.failed);
    expect(readFileSync(out, 'utf8')).not.toContain(PASSWORD);

    const rec = runCli(['recommend', '--from', out, '--advisor-config', adv]);
    expect(rec.status).toBe(3);
    expect(rec.stdout).toContain('INVALID RUN');
    expect(rec.stderr).toContain('nosuch_table');

    const target = mkdtempSync(join(tmpdir(), 'pa-sqlfail-cfg-'));
    const gen = runCli(['generate', '--from', out, '--config-dir', join(target, 'config'), '--advisor-config', adv]);
    expect(gen.status).toBe(3);
    expect(existsSync(join(target, 'config'))).toBe(false);
  });
});
