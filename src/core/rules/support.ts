/** Small helpers the rules share: evidence items, rounding, the current value of a setting, confidence. */
import { CONFIDENCE_LEVELS } from '../advisor/defaults.js';
import type { EnvironmentAnalysis, PoolAnalysis } from '../analysis/analyze.js';
import type { SettingKey } from '../config/pools.js';
import type { EvidenceSourceKind } from '../evidence/types.js';
import type { Confidence, EvidenceItem, PoolRuleContext, Unit } from './types.js';

/** An evidence item. */
export function ev(name: string, label: string, value: EvidenceItem['value'], unit?: Unit): EvidenceItem {
  return unit ? { name, label, value, unit } : { name, label, value };
}

/** Round up to a multiple of `step`. */
export function roundUpTo(x: number, step: number): number {
  return Math.ceil(x / step - 1e-9) * step;
}

/** The value a setting has after the rules that ran before (normalised). */
export function currentValue(ctx: PoolRuleContext, setting: SettingKey): number {
  return ctx.proposed.get(setting)?.to ?? ctx.pool.settings[setting];
}

const ORDER: Confidence[] = ['low', 'medium', 'high'];

/**
 * The most a source's evidence can support: a measured run sees every acquire; the server's view
 * sees busy backends (a lower bound of checked out) between samples; Prometheus sees what the
 * service exports, at scrape resolution; Tasker's health endpoint sees gauges at one instant.
 */
export const SOURCE_CONFIDENCE: Readonly<Record<EvidenceSourceKind, Confidence>> = {
  'measured-run': 'high',
  'server-sampling': 'medium',
  prometheus: 'medium',
  'tasker-health': 'low',
};

/** The lower of two confidences. */
export function lowerConfidence(a: Confidence, b: Confidence | undefined): Confidence {
  if (!b) return a;
  return ORDER[Math.min(ORDER.indexOf(a), ORDER.indexOf(b))]!;
}

/**
 * Confidence from the sample count and the run length (CONFIDENCE_LEVELS); at most medium for
 * an interrupted run, low when the generator fell behind its schedule.
 */
export function confidenceFor(pool: PoolAnalysis, env: EnvironmentAnalysis): Confidence {
  const { high, medium } = CONFIDENCE_LEVELS;
  const samples = pool.coverage?.samples ?? pool.acquires;
  let c: Confidence = samples >= high.samples && pool.durationS >= high.seconds ? 'high' : samples >= medium.samples && pool.durationS >= medium.seconds ? 'medium' : 'low';
  if (env.interrupted) c = lowerConfidence(c, 'medium');
  if (pool.generator?.behind) c = 'low';
  if (pool.coverage) c = lowerConfidence(c, SOURCE_CONFIDENCE[pool.coverage.source.kind]);
  return c;
}
