import { describe, expect, it } from 'vitest';
import { databaseSaturation, STABLE_RATIO_MARGIN, STABLE_SAMPLES_FACTOR, trendStability } from '../../../src/core/rules/databaseSaturation.js';
import { DEFAULT_RULES } from '../../../src/core/advisor/defaults.js';
import type { HoldTrend, PoolAnalysis } from '../../../src/core/analysis/analyze.js';
import type { TargetInfo } from '../../../src/core/analysis/target.js';
import { HEALTHY, RULE_SCENARIOS } from '../../helpers/syntheticRun.js';
import { adviseWithout, analysedPool, ruleContext, WORKED_INPUT } from '../../helpers/ruleContext.js';

const base = analysedPool(HEALTHY);
const NOTHING = { changes: [], findings: [] };
const REMOTE = base.env.target;
const THROWAWAY: TargetInfo = { ...REMOTE, kind: 'throwaway' };
// Holds at each end that make a trend stable: STABLE_SAMPLES_FACTOR x holdTrendMinSamples.
const ENOUGH = STABLE_SAMPLES_FACTOR * DEFAULT_RULES.holdTrendMinSamples;

/** A growing hold trend: 20 ms at 1-4 in use, 60 ms at 12-16 (x3), the knee at 4, 400 acquires/s at best. */
function trend(o: Partial<HoldTrend> = {}): HoldTrend {
  return {
    levels: [],
    low: { fromLevel: 1, toLevel: 4, count: ENOUGH, meanUs: 20_000 },
    high: { fromLevel: 12, toLevel: 16, count: ENOUGH, meanUs: 60_000 },
    ratio: 3,
    slopeUsPerConnection: 3_600,
    maxThroughput: 400,
    kneeLevel: 4,
    growing: true,
    ...o,
  };
}

/** The healthy pool at `max`, with the trend given, the same trend in each half, and docs/facts.md's worked example as the model's input. */
function pool(max: number, t: HoldTrend = trend(), halves: PoolAnalysis['holdTrendHalves'] = [t, t]): PoolAnalysis {
  return { ...base.pool, settings: { ...base.pool.settings, max_connections: max }, holdTrend: t, holdTrendHalves: halves, model: { ...base.pool.model, input: WORKED_INPUT, sizingInput: WORKED_INPUT } };
}
const run = (p: PoolAnalysis, target: TargetInfo = REMOTE) => databaseSaturation.evaluate(ruleContext(base, p, { env: { ...base.env, target } }));

const WHY = 'mean hold grows from 20 ms at 1-4 connections in use to 60 ms at 12-16 (x3): the database, not the pool, is the bottleneck';

