/**
 * From CI thresholds (or, when there are none, Tasker's own alert table) to the rules of one
 * metric family: recording rules for every figure the alerts read (plus the ones `observe
 * --prometheus` will), alerting rules that fire when a threshold no longer holds, and, for every
 * threshold the family cannot say, the reason. Pure: the caller parses the thresholds (with the
 * threshold parser) and renders the result.
 */
import type { PoolName } from '../config/pools.js';
import { formatThreshold, type MetricName, type Operator, type Threshold } from '../thresholds/parse.js';
import { FAMILIES, isUnexpressible, type Family, type FamilyName } from './families.js';
import { OPEN_WARN_SHARE } from '../rules/connectionBudget.js';
import { describeFigure, figureExpr, figureUnit, promDuration, promNumber, recordName, type Figure } from './figures.js';

/** An alert's severity label. */
export type Severity = 'warning' | 'critical';

/** A recording rule. */
export interface RecordingRule {
  record: string;
  expr: string;
}

/** An alerting rule, ready to render. */
export interface AlertRule {
  alert: string;
  expr: string;
  /** Seconds the condition must hold before the alert fires; 0 fires at the first evaluation. */
  forS: number;
  severity: Severity;
  annotations: { summary: string; description: string; fix: string; threshold: string };
  /** The figure it reads, the pool it is about, and the firing comparison (for tests and docs). */
  figure: Figure;
  pool: PoolName | '*';
  operator: Operator;
  /** The limit as compared in `expr`: in the figure's unit, times the window for a `count`. */
  limit: number;
  /** Whether `expr` compares the count over the window (the rate times the window's seconds). */
  count: boolean;
}

/** A threshold (or default alert) the family cannot express, and why. */
export interface NotExpressed {
  what: string;
  reason: string;
}

/** Everything `alerts` writes for one family. */
export interface RulesPlan {
  /** The family's `--family` name. */
  family: string;
  /** The family's title, for the rules file. */
  title: string;
  /** Whether the alerts are Tasker's default set (the config had no thresholds). */
  defaults: boolean;
  recording: RecordingRule[];
  alerts: AlertRule[];
  notExpressed: NotExpressed[];
  /** Alerts written that cover only part of what was asked, and what they leave out. */
  partial: NotExpressed[];
  /** Things a reader of the file should check (how named pools are matched). */
  notes: string[];
  /** The live connection budget: open connections across the fleet against the server's limit. */
  budget?: BudgetAlert;
}

/** The live-budget alert (its own group). */
export interface BudgetAlert {
  alert: string;
  expr: string;
  forS: number;
  severity: Severity;
  annotations: { summary: string; description: string; fix: string; threshold: string };
  /** What it reads: the family's gauges, else postgres_exporter's pg_stat_activity_count. */
  open: string;
  /** The server's limit: postgres_exporter's pg_settings where scraped, else the topology's constant. */
  limit: string;
}

/** Options of {@link planAlerts}. */
export interface PlanOptions {
  /** A built-in family's name, or the family (a `[[prometheus.families]]` one, through familyNamed). */
  family: FamilyName | Family;
  /** Parsed thresholds; none means Tasker's default set. */
  thresholds: readonly Threshold[];
  /** Replaces every window (the range of rates and `_over_time`), seconds. */
  windowS?: number;
  /** Replaces every alert's `for`, seconds. */
  forS?: number;
  /** `max_connections` per pool from the service's config, for families that export no maximum. */
  maxConnections?: ReadonlyMap<PoolName, number>;
  /** The pool label's value for a pool, when the service names its pools differently (`--pool-name`). */
  poolNames?: ReadonlyMap<PoolName, string>;
  /** Write the live-budget alert; `allowed` is what the topology's server lets pools open, the limit where postgres_exporter is not scraped. */
  budget?: { allowed?: number };
}

/** The window thresholds are judged over in production when `--window` is not given, seconds. */
export const DEFAULT_WINDOW_S = 300;
/** How long a latency, ratio or gauge threshold must be breached before its alert fires, seconds. */
export const DEFAULT_FOR_S = 300;

const NEGATE: Record<Operator, Operator> = { '<': '>=', '<=': '>', '>': '<=', '>=': '<', '==': '!=', '!=': '==' };

