/**
 * One alert `pool-advisor alerts` writes, evaluated by a real Prometheus against a live
 * `analyze --metrics-port` run: it fires for a saturated pool and stays quiet for a healthy one.
 * The rules are the command's own output, with a short window and `for` (--window 5s --for 2s) and
 * Prometheus scraping and evaluating every second, so each case takes about 20 s.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pgUrl } from '../helpers/pg.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { advisorFile, databaseWorkload, scenarioConfig } from '../helpers/scenario.js';
import { hasTool } from '../helpers/promText.js';
import { promQuery, startPrometheus } from '../helpers/prometheus.js';
import { freePort } from '../../src/shell/throwawayPg.js';

const cleanup: Array<() => void> = [];
afterAll(() => {
  for (const c of cleanup.reverse()) c();
});

const ALERT = 'DatabasePoolUtilizationMean';
const RECORD = 'pool_advisor:utilization:mean_5s';

/** Write the rules, start Prometheus with them, run analyze against it; return what Prometheus saw. */
async function runCase(pool: { max_connections: number; min_connections: number; acquire_timeout_seconds: number }, workload: { rate: number; hold: string }) {
  const adv = advisorFile(databaseWorkload({ ...workload, duration: '14s', defaults: 'seed = 3\n' }));
  const rules = join(mkdtempSync(join(tmpdir(), 'pa-alert-rules-')), 'pool.rules.yml');
  const w = runCli(['alerts', '--family', 'pool-advisor', '--advisor-config', adv, '--threshold', 'database.utilization: mean < 80%', '--window', '5s', '--for', '2s', '--out', rules]);
  expect(w.status, w.stderr).toBe(0);
  expect(w.stdout).toContain(`${ALERT} (critical, for 2s, window 5s): database.utilization: mean < 80%`);
  const metricsPort = await freePort();
  const prom = await startPrometheus(`127.0.0.1:${metricsPort}`, [rules]);
  cleanup.push(prom.stop);
  // --fixed-duration: the alert is watched over the whole 14 s window.
  const child = spawnCli(['analyze', '--fixed-duration', '--config-dir', scenarioConfig(pool), '--advisor-config', adv, '--env', 'test', '--database-url', pgUrl(), '--metrics-port', String(metricsPort)]);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Watch the alert while the run lasts, as an operator's Alertmanager would.
  const states = new Set<string>();
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  let done = false;
  void exited.then(() => (done = true));
  while (!done) {
    const res = await fetch(`${prom.base}/api/v1/alerts`).then((r) => r.json() as Promise<{ data: { alerts: Array<{ labels: Record<string, string>; state: string }> } }>);
    for (const a of res.data.alerts) if (a.labels.alertname === ALERT && a.labels.pool_name === 'database') states.add(a.state);
    await new Promise((r) => setTimeout(r, 500));
  }
  expect(await exited, stderr).toBe(0);
  // Over the whole run: the recorded utilisation, and any firing sample of the alert.
  const util = await promQuery(prom.base, `max_over_time(${RECORD}{pool_name="database"}[2m])`);
  const firing = await promQuery(prom.base, `ALERTS{alertname="${ALERT}",alertstate="firing",pool_name="database"}[2m]`);
  const maxUtil = util.length > 0 ? Number(util[0]!.value![1]) : NaN;
  return { states, maxUtil, firingSamples: firing.flatMap((s) => s.values ?? []).length, log: prom.log() };
}

describe.skipIf(!hasTool('prometheus'))('alerts evaluated by Prometheus against analyze --metrics-port', () => {
  it('fires for a saturated pool', async () => {
    // 300 acquires/s holding 20 ms need 6 connections; the pool has 4.
    const r = await runCase({ max_connections: 4, min_connections: 4, acquire_timeout_seconds: 2 }, { rate: 300, hold: '20ms' });
    console.log(`saturated: max recorded utilisation ${(r.maxUtil * 100).toFixed(1)}%, alert states seen ${[...r.states].join(', ')}, ${r.firingSamples} firing samples`);
    expect(r.maxUtil, r.log).toBeGreaterThan(0.8);
    expect(r.states.has('firing')).toBe(true);
    expect(r.firingSamples).toBeGreaterThan(0);
  }, 90_000);

  it('stays quiet for a healthy pool', async () => {
    // 50 acquires/s holding 2 ms: 0.1 connections busy on average out of 8.
    const r = await runCase({ max_connections: 8, min_connections: 2, acquire_timeout_seconds: 10 }, { rate: 50, hold: '2ms' });
    console.log(`healthy: max recorded utilisation ${(r.maxUtil * 100).toFixed(1)}%, alert states seen ${[...r.states].join(', ') || 'none'}, ${r.firingSamples} firing samples`);
    // The rule had data (not quiet for want of series), and the alert never fired.
    expect(Number.isFinite(r.maxUtil), r.log).toBe(true);
    expect(r.maxUtil).toBeLessThan(0.8);
    expect(r.states.size).toBe(0);
    expect(r.firingSamples).toBe(0);
  }, 90_000);
});
