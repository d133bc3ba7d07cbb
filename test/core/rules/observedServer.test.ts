import { describe, expect, it } from 'vitest';
import { parseEvidenceFile } from '../../../src/core/evidence/read.js';
import { adviseEvidence } from '../../../src/core/rules/index.js';
import { defaultAdvisorConfig } from '../../../src/core/advisor/defaults.js';

const settings = { max_connections: 50, min_connections: 5, acquire_timeout_seconds: 30, idle_timeout_seconds: 600, max_lifetime_seconds: 1800, slow_acquire_threshold_ms: 100 };
const pool = (replica: string, open: number) => ({
  pool: 'database',
  replica,
  source: { kind: 'server-sampling', detail: 'pg_stat_activity every 100 ms (600 samples)', startedAt: 0, durationMs: 60000 },
  settings,
  validity: { valid: true, reasons: [] },
  occupancy: { exact: false, samples: 600, intervalMs: 100, inUse: { levels: [[0, 20e6], [1, 30e6], [2, 10e6]], max: 2, last: 1 }, inUseIsLowerBound: true, open: { levels: [[open, 60e6]], max: open, last: open } },
});

/** An observation of a server that says max_connections 100, where the topology says 500. */
const observation = parseEvidenceFile(
  JSON.stringify({
    kind: 'observation',
    schemaVersion: 1,
    createdAt: '2026-12-01T10:00:00.000Z',
    target: 'postgresql://o@db.example/tasker',
    targetKind: 'remote',
    server: { version: '16.4', maxConnections: 100, superuserReserved: 3 },
    configDir: null,
    seed: null,
    partial: false,
    environments: [{ env: 'production', durationMs: 60000, warmupMs: 0, pgmqShared: true, interrupted: false, pools: [pool('10.0.0.1', 40), pool('10.0.0.2', 40)], unmapped: [], workloads: [], config: {}, overrides: [] }],
  }),
  'obs.json',
);

describe('the budget of an observation', () => {
  it("takes the observed server's max_connections over the topology's (100, not 500)", () => {
    const advisor = defaultAdvisorConfig();
    advisor.environments.production = { workloads: {}, targetP99WaitMs: {}, topology: { serverMaxConnections: 500, superuserReserved: 3, otherConnections: 0, services: [] } };
    const { advice } = adviseEvidence(observation, advisor);
    const f = advice.environments[0]!.findings.find((x) => x.kind === 'connection-budget')!;
    expect(f.message).toContain('the server saw at most 80 connections open');
    expect(f.message).toContain('82.5% of the 97 it gives');
    expect(f.severity).toBe('info');
  });
});

describe("an observation's PgBouncer settings", () => {
  it('are checked where they enter, in one line naming the path', () => {
    const text = (bouncer: unknown) => JSON.stringify({ kind: 'observation', schemaVersion: 1, createdAt: 'x', target: 't', partial: false, configDir: null, environments: [], pgbouncerSettings: bouncer });
    const ok = { maxClientConn: 100, defaultPoolSize: 20, reservePoolSize: 0, maxDbConnections: 0, maxUserConnections: 0, poolMode: 'transaction', databases: [{ name: 'app', poolSize: 20 }], wildcard: false };
    expect(parseEvidenceFile(text(ok), 'obs.json').pgbouncerSettings).toEqual(ok);
    expect(() => parseEvidenceFile(text({ ...ok, maxClientConn: -5 }), 'obs.json')).toThrow('obs.json: pgbouncerSettings.maxClientConn: -5 is out of range (below the minimum 0');
    expect(() => parseEvidenceFile(text({ ...ok, databases: [{ poolSize: 3 }] }), 'obs.json')).toThrow('obs.json: pgbouncerSettings.databases.0.name: missing');
  });
});
