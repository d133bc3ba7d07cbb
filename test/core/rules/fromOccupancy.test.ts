import { describe, expect, it } from 'vitest';
import { oversizedFromOccupancy } from '../../../src/core/rules/fromOccupancy.js';
import { oversized } from '../../../src/core/rules/oversized.js';
import { MIN_INDEPENDENT_LOOKS, occupancyModel, type OccupancyModel } from '../../../src/core/analysis/occupancyModel.js';
import { DEFAULT_RULES } from '../../../src/core/advisor/defaults.js';
import { erlangC } from '../../../src/core/model/queue.js';
import type { PoolAnalysis } from '../../../src/core/analysis/analyze.js';
import type { LevelTimes } from '../../../src/core/run/types.js';
import { HEALTHY } from '../../helpers/syntheticRun.js';
import { analysedPool, ruleContext } from '../../helpers/ruleContext.js';

const base = analysedPool(HEALTHY);
const NOTHING = { changes: [], findings: [] };
const WINDOW_S = 600;
const DETAIL = 'pg_stat_activity every 200 ms (3,000 samples)';

/** Levels held for the given seconds each. */
const levels = (pairs: Array<[number, number]>): LevelTimes => ({ levels: pairs.map(([l, s]) => [l, s * 1e6]), max: Math.max(...pairs.map(([l]) => l)), last: pairs.at(-1)![0] });

/** The server's view of a pool of `max`: busy and open over a 600 s window, no acquires, no holds; the model on occupancy alone as the analysis builds it. */
function pool(max: number, inUse: Array<[number, number]>, open: Array<[number, number]>, model: OccupancyModel | null = occupancyModel({ exact: false, inUse: levels(inUse), open: levels(open), inUseIsLowerBound: true }, max)): PoolAnalysis {
  return {
    ...base.pool,
    // A pool that opens on demand (min under max), unless a test says otherwise.
    settings: { ...base.pool.settings, max_connections: max, min_connections: 1 },
    ...(model ? { occupancyModel: model } : {}),
    coverage: {
      source: { kind: 'server-sampling', detail: DETAIL, startedAt: 0, durationMs: WINDOW_S * 1000 },
      replica: null,
      unseen: ['wait', 'waitPaths', 'hold', 'create', 'arrival', 'waiting', 'failures', 'timeline', 'holdByInUse'],
      settingsAssumed: [],
      samples: 3000,
      validity: { valid: true, reasons: [] },
      disagreements: [],
    },
  };
}
const run = (p: PoolAnalysis, over: Parameters<typeof ruleContext>[2] = {}) => oversizedFromOccupancy(ruleContext(base, p, over));
const to = (p: PoolAnalysis) => run(p).changes.map((c) => [c.setting, c.to]);

// A mean of 4 busy (2 for half the window, 6 for the other half), at most 7 open. docs/facts.md: at
// A = 4, P(wait) is 0.009 at 10 connections; at 9 Erlang C is 0.024: the size for P(wait) <= 1% is 10.
const FOUR: Array<[number, number]> = [[2, 300], [6, 300]];
const SEVEN_OPEN: Array<[number, number]> = [[5, 300], [7, 300]];

