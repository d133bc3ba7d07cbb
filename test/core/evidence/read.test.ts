/** The one reader of saved evidence: run files old and new map into evidence; observations are checked path by path. */
import { describe, expect, it } from 'vitest';
import { parseEvidenceFile } from '../../../src/core/evidence/read.js';
import { partsOf, EVIDENCE_PARTS } from '../../../src/core/evidence/parts.js';
import { EVIDENCE_SCHEMA_VERSION } from '../../../src/core/evidence/types.js';
import { HEALTHY, syntheticRun } from '../../helpers/syntheticRun.js';

const run = syntheticRun([{ ...HEALTHY, durationS: 5 }]);

function observationWith(pool: Record<string, unknown>, top: Record<string, unknown> = {}): string {
  return JSON.stringify({
    kind: 'observation',
    schemaVersion: EVIDENCE_SCHEMA_VERSION,
    createdAt: '2026-11-29T20:00:00.000Z',
    target: 'postgresql://o@db/x',
    partial: false,
    environments: [{ env: 'production', durationMs: 1000, warmupMs: 0, pgmqShared: true, interrupted: false, pools: [pool], unmapped: [], workloads: [], config: {}, overrides: [] }],
    ...top,
  });
}

const POOL = {
  pool: 'database',
  replica: null,
  source: { kind: 'prometheus', detail: 'Prometheus (otel family)', startedAt: 0, durationMs: 1000 },
  settings: { max_connections: 10, min_connections: 0, acquire_timeout_seconds: 30, idle_timeout_seconds: 600, max_lifetime_seconds: 1800, slow_acquire_threshold_ms: 100 },
  validity: { valid: true, reasons: [] },
  wait: { all: { form: 'buckets', upperUs: [1000, 10000, null], counts: [90, 9, 1] }, count: 100 },
};

describe('parseEvidenceFile', () => {
  it('a run file saved before kinds existed loads as a measured run with every part', () => {
    const e = parseEvidenceFile(JSON.stringify(run), 'old.json');
    expect(e.kind).toBe('run');
    expect(e.seed).toBe(1);
    const p = e.environments[0]!.pools[0]!;
    expect(p.source.kind).toBe('measured-run');
    expect(partsOf(p)).toEqual(EVIDENCE_PARTS);
    expect(p.wait!.count).toBe(run.environments[0]!.pools[0]!.counters.acquires);
    expect(p.arrival!.rate).toBe(run.environments[0]!.pools[0]!.counters.acquires / 5);
  });

  it("a run saved with kind 'run' loads the same", () => {
    expect(parseEvidenceFile(JSON.stringify({ kind: 'run', ...run }), 'new.json')).toEqual(parseEvidenceFile(JSON.stringify(run), 'new.json'));
  });

  it('an observation carries its evidence, with the parts its source saw', () => {
    const e = parseEvidenceFile(observationWith(POOL, { extra: { source: 'specific' } }), 'obs.json');
    expect(e.kind).toBe('observation');
    expect(e.seed).toBeNull();
    expect(partsOf(e.environments[0]!.pools[0]!)).toEqual(['wait']);
  });

  it.each([
    ['an unknown kind', JSON.stringify({ kind: 'trace', schemaVersion: 1 }), "obs.json: kind \"trace\" is not one pool-advisor reads (expected 'run' or 'observation')"],
    ['an observation with no evidence', JSON.stringify({ kind: 'observation', schemaVersion: 1, createdAt: 'x', target: 't', partial: false }), 'obs.json: environments: missing: this observation carries no evidence'],
    ['another schema version', observationWith(POOL, { schemaVersion: 99 }), 'obs.json: schemaVersion 99 is not supported'],
    ['a pool name Tasker does not have', observationWith({ ...POOL, pool: 'hikari-main' }), "obs.json: environments.0.pools.0.pool: expected a Tasker pool name (database, pgmq, orchestration_web, worker_web), got a string; put a pool that maps to none under the environment's 'unmapped'"],
    ['an unknown source kind', observationWith({ ...POOL, source: { ...POOL.source, kind: 'guess' } }), 'obs.json: environments.0.pools.0.source.kind: expected one of measured-run, server-sampling, prometheus, tasker-health'],
    ['buckets and counts of different lengths', observationWith({ ...POOL, wait: { all: { form: 'buckets', upperUs: [1, 2], counts: [1] }, count: 1 } }), 'obs.json: environments.0.pools.0.wait.all.counts: expected 2 counts, one per bound'],
    ['a broken HDR histogram', observationWith({ ...POOL, hold: { form: 'hdr', encoded: 'nope' } }), 'obs.json: environments.0.pools.0.hold.encoded: not an encoded HDR histogram'],
    ['a negative count', observationWith({ ...POOL, churn: { opened: -1, closed: { lifetime: 0, idle: 0, error: 0, shutdown: 0, unattributed: 0 } } }), 'obs.json: environments.0.pools.0.churn.opened: -1 is out of range (below the minimum 0'],
    ['statement counts that are not a number', observationWith({ ...POOL, statements: { role: 'svc', calls: 'many', meanUs: 10, windowMs: 1000 } }), 'obs.json: environments.0.pools.0.statements.calls: expected a number, got a string'],
    ['a measured-only part', observationWith({ ...POOL, measured: {} }), 'obs.json: environments.0.pools.0.measured: only a measured run has this part'],
    ['a bad run file', JSON.stringify({ ...run, seed: 'x' }), 'old.json: seed: expected a number, got a string'],
  ])('%s is refused in one line naming the path', (_name, text, message) => {
    const file = message.startsWith('old.json') ? 'old.json' : 'obs.json';
    expect(() => parseEvidenceFile(text, file)).toThrow(message);
    try {
      parseEvidenceFile(text, file);
    } catch (e) {
      expect((e as Error).message).not.toContain('\n');
    }
  });
});

