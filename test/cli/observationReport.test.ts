/**
 * The HTML report of an observation, made for what it saw: a server-only observation (saved by
 * `observe --out` from a plain pg.Pool service, test/fixtures/observations/server-only.json) opened
 * in headless Chromium. Its pool is drawn by its occupancy (the busy count's distribution with the
 * size marked, and the chance of waiting by size), the table leaves out what the server cannot see
 * and says it once, and nothing claims a wait was measured.
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
    expect(opened.charts.map((c) => c.kind)).toEqual(['busy', 'wait-chance']);
    for (const c of opened.charts) {
      expect(c.width, c.kind).toBeLessThanOrEqual(c.containerWidth);
      expect(c.title, c.kind).toMatch(/^test database \(127\.0\.0\.1\): /);
      expect(c.axisTitles, c.kind).toHaveLength(2);
    }
    const [busy, chance] = opened.charts;
    // The fixture's busy count took six levels (0 to 5): a bar each, and the size (10) marked.
    expect(busy!.rects).toBeGreaterThanOrEqual(6);
    expect(busy!.axisTitles).toEqual(['connections busy at once', 'share of the window']);
    expect(chance!.paths).toBeGreaterThanOrEqual(1);
    expect(chance!.axisTitles).toEqual(['max_connections', 'chance an acquire waits']);
    expect(html).toContain('size now: 10');
  }, 60_000);
});
