/**
 * The HTML report of an observation, made for what it saw: a server-only observation (saved by
 * `observe --out` of two plain pg.Pool services, one with a 6 s lifetime mapped to test.database,
 * test/fixtures/observations/server-only.json) opened in headless Chromium. Its pool is drawn by its
 * occupancy (the busy count's distribution with the size marked, the chance of waiting by size) and
 * its opens and closes over the window; the table leaves out what the server cannot see and says it
 * once, and nothing claims a wait was measured. That file was saved before observations kept a
 * timeline: its report says once that none is drawn.
 *
 * Then the report of each other kind, from observations written by observe of real services
 * (test/cli/observationFixtures.test.ts): from the server alone with its timeline (two replicas side
 * by side), from Prometheus alone, both merged, and behind PgBouncer. Each page fits 1280 px, no
 * chart is wider than its figure, every chart has its title and axis titles, and the page asks the
 * network for nothing.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';
import { hasChromium, openReport, withBrowser, type Opened } from '../helpers/browser.js';
import type { ObservedTimeline } from '../../src/core/evidence/types.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'observations');
const FIXTURE = join(FIXTURES, 'server-only.json');

interface Drawn {
  status: number | null;
  stderr: string;
  html: string;
  opened: Opened;
  saved: { observedTimeline?: ObservedTimeline };
}

/** The reports of saved observations (recommend --from), opened in one Chromium. */
async function openObservations(names: readonly string[]): Promise<Record<string, Drawn>> {
  const dir = mkdtempSync(join(tmpdir(), 'pa-obs-report-'));
  return withBrowser(async (open) => {
    const out: Record<string, Drawn> = {};
    for (const name of names) {
      const report = join(dir, `${name}.html`);
      const from = join(FIXTURES, name);
      const r = runCli(['recommend', '--from', from, '--report', report]);
      const opened = await open(report, '');
      out[name] = { status: r.status, stderr: r.stderr, html: readFileSync(report, 'utf8'), opened, saved: JSON.parse(readFileSync(from, 'utf8')) as Drawn['saved'] };
    }
    return out;
  });
}

/** The checks every report passes: it was written (exit 0, or 4 for an invalid observation), fits 1280 px, asks for nothing, and each chart fits its figure with its title and axis titles. */
function drawnWell(d: Drawn, status = 0): void {
  expect(d.status, d.stderr).toBe(status);
  const o = d.opened;
  expect(o.pageErrors).toEqual([]);
  expect(o.consoleErrors).toEqual([]);
  expect(o.requests).toEqual([]);
  expect(o.scrollWidth).toBeLessThanOrEqual(1280);
  expect(o.charts.length).toBeGreaterThan(0);
  for (const c of o.charts) {
    expect(c.width, c.kind).toBeLessThanOrEqual(c.containerWidth);
    expect(c.title, c.kind).not.toBe('');
    expect(c.axisTitles.length, c.kind).toBeGreaterThanOrEqual(2);
    expect(c.axisTitles.every((t) => t.trim() !== ''), c.kind).toBe(true);
  }
}

const kinds = (o: Opened): string[] => o.charts.map((c) => c.kind);

describe.skipIf(!hasChromium)('the report of a server-only observation in headless Chromium', () => {
  it('draws the busy distribution and the chance of waiting, with titles and axis labels, inside a 1280 px page, and asks the network for nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pa-obs-report-'));
    const report = join(dir, 'report.html');
    const r = runCli(['recommend', '--from', FIXTURE, '--report', report]);
    expect(r.status, r.stderr).toBe(0);
    const html = readFileSync(report, 'utf8');
    expect(html).not.toContain('No model: nothing was measured');
    expect(html).not.toContain('every measured pool');
    expect(html).toContain('· observed 2026-');
    expect(html).toMatch(/Not seen by the server(&#39;|')s view of the service \(pg_stat_activity sampling\): the acquire-wait distribution/);
    const opened = await openReport(report, join(dir, 'report.png'));
    expect(opened.pageErrors).toEqual([]);
    expect(opened.consoleErrors).toEqual([]);
    expect(opened.requests).toEqual([]);
    expect(opened.scrollWidth).toBeLessThanOrEqual(1280);
    expect(opened.charts.map((c) => c.kind)).toEqual(['busy', 'wait-chance', 'churn']);
    for (const c of opened.charts) {
      expect(c.width, c.kind).toBeLessThanOrEqual(c.containerWidth);
      expect(c.title, c.kind).toMatch(/^test database \(127\.0\.0\.1\): /);
      expect(c.axisTitles, c.kind).toHaveLength(2);
    }
    const [busy, chance, churn] = opened.charts;
    // A bar for each busy level the fixture's pool spent time at, and the size (10) marked.
    const saved = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { environments: Array<{ pools: Array<{ occupancy: { inUse: { levels: Array<[number, number]> } } }> }> };
    const levels = saved.environments[0]!.pools[0]!.occupancy.inUse.levels.filter(([, us]) => us > 0).length;
    expect(levels).toBeGreaterThanOrEqual(6);
    expect(busy!.rects).toBe(levels);
    expect(busy!.axisTitles).toEqual(['connections busy at once', 'share of the window']);
    expect(chance!.paths).toBeGreaterThanOrEqual(1);
    expect(chance!.axisTitles).toEqual(['max_connections', 'chance an acquire waits']);
    expect(html).toContain('size now: 10');
    // 38 connections opened in the window (the service's lifetime of 6 s), a tick each, one path.
    expect(churn!.axisTitles).toEqual(['seconds into the window', 'event']);
    expect(churn!.paths).toBe(1);
    expect(html).toContain('opened (38)');
    // Saved before the timeline was kept: said once, nothing drawn over time.
    expect(html.match(/data-timeline-absent/g)).toHaveLength(1);
    expect(html).toContain('saved by a pool-advisor that did not keep a timeline');
  }, 60_000);
});

