/**
 * CI thresholds: the grammar, the metrics and what each supports, and the parser. Parsing and
 * validation happen before any run or connection; evaluation against a run is a separate step
 * (evaluate.ts). Pure: no I/O.
 *
 * Grammar (whitespace is allowed between any two tokens; names are case-sensitive):
 *
 * ```
 * threshold   = pool "." metric ":" expression
 * pool        = "database" | "pgmq" | "orchestration_web" | "worker_web" | "*"
 * metric      = latency | counter | ratio | gauge
 * latency     = "acquire" | "hold" | "create"
 * counter     = "timeouts" | "expired" | "idle_closed" | "created" | "errors" | "slow"
 * ratio       = "waited" | "slow_share"
 * gauge       = "in_use" | "idle" | "waiting" | "utilization"
 * expression  = aggregation operator value
 * aggregation = "p(" number ")" | "avg" | "min" | "max" | "count" | "rate" | "value" | "mean"
 * operator    = "<" | "<=" | ">" | ">=" | "==" | "!="
 * value       = number [ unit ]
 * number      = digit+ [ "." digit+ ] | "." digit+
 * unit        = "us" | "µs" | "ms" | "s" | "%"
 * ```
 *
 * What each metric kind accepts (checked at parse time):
 *
 * | kind | aggregations | units | a bare number means |
 * |---|---|---|---|
 * | latency | p(N) (0 <= N <= 100), avg, min, max | us, µs, ms, s | milliseconds (as in k6) |
 * | counter | count, rate (per second) | none | a count, or events per second |
 * | ratio | rate | % | a fraction from 0 to 1 |
 * | gauge in_use, idle, waiting | value (at the end), mean, p(N), max | none | connections |
 * | gauge utilization | value, mean, p(N), max | % | a fraction from 0 to 1 |
 */
import { UsageError } from '../errors.js';
import { own } from '../dict.js';
import { POOL_NAMES, type PoolName } from '../config/pools.js';
import { suggest } from '../config/validate.js';
import { withoutBinaryNoise } from '../units.js';

/** How a metric is measured, which decides the aggregations and units it accepts. */
export type MetricKind = 'latency' | 'counter' | 'ratio' | 'gauge';

/** A metric a threshold can name. */
export type MetricName =
  | 'acquire'
  | 'hold'
  | 'create'
  | 'timeouts'
  | 'expired'
  | 'idle_closed'
  | 'created'
  | 'errors'
  | 'slow'
  | 'waited'
  | 'slow_share'
  | 'in_use'
  | 'idle'
  | 'waiting'
  | 'utilization';

/** An aggregation's name (`p` is the percentile, written `p(N)`). */
export type AggregationName = 'p' | 'avg' | 'min' | 'max' | 'count' | 'rate' | 'value' | 'mean';

/** An aggregation; `percentile` is set for `p(N)`. */
export interface Aggregation {
  name: AggregationName;
  percentile?: number;
}

/** A comparison operator. */
export type Operator = '<' | '<=' | '>' | '>=' | '==' | '!=';

/** A unit as written after a number. */
export type Unit = 'us' | 'µs' | 'ms' | 's' | '%';

/**
 * The unit a value has once converted: microseconds for latency, a count, events per second,
 * a fraction (0-1) for ratios and utilization, or a number of connections.
 */
export type BaseUnit = 'us' | 'count' | 'per_second' | 'fraction' | 'connections';

/** A metric: its kind, the aggregations it accepts, and a one-line description for docs and errors. */
export interface MetricDef {
  name: MetricName;
  kind: MetricKind;
  aggregations: readonly AggregationName[];
  description: string;
}

const LATENCY_AGGS: readonly AggregationName[] = ['p', 'avg', 'min', 'max'];
const COUNTER_AGGS: readonly AggregationName[] = ['count', 'rate'];
const RATIO_AGGS: readonly AggregationName[] = ['rate'];
const GAUGE_AGGS: readonly AggregationName[] = ['value', 'mean', 'p', 'max'];

