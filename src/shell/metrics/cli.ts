/**
 * `--metrics-port` and `--metrics-host` for the commands that drive load (analyze, and check when
 * it measures): the server serves the pools of the environment being measured, and stops on every
 * exit path.
 */
import { UsageError } from '../../core/errors.js';
import { parsePortFlag } from '../../core/flags.js';
import type { InstrumentedPool } from '../pool/instrumentedPool.js';
import type { SessionOptions } from '../session.js';
import { writeErr } from '../output.js';
import { isLocalHost } from '../target.js';
import { startMetricsServer } from './server.js';

/** The metrics flags. */
export interface MetricsFlags {
  metricsPort?: string;
  metricsHost?: string;
}

/**
 * Run `body` with a metrics server when `--metrics-port` is given (its address printed once on
 * stderr), passing the `onPools` callback that points the server at the current pools.
 */
export async function withMetricsServer<T>(f: MetricsFlags, body: (onPools: SessionOptions['onPools']) => Promise<T>): Promise<T> {
  if (f.metricsPort === undefined) {
    if (f.metricsHost !== undefined) throw new UsageError(`--metrics-host '${f.metricsHost}' needs --metrics-port`, 'add --metrics-port 9187 (or 0 for a free port)');
    return body(undefined);
  }
  const port = parsePortFlag('--metrics-port', f.metricsPort);
  let current: readonly InstrumentedPool[] = [];
  const server = await startMetricsServer({ pools: () => current, port, host: f.metricsHost });
  writeErr(`Metrics: ${server.url}/metrics and ${server.url}/health`);
  if (f.metricsHost !== undefined && !isLocalHost(f.metricsHost)) {
    writeErr(`warning: --metrics-host ${f.metricsHost}: the endpoints are reachable from other machines (they show pool figures and names, no secrets, with no authentication); use 127.0.0.1 to keep them local`);
  }
  try {
    return await body((_env, pools) => {
      current = pools;
    });
  } finally {
    await server.close();
  }
}
