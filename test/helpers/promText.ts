/** Reading Prometheus text in tests: samples, tools on PATH, and Prometheus's own histogram_quantile. */
import { spawnSync } from 'node:child_process';

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parse the sample lines of the Prometheus text format (comments skipped). */
export function parsePromText(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: m[3] === '+Inf' ? Infinity : Number(m[3]) });
  }
  return out;
}

/** The samples named `name` whose labels include `labels`. */
export function select(samples: PromSample[], name: string, labels: Record<string, string> = {}): PromSample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The one value of a series (throws when absent or ambiguous). */
export function valueOf(samples: PromSample[], name: string, labels: Record<string, string> = {}): number {
  const s = select(samples, name, labels);
  if (s.length !== 1) throw new Error(`${name}${JSON.stringify(labels)}: ${s.length} samples`);
  return s[0]!.value;
}

/** Whether a command exists on PATH (runs `cmd --version`). */
export function hasTool(cmd: string): boolean {
  const r = spawnSync(cmd, ['--version'], { stdio: 'ignore' });
  return !r.error;
}

/**
 * Prometheus's histogram_quantile over cumulative buckets (ascending `le`, +Inf last): linear
 * interpolation inside the bucket that holds the rank, the lowest bucket starting at 0, and the
 * highest finite bound when the rank falls in +Inf.
 */
export function histogramQuantile(q: number, buckets: Array<{ le: number; count: number }>): number {
  const total = buckets[buckets.length - 1]!.count;
  if (total === 0) return NaN;
  const rank = q * total;
  const i = buckets.findIndex((b) => b.count >= rank);
  if (buckets[i]!.le === Infinity) return buckets[buckets.length - 2]!.le;
  const lo = i === 0 ? 0 : buckets[i - 1]!.le;
  const below = i === 0 ? 0 : buckets[i - 1]!.count;
  return lo + (buckets[i]!.le - lo) * ((rank - below) / (buckets[i]!.count - below));
}