const FIX: Record<MetricName | 'failures', string> = {
  acquire: 'the pool is too small for its load, or connections are held too long: raise max_connections (size it with `pool-advisor analyze`, or `pool-advisor recommend --from` a saved run) if the server has room, or shorten the work done while a connection is held',
  hold: 'connections are held longer than the gate allows: find the slow queries or long transactions (pg_stat_activity, pg_stat_statements), and release the connection before slow non-database work',
  create: 'opening a connection is slow: check the network path, TLS and authentication to the server (and any proxy in between); keep min_connections open so that fewer acquires open one',
  timeouts: 'acquires give up after acquire_timeout_seconds: the pool is exhausted; raise max_connections if the server has room, or shorten holds (a longer timeout only hides it)',
  expired: 'connections reach max_lifetime_seconds and are reopened often: raise max_lifetime_seconds (Tasker allows up to 86400)',
  idle_closed: 'idle connections are closed and soon reopened: raise idle_timeout_seconds, or min_connections to keep a floor open',
  created: 'connections are opened often: keep more open (min_connections) and for longer (idle_timeout_seconds, max_lifetime_seconds)',
  errors: 'acquires fail: check that the server accepts connections (its max_connections, pg_hba.conf, credentials) and read the service log',
  failures: 'acquires fail or time out: the pool is exhausted or the server refuses connections; raise max_connections if the server has room, shorten holds, and read the service log',
  slow: 'acquires wait longer than slow_acquire_threshold_ms: the pool is too small for its load or connections are held too long; raise max_connections (size it with `pool-advisor analyze`) or shorten holds',
  waited: 'acquires often find no idle connection: raise max_connections or min_connections (size it with `pool-advisor analyze`)',
  slow_share: 'acquires wait longer than slow_acquire_threshold_ms: the pool is too small for its load or connections are held too long; raise max_connections (size it with `pool-advisor analyze`) or shorten holds',
  in_use: 'the number of connections in use is outside the gate: resize max_connections to the load (`pool-advisor analyze`), or look for connections held too long',
  idle: 'the number of idle connections is outside the gate: adjust min_connections and idle_timeout_seconds',
  waiting: 'callers queue for a connection: raise max_connections if the server has room (`pool-advisor analyze` sizes it), or shorten holds',
  utilization: 'the pool runs close to full: raise max_connections if the server has room (`pool-advisor analyze` sizes it), or shorten holds',
};

const TITLE: Record<MetricName | 'failures', string> = {
  acquire: 'AcquireWait',
  hold: 'HoldTime',
  create: 'ConnectionCreateTime',
  timeouts: 'AcquireTimeouts',
  expired: 'ConnectionsExpired',
  idle_closed: 'ConnectionsIdleClosed',
  created: 'ConnectionsCreated',
  errors: 'AcquireErrors',
  failures: 'AcquireFailures',
  slow: 'SlowAcquires',
  waited: 'WaitedShare',
  slow_share: 'SlowAcquireShare',
  in_use: 'ConnectionsInUse',
  idle: 'ConnectionsIdle',
  waiting: 'PendingAcquires',
  utilization: 'Utilization',
};

/** `orchestration_web` -> `OrchestrationWeb`. */
function camel(s: string): string {
  return s
    .split(/[_.]/)
    .map((w) => (w ? w[0]!.toUpperCase() + w.slice(1) : ''))
    .join('');
}

/** The figure a threshold reads, over the window. */
function figureOf(t: Threshold, window: number): Figure {
  const a = t.aggregation;
  switch (t.kind) {
    case 'latency':
      return { kind: 'latency', metric: t.metric as 'acquire', agg: a.name === 'p' ? { name: 'p', q: a.percentile! } : { name: a.name as 'avg' }, window };
    case 'counter':
      return { kind: 'counter', metric: t.metric as 'timeouts', window };
    case 'ratio':
      return { kind: 'ratio', metric: t.metric as 'waited', window };
    case 'gauge':
      return { kind: 'gauge', metric: t.metric as 'in_use', agg: a.name === 'p' ? { name: 'p', q: a.percentile! } : { name: a.name as 'mean' }, window };
  }
}

/** A threshold's limit in the figure's unit (latency limits are µs in the threshold, seconds here). */
function limitOf(t: Threshold): number {
  return t.unit === 'us' ? t.limit / 1e6 : t.limit;
}

