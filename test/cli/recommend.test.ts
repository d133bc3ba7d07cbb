import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { HEALTHY, syntheticRun, WORKED_EXAMPLE } from '../helpers/syntheticRun.js';

let dir: string;
let saturated: string;
let healthy: string;
let empty: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pa-rec-'));
  saturated = join(dir, 'saturated.json');
  writeFileSync(saturated, JSON.stringify(syntheticRun([WORKED_EXAMPLE])));
  healthy = join(dir, 'healthy.json');
  writeFileSync(healthy, JSON.stringify(syntheticRun([HEALTHY], { env: 'production' })));
  const none = syntheticRun([{ ...HEALTHY, durationS: 1, arrivals: { kind: 'constant', rate: 0 } }]);
  empty = join(dir, 'empty.json');
  writeFileSync(empty, JSON.stringify(none));
  writeFileSync(join(dir, 'advisor.toml'), '[defaults]\ntarget_p99_wait = "10ms"\n');
});

describe('pool-advisor recommend --from', () => {
  it('prints the analysis, the recommendation and the TOML overrides of a saturated run', () => {
    const r = runCli(['recommend', '--from', saturated, '--advisor-config', join(dir, 'advisor.toml')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('database max_connections 5 -> 8');
    expect(r.stdout).toContain('[common.database.pool]\n');
    expect(r.stdout).toContain('max_connections = 8  # was 5 (config/tasker/base/common.toml:11)');
  });

  it('--json gives schemaVersion 1 and the same recommendation', () => {
    const r = runCli(['recommend', '--from', saturated, '--advisor-config', join(dir, 'advisor.toml'), '--json']);
    expect(r.status).toBe(0);
    const data = JSON.parse(r.stdout);
    expect(data.schemaVersion).toBe(1);
    expect(data.recommendations.map((x: { env: string; key: string; to: number }) => [x.env, x.key, x.to])).toEqual([['test', 'max_connections', 8]]);
    expect(data.environments[0].overrides).toContain('max_connections = 8');
  });

  it('a healthy run gets no change, and says why', () => {
    const r = runCli(['recommend', '--from', healthy, '--advisor-config', join(dir, 'advisor.toml'), '--env', 'production']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Recommendations\n  none');
    expect(r.stdout).toMatch(/ok database healthy: P99 wait .* \(target 10 ms\)/);
    expect(r.stdout).toContain('# no changes: no rule found a key to change (see the findings)');
  });

  it.each([
    [['--from', '/nonexistent/run.json'], /ERROR: \/nonexistent\/run.json: cannot read: no such file/],
    [['--from', '__DIR__'], /is a directory/],
    [['--from', '__BAD__'], /not JSON/],
    [['--from', '__V2__'], /schemaVersion 2 is not supported/],
    [['--from', '__SHAPE__'], /environments\.0\.pools\.0\.counters\.acquires: expected a number/],
    [['--from', '__SAT__', '--env', 'nope'], /--env 'nope': the run has no such environment/],
  ])('exits 2 with one clear line: %j', (args, re) => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ not json');
    const v2 = join(dir, 'v2.json');
    writeFileSync(v2, JSON.stringify({ schemaVersion: 2 }));
    const shape = join(dir, 'shape.json');
    const run = syntheticRun([{ ...HEALTHY, durationS: 2 }]) as unknown as { environments: Array<{ pools: Array<{ counters: { acquires: unknown } }> }> };
    run.environments[0]!.pools[0]!.counters.acquires = 'many';
    writeFileSync(shape, JSON.stringify(run));
    const map: Record<string, string> = { __DIR__: dir, __BAD__: bad, __V2__: v2, __SHAPE__: shape, __SAT__: saturated };
    const r = runCli(['recommend', ...args.map((a) => map[a] ?? a), '--advisor-config', join(dir, 'advisor.toml')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(re);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('ERROR')).length).toBe(1);
    expect(r.stdout).toBe('');
  });

  it('exits 4 when the run has no samples', () => {
    const r = runCli(['recommend', '--from', empty, '--advisor-config', join(dir, 'advisor.toml')]);
    expect(r.status).toBe(4);
    expect(r.stderr).toContain('the run recorded no acquires');
  });

  it('needs --from', () => {
    const r = runCli(['recommend']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("required option '--from <file>'");
  });
});
