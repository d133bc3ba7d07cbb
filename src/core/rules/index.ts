/**
 * The rule engine: runs every rule over an analysed run and turns their setting changes into
 * TOML key changes (key, current value with file and line, recommended value inside Tasker's
 * range, confidence). Pool rules run in a fixed order and see what earlier ones changed, so the
 * advice is consistent: database-saturation before pool-saturation (a database-bound pool never
 * gets "raise max"), pool-saturation before acquire-timeout and oversized, acquire-timeout before
 * slow-threshold. A pool no rule changes gets a `healthy` finding with the evidence.
 */
import type { AdvisorConfig } from '../advisor/types.js';
import { analyzeRun, type EnvironmentAnalysis, type PoolAnalysis, type RunAnalysis } from '../analysis/analyze.js';
import { formatNum, formatShare, formatUs } from '../analysis/format.js';
import { POOL_NAMES, SETTING_KEYS, fromSetting, keyDef, tomlKeyFor, type SettingKey } from '../config/pools.js';
import type { RunFile } from '../run/types.js';
import { acquireTimeout } from './acquireTimeout.js';
import { budgetFor } from './budget.js';
import { connectionBudget } from './connectionBudget.js';
import { databaseSaturation } from './databaseSaturation.js';
import { idleSurplus } from './idleSurplus.js';
import { inertSettings } from './inertSettings.js';
import { lifetimeChurn } from './lifetimeChurn.js';
import { oversized } from './oversized.js';
import { poolSaturation } from './poolSaturation.js';
import { slowThreshold } from './slowThreshold.js';
import { confidenceFor, ev, lowerConfidence } from './support.js';
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
  const from = typeof written?.value === 'number' ? written.value : fromSetting(p.pool, key, p.settings[c.setting]);
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

function healthy(p: PoolAnalysis): Finding {
  const exp = p.expiries.count > 0 ? `${formatNum(p.expiries.perMinute)} expiries/min` : `${formatNum(p.expiries.projectedPerMinute ?? 0)} expiries/min projected`;
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

/** Run every rule over one analysed environment. `server` is the run's server (for the budget). */
export function recommendEnvironment(env: EnvironmentAnalysis, advisor: AdvisorConfig, server: RunFile['server'] | null = null): EnvironmentAdvice {
  const budget = budgetFor(env, advisor, server);
  const recommendations: Recommendation[] = [];
  const findings: Finding[] = [];
  for (const rule of ENVIRONMENT_RULES) findings.push(...rule.evaluate({ env, advisor, budget }));
  const pools = [...env.pools].sort((a, b) => POOL_NAMES.indexOf(a.pool) - POOL_NAMES.indexOf(b.pool));
  for (const p of pools) {
    if (p.acquires === 0) {
      findings.push({ env: env.env, pool: p.pool, kind: 'no-data', severity: 'info', message: 'no acquires measured: nothing to judge', evidence: [] });
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
    for (const rule of POOL_RULES) {
      const out = rule.evaluate({ env, pool: p, advisor, rules: advisor.rules, targetMs: p.targetP99WaitMs, budget, proposed, generatorBehind: behind });
      poolFindings.push(...out.findings);
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
    // A lower max must not leave min above it (Tasker does not check; the pool could never hold min).
    const max = proposed.get('max_connections');
    if (max && !proposed.has('min_connections') && p.settings.min_connections > max.to) {
      const r = toKeyChange(
        env,
        p,
        max.rule,
        { setting: 'min_connections', to: max.to, evidence: [ev('max', 'recommended max_connections', max.to, 'connections')], rationale: `min_connections ${p.settings.min_connections} would be above the recommended max_connections ${max.to}.` },
        base,
      );
      if (r && isRecommendation(r)) poolRecs.push(r);
    }
    poolRecs.sort((a, b) => SETTING_KEYS.indexOf(a.setting) - SETTING_KEYS.indexOf(b.setting));
    recommendations.push(...poolRecs);
    // Healthy: nothing to change, nothing wrong, and the figures themselves within the target. A
    // generator that fell behind is flagged beside the pool; by itself it makes no pool unhealthy.
    const quiet = !poolFindings.some((f) => f.severity !== 'info' && f.kind !== 'generator-behind');
    if (poolRecs.length === 0 && quiet && p.meetsTarget && p.timeouts === 0) poolFindings.push(healthy(p));
    findings.push(...poolFindings);
  }
  return { env: env.env, durationS: env.durationS, workloads: env.workloads, recommendations, findings };
}

/** Run every rule over an analysed run. */
export function recommendRun(analysis: RunAnalysis, advisor: AdvisorConfig): Advice {
  return { createdAt: analysis.createdAt, environments: analysis.environments.map((e) => recommendEnvironment(e, advisor, analysis.server)) };
}

/** Analyse a run and recommend: what `analyze` and `recommend --from` both print. */
export function adviseRun(run: RunFile, advisor: AdvisorConfig): { analysis: RunAnalysis; advice: Advice } {
  const analysis = analyzeRun(run, advisor);
  return { analysis, advice: recommendRun(analysis, advisor) };
}
