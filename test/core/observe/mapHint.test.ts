import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Reconstructor } from '../../../src/core/observe/reconstruct.js';
import { matchGroup, parseMapFlag } from '../../../src/core/observe/map.js';
import { summarizeObservation } from '../../../src/core/observe/summary.js';
import { observationEvidence } from '../../../src/core/observe/evidence.js';
import { GROUP_FIELDS, type ActivityRow } from '../../../src/core/observe/types.js';

const T0 = 1_700_000_000_000;

function row(pid: number, over: Partial<ActivityRow>): ActivityRow {
  return { pid, backendStartMs: T0 - 60_000, application_name: 'orders', client_addr: '10.0.0.2', usename: 'svc', datname: 'shop', state: 'idle', stateChangeMs: T0 - 1000, query: 'SELECT 1', ...over };
}

/** What a POSIX shell hands the program for `--map <pasted text>`. */
function pasted(line: string): string {
  const m = /--map ((?:'[^']*'|\\')+)/.exec(line);
  expect(m, line).not.toBeNull();
  return execFileSync('sh', ['-c', `printf '%s' ${m![1]}`], { encoding: 'utf8' });
}

describe('the --map an unmapped group is printed with', () => {
  it('maps that group, and only its service, when pasted into a shell', () => {
    const names = ['orders', '', "o'brien svc", 'a=b:c'];
    const r = new Reconstructor();
    const rows = names.flatMap((n, i) => [row(10 + i, { application_name: n }), row(20 + i, { application_name: n, client_addr: '10.0.0.3' })]);
    for (let k = 0; k < 3; k++) r.add({ atMs: T0 + k * 200, rows });
    const obs = r.finish();
    const groups = summarizeObservation(obs, () => null);
    const parts = { source: { kind: 'server-sampling' as const, detail: 'x', startedAt: T0, durationMs: 600 }, intervalMs: 200, observation: obs, groups, validity: { valid: true, reasons: [] }, partial: false };
    const unmapped = observationEvidence(parts, []).flatMap((e) => e.unmapped);
    expect(unmapped).toHaveLength(names.length * 2);
    for (const u of unmapped) {
      const v = pasted(u.reason).replace('ENV.POOL', 'production.database');
      const rule = parseMapFlag(v, ['production'], GROUP_FIELDS);
      const own = obs.groups.filter((g) => g.service === u.label);
      // Both replicas of the service match it, and no other service does.
      expect(own).toHaveLength(2);
      for (const g of obs.groups) expect(matchGroup(g, [rule]) !== undefined, `${v} vs ${g.id}`).toBe(own.includes(g));
    }
  });
});

describe('an unmapped group that kept its size open (issue 31, item 2)', () => {
  it('is sized from its busy count, not its open count, with the assumption said', async () => {
    const { adviseEvidence } = await import('../../../src/core/rules/index.js');
    const { defaultAdvisorConfig } = await import('../../../src/core/advisor/defaults.js');
    // 10 connections open the whole window, one busy in every fourth sample (a mean of 0.25, at most 1).
    const r = new Reconstructor();
    for (let k = 0; k < 400; k++) r.add({ atMs: T0 + k * 200, rows: Array.from({ length: 10 }, (_, i) => row(i + 1, { state: i === 0 && k % 4 === 0 ? 'active' : 'idle' })) });
    const obs = r.finish();
    const groups = summarizeObservation(obs, () => null);
    const parts = { source: { kind: 'server-sampling' as const, detail: 'x', startedAt: T0, durationMs: 80_000 }, intervalMs: 200, observation: obs, groups, validity: { valid: true, reasons: [] }, partial: false };
    const environments = observationEvidence(parts, []);
    expect(environments[0]!.unmapped[0]!.figures).toMatchObject({ openMax: 10, busyMax: 1, openHeld: true });
    const file = { kind: 'observation' as const, schemaVersion: 1, tool: { name: 'pool-advisor' as const, version: 't' }, createdAt: '2026-12-01T00:00:00Z', target: 'x', configDir: null, seed: null, environments, partial: false };
    const f = adviseEvidence(file, defaultAdvisorConfig()).advice.environments[0]!.findings.find((x) => x.kind === 'unmapped-pool')!;
    // Erlang C at 0.25: 2.8% at 2 connections, 0.2% at 3.
    expect(f.message).toContain('its open count is its size, not its need');
    expect(f.message).toContain('a pool size of 3 keeps P(wait) under 1%');
    expect(f.message).toContain('looks idle to the server');
  });
});