describe('oversized from occupancy alone', () => {
  it('is what oversized runs when the evidence lacks the acquire rate or holds', () => {
    const p = pool(21, FOUR, SEVEN_OPEN);
    expect(oversized.evaluate(ruleContext(base, p))).toEqual(run(p));
    expect(run(p).changes).toHaveLength(1);
  });

  it('lowers a pool far above the size at which Erlang C at the mean busy count keeps P(wait) at 1%: 10 at a mean of 4 busy', () => {
    const p = pool(21, FOUR, SEVEN_OPEN);
    expect(p.occupancyModel!.offeredLoad).toBe(4);
    expect(p.occupancyModel!.needNoWait).toBe(10);
    const out = run(p);
    expect(out.findings).toEqual([]);
    expect(out.changes.map((c) => [c.setting, c.to, c.confidenceCap])).toEqual([['max_connections', 10, 'medium']]);
    const c = out.changes[0]!;
    expect(c.evidence.map((e) => [e.name, e.value])).toEqual([
      ['meanBusy', 4],
      ['busyP99', base.pool.inUse.p99],
      ['maxOpen', 7],
      ['needNoWait', 10],
      ['pWaitAtCurrent', erlangC(21, 4)],
    ]);
    expect(c.rationale).toBe(
      `${DETAIL} saw 4 connections busy on average and at most 7 open of 21; at 10, Erlang C at that load puts P(wait) under 1% (a P99 wait of zero, whatever the hold), and it is not below the most seen open (busy on the server is a lower bound of what the pool has checked out); the other 11 only reserve database capacity.`,
    );
  });

  it('fires only above oversizedFactor x the floor: 20 is left alone at a floor of 10', () => {
    expect(run(pool(20, FOUR, SEVEN_OPEN))).toEqual(NOTHING);
    expect(run(pool(21, FOUR, SEVEN_OPEN), { rules: { ...DEFAULT_RULES, oversizedFactor: 2.5 } })).toEqual(NOTHING);
  });

  it('never cuts below the most connections seen open (busy on the server is a lower bound of checked out)', () => {
    const open16: Array<[number, number]> = [[15, 540], [16, 60]];
    expect(run(pool(32, FOUR, open16))).toEqual(NOTHING);
    expect(to(pool(33, FOUR, open16))).toEqual([['max_connections', 16]]);
  });

  describe('a closed loop (the busy count far smoother than an open load\'s)', () => {
    // Four workers busy on the server 99% of the time: 4 busy for 570 s, 3 for 30 s (mean 3.95,
    // variance 0.0475, index 0.012), 4 open. As an open load Erlang C at 3.95 would want 10, and
    // 20 would be left alone; no more than the 4 workers are ever busy.
    const WORKERS: Array<[number, number]> = [[3, 30], [4, 570]];
    const FOUR_OPEN: Array<[number, number]> = [[4, 600]];
    const variance = 0.95 * 0.05;
    const modelWith = (max: number, looks: number | null, open = FOUR_OPEN) =>
      occupancyModel({ exact: false, samples: 3000, inUse: levels(WORKERS), open: levels(open), inUseIsLowerBound: true, ...(looks === null ? {} : { inUseMeanStdErr: Math.sqrt(variance / looks), inUseBatches: 20 }) }, max);

    it('sizes to the most seen busy and open, not to Erlang C at the mean: 20 -> 4', () => {
      const p = pool(20, WORKERS, FOUR_OPEN, modelWith(20, 3000));
      expect(p.occupancyModel!.needNoWait).toBe(10);
      const out = run(p);
      expect(out.changes.map((c) => [c.setting, c.to, c.confidenceCap])).toEqual([['max_connections', 4, 'medium']]);
      const c = out.changes[0]!;
      expect(c.evidence.map((e) => e.name)).toEqual(['meanBusy', 'busyDispersion', 'independentLooks', 'maxBusy', 'maxOpen', 'needNoWait']);
      expect(c.evidence.find((e) => e.name === 'busyDispersion')!.value).toBeCloseTo(variance / 3.95, 9);
      expect(c.rationale).toContain('a closed loop of workers, which never has more busy than it has workers. 4 covers the most seen busy and open; the other 16 only reserve database capacity.');
    });

    it('with too few independent looks, or no standard error, it stays with Erlang C (20 left alone at a floor of 10)', () => {
      expect(run(pool(20, WORKERS, FOUR_OPEN, modelWith(20, MIN_INDEPENDENT_LOOKS - 1)))).toEqual(NOTHING);
      expect(run(pool(20, WORKERS, FOUR_OPEN, modelWith(20, null)))).toEqual(NOTHING);
      expect(to(pool(21, WORKERS, FOUR_OPEN, modelWith(21, null)))).toEqual([['max_connections', 10]]);
    });

    it('still not below the most seen open, and fires only above oversizedFactor x the floor', () => {
      expect(to(pool(20, WORKERS, [[6, 600]], modelWith(20, 3000, [[6, 600]])))).toEqual([['max_connections', 6]]);
      expect(run(pool(8, WORKERS, FOUR_OPEN, modelWith(8, 3000)))).toEqual(NOTHING);
      expect(to(pool(9, WORKERS, FOUR_OPEN, modelWith(9, 3000)))).toEqual([['max_connections', 4]]);
    });
  });

  it('never cuts below a working pool of 2', () => {
    // A mean of 0.005 busy: Erlang C at 1 connection is 0.005, so 1 would do; one connection seen open.
    const idle: Array<[number, number]> = [[0, 597], [1, 3]];
    const p = pool(5, idle, [[1, 600]]);
    expect(p.occupancyModel!.needNoWait).toBe(1);
    expect(to(p)).toEqual([['max_connections', 2]]);
    expect(run(pool(4, idle, [[1, 600]]))).toEqual(NOTHING);
  });

  it('when busy sat at the size for a share of the window, demand is censored: a warning with what the share implies, and no key', () => {
    // 4 busy (all usable) for 59.643247% of the window: docs/facts.md's C(4, A = 3.2) = 0.59643247, so the load it implies is 3.2.
    const share = 0.59643247;
    const p = pool(4, [[0, WINDOW_S * (1 - share)], [4, WINDOW_S * share]], [[4, 600]]);
    const m = p.occupancyModel!;
    expect(m.censored).toBe(true);
    expect(m.estimatedLoad!).toBeCloseTo(3.2, 6);
    const out = run(p);
    expect(out.changes).toEqual([]);
    expect(out.findings.map((f) => [f.kind, f.severity, f.message])).toEqual([
      [
        'pool-saturation',
        'warning',
        `every one of the 4 usable connections was busy 59.6% of the window: demand was at least 4, how much more ${DETAIL} cannot see, so no size is advised. If the pool, not the database, is the limit, that share means an offered load of about 3.2 connections (Erlang C at 4), which ${m.estimatedNeed} connections would serve with P(wait) under 1%. The service's own acquire-wait metrics (observe --prometheus) would tell whether callers waited.`,
      ],
    ]);
    // The size that load needs: P(wait) at or under 1% there, and over it one below.
    expect(erlangC(m.estimatedNeed!, 3.2)).toBeLessThanOrEqual(0.01);
    expect(erlangC(m.estimatedNeed! - 1, 3.2)).toBeGreaterThan(0.01);
  });

  it('busy at the size the whole window: no estimate of the load, only the lower bound', () => {
    const out = run(pool(8, [[8, 600]], [[8, 600]]));
    expect(out.changes).toEqual([]);
    expect(out.findings[0]!.message).toBe(
      `every one of the 8 usable connections was busy 100% of the window: demand was at least 8, how much more ${DETAIL} cannot see, so no size is advised. The service's own acquire-wait metrics (observe --prometheus) would tell whether callers waited.`,
    );
  });

  it('says nothing without a model, without a size meeting 1%, or when another rule changed max_connections', () => {
    expect(run(pool(40, FOUR, SEVEN_OPEN, null))).toEqual(NOTHING);
    const p = pool(40, FOUR, SEVEN_OPEN);
    expect(run({ ...p, occupancyModel: { ...p.occupancyModel!, needNoWait: null } })).toEqual(NOTHING);
    expect(run(p, { proposed: new Map([['max_connections', { to: 30, rule: 'pool-saturation' }]]) })).toEqual(NOTHING);
  });
});

