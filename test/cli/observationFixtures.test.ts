/**
 * Writes the saved observations the report and output tests read (test/fixtures/observations/),
 * each made by `observe --out` of real services on the test server, not by hand. It only runs when
 * asked (it takes about two minutes), so CI skips it:
 *
 *   npm run build && POOL_ADVISOR_WRITE_FIXTURES=1 flock /work/notes/heavy.lock \
 *     npx vitest run --project integration test/cli/observationFixtures.test.ts
 *
 * - fleet-timeline.json: from the server alone, two replicas of one plain pg.Pool service (source
 *   addresses 127.0.0.2 and 127.0.0.3, 6 s lifetime, 2 s idle timeout) mapped to test.database, with the timeline;
 * - merged.json: an instrumented service (test/helpers/fleetService.mjs) observed from the server
 *   and from its pool metrics in a real Prometheus, merged;
 * - prometheus-only.json: the same service's metrics alone, over the last 20 s;
 * - pgbouncer.json: a plain pg.Pool service through PgBouncer (transaction mode, pool_size 3), with
 *   its admin console read.
 * (server-only.json, saved before observations kept a timeline, stays as the older format.)
 */
import { copyFileSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pgUrl } from '../helpers/pg.js';
import { ROOT, runCliAsync } from '../helpers/cli.js';
import { advisorFile, scenarioConfig } from '../helpers/scenario.js';
import { startServices } from '../helpers/uninstrumented/harness.js';
import { startFleetPrometheus } from '../helpers/fleetPrometheus.js';
import { startFleetService } from '../helpers/fleetServiceProc.js';
import { startPgBouncer } from '../helpers/otherPools.js';
import { freePort } from '../../src/shell/throwawayPg.js';

const WRITE = process.env.POOL_ADVISOR_WRITE_FIXTURES === '1';
const OUT = join(ROOT, 'test', 'fixtures', 'observations');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cleanup: Array<() => void> = [];
afterAll(() => {
  for (const c of cleanup.reverse()) c();
});

/** Run observe with `args`, check it saved, and copy the file into the fixtures. */
async function observe(name: string, args: string[]): Promise<void> {
  const saved = join(mkdtempSync(join(tmpdir(), 'pa-fixture-')), name);
  const r = await runCliAsync(['observe', ...args, '--out', saved, '--no-progress']);
  expect(r.status, r.stderr).toBe(0);
  copyFileSync(saved, join(OUT, name));
  console.log(`${name}: ${statSync(saved).size} bytes`);
}

describe.skipIf(!WRITE)('the saved observations of test/fixtures/observations, written by observe', () => {
  const cfg = scenarioConfig({ max_connections: 10, min_connections: 1, max_lifetime_seconds: 60, idle_timeout_seconds: 2 });
  const map = ['--map', 'app:orders=test.database', '--config-dir', cfg];

  it('from the server alone: two replicas of one service, with the timeline', async () => {
    const spec = { appName: 'orders', max: 10, rate: 40, holdMs: 60, lifetimeS: 6, idleTimeoutMs: 2000, durationMs: 40_000 };
    const svc = startServices(pgUrl(), [
      { ...spec, name: 'orders-a', localAddress: '127.0.0.2' },
      { ...spec, name: 'orders-b', localAddress: '127.0.0.3', rate: 25 },
    ]);
    cleanup.push(svc.kill);
    await svc.ready;
    await sleep(3000);
    await observe('fleet-timeline.json', ['--database-url', pgUrl(), '--duration', '20s', '--interval', '200ms', ...map, '--server-cores', '2']);
    svc.kill();
  }, 120_000);

  it('from the server and Prometheus (merged), and from Prometheus alone', async () => {
    const svc = await startFleetService({ url: pgUrl(), rate: 60, holdMs: 30, serverHold: true, max: 8, seconds: 80, seed: 3, appName: 'orders', lifetimeS: 6 }, cleanup);
    const prom = await startFleetPrometheus([{ name: 'orders', targets: [`127.0.0.1:${svc.port}`] }]);
    cleanup.push(prom.stop);
    await sleep(5000);
    const adv = advisorFile('[prometheus]\nenvironment = "test"\n');
    await observe('merged.json', ['--database-url', pgUrl(), '--prometheus', prom.base, '--advisor-config', adv, '--duration', '20s', '--interval', '200ms', ...map, '--server-cores', '2']);
    await sleep(3000);
    await observe('prometheus-only.json', ['--prometheus', prom.base, '--advisor-config', adv, '--since', '20s', '--config-dir', cfg]);
    svc.proc.kill('SIGTERM');
  }, 150_000);

  it('behind PgBouncer, with its admin console', async () => {
    const bouncer = await startPgBouncer(pgUrl(), await freePort(), { poolMode: 'transaction', poolSize: 3 }, cleanup);
    const svc = startServices(bouncer.url('orders'), [{ name: 'orders', appName: 'orders', max: 10, rate: 60, holdMs: 45, durationMs: 40_000 }]);
    cleanup.push(svc.kill);
    await svc.ready;
    await sleep(3000);
    await observe('pgbouncer.json', ['--database-url', pgUrl(), '--pgbouncer-url', bouncer.adminUrl, '--duration', '20s', '--interval', '200ms', ...map, '--server-cores', '2']);
    svc.kill();
  }, 120_000);
});
