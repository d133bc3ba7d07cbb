import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pgUrl } from '../helpers/pg.js';
import { runCli } from '../helpers/cli.js';
import { advisorFile, scenarioConfig } from '../helpers/scenario.js';

describe('generate --measure', () => {
  it('measures a saturated pool and writes the recommended max_connections into the environment file', () => {
    const cfg = scenarioConfig({ max_connections: 2, min_connections: 1, acquire_timeout_seconds: 30 });
    const adv = advisorFile(`[defaults]\nduration = "4s"\nwarmup = "1s"\n[environments.test.workloads.database]\narrival = "poisson"\nrate = 150\nhold = "exponential"\nhold_mean = "10ms"\n`);
    const r = runCli(['generate', '--measure', '--config-dir', cfg, '--advisor-config', adv, '--env', 'test', '--database-url', pgUrl()]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('Measuring test before writing');
    const text = readFileSync(join(cfg, 'environments/test/common.toml'), 'utf8');
    expect(text.startsWith('# test environment\n')).toBe(true);
    const m = /\[common\.database\.pool\]\nmax_connections = (\d+)/.exec(text);
    expect(m, text).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(2);
    const show = JSON.parse(runCli(['config', 'show', '--config-dir', cfg, '--json']).stdout);
    expect(show.environments[0].pools.database.settings.max_connections).toBe(Number(m![1]));
  });

  it('--measure with --from is a usage error', () => {
    const r = runCli(['generate', '--measure', '--from', 'run.json', '--config-dir', scenarioConfig({ max_connections: 2, min_connections: 1 })]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--measure and --from both give recommendations');
  });
});