describe('a pool that keeps its size open (issue 31, item 2)', () => {
  // A fixed pool of 20 (HikariCP's default minimumIdle = maximumPoolSize, psycopg_pool min_size =
  // max_size, Go with idle = open): 20 open the whole window but for a lifetime replacement, no idle
  // close; a mean of 1 busy (0 for 240 s, 1 for 240 s, 2 for 90 s, 3 for 30 s: mean 1.0). Erlang C
  // at 1 wants 5 for P(wait) under 1%.
  const BUSY: Array<[number, number]> = [[0, 240], [1, 240], [2, 90], [3, 30]];
  const HELD: Array<[number, number]> = [[19, 6], [20, 594]];
  const fixed = (max: number, min: number, open = HELD, idleCloses = 0): PoolAnalysis => {
    const p = pool(max, BUSY, open, occupancyModel({ exact: false, inUse: levels(BUSY), open: levels(open), inUseIsLowerBound: true }, max, undefined, idleCloses));
    return { ...p, settings: { ...p.settings, max_connections: max, min_connections: min } };
  };

  it('is sized from its busy count, not its open count: 20 -> 5 with the assumption said, at low confidence, min = max kept', () => {
    const p = fixed(20, 20);
    expect(p.occupancyModel!.openHeld).toBe(true);
    expect(p.occupancyModel!.needNoWait).toBe(5);
    const out = run(p);
    expect(out.changes.map((c) => [c.setting, c.to, c.confidenceCap])).toEqual([
      ['max_connections', 5, 'low'],
      ['min_connections', 5, 'low'],
    ]);
    expect(out.changes[0]!.rationale).toContain('its open count is its size, not its need');
    expect(out.changes[0]!.rationale).toContain('a connection the service holds between statements looks idle to the server');
  });

  it('a pool fixed in fact but not by its config (min under max) gets max only', () => {
    expect(to(fixed(20, 4))).toEqual([['max_connections', 5]]);
  });

  it('a pool that opens on demand keeps the most seen open as a floor (idle closes seen, or open under its size)', () => {
    expect(fixed(20, 4, HELD, 3).occupancyModel!.openHeld).toBe(false);
    expect(run(fixed(20, 4, HELD, 3))).toEqual(NOTHING);
    // The closed loop holding its connections on the client: busy on the server near 0, 4 open of 20 -> 4, not 2.
    const client: Array<[number, number]> = [[0, 594], [1, 6]];
    const p = pool(20, client, [[4, 600]]);
    expect(p.occupancyModel!.openHeld).toBe(false);
    expect(to(p)).toEqual([['max_connections', 4]]);
  });
});

