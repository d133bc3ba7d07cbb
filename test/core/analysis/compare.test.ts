import { describe, expect, it } from 'vitest';
import { evidenceFromRun } from '../../../src/core/evidence/fromRun.js';
import { compareRuns, hasCommonPool, metricChange } from '../../../src/core/analysis/compare.js';
import { fmtChange, renderCompare } from '../../../src/core/render/compare.js';
import { renderCompareHtml } from '../../../src/core/render/htmlCompare.js';
import { HEALTHY, syntheticRun, WORKED_EXAMPLE } from '../../helpers/syntheticRun.js';

const before = syntheticRun([WORKED_EXAMPLE]);
const after = syntheticRun([{ ...WORKED_EXAMPLE, settings: { max_connections: 8, min_connections: 2 } }]);
const FILES = { before: 'before.json', after: 'after.json' };

describe('compareRuns', () => {
  it('matches environment and pool, puts every figure side by side, and lists the settings that differ', () => {
    const c = compareRuns(evidenceFromRun(before), evidenceFromRun(after), FILES);
    expect(c.schemaVersion).toBe(1);
    expect(c.before).toEqual({ file: 'before.json', kind: 'run', createdAt: '2026-01-02T03:04:05.000Z', target: 'postgresql://tasker@localhost:5432/tasker_test', partial: false, toolVersion: '0.1.0' });
    expect(c.environments.map((e) => [e.env, e.presentIn, e.workloadsDiffer])).toEqual([['test', 'both', null]]);
    const p = c.environments[0]!.pools[0]!;
    expect([p.pool, p.presentIn]).toEqual(['database', 'both']);
    expect(p.settings).toEqual([{ key: 'max_connections', before: 5, after: 8 }]);
    expect(p.metrics.map((m) => m.name)).toEqual([
      'acquires',
      'acquireRate',
      'waitP50',
      'waitP95',
      'waitP99',
      'waitP999',
      'waitMax',
      'waitedShare',
      'timeouts',
      'errors',
      'inUseMean',
      'inUsePeak',
      'utilisation',
      'createdPerMin',
      'expiredPerMin',
      'idleClosedPerMin',
    ]);
    const m = Object.fromEntries(p.metrics.map((x) => [x.name, x]));
    // The same seeded arrivals and holds: the same acquires, and a bigger pool waits far less.
    expect(m.acquires).toMatchObject({ before: 12_000, after: 12_000, delta: 0, verdict: null });
    expect(m.waitP99!.before!).toBeGreaterThan(100_000);
    expect(m.waitP99!.after!).toBeLessThan(20_000);
    expect(m.waitP99!.verdict).toBe('better');
    expect(m.waitP99!.relative!).toBeLessThan(-0.8);
    expect(m.waitedShare!.verdict).toBe('better');
    expect(m.timeouts).toMatchObject({ before: 0, after: 0, verdict: 'same' });
    expect(m.utilisation!.after!).toBeLessThan(m.utilisation!.before!);
    expect(m.utilisation!.verdict).toBeNull();
    expect(hasCommonPool(c)).toBe(true);
  });

  it('says when the workloads differ, and keeps pools and environments found in one run only', () => {
    const other = syntheticRun([{ ...HEALTHY, arrivals: { kind: 'poisson', rate: 100 } }]);
    const c = compareRuns(evidenceFromRun(before), evidenceFromRun(other), FILES);
    expect(c.environments[0]!.workloadsDiffer).toEqual({
      before: ['database: open poisson 200/s, hold exponential mean 20 ms, 60 s'],
      after: ['database: open poisson 100/s, hold exponential mean 20 ms, 60 s'],
    });
    const prod = syntheticRun([HEALTHY], { env: 'production' });
    const c2 = compareRuns(evidenceFromRun(before), evidenceFromRun(prod), FILES);
    expect(c2.environments.map((e) => [e.env, e.presentIn])).toEqual([
      ['test', 'before'],
      ['production', 'after'],
    ]);
    expect(c2.environments[0]!.pools[0]!.metrics[0]).toMatchObject({ before: 12_000, after: null, delta: null, verdict: null });
    expect(hasCommonPool(c2)).toBe(false);
  });
});

