/**
 * The rule engine: runs every rule over an analysed run and turns their setting changes into
 * TOML key changes (key, current value with file and line, recommended value inside Tasker's
 * range, confidence). Pool rules run in a fixed order and see what earlier ones changed, so the
 * advice is consistent: database-saturation before pool-saturation (a database-bound pool never
 * gets "raise max"), pool-saturation before acquire-timeout and oversized, acquire-timeout before
 * slow-threshold. A pool no rule changes gets a `healthy` finding with the evidence.
 */
import type { AdvisorConfig } from '../advisor/types.js';
import { own } from '../dict.js';
import { analyzeEvidence, noSamples, saw, type EnvironmentAnalysis, type PoolAnalysis, type RunAnalysis } from '../analysis/analyze.js';
import { cannotJudge, EVIDENCE_PARTS, missingParts } from '../evidence/parts.js';
import type { EvidenceFile, UnmappedPool } from '../evidence/types.js';
import { smallestNoWait } from '../analysis/occupancyModel.js';
import { proxyPoolFindings } from './proxyPool.js';
import { BUSY_ONLY_ASSUMPTION } from './fromOccupancy.js';
import { formatNum, formatRate, formatShare, formatUs } from '../units.js';
import { POOL_NAMES, SETTING_KEYS, fromSetting, keyDef, toSetting, tomlKeyFor, type SettingKey } from '../config/pools.js';
import { acquireTimeout } from './acquireTimeout.js';
import { envBudget, observedReplicas, readingOf, type EnvBudget } from '../budget/inputs.js';
import { connectionBudget } from './connectionBudget.js';
import { databaseSaturation } from './databaseSaturation.js';
import { idleSurplus } from './idleSurplus.js';
import { inertSettings } from './inertSettings.js';
import { lifetimeChurn } from './lifetimeChurn.js';
import { oversized } from './oversized.js';
import { poolSaturation } from './poolSaturation.js';
import { slowThreshold } from './slowThreshold.js';
import { confidenceFor, ev, lowerConfidence } from './support.js';
import { canJudgeServer } from '../analysis/target.js';
import { describeFloor, sizeFloor, settleChanges, WORKING_POOL_MIN } from './consistency.js';
import type { Advice, Change, EnvironmentAdvice, EnvironmentRule, Finding, PoolRule, Recommendation, RuleId } from './types.js';

/** Pool rules, in the order they run. */
export const POOL_RULES: readonly PoolRule[] = [databaseSaturation, poolSaturation, acquireTimeout, oversized, lifetimeChurn, idleSurplus, slowThreshold];

/** Environment rules. */
export const ENVIRONMENT_RULES: readonly EnvironmentRule[] = [connectionBudget, inertSettings];

/** Every rule id. */
export const RULE_IDS: readonly RuleId[] = [...POOL_RULES, ...ENVIRONMENT_RULES].map((r) => r.id);

/** Clamp a TOML value to Tasker's range for the key; says whether it had to. */
export function clampToRange(pool: PoolAnalysis['pool'], key: string, value: number): { value: number; clamped: boolean } {
  const def = keyDef(pool, key);
  if (!def) return { value, clamped: false };
  const v = Math.min(def.max, Math.max(def.min, Math.round(value)));
  return { value: v, clamped: v !== Math.round(value) };
}

/** Turn a rule's setting change into a TOML key change, or a finding when no key can carry it. */
function toKeyChange(env: EnvironmentAnalysis, p: PoolAnalysis, rule: RuleId, c: Change, base: Recommendation['confidence']): Recommendation | Finding | undefined {
  const key = tomlKeyFor(p.pool, c.setting);
  const snap = env.config[p.pool];
  if (!key) {
    return {
      env: env.env,
      pool: p.pool,
      kind: rule,
      severity: 'warning',
      message: `${c.rationale.replace(/\.$/, '')}; but [${snap?.table ?? p.pool}] has no key for ${c.setting}, so Tasker cannot be told`,
      evidence: c.evidence,
    };
  }
  const written = snap?.keys[key];
  const from = typeof written?.value === 'number' ? written.value : fromSetting(p.pool, key, recordSettings(p)[c.setting]);
  const wanted = fromSetting(p.pool, key, c.to);
  const { value: to, clamped } = clampToRange(p.pool, key, wanted);
  const def = keyDef(p.pool, key)!;
  if (to === from) {
    if (!clamped) return undefined;
    return {
      env: env.env,
      pool: p.pool,
      kind: rule,
      severity: 'warning',
      message: `${c.rationale.replace(/\.$/, '')}; but ${key} is already at Tasker's limit (${def.min}-${def.max})`,
      evidence: c.evidence,
    };
  }
  return {
    env: env.env,
    pool: p.pool,
    table: snap?.table ?? '',
    key,
    setting: c.setting,
    from,
    file: written?.file ?? null,
    line: written?.line ?? null,
    to,
    rule,
    evidence: c.evidence,
    rationale: clamped ? `${c.rationale.replace(/\.$/, '')} (${wanted} is outside Tasker's range ${def.min}-${def.max}: clamped to ${to}).` : c.rationale,
    confidence: lowerConfidence(base, c.confidenceCap),
    ...(clamped ? { limitedBy: 'range' as const } : c.limitedBy ? { limitedBy: c.limitedBy } : {}),
  };
}

