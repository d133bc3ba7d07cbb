/** A real Prometheus for the fleet tests: several scrape jobs (paths, targets), optionally TLS and basic auth (a web config). */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/shell/throwawayPg.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A running Prometheus. */
export interface TestPrometheus {
  base: string;
  port: number;
  dir: string;
  proc: ChildProcess;
  log: () => string;
  stop: () => void;
}

/** One scrape job: its name, targets, and path. */
export interface ScrapeJob {
  name: string;
  targets: string[];
  path?: string;
}

/** The text of a prometheus.yml scraping `jobs` every second. */
export function scrapeConfig(jobs: readonly ScrapeJob[]): string {
  const lines = ['global:', '  scrape_interval: 1s', '  evaluation_interval: 1s', 'scrape_configs:'];
  for (const j of jobs) {
    lines.push(`  - job_name: ${j.name}`, '    scrape_interval: 1s', '    scrape_timeout: 900ms');
    if (j.path) lines.push(`    metrics_path: ${j.path}`);
    lines.push('    static_configs:', `      - targets: [${j.targets.map((t) => `'${t}'`).join(', ')}]`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Start Prometheus scraping `jobs` every second. Resolves once every job has been tried at least once
 * (target discovery hands targets over only every 5 s, so "ready" is not enough). `webConfig` is the
 * text of a --web.config.file (TLS, basic auth); then readiness is probed by the process staying up.
 */
export async function startFleetPrometheus(jobs: readonly ScrapeJob[], opts: { webConfig?: string; extraArgs?: string[]; dataDir?: string } = {}): Promise<TestPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'pa-prom-'));
  const port = await freePort();
  writeFileSync(join(dir, 'prometheus.yml'), scrapeConfig(jobs));
  const args = [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${opts.dataDir ?? join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn', ...(opts.extraArgs ?? [])];
  if (opts.webConfig) {
    writeFileSync(join(dir, 'web.yml'), opts.webConfig);
    args.push(`--web.config.file=${join(dir, 'web.yml')}`);
  }
  const proc = spawn('prometheus', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const stop = () => {
    proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  const base = `http://127.0.0.1:${port}`;
  const p: TestPrometheus = { base, port, dir, proc, log: () => log, stop };
  for (let i = 0; i < 150; i++) {
    if (proc.exitCode !== null) throw new Error(`prometheus exited ${proc.exitCode}:\n${log}`);
    if (opts.webConfig) {
      if (i >= 15) return p;
    } else {
      // Before it is ready Prometheus answers 503 with a text body: not JSON, so keep waiting.
      const targets = await fetch(`${base}/api/v1/targets`)
        .then((r) => r.json() as Promise<{ data: { activeTargets: Array<{ lastScrape: string }> } }>)
        .catch(() => undefined);
      const active = targets?.data?.activeTargets ?? [];
      if (active.length >= jobs.reduce((a, j) => a + j.targets.length, 0) && active.every((t) => !t.lastScrape.startsWith('0001-'))) return p;
    }
    await sleep(200);
  }
  stop();
  throw new Error(`prometheus did not scrape within 30 s:\n${log}`);
}
