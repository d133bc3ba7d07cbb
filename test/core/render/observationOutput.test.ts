/**
 * The text and JSON output of an observation, for each kind (issue 32): what the source saw is
 * printed, what it could not see is said once and is never a 0, and nothing speaks of a measured
 * window. Server-only evidence is held in test/core/evidence/partialEvidence.test.ts; here the
 * fleet's Prometheus alone, the two sources merged, and an observation behind PgBouncer, each built
 * by the same core functions `observe` uses (fleetEvidence, mergeSources). Then the same for the
 * saved observations of each kind that `observe` wrote of real services
 * (test/fixtures/observations/, test/cli/observationFixtures.test.ts), read back as `recommend
 * --from` reads them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEvidenceFile } from '../../../src/core/evidence/read.js';
import { compareRuns } from '../../../src/core/analysis/compare.js';
import { renderCompare } from '../../../src/core/render/compare.js';
import { defaultAdvisorConfig } from '../../../src/core/advisor/defaults.js';
import { fleetEvidence } from '../../../src/core/fleet/evidence.js';
import type { FleetReading, ReplicaFigures } from '../../../src/core/fleet/assemble.js';
import { mergeSources } from '../../../src/core/evidence/merge.js';
import { EVIDENCE_SCHEMA_VERSION } from '../../../src/core/evidence/types.js';
import type { EnvironmentEvidence, EvidenceFile, PoolEvidence } from '../../../src/core/evidence/types.js';
import type { MappedEnvironment } from '../../../src/core/observe/evidence.js';
import { adviseEvidence } from '../../../src/core/rules/index.js';
import { renderReport } from '../../../src/core/render/report.js';
import { adviceData } from '../../../src/core/render/recommendations.js';
import { BASE_SETTINGS, configSnapshot } from '../../helpers/syntheticRun.js';

const WINDOW = { startMs: 1_767_000_000_000, endMs: 1_767_000_600_000 };
const ENVS: MappedEnvironment[] = [{ env: 'production', pgmqShared: true, config: { database: configSnapshot('database', { ...BASE_SETTINGS, max_connections: 10 }) } }];
const us = (s: number): number => s * 1e6;

function file(environments: EnvironmentEvidence[]): EvidenceFile {
  return {
    kind: 'observation',
    schemaVersion: EVIDENCE_SCHEMA_VERSION,
    tool: { name: 'pool-advisor', version: '0.1.0' },
    createdAt: '2026-12-07T20:00:00.000Z',
    target: 'postgresql://observer@db.internal:5432/tasker',
    targetKind: 'remote',
    configDir: 'config/tasker',
    seed: null,
    environments,
    partial: false,
  };
}

function prometheusOnly(): EnvironmentEvidence[] {
  const r: ReplicaFigures = {
    family: 'otel',
    env: 'production',
    pool: 'database',
    mapped: true,
    seriesPool: 'database',
    replica: '10.0.0.7:9464',
    windowS: 600,
    notCarried: [],
    acquires: 60_000,
    arrivalRate: 100,
    wait: { count: 60_000, meanS: 0.002, buckets: { upperS: [0.001, 0.01, Infinity], counts: [50_000, 9_000, 1_000] } },
    use: { count: 60_000, meanS: 0.03, meanInUse: 3 },
    timeouts: 4,
  };
  const reading: FleetReading = { window: WINDOW, families: [], replicas: [r], pools: [], queries: 9 };
  return fleetEvidence(reading, ENVS, 'http://prom:9090');
}

/** What the server saw of the same replica over the same window. */
function serverSide(): EnvironmentEvidence[] {
  const p: PoolEvidence = {
    pool: 'database',
    replica: '10.0.0.7',
    source: { kind: 'server-sampling', detail: 'pg_stat_activity every 200 ms (3,000 samples)', startedAt: WINDOW.startMs, durationMs: 600_000 },
    settings: { ...BASE_SETTINGS, max_connections: 10 },
    validity: { valid: true, reasons: [] },
    occupancy: {
      samples: 3000,
      inUseIsLowerBound: true,
      inUse: { levels: [[1, us(120)], [3, us(300)], [5, us(180)]], max: 5, last: 3 },
      open: { levels: [[8, us(600)]], max: 8, last: 8 },
    },
    churn: { opened: 4, closed: { lifetime: 4, idle: 0, error: 0, shutdown: 0, unattributed: 0 } },
  };
  return [{ env: 'production', durationMs: 600_000, warmupMs: 0, pgmqShared: true, interrupted: false, pools: [p], unmapped: [], workloads: [], config: ENVS[0]!.config, overrides: [] }];
}

