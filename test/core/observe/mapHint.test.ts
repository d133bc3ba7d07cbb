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
