// Retakes docs/observation-report.png, the screenshot of an observation's HTML report in
// docs/observe.md: `recommend --from` the saved server-only observation the tests use
// (test/fixtures/observations/server-only.json) with --report, opened in headless Chromium.
//
// Usage: npm run build && node scripts/observation-report.mjs
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'observations', 'server-only.json');
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
  // The environment's section: the table, what was not seen, and the pool's charts.
  await page.locator('section.env').first().screenshot({ path: SHOT });
  console.log(`wrote ${SHOT}`);
} finally {
  await browser.close();
}
