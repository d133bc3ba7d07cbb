// Retakes docs/observation-report.png, the screenshot of an observation's HTML report in
// docs/observe.md: `recommend --from` a saved observation the tests use
// (test/fixtures/observations/fleet-timeline.json: two replicas seen from the server side, with
// the saved timeline) with --report, opened in headless Chromium. The picture runs from the
// server's load by wait class to the end of the environment's section (its pools' occupancy and
// the replicas over time, side by side).
//
// Usage: npm run build && node scripts/observation-report.mjs
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'observations', 'fleet-timeline.json');
const SHOT = join(ROOT, 'docs', 'observation-report.png');

if (!existsSync('/usr/bin/chromium')) {
  console.error('no /usr/bin/chromium (Debian: apt-get install chromium): docs/observation-report.png left as it is');
  process.exit(1);
}
const html = join(mkdtempSync(join(tmpdir(), 'pa-obs-shot-')), 'report.html');
const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'pool-advisor.js'), 'recommend', '--from', FIXTURE, '--report', html], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
if (r.status !== 0) {
  console.error(r.stderr);
  process.exit(1);
}
const { chromium } = await import('playwright-core');
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`file://${html}`);
  // From the server's load to the end of the first environment (its table, pools and timeline).
  const from = await page.locator('#server-load').boundingBox();
  const to = await page.locator('section.env').first().boundingBox();
  if (!from || !to) throw new Error('the report has no server load section or no environment: is the fixture the one with a timeline?');
  const y = Math.floor(from.y);
  await page.screenshot({ path: SHOT, fullPage: true, clip: { x: 0, y, width: 1280, height: Math.ceil(to.y + to.height) - y } });
  console.log(`wrote ${SHOT}`);
} finally {
  await browser.close();
}