/** Behind PgBouncer: the server sees the proxy's connections (unmapped, not believed for sizing); the console gives the proxy's own pool. */
function behindPgBouncer(): EnvironmentEvidence[] {
  return [
    {
      env: 'unmapped',
      durationMs: 600_000,
      warmupMs: 0,
      pgmqShared: false,
      interrupted: false,
      pools: [],
      unmapped: [
        {
          label: 'app=(none) db=app user=bouncer',
          replica: '127.0.0.1',
          source: { kind: 'server-sampling', detail: 'pg_stat_activity every 200 ms (3,000 samples)', startedAt: WINDOW.startMs, durationMs: 600_000 },
          reason: 'no --map',
          figures: { meanBusy: 2.4, openMax: 3, reserved: 0, maxConnections: null },
          validity: { valid: false, reasons: ["the server sees a proxy, not the service's pools: backend 7 changed its application_name from 'a' to 'b' and back"] },
        },
      ],
      proxyPools: [
        { proxy: 'PgBouncer 1.18.0', console: 'postgresql://admin@127.0.0.1:6432/pgbouncer', database: 'app', poolMode: 'transaction', users: 1, size: 3, reservePool: 0, xacts: 48_000, xactMeanUs: 57_900, waitTotalUs: 48_000 * 27_400, waitingMean: 2.3, waitingMax: 9, maxwaitUs: 87_000, startedAt: WINDOW.startMs, windowMs: 600_000 },
      ],
      workloads: [],
      config: {},
      overrides: [],
    },
  ];
}

const BAD = /NaN|Infinity|undefined|\bat .*\.js:\d+|\d\.\d{5,}|e\+\d{2,}/;

function outputs(envs: EnvironmentEvidence[]) {
  const f = file(envs);
  const { analysis, advice } = adviseEvidence(f, defaultAdvisorConfig());
  const text = renderReport(f, analysis, advice, { color: false });
  const json = JSON.parse(JSON.stringify(adviceData(analysis, advice))) as { environments: Array<{ env: string; pools: Array<Record<string, unknown>> }>; findings: Array<{ kind: string; message: string }> };
  return { text, json };
}