describe('the peak an open load likely reached between samples (issue 31: a fixed pool is cut no lower than its busiest instant)', () => {
  it('is where (T/h) a P(N = k) falls under 0.1: a mean of 0.4 busy over 6,000 holds (3,000 looks) peaks at 6', async () => {
    const { peakBetweenSamples } = await import('../../../src/core/analysis/occupancyModel.js');
    // (T/h) a P(N=5) = 6000 x 0.4 x 5.7e-5 = 0.137; P(N=6) gives 0.009.
    expect(peakBetweenSamples(0.4, 3000)).toBe(6);
    expect(peakBetweenSamples(0.4, 30)).toBe(4);
    expect(peakBetweenSamples(0, 3000)).toBeNull();
  });

  it('holds a fixed pool\'s cut up to it', () => {
    const BUSY: Array<[number, number]> = [[0, 240], [1, 240], [2, 90], [3, 30]];
    const variance = 0.8;
    const m = occupancyModel({ exact: false, samples: 3000, inUse: levels(BUSY), open: levels([[20, 600]]), inUseIsLowerBound: true, inUseMeanStdErr: Math.sqrt(variance / 3000), inUseBatches: 20 }, 20);
    expect(m!.openHeld).toBe(true);
    expect(m!.peakEstimate).not.toBeNull();
    const p = pool(20, BUSY, [[20, 600]], m);
    const out = run(p);
    const c = out.changes.find((x) => x.setting === 'max_connections')!;
    expect(c.to).toBe(Math.max(5, m!.peakEstimate!));
    expect(c.rationale).toContain('likely reached between the samples');
  });
});
