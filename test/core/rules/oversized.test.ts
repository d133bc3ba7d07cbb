import { describe, expect, it } from 'vitest';
import { oversized } from '../../../src/core/rules/oversized.js';
import { DEFAULT_RULES } from '../../../src/core/advisor/defaults.js';
import type { ModelInput } from '../../../src/core/model/queue.js';
import type { PoolAnalysis } from '../../../src/core/analysis/analyze.js';
import { HEALTHY, RULE_SCENARIOS } from '../../helpers/syntheticRun.js';
import { adviseWithout, analysedPool, ruleContext, WORKED_INPUT } from '../../helpers/ruleContext.js';

// The healthy pool (200/s x 20 ms on 10, the database pool, PGMQ sharing it: a working pool is 3).
const base = analysedPool(HEALTHY);
const NOTHING = { changes: [], findings: [] };

/**
 * The healthy pool at `max` connections, with the model fed `input` (docs/facts.md's worked example
 * unless given) and needing `need`, and the occupancy figures given.
 */
function pool(max: number, o: { need?: number | null; p99?: number; p999?: number; input?: ModelInput | null } = {}): PoolAnalysis {
  const p99 = o.p99 ?? 5.2;
  return {
    ...base.pool,
    settings: { ...base.pool.settings, max_connections: max },
    inUse: { ...base.pool.inUse, p99Interpolated: p99, p99: Math.ceil(p99), p999: o.p999 ?? 7, max: 9 },
    model: { ...base.pool.model, input: WORKED_INPUT, sizingInput: o.input === undefined ? WORKED_INPUT : o.input, needForTarget: o.need === undefined ? 8 : o.need },
  };
}
const run = (p: PoolAnalysis, over: Parameters<typeof ruleContext>[2] = {}) => oversized.evaluate(ruleContext(base, p, over));
const to = (p: PoolAnalysis, over: Parameters<typeof ruleContext>[2] = {}) => run(p, over).changes.map((c) => [c.setting, c.to]);

/** 0.25 acquires/s of 20 ms (A = 0.005): Erlang C at 1 connection is 0.005, so the P99 wait is 0 and the model needs 1. */
const IDLE_INPUT: ModelInput = { arrivals: { kind: 'open', lambda: 0.25, ca2: 1 }, meanHoldS: 0.02, cs2: 1 };

