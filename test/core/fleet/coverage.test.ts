/**
 * Rates and per-window means over each series' own covered span (issue 31, item 4): a replica that
 * started inside the window (or a Prometheus that just started) had its increase divided by the whole
 * window, and so its rate understated without a word (9.5/s reported, 38.9/s true).
 */
import { describe, expect, it } from 'vitest';
import { FAMILIES, defaultPrometheusSpec, recognise } from '../../../src/core/metrics-catalogue/families.js';
import { planQueries, spanStepMs } from '../../../src/core/fleet/plan.js';
import { assembleFleet, coveredSpan, type VectorSample } from '../../../src/core/fleet/assemble.js';
import { fleetEvidence } from '../../../src/core/fleet/evidence.js';
import { renderFleet } from '../../../src/core/render/fleet.js';

const OWN = ['db_client_connections', 'db_client_connection_max', 'db_client_connection_wait_time_seconds_count', 'db_client_connection_wait_time_seconds_sum', 'db_client_connection_use_time_seconds_count', 'db_client_connection_use_time_seconds_sum', 'pool_advisor_connections_created_total'];
const W = { startMs: 1_800_000_000_000, endMs: 1_800_000_240_000 };

describe('covered span', () => {
  it('is the window for a series scraped across it (first and last sample within 1.1 intervals of the edges)', () => {
    expect(coveredSpan(W, W.startMs + 700, W.endMs - 300, 240)).toEqual({ seconds: 240 });
  });
  it("starts half an interval before the first sample of a series that began inside the window, as Prometheus's increase() extrapolates", () => {
    // Scraped every second from 180 s before the end: 180 samples.
    const first = W.endMs - 179_500;
    const s = coveredSpan(W, first, W.endMs - 500, 180);
    expect(s.seconds).toBeCloseTo(179.5 + 0.5, 6);
    expect(s.partial!.share).toBeCloseTo(180 / 240, 6);
  });
  it('is the window when the samples are not known', () => {
    expect(coveredSpan(W, undefined, undefined, undefined)).toEqual({ seconds: 240 });
  });
});

describe('rates over each replica\'s own span', () => {
  it('two replicas at 40/s, one started 60 s into a 240 s window: both read 40/s, the late one said to be partial; the queries are 2.42\'s', () => {
    const spec = defaultPrometheusSpec();
    const matches = recognise(OWN, FAMILIES);
    const plan = planQueries(matches, spec, W);
    for (const q of plan) expect(q.promql).not.toMatch(/first_over_time|last_over_time/);
    const step = spanStepMs(W);
    expect(step).toBe(240);
    const early = { pool_name: 'database', instance: 'a:9400' };
    const late = { pool_name: 'database', instance: 'b:9400' };
    const lateFirst = W.startMs + 60_000 + 400;
    const answers: VectorSample[][] = plan.map((q) => {
      switch (q.part) {
        case 'span_first':
          return [{ metric: early, value: (W.startMs + 400) / 1000 }, { metric: late, value: lateFirst / 1000 }];
        case 'span_last':
          return [{ metric: early, value: (W.endMs - 600) / 1000 }, { metric: late, value: (W.endMs - 600) / 1000 }];
        case 'span_samples':
          return [{ metric: early, value: 240 }, { metric: late, value: 180 }];
        case 'wait_count':
          // What increase() gives: 40/s over each one's extrapolated span.
          return [{ metric: early, value: 40 * 240 }, { metric: late, value: 40 * (W.endMs - lateFirst + 500) / 1000 }];
        case 'use_sum':
          return [{ metric: early, value: 2 * 240 }, { metric: late, value: 2 * (W.endMs - lateFirst + 500) / 1000 }];
        default:
          return [];
      }
    });
    const reading = assembleFleet(matches, spec, W, plan, answers);
    const [a, b] = reading.replicas;
    expect(a!.arrivalRate).toBeCloseTo(40, 6);
    expect(b!.arrivalRate).toBeCloseTo(40, 6);
    expect(b!.use!.meanInUse).toBeCloseTo(2, 6);
    expect(a!.partial).toBeUndefined();
    expect(b!.partial!.share).toBeCloseTo(0.75, 2);
    expect(renderFleet(reading, 'http://prom:9090', [], { color: false })).toContain('its series covered 180 s of the window (75%');
    // The evidence's window is the series' own: closes per minute and the rates downstream follow it.
    const envs = fleetEvidence(reading, [], 'http://prom:9090');
    const u = envs[0]!.unmapped.find((x) => x.replica === 'b:9400')!;
    expect(u.source.durationMs).toBe(180_100);
    expect(u.source.detail).toContain('over the 180 s its series covered (75% of the window)');
  });
});