describe('database-saturation', () => {
  it('says nothing about the healthy pool, whose holds do not grow with occupancy', () => {
    expect(base.pool.holdTrend.growing).toBe(false);
    expect(base.pool.server.bound).toBe(false);
    expect(databaseSaturation.evaluate(ruleContext(base))).toEqual(NOTHING);
    expect(run(pool(20, trend({ growing: false })))).toEqual(NOTHING);
  });

  it("lowers max_connections to the knee, but not under the model's need at the low-occupancy hold: 8 (docs/facts.md: 8.9 ms at 8, over 10 ms at 7)", () => {
    // M/M/7 at A = 4: C = 0.135, P99 = ln(13.5) / 150 s = 17.4 ms; M/M/8: 8.9 ms. The knee (4) is under it.
    const out = run(pool(20));
    expect(out.findings).toEqual([]);
    expect(out.changes.map((c) => [c.setting, c.to])).toEqual([['max_connections', 8]]);
    const c = out.changes[0]!;
    expect(c.evidence.map((e) => [e.name, e.value])).toEqual([
      ['holdLow', 20_000],
      ['holdHigh', 60_000],
      ['holdGrowth', 3],
      ['holdSlope', 3_600],
      ['maxThroughput', 400],
      ['kneeLevel', 4],
      ['arrivalRate', base.pool.arrivalRate],
      ['floor', 8],
    ]);
    expect(c.rationale).toBe(
      `${WHY}; 4 connections already sustain 95% of the best measured throughput (400 acquires/s), so more only queue inside the database (8, not 4: fewer would queue in the pool even at the low-occupancy hold); measured on the server at ${REMOTE.display}, PostgreSQL 15.8.`,
    );
  });

  it('lowers to the knee when the knee is above that need: 10 ms holds at 200/s (A = 2) need 5, the knee is 6', () => {
    // M/M/4 at A = 2: C = 0.174, P99 = ln(17.4) / 200 s = 14.3 ms; M/M/5: C = 0.0597, P99 = 5.96 ms.
    const t = trend({ low: { fromLevel: 1, toLevel: 6, count: ENOUGH, meanUs: 10_000 }, kneeLevel: 6 });
    const out = run(pool(20, t));
    expect(out.changes.map((c) => [c.to, c.evidence.at(-1)!.value])).toEqual([[6, 5]]);
    expect(out.changes[0]!.rationale).not.toContain('not 6');
    // The knee under the floor: the floor.
    expect(run(pool(20, { ...t, kneeLevel: 3 })).changes.map((c) => c.to)).toEqual([5]);
  });

  it('raises nothing and lowers nothing when the pool is already at or under that size; the finding stays', () => {
    for (const max of [8, 6]) {
      const out = run(pool(max));
      expect(out.changes).toEqual([]);
      expect(out.findings.map((f) => [f.kind, f.severity, f.message])).toEqual([
        ['database-saturation', 'warning', `${WHY}; more connections would lengthen every hold and add no throughput, so max_connections is not raised; measured on the server at ${REMOTE.display}, PostgreSQL 15.8`],
      ]);
    }
    // One above: lowered.
    expect(run(pool(9)).changes.map((c) => c.to)).toEqual([8]);
  });

  it('on a throwaway or local server it informs and changes no key', () => {
    const out = run(pool(20), THROWAWAY);
    expect(out.changes).toEqual([]);
    expect(out.findings.map((f) => f.severity)).toEqual(['info']);
    expect(out.findings[0]!.message).toMatch(/; measured on a throwaway PostgreSQL started by pool-advisor \(.*\), PostgreSQL 15\.8: informational, no key is changed$/);
    expect(run(pool(20), { ...REMOTE, kind: 'local' }).changes).toEqual([]);
  });

  it('an unstable trend (growth not well clear of the threshold, too few holds, or not in both halves) informs and says why', () => {
    const weak = run(pool(20, trend({ ratio: 1.9 })));
    expect(weak.changes).toEqual([]);
    expect(weak.findings.map((f) => f.severity)).toEqual(['warning']);
    expect(weak.findings[0]!.message).toContain('the signal is not stable enough to lower max_connections: the growth x1.9 is not well clear of the x1.5 threshold (x1.95 needed); informational, no key is changed');
    const halves = run(pool(20, trend(), [trend(), trend({ growing: false, ratio: 1.2 })]));
    expect(halves.changes).toEqual([]);
    expect(halves.findings[0]!.message).toContain('it did not hold in both halves of the window (first half x3, 200 and 200 holds at the two ends; second half x1.2, 200 and 200 holds at the two ends (not growing);');
    const old = run(pool(20, trend(), null));
    expect(old.changes).toEqual([]);
    expect(old.findings[0]!.message).toContain('the run has no per-half figures to check the trend across the window');
  });

  it('without a knee or a model it informs and changes no key', () => {
    expect(run(pool(20, trend({ kneeLevel: null }))).changes).toEqual([]);
    expect(run({ ...pool(20), model: { ...base.pool.model, sizingInput: null } }).changes).toEqual([]);
    expect(run(pool(20, trend({ kneeLevel: null }))).findings.map((f) => f.kind)).toEqual(['database-saturation']);
  });

  it('a run the server limited (calibration) gets its own finding with the figures: a warning on a remote server, information that sizes nothing on a throwaway one', () => {
    const server = { ...base.pool.server, bound: true, uncontendedHoldUs: 5_000, calibrationHolds: 500, holdInflation: 4, servedRate: 150, demandRate: 300 };
    const p: PoolAnalysis = { ...pool(20, trend({ growing: false })), server, hold: { ...base.pool.hold, meanUs: 20_000 }, inUse: { ...base.pool.inUse, mean: 3 } };
    const head = 'the server, not the pool, limited this run: with 3 of 20 connections in use on average it served 150 requests/s of the 300/s asked for, and holds averaged 20 ms against 5 ms on one connection before the load (x4); more connections would only queue inside the server, so max_connections is not raised and no timeout change would address these waits; ';
    const remote = run(p);
    expect(remote.changes).toEqual([]);
    expect(remote.findings.map((f) => [f.severity, f.message])).toEqual([['warning', `${head}measured on the server at ${REMOTE.display}, PostgreSQL 15.8`]]);
    const local = run(p, THROWAWAY);
    expect(local.findings.map((f) => f.severity)).toEqual(['info']);
    expect(local.findings[0]!.message).toMatch(/this run cannot size the pool: the server measured is a throwaway PostgreSQL .*, not the production server, so no key of this pool is changed$/);
  });

  it('without hold times by connections in use (only a measured run has them) it cannot judge, and says so once', () => {
    const scenario = RULE_SCENARIOS['database-saturation'];
    expect(adviseWithout(scenario, []).advice.recommendations.map((r) => r.rule)).toContain('database-saturation');
    const { advice } = adviseWithout(scenario, ['holdByInUse']);
    expect(advice.recommendations.filter((r) => r.rule === 'database-saturation')).toEqual([]);
    expect(advice.findings.filter((f) => f.kind === 'database-saturation').map((f) => [f.severity, f.message])).toEqual([
      ['info', "cannot judge whether the database, not the pool, limits throughput: this needs hold time by connections in use, which the fleet's Prometheus metrics cannot see; a measured run (pool-advisor analyze) or the pool's own metrics would"],
    ]);
    const bare = adviseWithout(scenario, ['hold', 'arrival', 'holdByInUse'], 'tasker-health');
    expect(bare.advice.findings.filter((f) => f.kind === 'database-saturation').map((f) => f.message)).toEqual([
      "cannot judge whether the database, not the pool, limits throughput: this needs hold (use) times, the acquire rate and hold time by connections in use, which Tasker's health endpoint cannot see; a measured run (pool-advisor analyze) or the pool's own metrics would",
    ]);
  });
});