/** The Go template that prints an alert's value in its unit. */
function valueTemplate(f: Figure, count: boolean): string {
  if (count) return '{{ $value | printf "%.0f" }}';
  switch (figureUnit(f)) {
    case 'seconds':
      return '{{ $value | humanizeDuration }}';
    case 'fraction':
      return '{{ $value | humanizePercentage }}';
    case 'per_second':
      return '{{ $value | printf "%.3g" }}/s';
    case 'connections':
      return '{{ $value | printf "%.1f" }}';
  }
}

/** What one alert asks for, before the family decides whether it can say it. */
interface AlertSpec {
  name: string;
  pool: PoolName | '*';
  figure: Figure;
  /** The firing comparison. */
  operator: Operator;
  limit: number;
  count: boolean;
  forS: number;
  severity: Severity;
  /** What the alert stands for: a threshold's canonical text, or a row of Tasker's table. */
  what: string;
  fixKey: MetricName | 'failures';
}

/** The alert of one threshold: fires when the threshold no longer holds. */
function thresholdSpec(t: Threshold, opts: PlanOptions): AlertSpec {
  const window = opts.windowS ?? DEFAULT_WINDOW_S;
  const figure = figureOf(t, window);
  const count = t.kind === 'counter' && t.aggregation.name === 'count';
  const aggTitle = t.aggregation.name === 'p' ? `P${promNumber(t.aggregation.percentile!).replace('.', '_')}` : { avg: 'Mean', min: 'Min', max: 'Max', count: '', rate: t.kind === 'counter' ? 'Rate' : '', value: '', mean: 'Mean' }[t.aggregation.name];
  return {
    name: `${t.pool === '*' ? '' : camel(t.pool)}Pool${TITLE[t.metric]}${aggTitle}`,
    pool: t.pool,
    figure,
    operator: NEGATE[t.operator],
    limit: count ? t.limit : limitOf(t),
    count,
    // Events are counted over the whole window already: any breach of a count or rate fires at once.
    forS: opts.forS ?? (t.kind === 'counter' ? 0 : DEFAULT_FOR_S),
    severity: 'critical',
    what: formatThreshold(t),
    fixKey: t.metric,
  };
}

/**
 * Tasker's alert table (docs/operations/connection-pool-tuning.md in tasker-core): utilisation
 * above 80% for 5 minutes (warning) and above 95% for 1 minute (critical); slow acquires above 5%
 * of acquires over 5 minutes, 20% over 1 minute; any failed acquire in 5 minutes, more than 10 in 1
 * minute; mean acquire time above 50 ms, 200 ms. Utilisation is the mean over the last minute (a
 * single reading of a busy pool flips between empty and full), held for the table's duration.
 */
function defaultSpecs(opts: PlanOptions): AlertSpec[] {
  const w = (s: number) => opts.windowS ?? s;
  const f = (s: number) => opts.forS ?? s;
  const util = (window: number): Figure => ({ kind: 'gauge', metric: 'utilization', agg: { name: 'mean' }, window: w(window) });
  const slow = (window: number): Figure => ({ kind: 'ratio', metric: 'slow_share', window: w(window) });
  const failures = (window: number): Figure => ({ kind: 'counter', metric: 'failures', window: w(window) });
  const wait = (window: number): Figure => ({ kind: 'latency', metric: 'acquire', agg: { name: 'avg' }, window: w(window) });
  const spec = (name: string, severity: Severity, figure: Figure, limit: number, forS: number, what: string, fixKey: AlertSpec['fixKey'], count = false): AlertSpec => ({
    name,
    pool: '*',
    figure,
    operator: '>',
    limit,
    count,
    forS: f(forS),
    severity,
    what: `Tasker's alert table: ${what} (${severity})`,
    fixKey,
  });
  return [
    spec('PoolUtilizationHigh', 'warning', util(60), 0.8, 300, 'pool utilization > 80% for 5 min', 'utilization'),
    spec('PoolUtilizationHigh', 'critical', util(60), 0.95, 60, 'pool utilization > 95% for 1 min', 'utilization'),
    spec('PoolSlowAcquires', 'warning', slow(300), 0.05, 0, 'slow acquires > 5% of acquires over 5 min', 'slow_share'),
    spec('PoolSlowAcquires', 'critical', slow(60), 0.2, 0, 'slow acquires > 20% of acquires over 1 min', 'slow_share'),
    spec('PoolAcquireFailures', 'warning', failures(300), 0, 0, 'acquire errors or timeouts > 0 in 5 min', 'failures', true),
    spec('PoolAcquireFailures', 'critical', failures(60), 10, 0, 'acquire errors or timeouts > 10 in 1 min', 'failures', true),
    spec('PoolAcquireWaitHigh', 'warning', wait(300), 0.05, 0, 'average acquire time > 50 ms', 'acquire'),
    spec('PoolAcquireWaitHigh', 'critical', wait(60), 0.2, 0, 'average acquire time > 200 ms', 'acquire'),
  ];
}

