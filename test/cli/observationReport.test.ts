/**
 * The HTML report of an observation, made for what it saw: a server-only observation (saved by
 * `observe --out` of two plain pg.Pool services, one with a 6 s lifetime mapped to test.database,
 * test/fixtures/observations/server-only.json) opened in headless Chromium. Its pool is drawn by its
 * occupancy (the busy count's distribution with the size marked, the chance of waiting by size) and
 * its opens and closes over the window; the table leaves out what the server cannot see and says it
 * once, and nothing claims a wait was measured.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';
import { hasChromium, openReport } from '../helpers/browser.js';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'observations', 'server-only.json');

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
  }, 60_000);
});