describe('the output of each kind of observation', () => {
  it("the fleet's Prometheus alone: the waits, the rate and timeouts it carries; once what it cannot see; absent from the JSON, never 0", () => {
    const { text, json } = outputs(prometheusOnly());
    expect(text).not.toMatch(BAD);
    expect(text).toContain('(observed 10.0 min;');
    expect(text).not.toContain('warm-up');
    // Its waits are printed; what it does not carry is said once.
    expect(text).toMatch(/│ pool\s+│ acquires │\s+P50 │\s+P95 │\s+P99 │/);
    expect(text).toMatch(/│ database \(10\.0\.0\.7:9464\) │\s+60000 │ 600 µs │/);
    // No table of the occupancy it could not see (a column of the pool's size alone says nothing).
    expect(text).not.toMatch(/│ pool\s+│ max │\n/);
    expect(text.match(/Not seen by the fleet's Prometheus metrics: /g)).toHaveLength(1);
    expect(text).toContain('how acquires were served (idle, new, queued)');
    const pool = json.environments.find((e) => e.env === 'production')!.pools[0]!;
    for (const k of ['acquires', 'arrivalRate', 'wait', 'timeouts', 'hold']) expect(pool, k).toHaveProperty(k);
    for (const k of ['waitByPath', 'queuedShare', 'holdTrend', 'waiting']) expect(pool, k).not.toHaveProperty(k);
  });

  it("both sources merged: the pool metrics' waits and the server's occupancy side by side, and not seen only what neither saw", () => {
    const { text, json } = outputs(mergeSources(prometheusOnly(), serverSide()));
    expect(text).not.toMatch(BAD);
    expect(text).toMatch(/│ in use mean\/peak │/);
    expect(text).toMatch(/│ acquires │\s+P50 │/);
    const notSeen = text.split('\n').filter((l) => l.includes('Not seen by'));
    expect(notSeen).toHaveLength(1);
    expect(notSeen[0]).not.toContain('the acquire-wait distribution');
    expect(notSeen[0]).not.toContain('connections in use and open over time');
    const pool = json.environments.find((e) => e.env === 'production')!.pools[0]!;
    for (const k of ['acquires', 'wait', 'inUse', 'utilisation', 'expiries']) expect(pool, k).toHaveProperty(k);
  });

  it("behind PgBouncer: the proxy's own pool sized as a queue, no size from the proxy's connections, and no table of zeros", () => {
    const { text, json } = outputs(behindPgBouncer());
    expect(text).not.toMatch(BAD);
    expect(text).not.toContain('PGMQ has its own pool');
    expect(text).not.toMatch(/│\s+0 │\s+0\/s │/);
    const proxied = json.findings.find((f) => f.kind === 'unmapped-pool')!;
    expect(proxied.message).toContain('No size from these figures');
    expect(json.findings.some((f) => f.kind === 'proxy-pool')).toBe(true);
  });
});

/** A saved observation read, advised and rendered as `recommend --from` and `recommend --from --json` do. */
function savedOutputs(name: string) {
  const f = parseEvidenceFile(readFileSync(join(__dirname, '..', '..', 'fixtures', 'observations', name), 'utf8'), name);
  const { analysis, advice } = adviseEvidence(f, defaultAdvisorConfig());
  const text = renderReport(f, analysis, advice, { color: false });
  const json = JSON.parse(JSON.stringify(adviceData(analysis, advice))) as { environments: Array<{ env: string; pools: Array<Record<string, unknown>> }>; findings: Array<{ kind: string; message: string }> };
  return { text, json };
}

/** What the server alone cannot see: absent from a pool's JSON, never 0. */
const UNSEEN_BY_SERVER = ['acquires', 'wait', 'waitedShare', 'arrivalRate', 'hold', 'timeouts', 'errors', 'create'];

describe('the output of the saved observations of each kind (written by observe of real services)', () => {
  for (const name of ['server-only.json', 'fleet-timeline.json']) {
    it(`from the server alone (${name}): occupancy and churn, once what it cannot see, no wait figure in the JSON`, () => {
      const { text, json } = savedOutputs(name);
      expect(text).not.toMatch(BAD);
      expect(text).toMatch(/\(observed \d+\.\d+ s;/);
      expect(text).not.toContain('warm-up');
      expect(text).not.toContain('Acquire wait');
      expect(text.match(/Not seen by the server's view of the service \(pg_stat_activity sampling\): the acquire-wait distribution/g)).toHaveLength(1);
      const pools = json.environments.find((e) => e.env === 'test')!.pools;
      expect(pools.length).toBeGreaterThan(0);
      for (const p of pools) {
        for (const k of ['inUse', 'utilisation', 'occupancyModel']) expect(p, k).toHaveProperty(k);
        for (const k of UNSEEN_BY_SERVER) expect(p, k).not.toHaveProperty(k);
      }
    });
  }

  it("from Prometheus alone: its waits and counts, an extrapolated count marked as an estimate, not a raw float; no occupancy in the JSON", () => {
    const { text, json } = savedOutputs('prometheus-only.json');
    expect(text).not.toMatch(BAD);
    expect(text).toMatch(/│ database \(127\.0\.0\.1:\d+\) │\s+≈\d+ │ \d+ µs │/);
    expect(text.match(/Not seen by the fleet's Prometheus metrics: /g)).toHaveLength(1);
    const pool = json.environments.find((e) => e.env === 'test')!.pools[0]!;
    for (const k of ['acquires', 'wait', 'arrivalRate', 'hold', 'timeouts']) expect(pool, k).toHaveProperty(k);
    for (const k of ['inUse', 'utilisation', 'occupancyModel', 'serverLoad']) expect(pool, k).not.toHaveProperty(k);
  });

  it("both merged: the pool metrics' waits beside the server's occupancy and load; not seen only what neither saw", () => {
    const { text, json } = savedOutputs('merged.json');
    expect(text).not.toMatch(BAD);
    expect(text).toMatch(/│ pool\s+│ acquires │\s+P50 │/);
    expect(text).toMatch(/│ in use mean\/peak │/);
    const notSeen = text.split('\n').filter((l) => l.includes('Not seen by'));
    expect(notSeen).toHaveLength(1);
    expect(notSeen[0]).not.toContain('the acquire-wait distribution');
    expect(notSeen[0]).not.toContain('connections in use and open over time');
    const pool = json.environments.find((e) => e.env === 'test')!.pools[0]!;
    for (const k of ['acquires', 'wait', 'inUse', 'utilisation', 'serverLoad']) expect(pool, k).toHaveProperty(k);
  });

  it("behind PgBouncer: the proxy's own pool judged, the server's view of the proxy's connections not believed for a size, no wait figure made up", () => {
    const { text, json } = savedOutputs('pgbouncer.json');
    expect(text).not.toMatch(BAD);
    expect(text).toContain("the server sees a proxy, not the service's pools: PgBouncer 1.");
    expect(json.findings.find((f) => f.kind === 'proxy-pool')!.message).toMatch(/raise PgBouncer's pool_size for 'postgres'.* from 3 to \d+/);
    expect(json.findings.some((f) => f.kind === 'invalid-run')).toBe(true);
    for (const p of json.environments.find((e) => e.env === 'test')!.pools) for (const k of UNSEEN_BY_SERVER) expect(p, k).not.toHaveProperty(k);
  });
});

describe('compare of two saved observations', () => {
  it('calls each side observed, not measured, and shows what one side did not see as -, never 0', () => {
    const read = (name: string) => parseEvidenceFile(readFileSync(join(__dirname, '..', '..', 'fixtures', 'observations', name), 'utf8'), name);
    const text = renderCompare(compareRuns(read('merged.json'), read('prometheus-only.json'), { before: 'merged.json', after: 'prometheus-only.json' }), { color: false });
    expect(text).toMatch(/^Before: merged\.json \(observed 2026-/m);
    expect(text).toMatch(/^After : prometheus-only\.json \(observed 2026-/m);
    expect(text).not.toContain('measured');
    expect(text).toMatch(/│ in use, mean\s+│\s+[\d.]+ │\s+- │/);
    expect(text).not.toMatch(BAD);
  });
});
