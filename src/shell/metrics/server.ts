/**
 * The `/metrics` and `/health` endpoints: a request handler a service can mount, and the small
 * HTTP server `analyze --metrics-port` starts. Both read the pools when asked (scrape time).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { figuresOf, healthReport, type HealthReport } from '../../core/metrics/health.js';
import { UsageError } from '../../core/errors.js';
import { nowUs } from '../clock.js';
import { metricsRegistry, poolsOf, type PoolSource } from './registry.js';

/** The `/health` report of a pool source now, with its HTTP status (503 when a pool is unhealthy). */
export function poolHealth(source: PoolSource): { report: HealthReport; httpStatus: 200 | 503 } {
  const t = nowUs();
  return healthReport(
    poolsOf(source).map((p) => figuresOf(p.name, p.recorder, p.gauges(), t)),
    Date.now(),
  );
}

/** Options of {@link metricsHandler}. */
export interface MetricsHandlerOptions {
  /** The registry to expose (default: {@link metricsRegistry} of the same pools). Pass your own to merge in other metrics. */
  registry?: Registry;
}

/**
 * A request handler for `GET /metrics` (Prometheus text) and `GET /health` (JSON). Other paths go
 * to `next` when given (Express and Connect style), else get a 404.
 */
export function metricsHandler(source: PoolSource, opts: MetricsHandlerOptions = {}): (req: IncomingMessage, res: ServerResponse, next?: () => void) => void {
  const registry = opts.registry ?? metricsRegistry(source);
  return (req, res, next) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' && path !== '/health') {
      if (next) return next();
      return send(res, 404, 'text/plain; charset=utf-8', 'not found: try /metrics or /health\n', req.method === 'HEAD');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', false);
    }
    const head = req.method === 'HEAD';
    if (path === '/health') {
      const { report, httpStatus } = poolHealth(source);
      return send(res, httpStatus, 'application/json; charset=utf-8', `${JSON.stringify(report, null, 2)}\n`, head);
    }
    registry.metrics().then(
      (text) => send(res, 200, registry.contentType, text, head),
      (e: Error) => send(res, 500, 'text/plain; charset=utf-8', `metrics failed: ${e.message}\n`, head),
    );
  };
}

function send(res: ServerResponse, status: number, type: string, body: string, head: boolean): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(head ? undefined : body);
}

/** A running metrics server. */
export interface MetricsServer {
  host: string;
  /** The port it listens on (the real one when 0 was asked). */
  port: number;
  /** `http://host:port`. */
  url: string;
  /** Stop listening and drop open connections (scrapers keep theirs alive). */
  close(): Promise<void>;
}

/** Options of {@link startMetricsServer}. */
export interface MetricsServerOptions {
  pools: PoolSource;
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1: the figures are not for the whole network unless asked. */
  host?: string;
  registry?: Registry;
}

/** Start an HTTP server for `/metrics` and `/health`. A port in use or an address not of this machine is a UsageError. */
export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const host = opts.host ?? '127.0.0.1';
  const server: Server = createServer(metricsHandler(opts.pools, { registry: opts.registry }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(new UsageError(`metrics server: port ${opts.port} is in use on ${host}`, 'choose another --metrics-port, or 0 for a free one'));
      else if (e.code === 'EACCES') reject(new UsageError(`metrics server: not allowed to listen on port ${opts.port}`, 'choose a --metrics-port above 1023, or 0 for a free one'));
      else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') {
        reject(new UsageError(`metrics server: cannot listen on '${host}' (${e.code}): not an address of this machine`, "use --metrics-host 127.0.0.1 (the default), 0.0.0.0 for every interface, or one of this machine's addresses"));
      }
      else reject(e);
    });
    server.listen(opts.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    host,
    port,
    url: `http://${shown}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