describe.skipIf(!hasChromium)('the report of each kind of observation in headless Chromium', () => {
  let drawn: Record<string, Drawn>;
  beforeAll(async () => {
    drawn = await openObservations(['fleet-timeline.json', 'prometheus-only.json', 'merged.json', 'pgbouncer.json']);
  }, 90_000);

  it('from the server alone, two replicas: each drawn over time side by side on one scale, with churn by reason, and the server load against the cores', async () => {
    const d = drawn['fleet-timeline.json']!;
    drawnWell(d);
    const { html, opened, saved } = d;
    const t = saved.observedTimeline!;
    expect(t.pools.map((p) => p.replica)).toEqual(['127.0.0.2', '127.0.0.3']);
    expect(kinds(opened)).toEqual(['load', 'busy', 'wait-chance', 'busy', 'wait-chance', 'observed-pool', 'observed-pool']);
    // The replicas' sections side by side too: their busy distributions in one row.
    const [busyA, busyB] = opened.charts.filter((c) => c.kind === 'busy');
    expect(Math.abs(busyA!.top - busyB!.top)).toBeLessThan(1);
    expect(busyB!.left).toBeGreaterThan(busyA!.left + busyA!.width - 1);
    expect(html).toContain('<h3>database <span class="muted">(127.0.0.3)</span> <span class="muted">in test</span></h3>');
    const [a, b] = opened.charts.filter((c) => c.kind === 'observed-pool');
    // Side by side: one row, the second to the right of the first.
    expect(Math.abs(a!.top - b!.top)).toBeLessThan(1);
    expect(b!.left).toBeGreaterThan(a!.left + a!.width - 1);
    for (const c of [a!, b!]) {
      expect(c.axisTitles).toEqual(['seconds into the window', 'connections', 'opened / closed']);
      // busy mean area, busy most, open most, and bars of the opens and closes.
      expect(c.paths).toBeGreaterThanOrEqual(4);
    }
    expect(a!.title).toBe('test database (127.0.0.2): connections open and busy over time, opened and closed below');
    // Churn by reason over time: the totals of the saved buckets, by reason.
    const sum = (xs: number[]): number => xs.reduce((x, y) => x + y, 0);
    const p = t.pools[0]!;
    expect(sum(p.opened)).toBeGreaterThan(0);
    expect(sum(p.closedIdle)).toBeGreaterThan(0);
    for (const l of [`opened (${sum(p.opened)})`, `closed: lifetime (${sum(p.closedLifetime)})`, `closed: idle (${sum(p.closedIdle)})`, `closed: other (${sum(p.closedOther)})`]) expect(html).toContain(`>${l}</text>`);
    expect(html).toContain('database, replica 127.0.0.2: opened above the line, closed below by reason.');
    const load = opened.charts.find((c) => c.kind === 'load')!;
    expect(load.axisTitles).toEqual(['seconds into the window', 'average active sessions']);
    expect(load.paths).toBe(t.load!.byClass.length);
    expect(html).toContain('2 cores (--server-cores)');
    expect(html).not.toContain('data-timeline-absent');
  });

  it("from Prometheus alone: the pool metrics' waits drawn, and said once that no timeline is kept from them", async () => {
    const d = drawn['prometheus-only.json']!;
    drawnWell(d);
    const { html, opened, saved } = d;
    expect(saved.observedTimeline).toBeUndefined();
    expect(kinds(opened)).not.toContain('observed-pool');
    expect(kinds(opened)).toEqual(['whatif']);
    expect(html.match(/data-timeline-absent/g)).toHaveLength(1);
    expect(html).toContain('the pool metrics were read as figures over the window');
  });

  it("both merged: the pool metrics' charts beside the server's view over time and its load", async () => {
    const d = drawn['merged.json']!;
    drawnWell(d);
    const { opened, saved } = d;
    expect(saved.observedTimeline!.pools).toHaveLength(1);
    expect(kinds(opened)).toEqual(['load', 'whatif', 'observed-pool']);
    const over = opened.charts.filter((c) => c.kind === 'observed-pool');
    expect(over).toHaveLength(1);
    expect(over[0]!.title).toMatch(/^test database \(127\.0\.0\.1\): connections open and busy over time/);
  });

  it("behind PgBouncer: the clients waiting in PgBouncer over time, from its per-second SHOW POOLS", async () => {
    // The server sees the proxy's connections: an invalid observation for the pools (exit 4), drawn all the same.
    const d = drawn['pgbouncer.json']!;
    drawnWell(d, 4);
    const { opened, saved } = d;
    const w = saved.observedTimeline!.proxyWaiting!;
    expect(w.some((x) => x.database === 'postgres' && Math.max(...x.waitingMax) > 0)).toBe(true);
    const waiting = opened.charts.filter((c) => c.kind === 'proxy-waiting');
    expect(waiting).toHaveLength(1);
    expect(waiting[0]!.axisTitles).toEqual(['seconds into the window', 'clients waiting']);
    expect(waiting[0]!.paths).toBe(2 * w.length);
    expect(kinds(opened)).toContain('observed-pool');
  });
});