/** A PromQL string literal. */
function promString(s: string): string {
  return JSON.stringify(s);
}

/** The figures `observe --prometheus` reads: recorded whenever the family has them. */
function observeFigures(window: number): Figure[] {
  return [
    { kind: 'acquires', window },
    { kind: 'latency', metric: 'acquire', agg: { name: 'avg' }, window },
    ...[50, 95, 99].map((q): Figure => ({ kind: 'latency', metric: 'acquire', agg: { name: 'p', q }, window })),
    { kind: 'gauge', metric: 'in_use', agg: { name: 'mean' }, window },
    { kind: 'gauge', metric: 'utilization', agg: { name: 'mean' }, window },
  ];
}

/** Plan the rules of one family: see the module comment. */
export function planAlerts(opts: PlanOptions): RulesPlan {
  const fam: Family = typeof opts.family === 'string' ? FAMILIES.get(opts.family)! : opts.family;
  const defaults = opts.thresholds.length === 0;
  const specs = defaults ? defaultSpecs(opts) : opts.thresholds.map((t) => thresholdSpec(t, opts));
  const recording = new Map<string, RecordingRule>();
  const poolValue = (pool: PoolName): string | { reason: string } => opts.poolNames?.get(pool) ?? fam.poolValue(pool);
  const maxByLabel = new Map<string, number>();
  for (const [pool, n] of opts.maxConnections ?? []) {
    const v = poolValue(pool);
    if (!isUnexpressible(v)) maxByLabel.set(v, n);
  }
  const needsConfigMax = isUnexpressible(fam.gauges.max) && maxByLabel.size > 0;
  const record = (f: Figure): string | { reason: string } => {
    const expr = figureExpr(f, fam, { maxConnections: maxByLabel });
    if (isUnexpressible(expr)) return expr;
    const name = recordName(f);
    if (!recording.has(name)) recording.set(name, { record: name, expr });
    return name;
  };
  const alerts: AlertRule[] = [];
  const notExpressed: NotExpressed[] = [];
  const partial: NotExpressed[] = [];
  const used = new Map<string, number>();
  for (const s of specs) {
    let label: string | undefined;
    if (s.pool !== '*') {
      const v = poolValue(s.pool);
      if (isUnexpressible(v)) {
        notExpressed.push({ what: s.what, reason: v.reason });
        continue;
      }
      if (needsConfigMax && s.figure.kind === 'gauge' && s.figure.metric === 'utilization' && !maxByLabel.has(v)) {
        notExpressed.push({ what: s.what, reason: `the config gives no max_connections for '${s.pool}' in that environment (Tasker builds no pool of its own for it there)` });
        continue;
      }
      label = v;
    }
    const rec = record(s.figure);
    if (typeof rec !== 'string') {
      notExpressed.push({ what: s.what, reason: rec.reason });
      continue;
    }
    const selector = label === undefined ? rec : `${rec}{${fam.poolLabel}=${promString(label)}}`;
    const seconds = s.figure.window;
    const value = s.count ? `${selector} * ${seconds}` : selector;
    // increase() is extrapolated, so an exact count is compared after rounding.
    const lhs = s.count && (s.operator === '==' || s.operator === '!=') && s.limit !== 0 ? `round(${value})` : value;
    const key = `${s.name}/${s.severity}`;
    const n = (used.get(key) ?? 0) + 1;
    used.set(key, n);
    const name = n === 1 ? s.name : `${s.name}_${n}`;
    const caveat = s.figure.kind === 'counter' && s.figure.metric === 'failures' ? fam.failuresCaveat : undefined;
    if (caveat) partial.push({ what: s.what, reason: caveat });
    const what = s.count ? describeFigure(s.figure).replace(/ over /, ' in the last ') : describeFigure(s.figure);
    const pool = `{{ $labels.${fam.poolLabel} }}`;
    alerts.push({
      alert: name,
      expr: `${lhs} ${s.operator} ${promNumber(s.limit)}`,
      forS: s.forS,
      severity: s.severity,
      annotations: {
        summary: `Pool ${pool} on {{ $labels.instance }}: ${what} is ${valueTemplate(s.figure, s.count)}`,
        description: `The ${what} of pool ${pool} on {{ $labels.instance }} breaks ${s.what}${s.forS > 0 && !defaults ? `, for ${promDuration(s.forS)}` : ''}.${caveat ? ` This alert ${caveat}.` : ''}`,
        fix: FIX[s.fixKey],
        threshold: s.what,
      },
      figure: s.figure,
      pool: s.pool,
      operator: s.operator,
      limit: s.limit,
      count: s.count,
    });
  }
  for (const f of observeFigures(opts.windowS ?? DEFAULT_WINDOW_S)) record(f);
  // pool-advisor's and Tasker's own metrics use these pool names; any other service names its pools itself.
  const named = [...new Set(alerts.map((a) => a.pool).filter((p): p is PoolName => p !== '*' && !opts.poolNames?.has(p)))];
  const notes =
    named.length > 0 && fam.name !== 'pool-advisor' && fam.name !== 'tasker'
      ? [`Alerts on named pools match ${named.map((p) => `${fam.poolLabel}="${p}"`).join(', ')}; if the service names its pools otherwise, pass --pool-name ${named[0]}=ITS_NAME (or use * in the threshold).`]
      : [];
  return { family: fam.name, title: fam.title, defaults, recording: [...recording.values()], alerts, notExpressed, partial, notes, ...(opts.budget ? { budget: liveBudgetAlert(fam, opts.budget.allowed, opts.forS ?? DEFAULT_FOR_S) } : {}) };
}