describe('metricChange', () => {
  const lower = { name: 'x', label: 'x', unit: 'us' as const, lowerIsBetter: true };
  it.each([
    [100, 50, -50, -0.5, 'better'],
    [100, 150, 50, 0.5, 'worse'],
    [100, 104, 4, 0.04, 'same'],
    [0, 0, 0, null, 'same'],
    [0, 2, 2, null, 'worse'],
    [null, 5, null, null, null],
  ] as const)('%s -> %s: delta %s, relative %s, %s', (b, a, delta, relative, verdict) => {
    const m = metricChange(lower, b, a);
    expect(m.delta).toBe(delta);
    expect(m.relative === null ? null : Math.round(m.relative * 100) / 100).toBe(relative);
    expect(m.verdict).toBe(verdict);
  });

  it('has no verdict for figures with no better side', () => {
    expect(metricChange({ ...lower, lowerIsBetter: null }, 1, 9).verdict).toBeNull();
    expect(metricChange({ ...lower, lowerIsBetter: false }, 1, 9).verdict).toBe('better');
  });

  it.each([
    [{ ...lower, unit: 'us' as const }, 134_000, 9_000, '-125.0 ms (-93%)'],
    [{ ...lower, unit: 'share' as const }, 0.566, 0.123, '-44.3 pp'],
    [{ ...lower, unit: 'count' as const }, 0, 3, '+3'],
    [{ ...lower, unit: 'per_min' as const }, 2, 0.5, '-1.5 (-75%)'],
    [{ ...lower, unit: 'count' as const }, 7, 7, '0'],
    [{ ...lower, unit: 'connections' as const }, 4.01, 3.99, '0'],
    [{ ...lower, unit: 'share' as const }, 0.5, 0.5002, '0'],
    [{ ...lower, unit: 'count' as const }, null, 7, '-'],
  ])('formats the change of %j %s -> %s as %s', (def, b, a, text) => {
    expect(fmtChange(metricChange(def, b, a))).toBe(text);
  });
});

describe('renderCompare', () => {
  it('prints the runs, then per environment and pool the settings changed and a table of every figure', () => {
    const text = renderCompare(compareRuns(evidenceFromRun(before), evidenceFromRun(after), FILES), { color: false });
    const lines = text.split('\n');
    expect(lines[0]).toBe('Before: before.json (measured 2026-01-02T03:04:05.000Z, postgresql://tasker@localhost:5432/tasker_test)');
    expect(lines[1]).toBe('After : after.json (measured 2026-01-02T03:04:05.000Z, postgresql://tasker@localhost:5432/tasker_test)');
    expect(text).toContain('Environment: test\ndatabase  settings changed: max_connections 5 -> 8\n');
    expect(text).toMatch(/│ figure +│ +before │ +after │ +change │ +│/);
    expect(text).toMatch(/│ acquires +│ +12000 │ +12000 │ +0 │ +│/);
    expect(text).toMatch(/│ P99 wait +│ +1\d\d\.\d ms │ +[\d.]+ ms │ +-1\d\d\.\d ms \(-9\d%\) │ better │/);
    expect(text).toMatch(/│ timeouts +│ +0 │ +0 │ +0 │ same +│/);
  });

  it('the HTML section overlays both spectra and escapes the file names', () => {
    const html = renderCompareHtml(compareRuns(evidenceFromRun(before), evidenceFromRun(after), { before: '<b>before</b>.json', after: 'after.json' }));
    expect(html).not.toContain('<b>before</b>');
    expect(html).toContain('&lt;b&gt;before&lt;/b&gt;.json');
    expect(html).toMatch(/<path class="line s-after" d="M[^"]+"><title>after<\/title><\/path><path class="line s-before" d="M[^"]+"><title>before<\/title><\/path>/);
    expect(html).toMatch(/test database: P99 wait 1[\d.]+ ms → [\d.]+ ms \(better\)/);
    expect(html).toContain('<code>max_connections</code> 5 → <strong>8</strong>');
  });
});
