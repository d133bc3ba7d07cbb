/**
 * Fake endpoints that answer as a hostile or broken world would: a Prometheus HTTP API, Tasker's
 * /health/detailed, and PgBouncer's admin console (the PostgreSQL wire protocol's simple query
 * flow, enough for pg's client). Each answer is chosen per request by a behaviour the test sets:
 * its shape, its values, its size and its speed (at once, trickled, stalled after the headers,
 * endless, cut off). Only for the reliability tests: the tool's real readers are tested against
 * real servers elsewhere.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** How one HTTP answer is delivered. */
export interface HttpAnswer {
  status?: number;
  headers?: Record<string, string>;
  /** The body (a string or a function of the request for bodies built per request). */
  body?: string;
  /** Deliver the body in pieces of this many bytes, with `gapMs` between them (a trickle). */
  chunk?: number;
  gapMs?: number;
  /** Send the headers, then nothing more (the socket stays open). */
  stallAfterHeaders?: boolean;
  /** Send this many bytes of filler after the body's start, without end (an endless body when Infinity). */
  endless?: boolean;
  /** Wait this long before answering at all. */
  delayMs?: number;
  /** Cut the connection after this many bytes of body. */
  cutAfter?: number;
}

export interface FakeHttp {
  url: string;
  port: number;
  /** Requests seen (path and query). */
  seen: string[];
  /** Open sockets now (a reader that closed its side leaves none). */
  openSockets: () => number;
  close: () => Promise<void>;
}

/** An HTTP server answering each request with `answer(req)`. */
export async function fakeHttp(answer: (req: IncomingMessage) => HttpAnswer): Promise<FakeHttp> {
  const sockets = new Set<Socket>();
  const seen: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, f: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      f();
    }, ms);
    timers.add(t);
  };
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push(req.url ?? '');
    const a = answer(req);
    res.on('error', () => {});
    const start = (): void => {
      res.writeHead(a.status ?? 200, { 'content-type': 'application/json', ...(a.headers ?? {}) });
      if (a.stallAfterHeaders) {
        res.flushHeaders();
        return;
      }
      const body = Buffer.from(a.body ?? '');
      if (a.endless) {
        res.write(body);
        const filler = Buffer.alloc(64 * 1024, 0x20);
        const pump = (): void => {
          if (res.destroyed) return;
          while (res.write(filler)) if (res.destroyed) return;
          res.once('drain', pump);
        };
        pump();
        return;
      }
      const limit = a.cutAfter ?? body.length;
      if (!a.chunk) {
        res.write(body.subarray(0, limit));
        if (a.cutAfter !== undefined) res.socket?.destroy();
        else res.end();
        return;
      }
      let at = 0;
      const step = (): void => {
        if (res.destroyed) return;
        if (at >= limit) {
          if (a.cutAfter !== undefined) res.socket?.destroy();
          else res.end();
          return;
        }
        res.write(body.subarray(at, Math.min(limit, at + a.chunk!)));
        at += a.chunk!;
        later(a.gapMs ?? 0, step);
      };
      step();
    };
    if (a.delayMs) later(a.delayMs, start);
    else start();
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    openSockets: () => sockets.size,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A Prometheus vector answer. */
export function vectorAnswer(result: unknown[]): string {
  return JSON.stringify({ status: 'success', data: { resultType: 'vector', result } });
}

/** A Prometheus name listing. */
export function namesAnswer(names: string[]): string {
  return JSON.stringify({ status: 'success', data: names });
}

/** The metric names of pool-advisor's own /metrics family (docs/metrics.md), so the fleet reader recognises it. */
export const POOL_ADVISOR_NAMES = [
  'db_client_connections',
  'pool_advisor_connections_created_total',
  'db_client_connection_wait_time_seconds_bucket',
  'db_client_connection_wait_time_seconds_sum',
  'db_client_connection_wait_time_seconds_count',
  'db_client_connection_use_time_seconds_bucket',
  'db_client_connection_use_time_seconds_sum',
  'db_client_connection_use_time_seconds_count',
  'db_client_connection_create_time_seconds_bucket',
  'db_client_connection_create_time_seconds_sum',
  'db_client_connection_create_time_seconds_count',
  'db_client_connection_timeouts_total',
  'pool_advisor_acquire_errors_total',
  'pool_advisor_connections_closed_total',
  'db_client_connection_max',
  'db_client_connection_idle_min',
  'db_client_connection_pending_requests',
];

/** How the fake console answers one command. */
export interface ConsoleAnswer {
  /** Column names and rows (text values; null for NULL). */
  columns: string[];
  rows: Array<Array<string | null>>;
  /** Wait before answering; Infinity never answers. */
  delayMs?: number;
  /** Close the connection instead of answering. */
  die?: boolean;
  /** Send this many filler rows after the real ones (a huge answer). */
  extraRows?: number;
}

