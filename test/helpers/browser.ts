/**
 * Opening an HTML report in headless Chromium (Debian's `chromium`, driven by playwright-core):
 * what the console said, what the page asked the network for, what each chart drew, and a
 * screenshot. CI runs as root, hence --no-sandbox.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Whether the browser is installed (tests skip cleanly when it is not). */
export const hasChromium = existsSync(CHROMIUM);

/** What a chart drew: visible paths, rects and circles (with a non-empty box). */
export interface ChartDrawn {
  kind: string;
  paths: number;
  rects: number;
  circles: number;
  width: number;
  height: number;
  /** Where the chart sits on the page (its box's left and top edges, px). */
  left: number;
  top: number;
  /** The width of the element the chart sits in (its figure). */
  containerWidth: number;
  /** The chart's own title and its axis titles. */
  title: string;
  axisTitles: string[];
}

/** What happened when a report was opened. */
export interface Opened {
  consoleErrors: string[];
  pageErrors: string[];
  /** URLs requested besides the report itself. */
  requests: string[];
  charts: ChartDrawn[];
  /** Placeholders shown instead of a chart. */
  empty: string[];
  /** Text of the copy buttons after clicking each, and what the clipboard then held. */
  copyButtons: string[];
  copied: string[];
  /** The text of the blocks the copy buttons copy. */
  blocks: string[];
  title: string;
  /** document.documentElement.scrollWidth: wider than the viewport means a sideways scroll. */
  scrollWidth: number;
}

function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Open a report file, click every copy button, check the charts, and save a full-page screenshot to `screenshot`. */
export async function openReport(file: string, screenshot: string, viewport = { width: 1280, height: 900 }): Promise<Opened> {
  const browser = await launch();
  try {
    return await openIn(browser, file, screenshot, viewport);
  } finally {
    await browser.close();
  }
}

/** Open several reports in one browser (each in its own context): one launch instead of one per report; a screenshot path of '' takes none. */
export async function withBrowser<T>(fn: (open: (file: string, screenshot: string) => Promise<Opened>) => Promise<T>, viewport = { width: 1280, height: 900 }): Promise<T> {
  const browser = await launch();
  try {
    return await fn((file, screenshot) => openIn(browser, file, screenshot, viewport));
  } finally {
    await browser.close();
  }
}

async function openIn(browser: Browser, file: string, screenshot: string, viewport: { width: number; height: number }): Promise<Opened> {
  {
    const context = await browser.newContext({ viewport, permissions: ['clipboard-read', 'clipboard-write'] });
    const page = await context.newPage();
    const url = pathToFileURL(file).href;
    const out: Opened = { consoleErrors: [], pageErrors: [], requests: [], charts: [], empty: [], copyButtons: [], copied: [], blocks: [], title: '', scrollWidth: 0 };
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') out.consoleErrors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => out.pageErrors.push(String(e)));
    page.on('request', (r) => {
      if (r.url() !== url) out.requests.push(r.url());
    });
    await page.goto(url, { waitUntil: 'load' });
    out.title = await page.title();
    out.scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    out.charts = await page.$$eval('svg.chart', (svgs) =>
      svgs.map((svg) => {
        const visible = (sel: string): number =>
          [...svg.querySelectorAll(sel)].filter((el) => {
            if (el.closest('.legend') || el.classList.contains('hit')) return false;
            if (el.tagName === 'path' && !(el.getAttribute('d') ?? '').trim()) return false;
            const b = (el as SVGGraphicsElement).getBBox();
            return b.width > 0 || b.height > 0;
          }).length;
        const box = svg.getBoundingClientRect();
        const container = (svg.parentElement ?? svg).getBoundingClientRect();
        return {
          kind: svg.getAttribute('data-chart') ?? '',
          paths: visible('path'),
          rects: visible('rect'),
          circles: visible('circle'),
          width: box.width,
          height: box.height,
          left: box.left,
          top: box.top + window.scrollY,
          containerWidth: container.width,
          title: svg.querySelector(':scope > title')?.textContent ?? '',
          axisTitles: [...svg.querySelectorAll('.axis-title')].map((t) => t.textContent ?? ''),
        };
      }),
    );
    out.empty = await page.$$eval('[data-chart-empty]', (els) => els.map((e) => e.textContent ?? ''));
    out.blocks = await page.$$eval('.toml pre', (els) => els.map((e) => e.textContent ?? ''));
    for (const b of await page.$$('button.copy')) {
      await b.click();
      await page.waitForFunction((el) => el.textContent !== 'Copy', b, { timeout: 5000 });
      out.copyButtons.push((await b.textContent()) ?? '');
      out.copied.push(await page.evaluate(() => navigator.clipboard.readText()));
    }
    if (screenshot !== '') await page.screenshot({ path: screenshot, fullPage: true });
    await context.close();
    return out;
  }
}
