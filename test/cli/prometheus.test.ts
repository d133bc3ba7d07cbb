/**
 * A real Prometheus scrapes a running `analyze --metrics-port`, and its histogram_quantile of the
 * wait time agrees with the recorder's P99 over the same window, within the bucket resolution.
 *
 * The window is the analyze run's measurement window, matched to Prometheus's own samples (no
 * wall-clock alignment, so a slow machine cannot shift it): the recorder restarts its counters
 * when warm-up ends, so the scrape before that restart is the window's start in Prometheus (its
 * counter-reset handling then counts exactly what came after), and the last scrape is its end.
 * The range is set to start 1 ms before the first sample and to end on the last, so rate()
 * extrapolates by at most 1 ms. What Prometheus cannot see is the last scrape interval of the run
 * (<= 1 s of 12 s); on a steady workload that moves the P99 far less than one bucket.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pgUrl } from '../helpers/pg.js';
import { spawnCli } from '../helpers/cli.js';
import { advisorFile, scenarioConfig } from '../helpers/scenario.js';
import { hasTool, histogramQuantile } from '../helpers/promText.js';
import { freePort } from '../../src/shell/throwawayPg.js';
import { promQuery, startPrometheus } from '../helpers/prometheus.js';
import { decode, summarize } from '../../src/core/run/histogram.js';
import { BUCKET_BOUNDS_US, toBuckets } from '../../src/core/metrics/buckets.js';
import type { RunFile } from '../../src/core/run/types.js';

const cleanup: Array<() => void> = [];
afterAll(() => {
  for (const c of cleanup.reverse()) c();
});

/** The bucket (lower, upper], seconds, that holds `s`. */
function bucketOf(s: number): [number, number] {
  const bounds = BUCKET_BOUNDS_US.map((b) => b / 1e6);
  const i = bounds.findIndex((b) => s <= b);
  return i < 0 ? [bounds.at(-1)!, Infinity] : [i === 0 ? 0 : bounds[i - 1]!, bounds[i]!];
}

describe('Prometheus against analyze --metrics-port', () => {
  it("histogram_quantile(0.99) of the wait time agrees with the recorder's P99 over the same window", async (ctx) => {
    if (!hasTool('prometheus')) return ctx.skip('prometheus not found on PATH (Debian: apt-get install --no-install-recommends prometheus); skipped');
    const metricsPort = await freePort();
    const prom = await startPrometheus(`127.0.0.1:${metricsPort}`);
    cleanup.push(prom.stop);
    const out = join(mkdtempSync(join(tmpdir(), 'pa-run-')), 'run.json');
    // A steady queue: 150 acquires/s holding 40 ms on 8 connections (75% busy), so most acquires
    // get a connection at once and the tail waits tens of ms.
    const adv = advisorFile('[defaults]\nduration = "12s"\nwarmup = "3s"\n[environments.test.workloads.database]\narrival = "poisson"\nrate = 150\nhold = "constant"\nhold_time = "40ms"\n');
    // --fixed-duration: Prometheus's samples are read over the whole 12 s window.
    const child = spawnCli(['analyze', '--fixed-duration', '--config-dir', scenarioConfig({ max_connections: 8, min_connections: 2, acquire_timeout_seconds: 30 }), '--advisor-config', adv, '--env', 'test', '--database-url', pgUrl(), '--metrics-port', String(metricsPort), '--out', out, '--seed', '7']);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code, stderr).toBe(0);
    expect(stderr).toContain(`Metrics: http://127.0.0.1:${metricsPort}/metrics`);

    // Prometheus's samples of the wait count: find the restart at the end of warm-up.
    const raw = await promQuery(prom.base, 'db_client_connection_wait_time_seconds_count{pool_name="database"}[5m]');
    expect(raw, prom.log()).toHaveLength(1);
    const samples = raw[0]!.values!.map(([t, v]) => ({ t, v: Number(v) }));
    const reset = samples.findIndex((s, i) => i > 0 && s.v < samples[i - 1]!.v);
    expect(reset, `no scrape before the end of warm-up: ${JSON.stringify(samples)}`).toBeGreaterThan(0);
    const start = samples[reset - 1]!.t;
    const end = samples.at(-1)!.t;
    expect(end - start).toBeGreaterThan(8);
    const rangeMs = Math.round((end - start) * 1000) + 1;
    const query = `histogram_quantile(0.99, sum by (le) (rate(db_client_connection_wait_time_seconds_bucket{pool_name="database"}[${rangeMs}ms])))`;
    const answer = await promQuery(prom.base, query, end);
    expect(answer, query).toHaveLength(1);
    const promP99 = Number(answer[0]!.value![1]);
    // What Prometheus counted over the window, against the recorder's count.
    const counted = Number((await promQuery(prom.base, `increase(db_client_connection_wait_time_seconds_count{pool_name="database"}[${rangeMs}ms])`, end))[0]!.value![1]);

    const run = JSON.parse(readFileSync(out, 'utf8')) as RunFile;
    const pool = run.environments[0]!.pools.find((p) => p.pool === 'database')!;
    const wait = decode(pool.histograms.wait);
    const recorderP99 = summarize(wait).p99 / 1e6;
    const b = toBuckets(wait);
    const sameData = histogramQuantile(0.99, [...b.buckets, { le: Infinity, count: b.count }]);
    console.log(
      `prometheus: histogram_quantile(0.99) = ${(promP99 * 1000).toFixed(2)} ms over ${counted.toFixed(0)} acquires in ${(rangeMs / 1000).toFixed(1)} s; ` +
        `recorder: P99 ${(recorderP99 * 1000).toFixed(2)} ms over ${pool.counters.acquires} acquires; the same interpolation on the recorder's buckets: ${(sameData * 1000).toFixed(2)} ms`,
    );
    expect(Number.isFinite(promP99), query).toBe(true);
    expect(counted).toBeGreaterThan(0.85 * pool.counters.acquires);
    expect(counted).toBeLessThanOrEqual(pool.counters.acquires * 1.001);
    // Within the bucket resolution: Prometheus's answer lies in the bucket of the recorder's P99,
    // or in the next one when the recorder's P99 is within 15% of the edge between them.
    const lower = bucketOf(recorderP99 / 1.15)[0];
    const upper = bucketOf(recorderP99 * 1.15)[1];
    expect(promP99).toBeGreaterThan(lower);
    expect(promP99).toBeLessThanOrEqual(upper);
  }, 90_000);
});