describe('trendStability', () => {
  const rules = DEFAULT_RULES;
  it(`is stable from ${STABLE_RATIO_MARGIN} x holdGrowthRatio and ${STABLE_SAMPLES_FACTOR} x holdTrendMinSamples holds at each end, growing in both halves`, () => {
    const at = trend({ ratio: rules.holdGrowthRatio * STABLE_RATIO_MARGIN });
    expect(trendStability(at, [at, at], rules)).toEqual({ stable: true, reasons: [] });
    const under = trend({ ratio: 1.94 });
    expect(trendStability(under, [at, at], rules).stable).toBe(false);
  });

  it('needs the holds at both ends', () => {
    const few = trend({ high: { fromLevel: 12, toLevel: 16, count: ENOUGH - 1, meanUs: 60_000 } });
    expect(trendStability(few, [trend(), trend()], rules)).toEqual({ stable: false, reasons: [`${ENOUGH} and ${ENOUGH - 1} holds at the two ends (${ENOUGH} needed at each)`] });
  });

  it('lists every reason that holds', () => {
    const t = trend({ ratio: 1.6, low: { fromLevel: 1, toLevel: 4, count: 60, meanUs: 20_000 } });
    expect(trendStability(t, null, rules).reasons).toEqual([
      'the growth x1.6 is not well clear of the x1.5 threshold (x1.95 needed)',
      `60 and ${ENOUGH} holds at the two ends (${ENOUGH} needed at each)`,
      'the run has no per-half figures to check the trend across the window (saved by an older pool-advisor)',
    ]);
  });
});
