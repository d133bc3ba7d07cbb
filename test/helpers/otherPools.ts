/**
 * Services written with other ecosystems' pool libraries, for the observe tests (issue 21): a Go
 * database/sql pool (test/services/go-pool, built here with Debian's Go packages, cached by source
 * hash) and a Python psycopg_pool pool (test/services/psycopg-pool). Each writes its own ground truth
 * in the shape of test/helpers/uninstrumented/harness.ts's Truth, so that harness's measures apply.
 *
 * A missing package skips the tests that need it and says so; with CI=true it fails them instead.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Truth } from './uninstrumented/harness.js';

const SERVICES = join(dirname(fileURLToPath(import.meta.url)), '..', 'services');
const GO_SRC = join(SERVICES, 'go-pool', 'main.go');
export const PSYCOPG_SRC = join(SERVICES, 'psycopg-pool', 'service.py');
const GOPATH = '/usr/share/gocode';
export const PYTHON = '/usr/bin/python3';

/** What a service of this file writes: harness.ts's Truth, plus the client's own view. */
export interface OtherTruth extends Truth {
  startedAt: number;
  /** Every checkout on the client's clock: [acquired, released]. */
  holds: Array<[number, number]>;
  acquiredAt: number[];
  waitsMs: number[];
  /** Go only: db.Stats() every 100 ms, [ms, waitCount, waitDurationS, maxIdleClosed, maxIdleTimeClosed, maxLifetimeClosed, inUse, idle, open]. */
  stats?: number[][];
  /** Go only: [ms, inUse, open] as the DBStats collector gave them to each scrape. */
  served?: number[][];
  /** The library's version as the service read it (psycopg_pool). */
  version?: string;
}

/**
 * Why the tests of a package cannot run here, or null when they can. With CI=true the caller fails
 * instead of skipping (a CI image missing a package is a broken image, not a reason to skip).
 */
export function missingGo(): string | null {
  if (spawnSync('go', ['version'], { stdio: 'ignore' }).error) return 'no go (apt-get install golang-go)';
  for (const [dir, pkg] of [
    ['github.com/lib/pq', 'golang-github-lib-pq-dev'],
    ['github.com/prometheus/client_golang/prometheus/collectors', 'golang-github-prometheus-client-golang-dev'],
  ]) {
    if (!existsSync(join(GOPATH, 'src', dir!))) return `no ${dir} in ${GOPATH} (apt-get install ${pkg})`;
  }
  return null;
}

/** Why the psycopg_pool service cannot run here, or null. */
export function missingPsycopgPool(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import psycopg_pool'], { stdio: 'ignore' });
  return r.status === 0 ? null : `no psycopg_pool for ${PYTHON} (apt-get install python3-psycopg-pool)`;
}

/** Skip (saying so) when `reason` is set outside CI; in CI, the describe runs and its beforeAll fails with the reason. */
export function skipUnlessCi(what: string, reason: string | null): boolean {
  if (reason === null) return false;
  if (process.env.CI === 'true') return false;
  console.log(`SKIPPED ${what}: ${reason}`);
  return true;
}

