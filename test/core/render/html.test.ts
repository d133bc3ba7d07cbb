import { describe, expect, it } from 'vitest';
import { evidenceFromRun, poolEvidenceFromRun } from '../../../src/core/evidence/fromRun.js';
import { DEFAULT_RULES } from '../../../src/core/advisor/defaults.js';
import type { AdvisorConfig } from '../../../src/core/advisor/types.js';
import { adviseEvidence } from '../../../src/core/rules/index.js';
import { renderHtmlReport } from '../../../src/core/render/html.js';
import { esc, pathOf } from '../../../src/core/render/charts/axes.js';
import { spectrumChart } from '../../../src/core/render/charts/spectrum.js';
import { timelineChart } from '../../../src/core/render/charts/timeline.js';
import { whatIfChart } from '../../../src/core/render/charts/whatIf.js';
import { waitHistogram } from '../../../src/core/render/run.js';
import { waitDecades, waitSpectrum, whatIfCurve } from '../../../src/core/analysis/charts.js';
import { encode, newHistogram, recordUs } from '../../../src/core/run/histogram.js';
import { Recorder } from '../../../src/core/run/recorder.js';
import type { PoolRun, RunFile } from '../../../src/core/run/types.js';
import { configSnapshot, rng, RULE_SCENARIOS, simulatePool, syntheticRun, WORKED_EXAMPLE } from '../../helpers/syntheticRun.js';

const ADVISOR: AdvisorConfig = { source: 'test', targetP99WaitMs: 10, rules: DEFAULT_RULES, environments: {}, thresholds: [], seed: 1 };

function report(run: RunFile): string {
  const { analysis, advice } = adviseEvidence(evidenceFromRun(run), ADVISOR);
  return renderHtmlReport(evidenceFromRun(run), analysis, advice);
}

function charts(html: string): string[] {
  return [...html.matchAll(/<svg class="chart" data-chart="([a-z]+)"/g)].map((m) => m[1]!);
}

/**
 * A 10-minute run the way the Recorder records it, on a synthetic clock: the database pool at
 * 2,000 acquires/s with a lifetime expiry every 3 s (so the expiry list fills to its bound), and
 * a PGMQ pool simulated for the same 10 minutes.
 */
function tenMinuteRun(): RunFile {
  const settings = { max_connections: 10, min_connections: 2, acquire_timeout_seconds: 10, idle_timeout_seconds: 300, max_lifetime_seconds: 1800, slow_acquire_threshold_ms: 100 };
  const r = new Recorder({ pool: 'database', settings, emulateSqlx: true }, 0, 1_700_000_000_000);
  const rand = rng(7);
  let t = 0;
  for (let sec = 0; sec < 600; sec++) {
    for (let i = 0; i < 2000; i++) {
      t += 500;
      const queued = rand() < 0.1;
      r.acquired(queued ? 'queued' : 'idle', queued ? 100 + rand() * 20_000 : 1 + rand() * 5, 'ok');
      const inUse = 1 + Math.floor(rand() * 8);
      r.gauges({ inUse, idle: 10 - inUse, waiting: queued ? 1 : 0, total: 10 }, t);
      r.released(1000 + rand() * 5000, inUse);
    }
    if (sec % 3 === 0) {
      r.closed('expired', 1800, t);
      r.opened(2000);
    }
    r.tick(t, 0);
  }
  const database = r.snapshot(t) as PoolRun;
  const pgmq = simulatePool({ pool: 'pgmq', durationS: 600, arrivals: { kind: 'poisson', rate: 100 }, hold: { dist: 'exponential', meanMs: 10 }, settings: { max_connections: 5, min_connections: 1, max_lifetime_seconds: 60 } });
  const db = simulatePool({ durationS: 1, arrivals: { kind: 'constant', rate: 1 }, hold: { dist: 'constant', ms: 1 } });
  const run = syntheticRun([{ ...WORKED_EXAMPLE, durationS: 1 }], { env: 'production', pgmqShared: false });
  const env = run.environments[0]!;
  env.durationMs = 600_000;
  env.pools = [database, pgmq.pool];
  env.workloads = [{ ...db.workload, workload: { ...db.workload.workload, durationS: 600 } }, pgmq.workload];
  env.config = { database: configSnapshot('database', settings), pgmq: configSnapshot('pgmq', pgmq.pool.settings) };
  return run;
}

