/**
 * Evidence from a source that sees only occupancy and churn (no waits, no holds, no acquire
 * rate), as the server's view of a service does: the analysis, the rules and every renderer handle
 * it. Rules that need waits say what they could not judge and why; the others run; nothing prints
 * NaN, Infinity, undefined or a stack.
 */
import { describe, expect, it } from 'vitest';
import { invalidRunError } from '../../../src/core/analysis/validity.js';
import { defaultAdvisorConfig } from '../../../src/core/advisor/defaults.js';
import { analyzeEvidence } from '../../../src/core/analysis/analyze.js';
import { EVIDENCE_SCHEMA_VERSION, type EvidenceFile, type PoolEvidence } from '../../../src/core/evidence/types.js';
import { parseEvidenceFile } from '../../../src/core/evidence/read.js';
import { renderHtmlReport } from '../../../src/core/render/html.js';
import { adviceData } from '../../../src/core/render/recommendations.js';
import { renderReport } from '../../../src/core/render/report.js';
import { adviseEvidence, POOL_RULES } from '../../../src/core/rules/index.js';
import { evaluateThresholds } from '../../../src/core/thresholds/evaluate.js';
import { parseThreshold } from '../../../src/core/thresholds/parse.js';
import { configSnapshot } from '../../helpers/syntheticRun.js';
import { waitsAt } from '../../../src/core/analysis/occupancyModel.js';
import { formatUs } from '../../../src/core/units.js';

const WINDOW_MS = 600_000;
const us = (s: number): number => s * 1e6;

/** What a pg_stat_activity sampler sees of a pool of 20 with min 15 where about 5 are busy. */
function occupancyOnly(): PoolEvidence {
  return {
    pool: 'database',
    replica: '10.0.0.7',
    source: { kind: 'server-sampling', detail: 'pg_stat_activity every 200 ms (3,000 samples)', startedAt: 1_767_000_000_000, durationMs: WINDOW_MS },
    settings: { max_connections: 20, min_connections: 15, acquire_timeout_seconds: 10, idle_timeout_seconds: 300, max_lifetime_seconds: 60, slow_acquire_threshold_ms: 100 },
    validity: { valid: true, reasons: [] },
    occupancy: {
      exact: false,
      samples: 3000,
      intervalMs: 200,
      inUse: { levels: [[3, us(120)], [5, us(300)], [7, us(150)], [9, us(30)]], max: 9, last: 5 },
      inUseIsLowerBound: true,
      open: { levels: [[15, us(540)], [16, us(60)]], max: 16, last: 15 },
      idle: { levels: [[6, us(30)], [8, us(150)], [10, us(300)], [12, us(120)]], max: 12, last: 10 },
    },
    churn: { opened: 165, closed: { lifetime: 150, idle: 0, error: 0, shutdown: 0, unattributed: 0 } },
  };
}

function observation(): EvidenceFile {
  const cfg = configSnapshot('database', occupancyOnly().settings);
  return {
    kind: 'observation',
    schemaVersion: EVIDENCE_SCHEMA_VERSION,
    tool: { name: 'pool-advisor', version: '0.1.0' },
    createdAt: '2026-11-29T20:00:00.000Z',
    target: 'postgresql://observer@db.internal:5432/tasker',
    targetKind: 'remote',
    server: { version: '15.8', maxConnections: 200, superuserReserved: 3 },
    configDir: 'config/tasker',
    seed: null,
    environments: [{ env: 'production', durationMs: WINDOW_MS, warmupMs: 0, pgmqShared: true, interrupted: false, pools: [occupancyOnly()], unmapped: [], workloads: [], config: { database: cfg }, overrides: [] }],
    partial: false,
  };
}

const BAD = /NaN|Infinity|undefined|\bat .*\.js:\d+/;

