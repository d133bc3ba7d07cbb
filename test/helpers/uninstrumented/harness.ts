/**
 * Start the services of `service.mjs` as child processes and read their ground truth: the
 * busy and open counts at any instant and over a window, and the opens and closes in a window.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVICE = join(dirname(fileURLToPath(import.meta.url)), 'service.mjs');

/** What one service does (see service.mjs). */
export interface ServiceSpec {
  name: string;
  appName: string;
  localAddress?: string;
  database?: string;
  max: number;
  rate: number;
  holdMs: number;
  tx?: boolean;
  listen?: boolean;
  lifetimeS?: number;
  idleTimeoutMs?: number;
  /** Closed loops: this many callers back to back instead of Poisson arrivals at `rate`. */
  closed?: number;
  durationMs: number;
}

/** What a service wrote about itself. */
export interface Truth {
  name: string;
  appName: string;
  localAddress: string | null;
  intervals: Array<[number, number]>;
  opens: number[];
  closes: Array<[number, 'lifetime' | 'idle' | 'shutdown', number]>;
  listenerAt: number | null;
  completed: number;
  errors: number;
  endedAt: number;
}

/** A running set of services. */
export interface Services {
  /** Resolves when every service has warmed up. */
  ready: Promise<void>;
  /** Resolves with every service's truth once all have exited. */
  done: Promise<Truth[]>;
  kill(): void;
}

/** Start the services against a server URL (`postgresql://user@host:port/db`). */
export function startServices(url: string, specs: readonly ServiceSpec[]): Services {
  const dir = mkdtempSync(join(tmpdir(), 'pa-observe-'));
  const children = specs.map((s, i) => {
    const u = new URL(url);
    if (s.database) u.pathname = `/${s.database}`;
    const out = join(dir, `${i}.json`);
    const child = spawn(process.execPath, [SERVICE, JSON.stringify({ ...s, url: u.toString(), out })], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      child.on('exit', (code) => reject(new Error(`${s.name} exited (${code}) before it was ready: ${stderr}`)));
    });
    const done = new Promise<Truth>((resolve, reject) => {
      child.on('exit', (code) => {
        if (code !== 0) return reject(new Error(`${s.name} exited ${code}: ${stderr}`));
        resolve(JSON.parse(readFileSync(out, 'utf8')) as Truth);
      });
    });
    return { child, ready, done };
  });
  const done = Promise.all(children.map((c) => c.done)).finally(() => rmSync(dir, { recursive: true, force: true }));
  done.catch(() => {});
  return {
    ready: Promise.all(children.map((c) => c.ready)).then(() => undefined),
    done,
    kill: () => children.forEach((c) => c.child.kill('SIGKILL')),
  };
}

/** Statements or transactions running at instant t. */
export function busyAt(t: Truth, at: number): number {
  let n = 0;
  for (const [a, b] of t.intervals) if (a <= at && at < b) n++;
  return n;
}

/**
 * What the samples should have read: the truth at the sampler's instants, weighted as observe
 * weighs them (each until the next; the last for the mean interval).
 */
export function busyAtSamples(t: Truth, times: readonly number[]): number {
  const first = times[0]!;
  const last = times[times.length - 1]!;
  const gaps = times.map((x, i) => (i < times.length - 1 ? times[i + 1]! - x : (last - first) / Math.max(1, times.length - 1)));
  const total = gaps.reduce((acc, w) => acc + w, 0);
  return total > 0 ? times.reduce((acc, x, i) => acc + busyAt(t, x) * gaps[i]!, 0) / total : busyAt(t, first);
}

/** Mean busy over [from, to): the exact integral of the intervals. */
export function meanBusy(t: Truth, from: number, to: number): number {
  let s = 0;
  for (const [a, b] of t.intervals) s += Math.max(0, Math.min(b, to) - Math.max(a, from));
  return s / (to - from);
}

/** Connections open at instant t (the listener's included). */
export function openAt(t: Truth, at: number): number {
  return t.opens.filter((x) => x <= at).length - t.closes.filter(([x]) => x <= at).length;
}

/** Opens and closes (by reason) inside (from, to]. */
export function churnIn(t: Truth, from: number, to: number): { opens: number; closes: number; byReason: Record<string, number> } {
  const byReason: Record<string, number> = Object.create(null);
  const closes = t.closes.filter(([x]) => x > from && x <= to);
  for (const [, r] of closes) byReason[r] = (byReason[r] ?? 0) + 1;
  return { opens: t.opens.filter((x) => x > from && x <= to).length, closes: closes.length, byReason };
}

/** Standard error of a mean by batch means (equal batches, 20 of them), for the tests' own tolerance. */
export function batchMeansStdErr(xs: readonly number[], batches = 20): number {
  const size = Math.floor(xs.length / batches);
  const means: number[] = [];
  for (let b = 0; b < batches; b++) {
    const part = xs.slice(b * size, b === batches - 1 ? xs.length : (b + 1) * size);
    means.push(part.reduce((a, x) => a + x, 0) / part.length);
  }
  const m = means.reduce((a, x) => a + x, 0) / batches;
  return Math.sqrt(means.reduce((a, x) => a + (x - m) ** 2, 0) / (batches - 1) / batches);
}