describe('oversized', () => {
  it('says nothing about the healthy pool: 10 connections are within twice the 8 the model needs', () => {
    expect(base.pool.settings.max_connections).toBe(10);
    expect(base.pool.model.needForTarget).toBe(8);
    expect(oversized.evaluate(ruleContext(base))).toEqual(NOTHING);
  });

  it("lowers 40 connections to the model's need of 8, where docs/facts.md's worked example puts the P99 wait at 8.9 ms (target 10 ms)", () => {
    const out = run(pool(40));
    expect(out.findings).toEqual([]);
    expect(out.changes.map((c) => [c.setting, c.to])).toEqual([['max_connections', 8]]);
    const c = out.changes[0]!;
    const value = (name: string) => c.evidence.find((e) => e.name === name)?.value;
    // M/M/8 at A = 4: C = 0.0590, P99 = ln(0.0590 / 0.01) / (8/0.02 - 200) s = 8.88 ms.
    expect(Math.abs((value('modelP99AtTo') as number) - 8878)).toBeLessThan(5);
    expect([value('need'), value('workingPool'), value('inUseP99'), value('inUseP999'), value('target')]).toEqual([8, 3, 5.2, 7, 10]);
    expect(c.rationale).toBe(
      "5 or fewer of 40 connections were in use 99% of the time (P99 5.2 interpolated; 9 at the busiest instant), the model needs 8 to meet the target and a working pool needs 3; at 8 (the model's need) the model puts the P99 wait at 8.9 ms (target 10 ms); the other 32 only reserve database capacity.",
    );
  });

  it("changes nothing when the model does not agree that fewer suffice: at 6 the worked example's P99 wait is 33.5 ms, over the 10 ms target", () => {
    expect(run(pool(40, { need: 6, p99: 4, p999: 5 }))).toEqual(NOTHING);
  });

  it('sizes by the P99 in use, rounded to the nearest connection, when it is above the need', () => {
    expect(to(pool(40, { p99: 11.5, p999: 13 }))).toEqual([['max_connections', 12]]);
    expect(run(pool(40, { p99: 11.5, p999: 13 })).changes[0]!.rationale).toContain('at 12 (the P99 in use)');
    // Just under the half rounds down.
    expect(to(pool(40, { p99: 11.49, p999: 13 }))).toEqual([['max_connections', 11]]);
  });

  it(`fires only above ${DEFAULT_RULES.oversizedFactor} x the larger of the size and the P99.9 in use (rounded up), which never sets the size`, () => {
    // need 8, P99.9 8.5 -> 9: the bar is 18.
    expect(run(pool(18, { p999: 8.5 }))).toEqual(NOTHING);
    expect(to(pool(19, { p999: 8.5 }))).toEqual([['max_connections', 8]]);
    // A P99.9 of 20 raises the bar to 40; above it, the size is still the need.
    expect(run(pool(40, { p999: 20 }))).toEqual(NOTHING);
    expect(to(pool(41, { p999: 20 }))).toEqual([['max_connections', 8]]);
    // A larger factor raises the bar with it.
    expect(run(pool(19, { p999: 8.5 }), { rules: { ...DEFAULT_RULES, oversizedFactor: 3 } })).toEqual(NOTHING);
  });

  it("leaves the P99 in use out of the size when the generator's lag bunched the requests, and says so", () => {
    const p = { ...pool(40, { p99: 12, p999: 13 }), generator: { ...base.pool.generator!, lagMatters: true, lagP99Us: 40_000 } };
    const out = run(p);
    expect(out.changes.map((c) => c.to)).toEqual([8]);
    expect(out.changes[0]!.rationale).toMatch(/; the P99 in use is left out of the size: the generator started requests late \(lag P99 40 ms\)/);
  });

  it("never goes under a working pool: 3 on the pool that carries PGMQ's LISTEN connection, 2 elsewhere", () => {
    const idle = pool(10, { input: IDLE_INPUT, need: 1, p99: 0.4, p999: 1 });
    const shared = run(idle);
    expect(shared.changes.map((c) => c.to)).toEqual([3]);
    expect(shared.changes[0]!.rationale).toContain("at 3 (a working pool (2, plus PGMQ's LISTEN connection))");
    const own = run(idle, { env: { ...base.env, pgmqShared: false } });
    expect(own.changes.map((c) => c.to)).toEqual([2]);
    expect(own.changes[0]!.rationale).toContain('at 2 (a working pool)');
    // 2 x 3 = 6: a pool of 6 is left alone.
    expect(run(pool(6, { input: IDLE_INPUT, need: 1, p99: 0.4, p999: 1 }))).toEqual(NOTHING);
  });

  it('stands down where another rule changed max_connections, the demand is understated, the server is the bottleneck, or there is no model', () => {
    const p = pool(40);
    expect(to(p)).toEqual([['max_connections', 8]]);
    expect(run(p, { proposed: new Map([['max_connections', { to: 30, rule: 'database-saturation' }]]) })).toEqual(NOTHING);
    expect(run({ ...p, generator: { ...p.generator!, demandUnderstated: true } })).toEqual(NOTHING);
    expect(run({ ...p, holdTrend: { ...p.holdTrend, growing: true } })).toEqual(NOTHING);
    expect(run({ ...p, server: { ...p.server, bound: true } })).toEqual(NOTHING);
    expect(run(pool(40, { input: null }))).toEqual(NOTHING);
    expect(run(pool(40, { need: null }))).toEqual(NOTHING);
    expect(run({ ...p, acquires: 0 })).toEqual(NOTHING);
  });

  it('without occupancy it cannot judge, and says so once, naming the part and the source', () => {
    const withIt = adviseWithout(RULE_SCENARIOS.oversized, []);
    expect(withIt.advice.recommendations.filter((r) => r.rule === 'oversized').map((r) => [r.key, r.from])).toEqual([['max_connections', 50]]);
    const { advice } = adviseWithout(RULE_SCENARIOS.oversized, ['occupancy']);
    expect(advice.recommendations.filter((r) => r.rule === 'oversized')).toEqual([]);
    expect(advice.findings.filter((f) => f.kind === 'oversized').map((f) => [f.severity, f.message])).toEqual([
      ['info', "cannot judge whether max_connections is far above the need: this needs connections in use and open over time, which the fleet's Prometheus metrics cannot see; a measured run (pool-advisor analyze) or the pool's own metrics would"],
    ]);
  });
});
