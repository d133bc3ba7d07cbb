/** A throwaway Prometheus for tests: its own port and data dir, scraping one target every second. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/shell/throwawayPg.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One series of a query's answer. */
export interface PromResult {
  metric: Record<string, string>;
  value?: [number, string];
  values?: Array<[number, string]>;
}

/** A running Prometheus. */
export interface RunningPrometheus {
  base: string;
  proc: ChildProcess;
  log: () => string;
  /** Kill it and remove its data dir. */
  stop: () => void;
}

/** Run an instant query (a range selector gives a matrix). */
export async function promQuery(base: string, query: string, time?: number): Promise<PromResult[]> {
  const q = new URLSearchParams({ query, ...(time !== undefined ? { time: time.toFixed(3) } : {}) });
  const res = await fetch(`${base}/api/v1/query?${q}`);
  const body = (await res.json()) as { status: string; error?: string; data: { result: PromResult[] } };
  if (body.status !== 'success') throw new Error(`${query}: ${body.error}`);
  return body.data.result;
}

/**
 * Start Prometheus scraping `target` every second and evaluating `ruleFiles` every second;
 * resolves once it has tried a first scrape.
 */
export async function startPrometheus(target: string, ruleFiles: readonly string[] = []): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'pa-prom-'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      ...(ruleFiles.length > 0 ? ['rule_files:', ...ruleFiles.map((f) => `  - ${JSON.stringify(f)}`)] : []),
      'scrape_configs:',
      '  - job_name: pool-advisor',
      '    scrape_interval: 1s',
      '    scrape_timeout: 900ms',
      '    static_configs:',
      `      - targets: ['${target}']`,
      '',
    ].join('\n'),
  );
  const proc = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const stop = () => {
    proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) {
      stop();
      throw new Error(`prometheus exited ${proc.exitCode}:\n${log}`);
    }
    // Ready is not enough: target discovery hands over targets only every 5 s, so wait for the first scrape (failed, as nothing listens yet).
    // While it starts, Prometheus answers 503 with a text body: not JSON, so not ready yet.
    const targets = await fetch(`${base}/api/v1/targets`)
      .then((r) => (r.ok ? (r.json() as Promise<{ data: { activeTargets: Array<{ lastScrape: string }> } }>) : undefined))
      .catch(() => undefined);
    if (targets?.data.activeTargets.some((t) => !t.lastScrape.startsWith('0001-'))) return { base, proc, log: () => log, stop };
    await sleep(200);
  }
  stop();
  throw new Error(`prometheus did not scrape within 20 s:\n${log}`);
}
