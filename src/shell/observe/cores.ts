/**
 * The observed server's CPU count, for judging its load (docs/observe.md, "Server load"): from
 * `--server-cores`; else from node_exporter's `node_cpu_seconds_total` through Prometheus when
 * `[prometheus] database_instance` names the database host's instance; else from this machine
 * when the target is local; else unknown, and said so.
 */
import { availableParallelism } from 'node:os';
import { UsageError } from '../../core/errors.js';
import type { ServerCores } from '../../core/observe/evidence.js';
import type { PrometheusClient } from '../prometheus/client.js';
import { plainSelector } from '../../core/metrics-catalogue/promql.js';

/** Most cores a server is believed to have (a bound on what comes from outside). */
export const MAX_SERVER_CORES = 4096;

/** `--server-cores N`: a whole number from 1 to MAX_SERVER_CORES. */
export function parseServerCores(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(n) || n < 1 || n > MAX_SERVER_CORES) {
    throw new UsageError(`--server-cores '${text}': expected a whole number of cores from 1 to ${MAX_SERVER_CORES}`, 'write e.g. --server-cores 8 (the CPUs of the database host)');
  }
  return n;
}

/** The PromQL counting an instance's CPUs (one `idle` series per CPU). */
export function coresQuery(instance: string): string {
  return `count(${plainSelector({ metric: 'node_cpu_seconds_total', match: [['instance', instance], ['mode', 'idle']] })})`;
}

/** Resolve the core count; never throws for a failed Prometheus read (the count is then unknown, with why). */
export async function resolveServerCores(o: { flag?: number; prometheus?: PrometheusClient; instance?: string; targetKind: 'local' | 'remote'; nowS?: number }): Promise<ServerCores> {
  if (o.flag !== undefined) return { count: o.flag, source: '--server-cores' };
  if (o.prometheus && o.instance) {
    const q = coresQuery(o.instance);
    try {
      const v = await o.prometheus.query(q, o.nowS ?? Date.now() / 1000);
      const n = v.length === 1 ? Number(v[0]!.value) : NaN;
      if (Number.isInteger(n) && n >= 1 && n <= MAX_SERVER_CORES) return { count: n, source: `node_exporter at ${o.instance} (${q})` };
      return { count: null, source: `node_exporter at ${o.instance} gave no CPU count (${q} answered ${v.length ? v.map((x) => x.value).join(', ') : 'nothing'}); pass --server-cores` };
    } catch (e) {
      return { count: null, source: `node_exporter at ${o.instance} could not be read (${(e as Error).message}); pass --server-cores` };
    }
  }
  if (o.targetKind === 'local') return { count: availableParallelism(), source: 'this machine (the target is local; a server pinned to fewer cores needs --server-cores)' };
  return { count: null, source: 'the target is on another machine: pass --server-cores, or name its node_exporter instance in [prometheus] database_instance' };
}
