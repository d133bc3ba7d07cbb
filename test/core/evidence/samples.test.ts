/** The one "has samples" (evidence/samples.ts): recommend, compare, generate, analyze and check ask the same question of a file. */
import { describe, expect, it } from 'vitest';
import { parseEvidenceFile } from '../../../src/core/evidence/read.js';
import { hasSamples } from '../../../src/core/evidence/samples.js';
import { evidenceFromRun } from '../../../src/core/evidence/fromRun.js';
import { HEALTHY, syntheticRun } from '../../helpers/syntheticRun.js';

const SETTINGS = { max_connections: 10, min_connections: 0, acquire_timeout_seconds: 30, idle_timeout_seconds: 600, max_lifetime_seconds: 1800, slow_acquire_threshold_ms: 100 };
const SOURCE = { kind: 'prometheus', detail: 'Prometheus', startedAt: 0, durationMs: 1000 };

function observation(env: Record<string, unknown>): ReturnType<typeof parseEvidenceFile> {
  return parseEvidenceFile(
    JSON.stringify({
      kind: 'observation',
      schemaVersion: 1,
      createdAt: '2026-11-29T20:00:00.000Z',
      target: 'postgresql://o@db/x',
      partial: false,
      environments: [{ env: 'production', durationMs: 1000, warmupMs: 0, pgmqShared: true, interrupted: false, pools: [], unmapped: [], workloads: [], config: {}, overrides: [], ...env }],
    }),
    'obs.json',
  );
}
const pool = (parts: Record<string, unknown>) => ({ pool: 'database', replica: null, source: SOURCE, settings: SETTINGS, validity: { valid: true, reasons: [] }, ...parts });

describe('hasSamples', () => {
  it('a measured run with acquires has samples (one with none: test/core/thresholds/evaluate.test.ts)', () => {
    expect(hasSamples(evidenceFromRun(syntheticRun([{ ...HEALTHY, durationS: 2 }])))).toBe(true);
  });

  it.each([
    // recommend read only the wait count when a wait part was there, check read either: both now count arrivals.
    ['arrivals counted beside an empty wait histogram', { pools: [pool({ wait: { all: { form: 'mean', count: 0, meanUs: 0 }, count: 0 }, arrival: { rate: 5, count: 5 } })] }, true],
    ['occupancy samples only', { pools: [pool({ occupancy: { exact: false, samples: 50 } })] }, true],
    ['a pool seen with no figures', { pools: [pool({})] }, false],
    ['an unmapped pool with its figures', { unmapped: [{ label: 'app:x', replica: null, source: SOURCE, reason: 'no --map', figures: { meanBusy: 1, openMax: 2, reserved: 0, maxConnections: null } }] }, true],
    ['an unmapped pool without figures', { unmapped: [{ label: 'app:x', replica: null, source: SOURCE, reason: 'no --map' }] }, false],
  ])('%s', (_what, env, expected) => {
    expect(hasSamples(observation(env))).toBe(expected);
  });

  it('counts only the environments asked for', () => {
    const e = observation({ pools: [pool({ occupancy: { exact: false, samples: 50 } })] });
    expect(hasSamples(e, ['production'])).toBe(true);
    expect(hasSamples(e, ['staging'])).toBe(false);
  });
});
