import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { HEALTHY, syntheticRun, WORKED_EXAMPLE } from '../helpers/syntheticRun.js';

let dir: string;
const f = (name: string): string => join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pa-cmp-'));
  // The worked example on 5 connections, then the same seeded workload on the recommended 8.
  writeFileSync(f('before.json'), JSON.stringify(syntheticRun([WORKED_EXAMPLE])));
  writeFileSync(f('after.json'), JSON.stringify(syntheticRun([{ ...WORKED_EXAMPLE, settings: { max_connections: 8, min_connections: 2 } }])));
  writeFileSync(f('prod.json'), JSON.stringify(syntheticRun([HEALTHY], { env: 'production' })));
  writeFileSync(f('empty.json'), JSON.stringify(syntheticRun([{ ...HEALTHY, durationS: 1, arrivals: { kind: 'constant', rate: 0 } }])));
});

describe('pool-advisor compare', () => {
  it('prints both runs, then per pool the settings changed and every figure before and after with its change', () => {
    const r = runCli(['compare', f('before.json'), f('after.json')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`Before: ${f('before.json')} (measured 2026-01-02T03:04:05.000Z, postgresql://tasker@localhost:5432/tasker_test)`);
    expect(lines[3]).toBe('Environment: test');
    expect(lines[4]).toBe('database  settings changed: max_connections 5 -> 8');
    const row = (label: string): string => lines.find((l) => l.startsWith(`│ ${label} `))!.replace(/\s+/g, ' ');
    expect(row('acquires')).toBe('│ acquires │ 12000 │ 12000 │ 0 │ │');
    expect(row('P99 wait')).toBe('│ P99 wait │ 133.5 ms │ 12.0 ms │ -121.5 ms (-91%) │ better │');
    expect(row('acquires that waited')).toBe('│ acquires that waited │ 57% │ 6.6% │ -50.0 pp │ better │');
    expect(row('timeouts')).toBe('│ timeouts │ 0 │ 0 │ 0 │ same │');
    expect(row('in use, peak')).toBe('│ in use, peak │ 5 │ 8 │ +3 (+60%) │ │');
    expect(row('utilisation')).toBe('│ utilisation │ 80% │ 50% │ -30.0 pp │ │');
    for (const label of ['P50 wait', 'P95 wait', 'P99.9 wait', 'max wait', 'in use, mean', 'opened/min', 'expired/min', 'idle-closed/min']) expect(row(label)).toBeTruthy();
  });

  it('--json gives schemaVersion 1 and the same figures', () => {
    const r = runCli(['compare', f('before.json'), f('after.json'), '--json']);
    expect(r.status).toBe(0);
    const data = JSON.parse(r.stdout);
    expect(data.schemaVersion).toBe(1);
    expect(data.before.file).toBe(f('before.json'));
    const pool = data.environments[0].pools[0];
    expect([data.environments[0].env, pool.pool, pool.presentIn]).toEqual(['test', 'database', 'both']);
    expect(pool.settings).toEqual([{ key: 'max_connections', before: 5, after: 8 }]);
    const p99 = pool.metrics.find((m: { name: string }) => m.name === 'waitP99');
    expect(p99).toMatchObject({ label: 'P99 wait', unit: 'us', lowerIsBetter: true, verdict: 'better' });
    expect(p99.before).toBeGreaterThan(130_000);
    expect(p99.after).toBeLessThan(13_000);
    expect(p99.delta).toBe(p99.after - p99.before);
  });

  it('--report writes the comparison as HTML, and --env narrows it', () => {
    const r = runCli(['compare', f('before.json'), f('after.json'), '--env', 'test', '--report', f('cmp.html')]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`Wrote the report to ${f('cmp.html')}\n`);
    const html = readFileSync(f('cmp.html'), 'utf8');
    expect(html).toMatch(/test database: P99 wait 133\.5 ms → 12\.0 ms \(better\)/);
    expect(html).toContain('data-chart="spectrum"');
  });

  it.each([
    [['__BEFORE__', '/nonexistent/after.json'], 2, /ERROR: \/nonexistent\/after.json: cannot read: no such file/],
    [['__BEFORE__', '__PROD__'], 2, /have no environment and pool in common \(before: test\/database; after: production\/database\)/],
    [['__BEFORE__', '__AFTER__', '--env', 'staging'], 2, /--env 'staging': neither run has this environment/],
    [['__EMPTY__', '__EMPTY__'], 4, /neither run recorded any acquires/],
    [['__BEFORE__'], 2, /missing required argument 'after'/],
  ])('%j exits %i with one clear line', (args, code, re) => {
    const map: Record<string, string> = { __BEFORE__: f('before.json'), __AFTER__: f('after.json'), __PROD__: f('prod.json'), __EMPTY__: f('empty.json') };
    const r = runCli(['compare', ...args.map((a) => map[a] ?? a)]);
    expect(r.status).toBe(code);
    expect(r.stderr).toMatch(re);
    expect(r.stdout).toBe('');
  });
});