describe('the HTML report', () => {
  const saturated = syntheticRun([WORKED_EXAMPLE]);

  it('puts the verdict first, then the recommendations, then per pool three charts, then the overrides with a copy button', () => {
    const html = report(saturated);
    const order = ['id="verdict"', 'id="recommendations"', 'data-chart="spectrum"', 'data-chart="whatif"', 'data-chart="timeline"', 'TOML overrides for test', 'class="copy"'].map((s) => html.indexOf(s));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(charts(html)).toEqual(['spectrum', 'whatif', 'timeline']);
    expect(html).toContain('1 setting to change.');
    expect(html).toContain('max_connections 5 → 8');
    expect(html).toContain('max_connections = 8  # was 5 (config/tasker/base/common.toml:11)');
    // The what-if chart marks the recommendation and the measured point.
    expect(html).toContain('recommended: 8');
    expect(html).toMatch(/<rect class="measured"[^>]*><title>measured at 5: P99 wait 1[0-9.]+ ms<\/title>/);
  });

  it('is self-contained: styles and script inline, nothing to fetch, and a policy that forbids fetching', () => {
    const html = report(saturated);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none';`);
    expect(html).toMatch(/<style>[\s\S]+<\/style>/);
    expect(html).toMatch(/<script>[\s\S]+<\/script>/);
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+rel="stylesheet"/);
    expect(html).not.toMatch(/@import|url\(/);
    // The only href is the empty data: favicon (so the browser does not ask for /favicon.ico).
    expect([...html.matchAll(/\b(?:href|src)="([^"]*)"/g)].map((m) => m[1])).toEqual(['data:,']);
  });

  it('escapes everything that comes from the run', () => {
    const run = syntheticRun([WORKED_EXAMPLE], { env: '<script>alert(1)</script>' });
    run.target = 'postgresql://app@"><img src=x onerror=alert(2)>:5432/db';
    run.configDir = "config/'tasker'&<b>";
    const html = report(run);
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<b>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(esc(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('is the same bytes for the same run (no clock read), so analyze and recommend --from write the same report', () => {
    expect(report(saturated)).toBe(report(structuredClone(saturated)));
  });

  it('a healthy run says so, and a partial run says it is partial', () => {
    const healthy = syntheticRun([{ ...WORKED_EXAMPLE, settings: { max_connections: 10, min_connections: 5 } }]);
    expect(report(healthy)).toContain('No change: every pool (1) meets its target.');
    expect(report({ ...healthy, partial: true, error: 'the server went away' })).toContain('This run is partial: the server went away');
  });

  it('marks lifetime expiries on the timeline', () => {
    const run = syntheticRun([RULE_SCENARIOS['lifetime-churn']]);
    const html = report(run);
    expect(html).toMatch(/<path class="expiry" d="(M[\d.]+ [\d.]+V[\d.]+)+"><title>\d+ lifetime expiries<\/title>/);
    expect(html).toContain('max_lifetime_seconds 60 → 600');
  });

  it('of a 10-minute run at 2,000 acquires/s with two pools stays well under 1 MB', () => {
    const run = tenMinuteRun();
    expect(run.environments[0]!.pools[0]!.counters.acquires).toBe(1_200_000);
    expect(run.environments[0]!.pools[0]!.expiryTimes.length).toBe(200);
    const html = report(run);
    const bytes = Buffer.byteLength(html);
    expect(charts(html)).toEqual(['spectrum', 'whatif', 'timeline', 'spectrum', 'whatif', 'timeline']);
    expect(bytes).toBeLessThan(1_000_000);
    // A real margin, not just under: a report is tens of kilobytes per pool.
    expect(bytes).toBeLessThan(250_000);
  });
});

describe('the SVG charts', () => {
  it('pathOf breaks the line at non-finite points', () => {
    expect(
      pathOf([
        [0, 0],
        [1.26, 2],
        [NaN, 3],
        [3, Infinity],
        [4, 4],
        [5, 5.04],
      ]),
    ).toBe('M0 0L1.3 2M4 4L5 5');
  });

  it('an empty histogram or timeline gives a placeholder, not an empty chart', () => {
    expect(spectrumChart([{ label: 'x', cls: 's-main', spectrum: waitSpectrum({ form: 'hdr', encoded: encode(newHistogram()) })! }], { title: 'T' })).toBe('<p class="empty" data-chart-empty="spectrum">T: no acquires recorded</p>');
    const pool = simulatePool({ durationS: 0.5, arrivals: { kind: 'constant', rate: 0 }, hold: { dist: 'constant', ms: 1 } }).pool;
    expect(timelineChart(poolEvidenceFromRun(pool, 't'), { title: 'T' })).toBe('<p class="empty" data-chart-empty="timeline">T: no timeline recorded</p>');
  });

  it('the spectrum marks P50, P99, P99.9 and the max, and the target', () => {
    const h = newHistogram();
    for (let i = 1; i <= 10_000; i++) recordUs(h, i);
    const svg = spectrumChart([{ label: 'wait', cls: 's-main', spectrum: waitSpectrum({ form: 'hdr', encoded: encode(h) })! }], { title: 'T', targetUs: 5000 });
    for (const s of ['wait P50: 5.00 ms', 'wait P99: 9.90 ms', 'wait P99.9: 9.99 ms', 'wait max: 10.0 ms', 'target P99 5.00 ms']) expect(svg).toContain(s);
  });

  it('the what-if curve shades the sizes under the offered load and marks current, recommendation and target', () => {
    const svg = whatIfChart(whatIfCurve({ arrivals: { kind: 'open', lambda: 200, ca2: 1 }, meanHoldS: 0.02, cs2: 1 }, 5, 8), { current: 5, measuredP99Us: 120_000, targetUs: 10_000, recommended: 8, need: 8 }, { title: 'T' });
    expect(svg).toContain('<rect class="unstable"');
    expect(svg).toContain('current: 5');
    expect(svg).toContain('recommended: 8');
    expect(svg).toContain('max_connections 8: predicted P99 wait 8.88 ms');
    expect(svg).toContain('measured at 5: P99 wait 120.0 ms');
  });
});

describe('the terminal wait histogram', () => {
  it('gives the share of acquires per decade of wait, tallest bar at the mode', () => {
    const h = newHistogram();
    for (let i = 0; i < 880; i++) recordUs(h, 3);
    for (let i = 0; i < 100; i++) recordUs(h, 50);
    for (let i = 0; i < 20; i++) recordUs(h, 25_000);
    const sim = simulatePool({ durationS: 1, arrivals: { kind: 'constant', rate: 1 }, hold: { dist: 'constant', ms: 1 } }).pool;
    const pool: PoolRun = { ...sim, histograms: { ...sim.histograms, wait: encode(h) } };
    const decades = waitDecades(poolEvidenceFromRun(pool, 't').wait?.all);
    expect(decades).toEqual([
      { label: '≤10 µs', share: 0.88 },
      { label: '10-100 µs', share: 0.1 },
      { label: '10-100 ms', share: 0.02 },
    ]);
    expect(waitHistogram(decades)).toBe('█ ≤10 µs 88%  ▁ 10-100 µs 10%  ▁ 10-100 ms 2.0%');
    expect(waitHistogram(waitDecades(poolEvidenceFromRun({ ...pool, histograms: { ...pool.histograms, wait: encode(newHistogram()) } }, 't').wait?.all))).toBe('');
  });
});