/** Build the Go service once per source (a binary under the temp dir named by the source's hash). */
export function buildGoPool(): string {
  const reason = missingGo();
  if (reason) throw new Error(`the Go service cannot be built: ${reason}`);
  const src = readFileSync(GO_SRC);
  const hash = createHash('sha256').update(src).update(String(spawnSync('go', ['version']).stdout)).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), `pa-go-pool-${hash}`);
  const bin = join(dir, 'go-pool');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const tmp = `${bin}.${process.pid}`;
  const r = spawnSync('go', ['build', '-o', tmp, GO_SRC], {
    env: { ...process.env, GO111MODULE: 'off', GOPATH, GOCACHE: join(dir, 'cache'), GOFLAGS: '' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`go build of ${GO_SRC} failed (${r.status}): ${r.stderr}${r.error ?? ''}`);
  renameSync(tmp, bin);
  return bin;
}

/** A running service: its process, its /metrics port (Go), and its truth once it has exited. */
export interface OtherService {
  proc: ChildProcess;
  port: number | null;
  done: Promise<OtherTruth>;
}

/**
 * Start `cmd args... '<json cfg>'` (the config gets `truth`, the file it writes), wait for the line
 * `{"port":N}` or `ready` it prints once warmed up; `cleanup` gets a kill for the end of the test file.
 */
export function startOtherService(cmd: string, args: string[], cfg: Record<string, unknown>, cleanup: Array<() => void>): Promise<OtherService> {
  const truthFile = join(mkdtempSync(join(tmpdir(), 'pa-other-')), 'truth.json');
  const proc = spawn(cmd, [...args, JSON.stringify({ ...cfg, truth: truthFile })], { stdio: ['ignore', 'pipe', 'pipe'] });
  cleanup.push(() => proc.exitCode === null && proc.kill('SIGKILL'));
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<OtherTruth>((resolve, reject) => {
    proc.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${cfg.name} exited ${code}: ${err}`));
      resolve(JSON.parse(readFileSync(truthFile, 'utf8')) as OtherTruth);
    });
  });
  done.catch(() => {});
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{') || l === 'ready');
      if (line) resolve({ proc, port: line.startsWith('{') ? (JSON.parse(line) as { port: number }).port : null, done });
    });
    proc.on('exit', (code) => reject(new Error(`${cfg.name} exited ${code} before it was ready: ${err}`)));
  });
}

/** A libpq-style URL for the test server with `application_name` set (lib/pq and psycopg read it from the URL). */
export function urlWithApp(url: string, appName: string): string {
  const u = new URL(url);
  u.searchParams.set('sslmode', 'disable');
  u.searchParams.set('application_name', appName);
  return u.toString();
}

/** Mean of a step function sampled at [t, value] rows, over [from, to). */
export function stepMean(rows: ReadonlyArray<readonly [number, number]>, from: number, to: number): number {
  let s = 0;
  for (let i = 0; i < rows.length; i++) {
    const a = Math.max(rows[i]![0], from);
    const b = Math.min(i + 1 < rows.length ? rows[i + 1]![0] : to, to);
    if (b > a) s += rows[i]![1] * (b - a);
  }
  return s / (to - from);
}

/** A counter sampled at [t, value] rows, read at instant `at` (the last sample at or before it). */
export function counterAt(rows: ReadonlyArray<readonly [number, number]>, at: number): number {
  let v = rows[0]?.[1] ?? 0;
  for (const [t, x] of rows) {
    if (t > at) break;
    v = x;
  }
  return v;
}

/** Checkouts in progress at instant `at` (the client's view). */
export function inUseAt(t: OtherTruth, at: number): number {
  let n = 0;
  for (const [a, b] of t.holds) if (a <= at && at < b) n++;
  return n;
}

/** Mean checkouts in progress over [from, to). */
export function meanInUse(t: OtherTruth, from: number, to: number): number {
  let s = 0;
  for (const [a, b] of t.holds) s += Math.max(0, Math.min(b, to) - Math.max(a, from));
  return s / (to - from);
}

/** An installed Debian package's version (for the printed figures), or "not from a package". */
export function debVersion(pkg: string): string {
  const r = spawnSync('dpkg-query', ['-W', '-f', '${Version}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout ? r.stdout : 'not from a package';
}

/** Why PgBouncer cannot run here, or null. */
export function missingPgBouncer(): string | null {
  return spawnSync('pgbouncer', ['--version'], { stdio: 'ignore' }).error ? 'no pgbouncer (apt-get install pgbouncer)' : null;
}

/** A running PgBouncer: its port, its admin console's URL, and a stop. */
export interface TestPgBouncer {
  port: number;
  url: (appName: string) => string;
  adminUrl: string;
  stop: () => void;
}

/**
 * Start PgBouncer on loopback in front of the test server (`pgUrl`), in `poolMode` with
 * `poolSize` server connections per pool; any client may log in (auth_type any), the admin
 * console as `postgres`. As root it runs as the postgres OS user (PgBouncer refuses root).
 */
export async function startPgBouncer(pgUrl: string, port: number, opts: { poolMode: string; poolSize: number }, cleanup: Array<() => void>): Promise<TestPgBouncer> {
  const u = new URL(pgUrl);
  const dir = mkdtempSync(join(tmpdir(), 'pa-pgbouncer-'));
  const ini = [
    '[databases]',
    `postgres = host=${u.hostname} port=${u.port} dbname=postgres user=postgres`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = any',
    'admin_users = postgres',
    `pool_mode = ${opts.poolMode}`,
    `default_pool_size = ${opts.poolSize}`,
    'max_client_conn = 200',
    // lib/pq sends extra_float_digits at startup.
    'ignore_startup_parameters = extra_float_digits,options',
    `logfile = ${join(dir, 'pgbouncer.log')}`,
    `pidfile = ${join(dir, 'pgbouncer.pid')}`,
  ].join('\n');
  writeFileSync(join(dir, 'pgbouncer.ini'), `${ini}\n`);
  const asRoot = process.getuid?.() === 0;
  if (asRoot) spawnSync('chown', ['-R', 'postgres', dir]);
  const proc = spawn('pgbouncer', [...(asRoot ? ['-u', 'postgres'] : []), join(dir, 'pgbouncer.ini')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const stop = () => {
    if (proc.exitCode === null) proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  cleanup.push(stop);
  const url = (appName: string) => urlWithApp(`postgresql://postgres@127.0.0.1:${port}/postgres`, appName);
  for (let i = 0; i < 50; i++) {
    if (proc.exitCode !== null) throw new Error(`pgbouncer exited ${proc.exitCode}: ${log}${existsSync(join(dir, 'pgbouncer.log')) ? readFileSync(join(dir, 'pgbouncer.log'), 'utf8') : ''}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return { port, url, adminUrl: `postgresql://postgres@127.0.0.1:${port}/pgbouncer`, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  stop();
  throw new Error(`pgbouncer did not listen within 5 s: ${log}`);
}

/** The Debian name of postgres_exporter's binary. */
const PG_EXPORTER = 'prometheus-postgres-exporter';
/** The queries file shipped in docs/ (the tests run the shipped one). */
export const EXPORTER_QUERIES = join(SERVICES, '..', '..', 'docs', 'postgres-exporter-queries.yaml');
/** The advisor config table shipped beside it. */
export const EXPORTER_ADVISOR = join(SERVICES, '..', '..', 'docs', 'postgres-exporter.toml');

/** Why postgres_exporter cannot run here, or null. */
export function missingPostgresExporter(): string | null {
  return spawnSync(PG_EXPORTER, ['--version'], { stdio: 'ignore' }).error ? `no ${PG_EXPORTER} (apt-get install prometheus-postgres-exporter)` : null;
}

/** postgres_exporter's version as it prints it. */
export function postgresExporterVersion(): string {
  const r = spawnSync(PG_EXPORTER, ['--version'], { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.split('\n')[0]!.trim();
}

/** Start postgres_exporter on loopback against `pgUrl` with only the shipped queries file; resolves once /metrics answers. */
export async function startPostgresExporter(pgUrl: string, port: number, cleanup: Array<() => void>): Promise<{ port: number }> {
  const u = new URL(pgUrl);
  u.searchParams.set('sslmode', 'disable');
  const proc = spawn(PG_EXPORTER, [`--extend.query-path=${EXPORTER_QUERIES}`, '--disable-default-metrics', '--disable-settings-metrics', `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], {
    env: { ...process.env, DATA_SOURCE_NAME: u.toString() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  cleanup.push(() => proc.exitCode === null && proc.kill('SIGKILL'));
  for (let i = 0; i < 50; i++) {
    if (proc.exitCode !== null) throw new Error(`${PG_EXPORTER} exited ${proc.exitCode}: ${log}`);
    const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '');
    if (text.includes('pool_advisor_activity_open')) return { port };
    await new Promise((r) => setTimeout(r, 200));
  }
  proc.kill('SIGKILL');
  throw new Error(`${PG_EXPORTER} served no pool_advisor_activity_* within 10 s: ${log}`);
}

/**
 * The error of a gauge's mean read once a `periodMs` over [from, to] as an estimate of its time
 * average, from the truth itself: the spread of those means over `phases` phases of the period.
 */
export function phaseStdErr(at: (t: number) => number, from: number, to: number, periodMs = 1000, phases = 20): number {
  const means = Array.from({ length: phases }, (_, p) => {
    const xs: number[] = [];
    for (let x = from + (p * periodMs) / phases; x <= to; x += periodMs) xs.push(at(x));
    return xs.reduce((acc, v) => acc + v, 0) / xs.length;
  });
  const m = means.reduce((acc, v) => acc + v, 0) / means.length;
  return Math.sqrt(means.reduce((acc, v) => acc + (v - m) ** 2, 0) / (means.length - 1));
}
