/**
 * `observe --until-settled` (issue 35): the built CLI observes a real steady service (a plain
 * pg.Pool under an open load, test/helpers/uninstrumented/service.mjs) and stops before
 * `--duration` once the advice is settled, says so, and saves the record; a minimum longer than
 * the window is refused in one line.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pgUrl } from '../helpers/pg.js';
import { runCli, runCliAsync } from '../helpers/cli.js';
import { EXAMPLE_DIR } from '../helpers/configFixture.js';
import { startServices } from '../helpers/uninstrumented/harness.js';
import type { ObservationFile } from '../../src/core/observe/file.js';

describe('pool-advisor observe --until-settled', () => {
  it('stops a steady service before --duration once the advice is settled, and says and saves so', async () => {
    // Offered load 2 (50/s x 40 ms) mapped to the example's test.database (size 10): Erlang C's need
    // at any mean busy near 2 is 6 or 7, so the pool is not oversized (10 <= 2 x need) nor short,
    // far from any size boundary; the advice is the same at every corner.
    const svc = startServices(pgUrl(), [{ name: 'api', appName: 'api', max: 12, rate: 50, holdMs: 40, idleTimeoutMs: 60_000, durationMs: 30_000 }]);
    try {
      await svc.ready;
      const out = join(mkdtempSync(join(tmpdir(), 'pa-obs-settle-')), 'obs.json');
      const t0 = Date.now();
      const r = await runCliAsync(['observe', '--database-url', pgUrl(), '--duration', '25s', '--until-settled', '4s', '--interval', '50ms', '--config-dir', EXAMPLE_DIR, '--map', 'app:api=test.database', '--out', out, '--no-progress']);
      const wallMs = Date.now() - t0;
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^\[observe\] settled after \d+ s \(at least 4 s, at most 25 s\)$/m);
      const file = JSON.parse(readFileSync(out, 'utf8')) as ObservationFile;
      expect(file.settle).toMatchObject({ settled: true, minS: 4, maxS: 25, alpha: 0.05 });
      expect(file.settle!.looks).toBeGreaterThanOrEqual(1);
      expect(file.settle!.afterS).toBeGreaterThanOrEqual(4);
      expect(file.observation.durationMs).toBeLessThan(20_000);
      expect(wallMs).toBeLessThan(22_000);
      expect(file.partial).toBe(false);
      // The saved observation reads back as evidence.
      const rec = runCli(['recommend', '--from', out, '--json']);
      expect(rec.status, rec.stderr).toBe(0);
    } finally {
      svc.kill();
    }
  });

  it('refuses a minimum longer than --duration in one line, exit 2', () => {
    const r = runCli(['observe', '--database-url', 'postgresql://x@127.0.0.1:1/db', '--duration', '30s', '--until-settled', '1m']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^ERROR: --until-settled 1m is longer than --duration 30s/);
    expect(r.stderr.trim().split('\n')).toHaveLength(2);
    const d = runCli(['observe', '--database-url', 'postgresql://x@127.0.0.1:1/db', '--duration', '1m', '--until-settled']);
    expect(d.status).toBe(2);
    expect(d.stderr).toMatch(/--until-settled 2m \(the default minimum\) is longer than --duration 1m/);
  });
});