/** Every metric, in the order docs and errors list them. */
export const METRICS: Readonly<Record<MetricName, MetricDef>> = {
  acquire: { name: 'acquire', kind: 'latency', aggregations: LATENCY_AGGS, description: 'acquire wait: time spent inside pool.connect(), timeouts included' },
  hold: { name: 'hold', kind: 'latency', aggregations: LATENCY_AGGS, description: 'hold time: from getting a connection to releasing it' },
  create: { name: 'create', kind: 'latency', aggregations: LATENCY_AGGS, description: 'time to open a new connection' },
  timeouts: { name: 'timeouts', kind: 'counter', aggregations: COUNTER_AGGS, description: 'acquires that timed out' },
  expired: { name: 'expired', kind: 'counter', aggregations: COUNTER_AGGS, description: 'connections closed at max lifetime' },
  idle_closed: { name: 'idle_closed', kind: 'counter', aggregations: COUNTER_AGGS, description: 'connections closed by the idle timeout' },
  created: { name: 'created', kind: 'counter', aggregations: COUNTER_AGGS, description: 'connections opened' },
  errors: { name: 'errors', kind: 'counter', aggregations: COUNTER_AGGS, description: 'acquires that failed other than by timeout' },
  slow: { name: 'slow', kind: 'counter', aggregations: COUNTER_AGGS, description: 'acquires slower than slow_acquire_threshold_ms' },
  waited: { name: 'waited', kind: 'ratio', aggregations: RATIO_AGGS, description: 'share of acquires that waited (not handed an idle connection)' },
  slow_share: { name: 'slow_share', kind: 'ratio', aggregations: RATIO_AGGS, description: 'share of acquires slower than slow_acquire_threshold_ms' },
  in_use: { name: 'in_use', kind: 'gauge', aggregations: GAUGE_AGGS, description: 'connections in use (time-weighted)' },
  idle: { name: 'idle', kind: 'gauge', aggregations: GAUGE_AGGS, description: 'idle connections (time-weighted)' },
  waiting: { name: 'waiting', kind: 'gauge', aggregations: GAUGE_AGGS, description: 'callers waiting for a connection (time-weighted)' },
  utilization: { name: 'utilization', kind: 'gauge', aggregations: GAUGE_AGGS, description: 'connections in use / max_connections (time-weighted)' },
};

/** All metric names, in order. */
export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

/** The operators, in the order errors list them. */
export const OPERATORS: readonly Operator[] = ['<', '<=', '>', '>=', '==', '!='];

/** The units, in the order errors list them. */
export const UNITS: readonly Unit[] = ['us', 'µs', 'ms', 's', '%'];

/** Microseconds per time unit; a bare latency number is milliseconds. */
const US_PER: Record<'us' | 'µs' | 'ms' | 's', number> = { us: 1, µs: 1, ms: 1_000, s: 1_000_000 };

/** The source of a threshold, for messages and annotations. */
export interface ThresholdSource {
  /** Shown before the message: `--threshold`, or `config/pool-advisor.toml`. */
  label: string;
  /** The file the threshold was written in, when it was. */
  file?: string;
  line?: number;
}

/** A parsed, validated threshold. */
export interface Threshold {
  /** The expression as written. */
  input: string;
  pool: PoolName | '*';
  metric: MetricName;
  kind: MetricKind;
  aggregation: Aggregation;
  operator: Operator;
  /** The limit converted to {@link unit}. */
  limit: number;
  /** The unit of {@link limit} and of the observed value. */
  unit: BaseUnit;
  /** The limit as written: the number's text and the unit ('' for a bare number). */
  written: { number: string; unit: Unit | '' };
  source?: ThresholdSource;
}

const EXAMPLE = 'database.acquire: p(99) < 50ms';
const HINT = 'see docs/thresholds.md for the grammar and every metric';

/** Whether a string is a metric name. */
export function isMetricName(s: string): s is MetricName {
  return Object.hasOwn(METRICS, s);
}

/** Spelling people reach for, mapped to the metric they mean. */
const METRIC_ALIASES: Readonly<Record<string, MetricName>> = {
  wait: 'acquire',
  acquire_wait: 'acquire',
  timeout: 'timeouts',
  error: 'errors',
  utilisation: 'utilization',
  util: 'utilization',
  inuse: 'in_use',
  'in-use': 'in_use',
  expiries: 'expired',
};

/** The unit a value of this metric and aggregation is compared in. */
export function baseUnitOf(metric: MetricName, agg: AggregationName): BaseUnit {
  const kind = METRICS[metric].kind;
  if (kind === 'latency') return 'us';
  if (kind === 'counter') return agg === 'rate' ? 'per_second' : 'count';
  if (kind === 'ratio' || metric === 'utilization') return 'fraction';
  return 'connections';
}

/** How an aggregation is written in docs and errors. */
export function aggregationLabel(a: AggregationName, kind: MetricKind): string {
  if (a === 'p') return 'p(N)';
  if (a === 'value') return 'value (at the end)';
  if (a === 'rate') return kind === 'counter' ? 'rate (per second)' : 'rate (a fraction)';
  return a;
}