function isRecommendation(x: Recommendation | Finding): x is Recommendation {
  return 'key' in x;
}

/**
 * The final consistency pass over one pool's changes (consistency.ts): min <= max, Tasker's
 * ranges, and max never below the floor (a working pool, the model's need, the P99 in use). Changes it adjusts say
 * so in their rationale; a change it cancels becomes a finding.
 */
function consistent(env: EnvironmentAnalysis, p: PoolAnalysis, recs: Recommendation[], base: Recommendation['confidence']): { recommendations: Recommendation[]; findings: Finding[] } {
  const wanted = new Map<SettingKey, number>();
  for (const r of recs) wanted.set(r.setting, settingOf(r));
  const floor = sizeFloor(p, env.pgmqShared);
  const record = recordSettings(p);
  const settled = settleChanges(
    record,
    wanted,
    floor,
    (setting, value) => {
      const key = tomlKeyFor(p.pool, setting);
      if (!key) return value;
      const def = keyDef(p.pool, key);
      if (!def) return value;
      // Clamp in TOML terms, back to the setting.
      const toml = clampToRange(p.pool, key, fromSetting(p.pool, key, value)).value;
      return toSetting(p.pool, key, toml);
    },
    describeFloor(p, env.pgmqShared),
  );
  const out: Recommendation[] = [];
  const findings: Finding[] = [];
  const byRule = new Map(recs.map((r) => [r.setting, r]));
  for (const [setting, s] of settled) {
    const prior = byRule.get(setting);
    const rule: RuleId = prior?.rule ?? byRule.get('max_connections')?.rule ?? 'oversized';
    if (s.to === record[setting]) {
      if (prior) findings.push({ env: env.env, pool: p.pool, kind: 'consistency', severity: 'info', message: `${prior.key} ${prior.from ?? '?'} -> ${prior.to} (${prior.rule}) was dropped: ${s.why}`, evidence: prior.evidence });
      continue;
    }
    if (prior && s.why === null) {
      out.push(prior);
      continue;
    }
    const r = toKeyChange(
      env,
      p,
      rule,
      {
        setting,
        to: s.to,
        evidence: [...(prior?.evidence ?? []), ev('floor', 'size floor (working pool, model need, P99 in use)', floor, 'connections')],
        rationale: prior ? `${prior.rationale.replace(/\.$/, '')}; ${s.why}.` : `${s.why}.`,
        ...(prior?.limitedBy === 'budget' ? { limitedBy: 'budget' as const } : {}),
      },
      prior?.confidence ?? base,
    );
    if (r && isRecommendation(r)) out.push(r);
  }
  return { recommendations: out, findings };
}

/** The settings of record (the config's: what a change is `from`), where the model ran at a live size. */
function recordSettings(p: PoolAnalysis): PoolAnalysis['settings'] {
  return p.sizeOfRecord ? { ...p.settings, max_connections: p.sizeOfRecord.config } : p.settings;
}

/** The normalised setting value a recommendation asks for. */
function settingOf(r: Recommendation): number {
  return toSetting(r.pool, r.key, r.to);
}