describe('parts once read unchecked', () => {
  const env0 = run.environments[0]!;
  it.each([
    // A run's own checks of its window reach analysis/validity.ts: they are bounded where they enter.
    ['a planned window that is not a number', { ...run, environments: [{ ...env0, plannedDurationMs: 'long' }] }, 'old.json: environments.0.plannedDurationMs: expected a number, got a string'],
    ['a negative wall-clock window', { ...run, environments: [{ ...env0, wallDurationMs: -5 }] }, 'old.json: environments.0.wallDurationMs: -5 is out of range'],
    ['an event-loop delay that is not a number', { ...run, environments: [{ ...env0, eventLoop: { p99Ms: 'slow', maxMs: 3 } }] }, 'old.json: environments.0.eventLoop.p99Ms: expected a number, got a string'],
    ['an event-loop part that is not an object', { ...run, environments: [{ ...env0, eventLoop: 7 }] }, 'old.json: environments.0.eventLoop: expected an object, got number 7'],
    // The generator's figures reach the analysis too (lag decides "behind", SQL failures exit 3).
    ['a generator lag that is no histogram', { ...run, environments: [{ ...env0, workloads: [{ ...env0.workloads[0]!, generator: { ...env0.workloads[0]!.generator, lag: 'nope' } }] }] }, 'old.json: environments.0.workloads.0.generator.lag: not an encoded HDR histogram'],
    ['a negative count of SQL failures', { ...run, environments: [{ ...env0, workloads: [{ ...env0.workloads[0]!, generator: { ...env0.workloads[0]!.generator, sqlFailed: -3 } }] }] }, 'old.json: environments.0.workloads.0.generator.sqlFailed: -3 is out of range'],
    ['a calibration mean that is not a number', { ...run, environments: [{ ...env0, workloads: [{ ...env0.workloads[0]!, calibration: { connections: 1, holds: 10, meanUs: 'x', p50Us: 1, failed: 0 } }] }] }, 'old.json: environments.0.workloads.0.calibration.meanUs: expected a number, got a string'],
  ])('%s in a run is refused in one line naming the path', (_what, file, message) => {
    expect(() => parseEvidenceFile(JSON.stringify(file), 'old.json')).toThrow(message);
  });

  it.each([
    ['a live size beyond what PostgreSQL allows', { ...POOL, liveSize: { maxConnections: 1e9, from: 'Tasker /health/detailed' } }, 'obs.json: environments.0.pools.0.liveSize.maxConnections: 1000000000 is out of range'],
    ['a gauge mean that is not a number', { ...POOL, gauges: { inUseMean: 'many', from: 'prometheus' } }, 'obs.json: environments.0.pools.0.gauges.inUseMean: expected a number, got a string'],
    ['disagreements that are not sentences', { ...POOL, disagreements: [3] }, 'obs.json: environments.0.pools.0.disagreements.0: expected a string, got number 3'],
  ])('%s in an observation is refused in one line naming the path', (_what, pool, message) => {
    expect(() => parseEvidenceFile(observationWith(pool), 'obs.json')).toThrow(message);
  });

  it('a run with its window checks in range reads them', () => {
    const e = parseEvidenceFile(JSON.stringify({ ...run, environments: [{ ...env0, plannedDurationMs: 5000, wallDurationMs: 5010, eventLoop: { p99Ms: 2, maxMs: 9 } }] }), 'old.json');
    expect(e.environments[0]!.eventLoop).toEqual({ p99Ms: 2, maxMs: 9 });
  });
});

describe('the serverLoad part (observations with wait events)', () => {
  const load = { aas: { mean: 2, stdErr: 0.1 }, byClass: [{ class: 'CPU', mean: 2, stdErr: 0.1 }], topEvents: [{ type: 'Lock', event: 'tuple', mean: 0.2, stdErr: null }] };
  const SL = { cores: 4, coresSource: '--server-cores', server: load, pool: load, samples: 100, intervalMs: 200 };

  it('reads back, and is judged: the observed load reaches the analysis', () => {
    const e = parseEvidenceFile(observationWith({ ...POOL, serverLoad: SL }), 'obs.json');
    expect(e.environments[0]!.pools[0]!.serverLoad).toEqual(SL);
    // Cores unknown is null.
    expect(parseEvidenceFile(observationWith({ ...POOL, serverLoad: { ...SL, cores: null } }), 'obs.json').environments[0]!.pools[0]!.serverLoad!.cores).toBeNull();
  });

  it.each([
    ['an unknown class', { ...SL, server: { ...load, byClass: [{ class: 'Disk', mean: 1, stdErr: null }] } }, 'environments.0.pools.0.serverLoad.server.byClass.0.class'],
    ['a negative mean', { ...SL, pool: { ...load, aas: { mean: -1, stdErr: null } } }, 'environments.0.pools.0.serverLoad.pool.aas.mean'],
    ['no samples', { ...SL, samples: undefined }, 'environments.0.pools.0.serverLoad.samples'],
  ])('%s is one line naming the path', (_what, sl, path) => {
    expect(() => parseEvidenceFile(observationWith({ ...POOL, serverLoad: sl }), 'obs.json')).toThrow(path);
  });
});