export interface FakeConsole {
  url: string;
  port: number;
  /** Connections open now. */
  openSockets: () => number;
  close: () => Promise<void>;
}

function msg(type: string, payload: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(payload.length + 4, 1);
  return Buffer.concat([head, payload]);
}
const cstr = (s: string): Buffer => Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);
const int32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const int16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};

function rowDescription(columns: string[]): Buffer {
  const parts = [int16(columns.length)];
  for (const c of columns) parts.push(cstr(c), int32(0), int16(0), int32(25), int16(-1), int32(-1), int16(0));
  return msg('T', Buffer.concat(parts));
}

function dataRow(values: Array<string | null>): Buffer {
  const parts = [int16(values.length)];
  for (const v of values) {
    if (v === null) parts.push(int32(-1));
    else {
      const b = Buffer.from(v, 'utf8');
      parts.push(int32(b.length), b);
    }
  }
  return msg('D', Buffer.concat(parts));
}

const READY = msg('Z', Buffer.from('I'));

/** PgBouncer's admin console as a fake: trust auth, the simple query protocol, answers from `answer(sql)`. */
export async function fakeConsole(answer: (sql: string) => ConsoleAnswer): Promise<FakeConsole> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = createTcpServer((s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let buf = Buffer.alloc(0);
    let started = false;
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (!started) {
          if (buf.length < 8) return;
          const len = buf.readInt32BE(0);
          if (buf.length < len) return;
          const code = buf.readInt32BE(4);
          buf = buf.subarray(len);
          if (code === 80877103) {
            s.write('N'); // no SSL
            continue;
          }
          started = true;
          s.write(Buffer.concat([msg('R', int32(0)), msg('S', Buffer.concat([cstr('server_version'), cstr('1.24.1/bouncer')])), msg('K', Buffer.concat([int32(1), int32(2)])), READY]));
          continue;
        }
        if (buf.length < 5) return;
        const type = String.fromCharCode(buf[0]!);
        const len = buf.readInt32BE(1);
        if (buf.length < len + 1) return;
        const body = buf.subarray(5, len + 1);
        buf = buf.subarray(len + 1);
        if (type === 'X') {
          s.end();
          return;
        }
        if (type !== 'Q') continue;
        const sql = body.subarray(0, body.length - 1).toString('utf8');
        const a = answer(sql);
        const send = (): void => {
          if (s.destroyed) return;
          if (a.die) {
            s.destroy();
            return;
          }
          const out = [rowDescription(a.columns), ...a.rows.map(dataRow)];
          s.write(Buffer.concat(out));
          let extra = a.extraRows ?? 0;
          const filler = dataRow(a.columns.map(() => 'x'.repeat(100)));
          const pump = (): void => {
            while (extra > 0 && !s.destroyed) {
              extra--;
              if (!s.write(filler)) return void s.once('drain', pump);
            }
            if (!s.destroyed) s.write(Buffer.concat([msg('C', cstr(`SHOW`)), READY]));
          };
          pump();
        };
        if (a.delayMs === Infinity) continue;
        if (a.delayMs) {
          const t = setTimeout(() => {
            timers.delete(t);
            send();
          }, a.delayMs);
          timers.add(t);
        } else send();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `postgresql://stats@127.0.0.1:${port}/pgbouncer`,
    port,
    openSockets: () => sockets.size,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A console that answers like PgBouncer 1.24 with one pool, `pools` giving SHOW POOLS's counts. */
export function bouncerAnswers(pools: () => { clActive: string; clWaiting: string; maxwait: string } = () => ({ clActive: '1', clWaiting: '0', maxwait: '0' })): (sql: string) => ConsoleAnswer {
  return (sql) => {
    if (sql === 'SHOW VERSION') return { columns: ['version'], rows: [['PgBouncer 1.24.1']] };
    if (sql === 'SHOW STATS') return { columns: ['database', 'total_xact_count', 'total_query_count', 'total_xact_time', 'total_wait_time'], rows: [['app', '100', '100', '1000000', '5000']] };
    if (sql === 'SHOW DATABASES') return { columns: ['name', 'pool_size', 'reserve_pool', 'pool_mode'], rows: [['app', '20', '0', 'transaction']] };
    const p = pools();
    return { columns: ['database', 'user', 'cl_active', 'cl_waiting', 'sv_active', 'sv_idle', 'sv_used', 'maxwait', 'maxwait_us', 'pool_mode'], rows: [['app', 'app', p.clActive, p.clWaiting, '1', '0', '0', p.maxwait, '0', 'transaction']] };
  };
}
