import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pgUrl } from '../helpers/pg.js';
import { ROOT, runCli, type CliResult } from '../helpers/cli.js';
import { advisorFile, scenarioConfig } from '../helpers/scenario.js';
import { hasChromium, openReport } from '../helpers/browser.js';
import { HEALTHY, syntheticRun, WORKED_EXAMPLE } from '../helpers/syntheticRun.js';

/** The shared cluster trusts local connections, so a password in the URL is accepted and must appear nowhere. */
const PASSWORD = 'Rep0rtS3cret';
const url = (): string => pgUrl().replace('postgresql://postgres@', `postgresql://postgres:${PASSWORD}@`);

/** Screenshots land here (git-ignored) for a person to look at. */
const SHOTS = join(ROOT, 'test-output');

const ADVISOR = `
[defaults]
duration = "4s"
warmup = "1s"
seed = 3
target_p99_wait = "10ms"
[environments.test.workloads.database]
arrival = "poisson"
rate = 150
hold = "exponential"
hold_mean = "20ms"
`;

describe('--report on analyze and recommend --from (real PostgreSQL)', () => {
  let dir: string;
  let analyzed: CliResult;
  let recommended: CliResult;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pa-report-'));
    const cfg = scenarioConfig({ max_connections: 4, min_connections: 2, acquire_timeout_seconds: 30 });
    const adv = advisorFile(ADVISOR);
    // A 1-second lifetime (outside Tasker's range, allowed with --set for a run) so expiries show on the timeline.
    analyzed = runCli(['analyze', '--config-dir', cfg, '--advisor-config', adv, '--env', 'test', '--database-url', url(), '--set', 'test.database.max_lifetime_seconds=1', '--out', join(dir, 'run.json'), '--report', join(dir, 'analyze.html')]);
    recommended = runCli(['recommend', '--from', join(dir, 'run.json'), '--advisor-config', adv, '--report', join(dir, 'recommend.html')]);
  }, 60_000);

  it('recommend --from prints exactly what the analyze run that saved the file printed, wait histogram included, and writes the same report', () => {
    expect(analyzed.status, analyzed.stderr).toBe(0);
    expect(recommended.status, recommended.stderr).toBe(0);
    expect(recommended.stdout).toBe(analyzed.stdout);
    expect(analyzed.stdout).toMatch(/\n {2}database P99 wait over time \(log scale\): [▁▂▃▄▅▆▇█]+\n/);
    // The first bucket is the fastest one seen: under sqlx emulation every acquire includes at least a ping or an open, so on a loaded machine it may start at milliseconds.
    expect(analyzed.stdout).toMatch(/\n {2}database wait histogram \(share of acquires\): [▁▂▃▄▅▆▇█] (≤10 µs|10-100 µs|0\.1-1 ms|1-10 ms|10-100 ms) [\d.<]+%/);
    expect(analyzed.stderr).toContain(`Wrote the report to ${join(dir, 'analyze.html')}`);
    expect(recommended.stderr).toContain(`Wrote the report to ${join(dir, 'recommend.html')}`);
    expect(readFileSync(join(dir, 'recommend.html'), 'utf8')).toBe(readFileSync(join(dir, 'analyze.html'), 'utf8'));
  });

  it('no password in the report, the run file or any output', () => {
    for (const text of [analyzed.stdout, analyzed.stderr, recommended.stdout, recommended.stderr, readFileSync(join(dir, 'analyze.html'), 'utf8'), readFileSync(join(dir, 'run.json'), 'utf8')]) {
      expect(text).not.toContain(PASSWORD);
    }
    expect(readFileSync(join(dir, 'analyze.html'), 'utf8')).toContain('postgresql://postgres@127.0.0.1:');
  });

  it.skipIf(!hasChromium)('opens in headless Chromium with no console error and no request, every chart draws, the copy button copies the overrides, and a screenshot is saved', async () => {
    mkdirSync(SHOTS, { recursive: true });
    const shot = join(SHOTS, 'report.png');
    const o = await openReport(join(dir, 'analyze.html'), shot);
    expect(o.consoleErrors).toEqual([]);
    expect(o.pageErrors).toEqual([]);
    expect(o.requests).toEqual([]);
    expect(o.title).toMatch(/^pool-advisor report: test \(\d{4}-\d\d-\d\d\)$/);
    expect(o.empty).toEqual([]);
    expect(o.charts.map((c) => c.kind)).toEqual(['spectrum', 'whatif', 'timeline']);
    for (const c of o.charts) {
      expect(c.paths, JSON.stringify(c)).toBeGreaterThan(0);
      expect(c.width, JSON.stringify(c)).toBeGreaterThan(300);
      expect(c.height, JSON.stringify(c)).toBeGreaterThan(150);
    }
    // The timeline marks the expiries of the 1-second lifetime; the what-if chart its unstable sizes and the measured point.
    expect(readFileSync(join(dir, 'analyze.html'), 'utf8')).toMatch(/<path class="expiry" d="M/);
    expect(o.charts.find((c) => c.kind === 'timeline')!.paths).toBeGreaterThanOrEqual(5);
    expect(o.charts.find((c) => c.kind === 'whatif')!.rects).toBeGreaterThanOrEqual(1);
    expect(o.copyButtons).toEqual(['Copied']);
    expect(o.copied).toEqual(o.blocks);
    expect(o.copied[0]).toMatch(/^# pool-advisor overrides for environment 'test'\n/);
    expect(statSync(shot).size).toBeGreaterThan(20_000);
  }, 60_000);

  it('--report into a directory that does not exist exits 2 before any connection', () => {
    const t0 = Date.now();
    const r = runCli(['analyze', '--database-url', 'postgresql://app@127.0.0.1:1/app', '--report', '/nonexistent/dir/report.html']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('ERROR: --report /nonexistent/dir/report.html: the directory /nonexistent/dir does not exist');
    expect(Date.now() - t0).toBeLessThan(5000);
    const rec = runCli(['recommend', '--from', join(dir, 'run.json'), '--report', dir]);
    expect(rec.status).toBe(2);
    expect(rec.stderr).toContain(`ERROR: --report ${dir}: is a directory`);
  });
});

describe.skipIf(!hasChromium)('the compare report in headless Chromium', () => {
  it('opens with no console error, draws both spectra, and a screenshot is saved', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pa-report-cmp-'));
    writeFileSync(join(dir, 'before.json'), JSON.stringify(syntheticRun([WORKED_EXAMPLE])));
    writeFileSync(join(dir, 'after.json'), JSON.stringify(syntheticRun([HEALTHY])));
    const r = runCli(['compare', join(dir, 'before.json'), join(dir, 'after.json'), '--report', join(dir, 'compare.html')]);
    expect(r.status, r.stderr).toBe(0);
    mkdirSync(SHOTS, { recursive: true });
    const o = await openReport(join(dir, 'compare.html'), join(SHOTS, 'compare.png'));
    expect([...o.consoleErrors, ...o.pageErrors, ...o.requests]).toEqual([]);
    expect(o.charts.map((c) => [c.kind, c.paths >= 2])).toEqual([['spectrum', true]]);
  }, 60_000);
});