/**
 * The live connection budget (docs/tuning.md, "The connection budget"): the connections open
 * across the fleet - the family's in-use plus idle gauges summed over every replica and pool, or
 * postgres_exporter's `pg_stat_activity_count` where the family has no such gauges or is not
 * scraped - against the server's max_connections less its reserved slots (postgres_exporter's
 * `pg_settings_*` where scraped, else `allowed`, the topology's figure), firing at
 * {@link OPEN_WARN_SHARE} of it. Without either limit the alert never fires.
 */
export function liveBudgetAlert(fam: Family, allowed: number | undefined, forS: number): BudgetAlert {
  const { in_use: inUse, idle } = fam.gauges;
  const exporter = 'sum(pg_stat_activity_count)';
  const open = isUnexpressible(inUse) || isUnexpressible(idle) ? exporter : `((sum(${inUse}) + sum(${idle})) or on() ${exporter})`;
  const scraped = '(max(pg_settings_max_connections) - (max(pg_settings_superuser_reserved_connections) or on() vector(0)) - (max(pg_settings_reserved_connections) or on() vector(0)))';
  const limit = allowed !== undefined ? `(${scraped} or on() vector(${promNumber(allowed)}))` : scraped;
  const share = promNumber(OPEN_WARN_SHARE);
  return {
    alert: 'PoolConnectionBudget',
    expr: `${open} > on() ${share} * ${limit}`,
    forS,
    severity: 'warning',
    annotations: {
      summary: 'Connections open across the fleet are {{ $value }}, over ' + `${OPEN_WARN_SHARE * 100}% of what the server gives`,
      description: `The pools of every replica hold more than ${OPEN_WARN_SHARE * 100}% of the server's max_connections less its reserved slots${allowed !== undefined ? ` (${allowed} from the advisor config's topology where postgres_exporter's pg_settings is not scraped)` : ''}; a scale-out or a rolling deploy's surge can exhaust it.`,
      fix: "Lower the pools' max_connections or the replicas, add PgBouncer, or raise the server's max_connections; pool-advisor check shows each layer of the budget.",
      threshold: `open connections < ${OPEN_WARN_SHARE * 100}% of the server's limit`,
    },
    open,
    limit,
  };
}