function healthy(p: PoolAnalysis): Finding {
  const exp = p.expiries.count > 0 ? `${formatRate(p.expiries.perMinute)} expiries/min` : `${formatRate(p.expiries.projectedPerMinute ?? 0)} expiries/min projected`;
  return {
    env: p.env,
    pool: p.pool,
    kind: 'healthy',
    severity: 'info',
    message: `P99 wait ${formatUs(p.wait.p99Us)} (target ${formatUs(p.targetP99WaitMs * 1000)}), ${formatShare(p.waitedShare)} of acquires waited, ${formatShare(p.utilisation)} mean utilisation, ${p.timeouts} timeouts, ${exp}; no change`,
    evidence: [
      ev('waitP99', 'P99 acquire wait', p.wait.p99Us, 'us'),
      ev('target', 'target P99 wait', p.targetP99WaitMs, 'ms'),
      ev('waitedShare', 'acquires that waited', p.waitedShare, 'share'),
      ev('utilisation', 'mean utilisation', p.utilisation, 'share'),
      ev('inUseP95', 'P95 connections in use', p.inUse.p95, 'connections'),
      ev('timeouts', 'acquires that timed out', p.timeouts, 'count'),
      ev('modelP99', 'modelled P99 wait at the current size', p.model.current ? p.model.current.p99WaitS * 1e6 : null, 'us'),
    ],
  };
}

/** The finding of an invalid run: its reasons, with the figures; no key is changed. */
function invalidRun(env: EnvironmentAnalysis): Finding {
  const v = env.validity;
  return {
    env: env.env,
    pool: null,
    kind: 'invalid-run',
    severity: 'error',
    message: `this run is invalid, so no key is changed (the figures above are printed for reference only): ${v.reasons.join('; ')}`,
    evidence: [
      ev('plannedWindow', 'planned window', v.figures.plannedMs, 'ms'),
      ev('measuredWindow', 'measured window', v.figures.measuredMs, 'ms'),
      ev('wallWindow', 'wall-clock window', v.figures.wallMs, 'ms'),
      ev('longestInterval', 'longest timeline interval', v.figures.maxIntervalMs, 'ms'),
      ev('lagMax', 'largest generator lag', v.figures.lagMaxMs, 'ms'),
      ev('eventLoopMax', 'longest event-loop block', v.figures.eventLoopMaxMs, 'ms'),
      ev('sqlFailed', 'requests that failed in SQL', v.sqlFailures?.count ?? 0, 'count'),
      ...(v.sqlFailures?.first ? [ev('firstSqlError', 'first SQL error', v.sqlFailures.first)] : []),
    ],
  };
}

/** What the budget reads of the evidence: its kind (an observation's server and replicas are observed), the server and PgBouncer's settings. */
export type BudgetSource = Pick<EvidenceFile, 'kind' | 'server' | 'targetKind' | 'pgbouncerSettings'>;

/**
 * The connection budget of one analysed environment, the one the rules judge: the Tasker config's
 * pool sizes × the topology's services (an observation's replicas seen where more), PgBouncer's
 * settings as its console gave them, the server's limits (an observation's server over the
 * topology's). Null when it judges nothing (no server limit and no PgBouncer known).
 */
export function environmentBudget(env: EnvironmentAnalysis, advisor: AdvisorConfig, source: BudgetSource | null = null): EnvBudget | null {
  const observation = source?.kind === 'observation';
  const server = readingOf(source);
  return envBudget(
    env.env,
    Object.fromEntries(Object.entries(env.config).map(([k, c]) => [k, { max: c!.settings.max_connections, active: c!.active }])),
    own(advisor.environments, env.env)?.topology,
    { ...(server ? { server } : {}), ...(observation ? { observed: observedReplicas(env.pools.map((p) => ({ pool: p.pool, replica: p.coverage?.replica ?? null }))) } : {}), ...(source?.pgbouncerSettings ? { pgbouncer: source.pgbouncerSettings } : {}) },
  );
}

