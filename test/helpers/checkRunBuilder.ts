/**
 * Synthetic saved runs for `check` tests: PoolRuns built from lists of recorded values with the
 * real histogram encoder and the real occupancy integrator, so a test states the figures it
 * expects and the run file carries exactly them.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode, newHistogram, recordUs } from '../../src/core/run/histogram.js';
import { LevelIntegrator } from '../../src/core/run/occupancy.js';
import type { PoolName, PoolSettings } from '../../src/core/config/pools.js';
import type { EnvironmentRun, LevelTimes, PoolCounters, PoolRun, RunFile } from '../../src/core/run/types.js';

/** A gauge as steps: [level, milliseconds spent at it], in order. */
export type Steps = Array<[number, number]>;

/** What a test says about one pool; everything else gets a neutral default. */
export interface PoolSpec {
  pool?: PoolName;
  durationMs?: number;
  /** Acquire waits, µs (each counts as one acquire unless `counters.acquires` says otherwise). */
  waitsUs?: number[];
  holdsUs?: number[];
  createsUs?: number[];
  counters?: Partial<Omit<PoolCounters, 'closed' | 'byPath'>> & { closed?: Partial<PoolCounters['closed']> };
  inUse?: Steps;
  idle?: Steps;
  waiting?: Steps;
  settings?: Partial<PoolSettings>;
}

function histogramOf(values: readonly number[] = []): string {
  const h = newHistogram();
  for (const v of values) recordUs(h, v);
  return encode(h);
}

/** Integrate steps with the real LevelIntegrator (µs clock). */
export function levelsOf(steps: Steps = [], durationMs: number): LevelTimes {
  const integ = new LevelIntegrator(0, steps[0]?.[0] ?? 0);
  let t = 0;
  for (const [level, ms] of steps) {
    integ.set(level, t);
    t += ms * 1000;
  }
  return integ.snapshot(Math.max(t, durationMs * 1000));
}

/** One pool's run. */
export function buildPoolRun(spec: PoolSpec = {}): PoolRun {
  const durationMs = spec.durationMs ?? 10_000;
  const waits = spec.waitsUs ?? [];
  const c = spec.counters ?? {};
  const counters: PoolCounters = {
    acquires: c.acquires ?? waits.length,
    byPath: { idle: waits.length, new: 0, queued: 0 },
    waited: c.waited ?? 0,
    timeouts: c.timeouts ?? 0,
    errors: c.errors ?? 0,
    slow: c.slow ?? 0,
    slowSuppressed: c.slowSuppressed ?? 0,
    created: c.created ?? (spec.createsUs?.length ?? 0),
    createErrors: c.createErrors ?? 0,
    closed: { expired: 0, idle: 0, error: 0, shutdown: 0, ...(c.closed ?? {}) },
    releases: c.releases ?? (spec.holdsUs?.length ?? waits.length),
  };
  const empty = histogramOf();
  return {
    pool: spec.pool ?? 'database',
    settings: {
      max_connections: 10,
      min_connections: 2,
      acquire_timeout_seconds: 10,
      idle_timeout_seconds: 300,
      max_lifetime_seconds: 1800,
      slow_acquire_threshold_ms: 100,
      ...(spec.settings ?? {}),
    },
    emulateSqlx: true,
    startedAt: Date.UTC(2026, 0, 1),
    durationMs,
    counters,
    histograms: { wait: histogramOf(waits), waitByPath: { idle: histogramOf(waits), new: empty, queued: empty }, hold: histogramOf(spec.holdsUs), create: histogramOf(spec.createsUs) },
    occupancy: {
      inUse: levelsOf(spec.inUse, durationMs),
      idle: levelsOf(spec.idle, durationMs),
      waiting: levelsOf(spec.waiting, durationMs),
      total: levelsOf(spec.inUse, durationMs),
    },
    holdByInUse: { levels: [] },
    timeline: { intervalMs: 1000, points: [] },
    expiryTimes: [],
    expiryTimesTruncated: false,
    idleClosedAges: [],
  };
}

/** One environment. */
export function buildEnvironment(env: string, pools: PoolRun[], pgmqShared = true): EnvironmentRun {
  const durationMs = pools[0]?.durationMs ?? 10_000;
  return { env, warmupMs: 1000, durationMs, pgmqShared, pools, workloads: [], config: {}, overrides: [] };
}

/** A whole run file. */
export function buildRunFile(environments: EnvironmentRun[]): RunFile {
  return {
    schemaVersion: 1,
    tool: { name: 'pool-advisor', version: '0.1.0' },
    createdAt: '2026-01-01T00:00:00.000Z',
    target: 'postgresql://tasker@localhost:5432/tasker_test',
    server: { version: '16.4', maxConnections: 100, superuserReserved: 3 },
    configDir: 'config/tasker',
    seed: 1,
    environments,
    partial: false,
  };
}

/** Write a run to a fresh temp dir and return its path. */
export function writeRunFile(run: RunFile, name = 'run.json'): string {
  const dir = mkdtempSync(join(tmpdir(), 'pa-run-'));
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(run));
  return path;
}

/** A healthy pool: fast waits, no timeouts, a third of max in use. */
export function healthyPool(pool: PoolName = 'database'): PoolRun {
  return buildPoolRun({
    pool,
    waitsUs: [...Array.from({ length: 990 }, () => 200), ...Array.from({ length: 10 }, () => 4_000)],
    holdsUs: Array.from({ length: 1000 }, () => 5_000),
    createsUs: [3_000, 3_500],
    counters: { waited: 20, slow: 0 },
    inUse: [[2, 4000], [3, 4000], [5, 2000]],
    idle: [[3, 10_000]],
    waiting: [[0, 10_000]],
  });
}

/** A saturated pool: slow waits, timeouts, in use at max most of the time. */
export function saturatedPool(pool: PoolName = 'database'): PoolRun {
  return buildPoolRun({
    pool,
    waitsUs: [...Array.from({ length: 500 }, () => 1_000), ...Array.from({ length: 500 }, () => 120_000)],
    holdsUs: Array.from({ length: 1000 }, () => 50_000),
    counters: { waited: 600, timeouts: 7, slow: 500 },
    inUse: [[6, 1000], [10, 9000]],
    idle: [[0, 10_000]],
    waiting: [[0, 1000], [12, 9000]],
  });
}
