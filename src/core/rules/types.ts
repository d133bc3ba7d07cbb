/**
 * What the tuning rules produce: recommendations (one TOML key of one pool, from a value to a
 * value, with the evidence and the reason) and findings (what a run showed that changes no key:
 * a healthy pool, inert settings, a connection budget that does not fit).
 */
import type { AdvisorConfig, RuleSettings } from '../advisor/types.js';
import type { EnvironmentAnalysis, PoolAnalysis } from '../analysis/analyze.js';
import type { PoolName, SettingKey } from '../config/pools.js';
import type { EvidencePart } from '../evidence/parts.js';
import type { EnvBudget } from '../budget/inputs.js';

/** The rules, by id. */
export type RuleId =
  | 'pool-saturation'
  | 'database-saturation'
  | 'lifetime-churn'
  | 'idle-surplus'
  | 'oversized'
  | 'acquire-timeout'
  | 'connection-budget'
  | 'slow-threshold'
  | 'inert-settings';

/** What a finding is about: a rule, or a fact about the run itself. */
export type FindingKind = RuleId | 'healthy' | 'generator-behind' | 'no-data' | 'invalid-run' | 'consistency' | 'invalid-evidence' | 'unmapped-pool' | 'sources-disagree' | 'proxy-pool';

/** How far to trust a recommendation: from the sample count and the run length. */
export type Confidence = 'low' | 'medium' | 'high';

/** The unit of an evidence value, so renderers can print it in the unit that reads best. */
export type Unit = 'us' | 'ms' | 's' | 'share' | 'per_s' | 'per_min' | 'connections' | 'count' | 'ratio';

/** One measured (or modelled) figure behind a recommendation. */
export interface EvidenceItem {
  /** Stable machine name, e.g. `waitP99`. */
  name: string;
  /** What it is, for people: `P99 acquire wait`. */
  label: string;
  value: number | string | boolean | null;
  unit?: Unit;
}

/** Change one TOML key of one pool. */
export interface Recommendation {
  env: string;
  pool: PoolName;
  /** TOML table where Tasker reads the key, e.g. `common.database.pool`. */
  table: string;
  /** The TOML key in that table, e.g. `max_connections` or `web_api_pool_size`. */
  key: string;
  /** The normalised setting the key feeds. */
  setting: SettingKey;
  /** Current value as written in TOML (null when no file sets it and no default is known). */
  from: number | null;
  /** Where the current value is written (null when it is an implicit default). */
  file: string | null;
  line: number | null;
  /** Recommended TOML value, inside Tasker's range for the key. */
  to: number;
  rule: RuleId;
  evidence: EvidenceItem[];
  /** One sentence of why. */
  rationale: string;
  confidence: Confidence;
  /** Set when the value was limited: by Tasker's range or by the connection budget. */
  limitedBy?: 'range' | 'budget';
}

/** Something a run showed that changes no key. */
export interface Finding {
  env: string;
  /** The pool it is about; null for the environment as a whole. */
  pool: PoolName | null;
  kind: FindingKind;
  severity: 'info' | 'warning' | 'error';
  message: string;
  evidence: EvidenceItem[];
  file?: string;
  line?: number;
  /** connection-budget: the fair split, per pool, of what the overflowing layer can give each replica. */
  split?: Array<{ pool: string; current: number; fair: number }>;
  /** connection-budget: the layer that overflows. */
  layer?: string;
  /** A rule that could not judge this pool: what it judges and the evidence parts it lacked. */
  cannotJudge?: { judges: string; missing: EvidencePart[] };
}

/** A setting change proposed by a pool rule, before it becomes a TOML key change. */
export interface Change {
  setting: SettingKey;
  /** The normalised value (sqlx's view: min is min, not web_api_pool_size). */
  to: number;
  evidence: EvidenceItem[];
  rationale: string;
  /** The rule's own ceiling on confidence (e.g. a projected rate is at most medium). */
  confidenceCap?: Confidence;
  limitedBy?: 'budget';
}

/** What a pool rule sees. */
export interface PoolRuleContext {
  env: EnvironmentAnalysis;
  pool: PoolAnalysis;
  advisor: AdvisorConfig;
  rules: RuleSettings;
  /** Target P99 acquire wait, ms. */
  targetMs: number;
  /** The connection budget, when a topology or the server's max_connections is known. */
  budget: EnvBudget | null;
  /** Settings already changed by earlier rules for this pool (normalised values). */
  proposed: ReadonlyMap<SettingKey, { to: number; rule: RuleId }>;
  /** The load generator fell behind its schedule: its late requests bunched up, so measured waits may be inflated and the demand understated. */
  generatorBehind: boolean;
}

/** What a pool rule returns. */
export interface PoolRuleOutcome {
  changes: Change[];
  findings: Finding[];
}

/** A rule that looks at one pool. */
export interface PoolRule {
  id: RuleId;
  scope: 'pool';
  /** The parts of the evidence it reads; with one missing it does not run, and says what it could not judge. */
  needs: readonly EvidencePart[];
  /** What it judges, for that finding: "whether acquires wait too often or too long". */
  judges: string;
  /** A second way to judge: when this holds the rule runs even with parts of `needs` missing (and must check them itself). */
  alsoRunsWhen?: (p: PoolAnalysis) => boolean;
  evaluate(ctx: PoolRuleContext): PoolRuleOutcome;
}

/** What an environment rule sees. */
export interface EnvironmentRuleContext {
  env: EnvironmentAnalysis;
  advisor: AdvisorConfig;
  budget: EnvBudget | null;
}

/** A rule that looks at the environment as a whole (it reads the config and the topology, which every source has). */
export interface EnvironmentRule {
  id: RuleId;
  scope: 'environment';
  evaluate(ctx: EnvironmentRuleContext): Finding[];
}

/** The advice for one environment. */
export interface EnvironmentAdvice {
  env: string;
  durationS: number;
  /** The advice is from a measured run (false: an observation); absent in advice built before it was recorded. */
  measured?: boolean;
  workloads: string[];
  recommendations: Recommendation[];
  findings: Finding[];
}

/** The advice for a whole run. */
export interface Advice {
  /** When the run was measured (the run file's createdAt). */
  createdAt: string;
  environments: EnvironmentAdvice[];
}