/** Run every rule over one analysed environment. `source` gives the evidence's server (for the budget). */
export function recommendEnvironment(env: EnvironmentAnalysis, advisor: AdvisorConfig, source: BudgetSource | null = null): EnvironmentAdvice {
  const budget = environmentBudget(env, advisor, source);
  const recommendations: Recommendation[] = [];
  const findings: Finding[] = [];
  // A proxy's own pools are judged whatever the server's view of them (which a proxy makes invalid for the services' pools).
  for (const pp of env.proxyPools) findings.push(...proxyPoolFindings(env.env, pp, advisor.targetP99WaitMs, advisor.rules.oversizedFactor));
  if (!env.validity.valid) {
    findings.push(invalidRun(env));
    return { env: env.env, durationS: env.durationS, measured: env.measured, workloads: env.workloads, recommendations, findings };
  }
  for (const rule of ENVIRONMENT_RULES) findings.push(...rule.evaluate({ env, advisor, budget }));
  for (const u of env.unmapped) findings.push(unmappedFinding(env.env, u));
  // Replicas of one pool are judged one by one (N replicas of c connections are N queues): a
  // source that sees acquire waits before one that does not, then the busiest first; a key one
  // already changes is not changed again by the next.
  const pools = [...env.pools].sort((a, b) => POOL_NAMES.indexOf(a.pool) - POOL_NAMES.indexOf(b.pool) || Number(saw(b, 'wait')) - Number(saw(a, 'wait')) || b.inUse.mean - a.inUse.mean);
  for (const p of pools) {
    // What the sources say differently (a live size against the config's among it) holds whatever else can be judged.
    for (const d of p.coverage?.disagreements ?? []) findings.push({ env: env.env, pool: p.pool, kind: 'sources-disagree', severity: 'warning', message: `${p.coverage!.replica ? `${p.coverage!.replica}: ` : ''}${d}`, evidence: [] });
    if (noSamples(p)) {
      findings.push({ env: env.env, pool: p.pool, kind: 'no-data', severity: 'info', message: p.coverage && !saw(p, 'wait') && !saw(p, 'arrival') ? 'no samples in the window: nothing to judge' : 'no acquires measured: nothing to judge', evidence: [] });
      continue;
    }
    if (p.coverage && !p.coverage.validity.valid) {
      findings.push({ env: env.env, pool: p.pool, kind: 'invalid-evidence', severity: 'warning', message: `the evidence of ${p.coverage.source.detail} cannot stand for this pool, so no key is changed: ${p.coverage.validity.reasons.join('; ')}`, evidence: [] });
      continue;
    }
    const behind = p.generator?.behind ?? false;
    const poolFindings: Finding[] = [];
    if (behind) {
      poolFindings.push({
        env: env.env,
        pool: p.pool,
        kind: 'generator-behind',
        severity: 'warning',
        message: `the load generator fell behind its schedule${p.generator?.behindReason ? ` (${p.generator.behindReason})` : ''}: its late requests arrived in bunches, so the waits are not the pool's alone; confidence is low`,
        evidence: [ev('lagP99', 'P99 generator lag', p.generator?.lagP99Us ?? null, 'us')],
      });
    }
    const base = confidenceFor(p, env);
    const proposed = new Map<SettingKey, { to: number; rule: RuleId }>();
    const poolRecs: Recommendation[] = [];
    // A server bottleneck measured on a throwaway or local server: this run cannot size the pool.
    const cannotSize = (p.server.bound || p.serverLoad?.limitsThisPool === true) && !canJudgeServer(env.target);
    for (const rule of POOL_RULES) {
      const missing = missingParts(rule.needs, seenParts(p));
      if (missing.length > 0 && !rule.alsoRunsWhen?.(p)) {
        poolFindings.push({ env: env.env, pool: p.pool, kind: rule.id, severity: 'info', message: cannotJudge(rule.judges, missing, p.coverage!.source.kind), evidence: [], cannotJudge: { judges: rule.judges, missing } });
        continue;
      }
      const out = rule.evaluate({ env, pool: p, advisor, rules: advisor.rules, targetMs: p.targetP99WaitMs, budget, proposed, generatorBehind: behind });
      poolFindings.push(...out.findings);
      if (cannotSize) continue;
      for (const c of out.changes) {
        if (proposed.has(c.setting)) continue;
        const r = toKeyChange(env, p, rule.id, c, base);
        if (!r) continue;
        if (isRecommendation(r)) {
          poolRecs.push(r);
          proposed.set(c.setting, { to: c.to, rule: rule.id });
        } else poolFindings.push(r);
      }
    }
    const fixed = consistent(env, p, poolRecs, base);
    poolRecs.splice(0, poolRecs.length, ...fixed.recommendations);
    poolFindings.push(...fixed.findings);
    poolRecs.sort((a, b) => SETTING_KEYS.indexOf(a.setting) - SETTING_KEYS.indexOf(b.setting));
    for (const r of poolRecs) {
      const first = recommendations.find((x) => x.pool === r.pool && x.key === r.key);
      if (!first) recommendations.push(r);
      else if (first.to !== r.to) {
        poolFindings.push({ env: env.env, pool: p.pool, kind: r.rule, severity: 'info', message: `replica ${p.coverage?.replica ?? '?'} alone would set ${r.key} to ${r.to}; the busiest replica's ${first.to} is recommended`, evidence: r.evidence });
      }
    }
    // Healthy: nothing to change, nothing wrong, and the figures themselves within the target. A
    // generator that fell behind is flagged beside the pool; by itself it makes no pool unhealthy.
    const quiet = !(p.coverage?.disagreements?.length) && !poolFindings.some((f) => f.severity !== 'info' && f.kind !== 'generator-behind');
    if (poolRecs.length === 0 && quiet && p.meetsTarget && p.timeouts === 0 && HEALTHY_NEEDS.every((x) => saw(p, x))) poolFindings.push(healthy(p));
    findings.push(...poolFindings);
  }
  return { env: env.env, durationS: env.durationS, measured: env.measured, workloads: env.workloads, recommendations, findings };
}