/** What a metric supports, as one phrase: its aggregations and the values it accepts. */
export function supportsText(metric: MetricName): string {
  const def = METRICS[metric];
  const aggs = def.aggregations.map((a) => aggregationLabel(a, def.kind)).join(', ');
  let values: string;
  if (def.kind === 'latency') values = 'values in us, ms or s (a bare number is ms)';
  else if (def.kind === 'counter') values = 'bare numbers';
  else if (def.kind === 'ratio' || metric === 'utilization') values = 'a fraction (0.05) or a percentage (5%)';
  else values = 'bare numbers of connections';
  return `'${metric}' (${def.kind}) supports ${aggs}; ${values}`;
}

/** The canonical text of a threshold, with the pool given (for `*` expanded to a pool). */
export function formatThreshold(t: Threshold, pool: string = t.pool): string {
  return `${pool}.${t.metric}: ${formatAggregation(t.aggregation)} ${t.operator} ${t.written.number}${t.written.unit}`;
}

/** `p(99)`, `avg`... */
export function formatAggregation(a: Aggregation): string {
  return a.name === 'p' ? `p(${a.percentile})` : a.name;
}


/** Throws; typed so that the compiler narrows after a call. */
type Fail = (reason: string) => never;

const NUMBER = /^(\d+(?:\.\d+)?|\.\d+)/;
const AGGREGATION = /^([A-Za-z_][A-Za-z0-9_]*)(\s*\(\s*([^)]*?)\s*\))?/;
const OPERATOR = /^(<=|>=|==|!=|<|>)/;
const ALL_AGGS: readonly AggregationName[] = ['p', 'avg', 'min', 'max', 'count', 'rate', 'value', 'mean'];

/**
 * Parse and validate one threshold. Throws a {@link UsageError} (exit 2) that quotes the input,
 * gives the reason, and lists what the metric supports once the metric is known.
 */
export function parseThreshold(input: string, source?: ThresholdSource): Threshold {
  const prefix = `${source ? `${source.label}: ` : ''}threshold '${input}': `;
  const fail: Fail = (reason) => {
    throw new UsageError(prefix + reason, HINT);
  };
  const text = input.trim();
  if (text === '') fail(`empty; expected POOL.METRIC: EXPRESSION, e.g. '${EXAMPLE}'`);
  const colon = text.indexOf(':');
  if (colon < 0) fail(`no ':' after the metric; expected POOL.METRIC: EXPRESSION, e.g. '${EXAMPLE}'`);
  const name = text.slice(0, colon).trim();
  const expr = text.slice(colon + 1).trim();
  const dot = name.indexOf('.');
  if (dot < 0) {
    if ((POOL_NAMES as readonly string[]).includes(name) || name === '*') fail(`'${name}' names a pool but no metric; write POOL.METRIC, e.g. '${name}.acquire'`);
    const metricGuess = isMetricName(name) ? name : 'acquire';
    fail(`'${name}' is not POOL.METRIC; name the pool first, e.g. 'database.${metricGuess}' or '*.${metricGuess}'`);
  }
  const poolText = name.slice(0, dot).trim();
  const metricText = name.slice(dot + 1).trim();

  const poolChoices = [...POOL_NAMES, '*'];
  if (!poolChoices.includes(poolText)) {
    const guess = suggest(poolText, POOL_NAMES);
    fail(`unknown pool '${poolText}'${guess ? ` (did you mean '${guess}'?)` : ''}; pools: ${POOL_NAMES.join(', ')}, or * for every pool in the run`);
  }
  const pool = poolText as PoolName | '*';
  if (!isMetricName(metricText)) {
    const guess = own(METRIC_ALIASES, metricText) ?? suggest(metricText, METRIC_NAMES);
    fail(`unknown metric '${metricText}'${guess ? ` (did you mean '${guess}'?)` : ''}; metrics: ${METRIC_NAMES.join(', ')}`);
  }
  const metric = metricText as MetricName;
  const def = METRICS[metric];
  const failM: Fail = (reason) => fail(`${reason}; ${supportsText(metric)}`);

  if (expr === '') failM(`no expression after ':', e.g. '${name}: ${exampleExpr(metric)}'`);
  const am = AGGREGATION.exec(expr);
  if (!am) failM(`expected an aggregation first, got '${expr}'`);
  const aggText = am![1]!;
  const hasArg = am![2] !== undefined;
  const arg = am![3] ?? '';
  let aggregation: Aggregation;
  if (aggText === 'p') {
    if (!hasArg) failM(`'p' needs a percentile in parentheses, e.g. p(99)`);
    const n = NUMBER.exec(arg);
    const p = n && n[0] === arg ? Number(arg) : NaN;
    if (!(p >= 0 && p <= 100)) failM(`p(${arg}): the percentile must be a number from 0 to 100`);
    aggregation = { name: 'p', percentile: p };
  } else {
    if (/^p\d+(\.\d+)?$/.test(aggText)) failM(`write percentiles as p(N): '${aggText}' is not an aggregation, e.g. p(99) or p(99.9)`);
    if (!(ALL_AGGS as readonly string[]).includes(aggText)) failM(`unknown aggregation '${aggText}'`);
    if (hasArg) failM(`'${aggText}' takes no argument`);
    aggregation = { name: aggText as AggregationName };
  }
  const aggLabel = formatAggregation(aggregation);
  if (!def.aggregations.includes(aggregation.name)) failM(`'${metric}' has no aggregation '${aggLabel}'`);

  let rest = expr.slice(am![0].length).trimStart();
  const om = OPERATOR.exec(rest);
  if (!om) {
    const bad = /^[=<>!]+/.exec(rest);
    if (bad) failM(`unknown operator '${bad[0]}'; operators: ${OPERATORS.join(' ')}`);
    failM(`expected an operator (${OPERATORS.join(' ')}) after '${aggLabel}'${rest ? `, got '${rest}'` : ''}`);
  }
  const operator = om![1] as Operator;
  rest = rest.slice(operator.length).trimStart();
  const nm = NUMBER.exec(rest);
  if (!nm) failM(`expected a number after '${operator}'${rest ? `, got '${rest}'` : ''}`);
  const numberText = nm![1]!;
  const [, unitText = '', trailing = ''] = /^\s*(\S*?)(?:\s+(.*))?$/.exec(rest.slice(numberText.length)) ?? [];
  if (unitText !== '' && !(UNITS as readonly string[]).includes(unitText)) failM(`unknown unit '${unitText}'; units: ${UNITS.filter((u) => u !== 'µs').join(', ')}`);
  if (trailing !== '') failM(`unexpected '${trailing.trim()}' after '${numberText}${unitText}'`);
  const unit = unitText as Unit | '';
  const value = Number(numberText);
  const base = baseUnitOf(metric, aggregation.name);
  const limit = convert(value, unit, base, failM, `${aggLabel} ${operator} ${numberText}${unit}`, metric);
  return {
    input,
    pool,
    metric,
    kind: def.kind,
    aggregation,
    operator,
    limit,
    unit: base,
    written: { number: numberText, unit },
    ...(source ? { source } : {}),
  };
}