describe('evidence with only occupancy and churn', () => {
  const file = parseEvidenceFile(JSON.stringify(observation()), 'obs.json');
  const { analysis, advice } = adviseEvidence(file, defaultAdvisorConfig());
  const pool = analysis.environments[0]!.pools[0]!;
  const findings = advice.environments[0]!.findings;

  it('the analysis says what it could not see and from which source', () => {
    expect(pool.coverage?.source.kind).toBe('server-sampling');
    expect(pool.coverage?.unseen).toEqual(['wait', 'waitPaths', 'hold', 'create', 'arrival', 'waiting', 'failures', 'timeline', 'holdByInUse']);
    expect(pool.coverage?.replica).toBe('10.0.0.7');
    expect(pool.inUse.p95).toBe(7);
    expect(pool.utilisation).toBeCloseTo((3 * 120 + 5 * 300 + 7 * 150 + 9 * 30) / 600 / 20, 10);
    expect(pool.model.input).toBeNull();
    expect(pool.model.notes).toEqual(['no model: it needs the acquire rate and hold times, which this source cannot see']);
  });

  it('each rule that needs waits, holds or the rate gives one "cannot judge" finding naming what it needs and the source', () => {
    const needing = POOL_RULES.filter((r) => r.needs.some((x) => pool.coverage!.unseen.includes(x)));
    expect(needing.map((r) => r.id).sort()).toEqual(['acquire-timeout', 'database-saturation', 'pool-saturation', 'slow-threshold']);
    for (const r of needing) {
      const fs = findings.filter((f) => f.kind === r.id);
      expect(fs).toHaveLength(1);
      expect(fs[0]!.message).toMatch(/^cannot judge .*: this needs .*, which the server's view of the service \(pg_stat_activity sampling\) cannot see; /);
    }
    expect(findings.find((f) => f.kind === 'pool-saturation')!.message).toContain('this needs the acquire-wait distribution, the acquire rate and hold (use) times');
  });

  it('the rules whose parts are there run: idle-surplus lowers min, with confidence capped at medium by the source', () => {
    const recs = advice.environments[0]!.recommendations;
    expect(recs.map((r) => [r.rule, r.key, r.to, r.confidence])).toEqual([['idle-surplus', 'min_connections', 7 + defaultAdvisorConfig().rules.idleHeadroom, 'medium']]);
    expect(findings.some((f) => f.kind === 'healthy' || f.kind === 'no-data' || f.kind === 'idle-surplus')).toBe(false);
  });

  it('lifetime-churn sees 15 expiries a minute but not the acquire rate: it cannot judge what they cost, so it changes no key (a busy healthy pool expires as often)', () => {
    const obs = observation();
    obs.environments[0]!.pools[0]!.settings.min_connections = 2;
    const { advice: adv } = adviseEvidence(parseEvidenceFile(JSON.stringify(obs), 'obs.json'), defaultAdvisorConfig());
    expect(adv.environments[0]!.recommendations.find((x) => x.rule === 'lifetime-churn')).toBeUndefined();
    const f = adv.environments[0]!.findings.filter((x) => x.kind === 'lifetime-churn');
    expect(f).toHaveLength(1);
    // It judges the rate (the server sees every close), not what it costs: that needs the acquires.
    expect(f[0]!.message).toMatch(/^15 expiries per minute, over 1; cannot judge what they cost per acquire: this needs the acquire rate, which the server's view of the service \(pg_stat_activity sampling\) cannot see; /);
  });

  it('lifetime-churn with the pool\'s own role\'s statements (pg_stat_statements): reconnects per thousand statements bound the cost from below, and over the threshold it fires', () => {
    const obs = observation();
    const p = obs.environments[0]!.pools[0]!;
    p.settings.min_connections = 2;
    // 20,000 statements in the window: at least as many as the acquires. 150 expiries reopened
    // (busy P95 above min 2) per 20,000 statements: at least 7.5 per thousand acquires, over 1.
    p.statements = { role: 'svc', calls: 20_000, meanUs: 8000, windowMs: WINDOW_MS };
    const { analysis: an, advice: adv } = adviseEvidence(parseEvidenceFile(JSON.stringify(obs), 'obs.json'), defaultAdvisorConfig());
    const e = an.environments[0]!.pools[0]!.expiries;
    expect(e.reconnectsPerThousand).toBe(7.5);
    expect(e.perThousandOf).toEqual({ statements: 20_000, role: 'svc' });
    const rec = adv.environments[0]!.recommendations.find((x) => x.rule === 'lifetime-churn');
    // 15.1 open on average x 60 / 1 per minute = 906 s, at least double 60: 906 -> 1200 (whole 5 minutes).
    expect([rec?.key, rec?.from, rec?.to]).toEqual(['max_lifetime_seconds', 60, 1200]);
    expect(['low', 'medium']).toContain(rec!.confidence);
    expect(rec!.rationale).toContain("at least 7.5 reconnects per thousand acquires (per thousand of role svc's 20000 statements");
  });

  it('idle churn from the times the server saw closes and opens: 12 idle closes reopened 30 s later in 10 minutes (1.2 a minute) raise idle_timeout_seconds past the gap', () => {
    const obs = observation();
    const p = obs.environments[0]!.pools[0]!;
    p.settings.min_connections = 2;
    const closedAt = Array.from({ length: 12 }, (_, k) => 10_000 + k * 45_000);
    p.churn = { ...p.churn!, closed: { ...p.churn!.closed, idle: 12 }, idleClosedAtMs: closedAt, openedAtMs: closedAt.map((t) => t + 30_000) };
    const { analysis: an, advice: adv } = adviseEvidence(parseEvidenceFile(JSON.stringify(obs), 'obs.json'), defaultAdvisorConfig());
    const ic = an.environments[0]!.pools[0]!.idleCloses;
    expect([ic.reopened, ic.reopenedPerMinute, ic.maxReopenGapS]).toEqual([12, 1.2, 30]);
    const rec = adv.environments[0]!.recommendations.find((r) => r.key === 'idle_timeout_seconds');
    // 300 s + the 30 s gap + 1, up to whole minutes: 360.
    expect([rec?.rule, rec?.from, rec?.to]).toEqual(['idle-surplus', 300, 360]);
    // Without the times (an observation saved before they were kept) nothing is paired.
    const old = observation();
    old.environments[0]!.pools[0]!.settings.min_connections = 2;
    old.environments[0]!.pools[0]!.churn = { ...p.churn, idleClosedAtMs: undefined, openedAtMs: undefined };
    const { analysis: an2 } = adviseEvidence(parseEvidenceFile(JSON.stringify(old), 'obs.json'), defaultAdvisorConfig());
    expect(an2.environments[0]!.pools[0]!.idleCloses.reopened).toBe(0);
  });

  it('with the role\'s mean statement time as a lower bound of the hold, the waits at the current size are given as lower bounds (Erlang C), and over the target they warn without a size', () => {
    const obs = observation();
    const p = obs.environments[0]!.pools[0]!;
    // 7 connections at a mean of 5.3 busy (30% of the window all 7 busy: censored), statements of 8 ms.
    p.settings.max_connections = 7;
    p.statements = { role: 'svc', calls: 20_000, meanUs: 8000, windowMs: WINDOW_MS };
    const { analysis: an, advice: adv } = adviseEvidence(parseEvidenceFile(JSON.stringify(obs), 'obs.json'), defaultAdvisorConfig());
    const m = an.environments[0]!.pools[0]!.occupancyModel!;
    expect(m.offeredLoad).toBeCloseTo(5.3, 12);
    const want = waitsAt(7, 5.3, 8000)!;
    expect(m.waitsAtLeast).toEqual({ holdUs: 8000, holdFrom: "role svc's mean statement time", meanUs: want.meanUs, p99Us: want.p99Us });
    const f = adv.environments[0]!.findings.filter((x) => x.kind === 'pool-saturation' && x.message.startsWith('waits at 7 connections'));
    expect(f).toHaveLength(1);
    expect(want.p99Us).toBeGreaterThan(10_000);
    expect(f[0]!.severity).toBe('warning');
    expect(f[0]!.message).toContain(`P99 ${formatUs(want.p99Us)}`);
    expect(f[0]!.message).toContain('over the 10 ms target even so');
    expect(adv.environments[0]!.recommendations.find((r) => r.key === 'max_connections')).toBeUndefined();
    // Without the statements there is no hold to bound: no such finding.
    const plain = observation();
    plain.environments[0]!.pools[0]!.settings.max_connections = 7;
    const { advice: adv2 } = adviseEvidence(parseEvidenceFile(JSON.stringify(plain), 'obs.json'), defaultAdvisorConfig());
    expect(adv2.environments[0]!.findings.some((x) => x.message.startsWith('waits at'))).toBe(false);
  });

  it('oversized runs on occupancy alone: a pool of 60 that never had more than 16 open is cut to 16 (the most seen open), not to the busy count', () => {
    const obs = observation();
    const p = obs.environments[0]!.pools[0]!;
    p.settings.max_connections = 60;
    obs.environments[0]!.config.database = configSnapshot('database', p.settings);
    const { analysis: a, advice: adv } = adviseEvidence(parseEvidenceFile(JSON.stringify(obs), 'obs.json'), defaultAdvisorConfig());
    const m = a.environments[0]!.pools[0]!.occupancyModel!;
    // Mean busy 5.1 (time-weighted levels above): Erlang C is at or under 1% from 12 connections.
    expect(m.offeredLoad).toBeCloseTo((3 * 120 + 5 * 300 + 7 * 150 + 9 * 30) / 600, 10);
    expect(m.needNoWait).toBe(12);
    expect(m.censored).toBe(false);
    const r = adv.environments[0]!.recommendations.find((x) => x.key === 'max_connections')!;
    expect([r.rule, r.from, r.to, r.confidence]).toEqual(['oversized', 60, 16, 'medium']);
    expect(r.rationale).toContain('at most 16 open of 60');
  });

  it('oversized from occupancy stays silent when the pool is within twice the floor (20 with 16 seen open)', () => {
    expect(advice.environments[0]!.recommendations.some((r) => r.key === 'max_connections')).toBe(false);
  });

  it('busy pinned at the size: demand is censored, a warning says so with what the share implies, and no key changes', () => {
    const obs = observation();
    const p = obs.environments[0]!.pools[0]!;
    p.settings.max_connections = 8;
    obs.environments[0]!.config.database = configSnapshot('database', p.settings);
    // 8 busy for 40% of the window: censored (at least 20%).
    p.occupancy!.inUse = { levels: [[4, us(180)], [6, us(180)], [8, us(240)]], max: 8, last: 8 };
    p.occupancy!.open = { levels: [[8, us(600)]], max: 8, last: 8 };
    const { analysis: a, advice: adv } = adviseEvidence(parseEvidenceFile(JSON.stringify(obs), 'obs.json'), defaultAdvisorConfig());
    const m = a.environments[0]!.pools[0]!.occupancyModel!;
    expect(m.allBusyShare).toBeCloseTo(0.4, 10);
    expect(m.censored).toBe(true);
    // The estimate is never below the mean busy count (a lower bound of the load).
    expect(m.estimatedLoad!).toBeGreaterThanOrEqual(m.offeredLoad);
    expect(adv.environments[0]!.recommendations.some((r) => r.key === 'max_connections')).toBe(false);
    const f = adv.environments[0]!.findings.find((x) => x.kind === 'pool-saturation' && x.severity === 'warning')!;
    expect(f.message).toMatch(/^every one of the 8 usable connections was busy 40% of the window: demand was at least 8/);
    expect(f.message).toContain(`which ${m.estimatedNeed} connections would serve`);
  });

  it('the connection budget of what is really open: the most seen open, summed over groups, against what the server gives', () => {
    const f = findings.filter((x) => x.kind === 'connection-budget');
    expect(f.map((x) => [x.severity, x.message])).toEqual([['info', 'the server saw at most 16 connections open across the 1 pool and 0 unmapped groups it could see (each group\'s most at once, summed), 8.1% of the 197 it gives']]);
  });

  it('the terminal, JSON and HTML renderers print it with no NaN, no Infinity and no stack; what the source cannot see is said once, never printed as 0', () => {
    const text = renderReport(file, analysis, advice, { color: false });
    const data = adviceData(analysis, advice) as { environments: Array<{ pools: Array<Record<string, unknown>> }>; findings: Array<{ kind: string; cannotJudge?: unknown }> };
    const json = JSON.stringify(data, null, 2);
    const html = renderHtmlReport(file, analysis, advice);
    for (const out of [text, json, html]) expect(out).not.toMatch(BAD);
    // No wait table (the server sees no acquire), the occupancy it saw, and once what it could not see.
    expect(text).not.toContain('Acquire wait');
    expect(text).not.toMatch(/│ acquires │/);
    expect(text).toMatch(/│ database \(10\.0\.0\.7\) │\s+20 │\s+5\.3 \/ 9 │/);
    expect(text.match(/Not seen by the server's view of the service \(pg_stat_activity sampling\): the acquire-wait distribution, .*, the acquire rate, /g)).toHaveLength(1);
    expect(text).toContain('(observed 10.0 min; PGMQ shares the database pool)');
    expect(text).not.toContain('warm-up');
    expect(text).toContain('# observed: 600 s on');
    // The rules that could not judge: one line for the pool, each listed.
    const blind = text.split('\n').filter((l) => /^\s+info \S+ cannot judge: /.test(l));
    expect(blind).toHaveLength(1);
    expect(blind[0]).toContain('whether acquires wait too often or too long');
    expect(data.findings.filter((f) => f.cannotJudge).length).toBeGreaterThan(1);
    // In the JSON an unseen figure is absent, a seen one present.
    const pool = (JSON.parse(json) as typeof data).environments[0]!.pools[0]!;
    for (const k of ['acquires', 'wait', 'arrivalRate', 'hold', 'timeouts', 'waitedShare', 'meetsTarget']) expect(pool, k).not.toHaveProperty(k);
    for (const k of ['inUse', 'utilisation', 'expiries', 'idleCloses']) expect(pool, k).toHaveProperty(k);
    expect(html).toContain('waits not seen by pg_stat_activity every 200 ms (3,000 samples)');
    expect(html).not.toContain('data-chart="spectrum"');
  });

  it('a threshold on a figure the source cannot see has no data, and says why; one it can see is evaluated', () => {
    const results = evaluateThresholds([parseThreshold('database.acquire: p(99) < 50ms'), parseThreshold('database.in_use: mean < 10')], file);
    expect(results.map((r) => [r.status, r.reason ?? r.observedText, r.replica])).toEqual([
      ['no-data', "this needs the acquire-wait distribution, which the server's view of the service (pg_stat_activity sampling) cannot see", '10.0.0.7'],
      ['held', expect.stringMatching(/^mean=/), '10.0.0.7'],
    ]);
  });

  it("an observation is judged on its source's own verdict: no notes about pool-advisor's own machine, and a hint that follows the reason", () => {
    const v = analysis.environments[0]!.validity;
    expect(v.notes.filter((n) => /wall-clock|event-loop/.test(n))).toEqual([]);
    const proxied = observation();
    proxied.environments[0]!.pools[0]!.validity = { valid: false, reasons: ["the server sees a proxy, not the service's pools: backend 7 changed its application_name from 'a' to 'b'"] };
    const err = invalidRunError(parseEvidenceFile(JSON.stringify(proxied), 'obs.json'), 'obs.json')!;
    expect(err.message).toMatch(/^obs\.json: the observation is invalid, so no key is changed: production: database \(10\.0\.0\.7\): the server sees a proxy/);
    expect(err.hint).not.toContain('stalled');
    expect(err.hint).toBe('do what the reason above says, then observe or measure again; keep this file only for reference');
  });

  it('the analysis of the same evidence is the same (pure)', () => {
    expect(analyzeEvidence(file, defaultAdvisorConfig())).toEqual(analysis);
  });
});