/**
 * A pool no Tasker pool stands for: why, and - when the source saw how busy it was - its size in
 * generic terms, with the option that sets it in the common pool libraries.
 */
function unmappedFinding(env: string, u: UnmappedPool): Finding {
  let sizing = '';
  const f = u.figures;
  if (u.validity && !u.validity.valid) {
    sizing = ` No size from these figures: ${u.validity.reasons.join('; ')}.`;
  } else if (f && f.meanBusy > 0) {
    const need = smallestNoWait(f.meanBusy);
    if (need !== null) {
      const now = f.maxConnections !== null ? ` (now ${f.maxConnections})` : '';
      if (f.openHeld) {
        // Open the whole window: a fixed pool's size, no need. From the busy count alone, with what that rests on.
        const size = Math.max(need + f.reserved, (f.busyMax ?? 0) + f.reserved, WORKING_POOL_MIN);
        sizing = ` It kept ${f.openMax} open the whole window (a fixed pool, or one that never closes idle connections), so its open count is its size, not its need. At its mean of ${formatNum(f.meanBusy, 2)} busy${f.busyMax !== undefined ? ` (at most ${f.busyMax} at once)` : ''}, a pool size of ${size}${now} keeps P(wait) under 1%; ${BUSY_ONLY_ASSUMPTION}. The size is ${GENERIC_SIZE_OPTIONS}; a fixed pool keeps its minimum equal to it.`;
      } else {
        const size = Math.max(need + f.reserved, f.openMax, WORKING_POOL_MIN);
        sizing = ` At its mean of ${formatNum(f.meanBusy, 2)} busy, a pool size of ${size}${now} keeps P(wait) under 1% and is not below the ${f.openMax} seen at once; the size is ${GENERIC_SIZE_OPTIONS}.`;
      }
    }
  }
  return { env, pool: null, kind: 'unmapped-pool', severity: 'info', message: `'${u.label}'${u.replica ? ` (${u.replica})` : ''} is not a Tasker pool, so no key is advised for it: ${u.reason}.${sizing}`, evidence: [] };
}

/** Where the common pool libraries set a pool's size. */
export const GENERIC_SIZE_OPTIONS = "sqlx's max_connections, HikariCP's maximumPoolSize, Go database/sql's SetMaxOpenConns, node-postgres's max, psycopg_pool's max_size, pgxpool's pool_max_conns";

/** What calling a pool healthy reads: its waits, its occupancy and its failures. */
const HEALTHY_NEEDS = ['wait', 'occupancy', 'failures'] as const;

/** The parts a pool's analysis had. */
function seenParts(p: PoolAnalysis): readonly (typeof EVIDENCE_PARTS)[number][] {
  return p.coverage ? EVIDENCE_PARTS.filter((x) => !p.coverage!.unseen.includes(x)) : EVIDENCE_PARTS;
}

/** Run every rule over an analysed run. */
export function recommendRun(analysis: RunAnalysis, advisor: AdvisorConfig, source: BudgetSource | null = analysis.server ? { kind: 'run', server: analysis.server } : null): Advice {
  return { createdAt: analysis.createdAt, environments: analysis.environments.map((e) => recommendEnvironment(e, advisor, source)) };
}

/** Analyse evidence (a measured run or an observation) and recommend: what `analyze` and `recommend --from` both print. */
export function adviseEvidence(file: EvidenceFile, advisor: AdvisorConfig): { analysis: RunAnalysis; advice: Advice } {
  const analysis = analyzeEvidence(file, advisor);
  return { analysis, advice: recommendRun(analysis, advisor, file) };
}