function exampleExpr(metric: MetricName): string {
  const kind = METRICS[metric].kind;
  if (kind === 'latency') return 'p(99) < 50ms';
  if (kind === 'counter') return 'count == 0';
  if (kind === 'ratio') return 'rate < 5%';
  return metric === 'utilization' ? 'p(95) < 80%' : 'max < 20';
}

/** Check the unit fits and convert the written value to the base unit. */
function convert(value: number, unit: Unit | '', base: BaseUnit, failM: Fail, written: string, metric: MetricName): number {
  switch (base) {
    case 'us':
      if (unit === '%') failM(`unit '%' does not fit a latency`);
      return withoutBinaryNoise(value * US_PER[unit === '' ? 'ms' : unit]);
    case 'fraction':
      if (unit === '%') {
        if (value > 100) failM(`${written}: a percentage is at most 100%`);
        return withoutBinaryNoise(value / 100);
      }
      if (unit !== '') failM(`unit '${unit}' does not fit ${metric === 'utilization' ? 'utilization' : 'a ratio'}`);
      if (value > 1) failM(`${written}: a bare number is a fraction from 0 to 1; write ${value}% for a percentage`);
      return value;
    case 'count':
    case 'per_second':
    case 'connections':
      if (unit !== '') failM(`unit '${unit}' does not fit ${base === 'connections' ? 'a number of connections' : base === 'count' ? 'a count' : 'a rate per second'}; write a bare number`);
      return value;
  }
}

/**
 * Parse a list of thresholds, dropping exact duplicates (same canonical text). Throws on the
 * first invalid one, so nothing runs with a threshold that cannot be evaluated.
 */
export function parseThresholds(inputs: ReadonlyArray<{ text: string; source?: ThresholdSource }>): Threshold[] {
  const out: Threshold[] = [];
  const seen = new Set<string>();
  for (const { text, source } of inputs) {
    const t = parseThreshold(text, source);
    const key = formatThreshold(t);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(t);
  }
  return out;
}
