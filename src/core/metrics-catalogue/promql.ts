/**
 * The one PromQL builder over the catalogue of families ({@link ./families.ts}): selectors of a
 * family's series (with its pool label and its other label spellings), functions over a range,
 * and a time metric read under every name it may have, scaled to seconds. `fleet` and `observe
 * --prometheus` (core/fleet/plan.ts) and `alerts` (core/alerts/figures.ts) write their queries
 * with it, so a metric name is typed once, in the catalogue. Pure.
 */
import { withoutBinaryNoise } from '../units.js';
import { SECONDS_PER, type FamilyDef, type Selector, type TimeUnit } from './families.js';

/** A PromQL string literal. */
export function quote(v: string): string {
  return JSON.stringify(v);
}

/** A number as PromQL writes it, without binary noise from unit conversion. */
export function promNumber(n: number): string {
  return String(withoutBinaryNoise(n));
}

/** A number of seconds as a Prometheus duration (`300` -> `5m`, `90` -> `90s`). */
export function promDuration(seconds: number): string {
  if (seconds > 0 && seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds > 0 && seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** `metric` or `metric{k="v",...}`: a selector as written, with the label values it must have. */
export function plainSelector(sel: Selector): string {
  return sel.match && sel.match.length > 0 ? `${sel.metric}{${sel.match.map(([k, v]) => `${k}=${quote(v)}`).join(',')}}` : sel.metric;
}

/** `metric{pool!="",k="v"}`: the family's pool label must be set, so families sharing a name stay apart. */
export function selectorText(sel: Selector, poolLabel: string, extra: ReadonlyArray<readonly [string, string]> = []): string {
  const matchers = [`${poolLabel}!=""`, ...[...(sel.match ?? []), ...extra].map(([k, v]) => `${k}=${quote(v)}`)];
  return `${sel.metric}{${matchers.join(',')}}`;
}

/** `fn(selector[range])`: a function over a range vector (`rate`, `increase`, `avg_over_time`, ...). */
export function overRange(fn: string, selector: string, range: string): string {
  return `${fn}(${selector}[${range}])`;
}

/** An expression in seconds from one in `unit` (unchanged in seconds). */
export function inSeconds(expr: string, unit: TimeUnit): string {
  const s = SECONDS_PER[unit];
  return s === 1 ? expr : `${expr} * ${promNumber(s)}`;
}

/** One name of a time metric and its unit (a catalogue candidate, or a name found on a server). */
export interface TimeName {
  base: string;
  unit: TimeUnit;
}

/**
 * An expression over every name a time metric may have, each scaled to seconds when `scaled`
 * (sums and quantiles; counts are not), joined with `or`: the first name a series has wins, so a
 * service exposing two of them is read once. One name gives the expression alone.
 */
export function eachName(names: readonly TimeName[], build: (base: string) => string, scaled: boolean): string {
  return names.map((n) => (scaled ? inSeconds(build(n.base), n.unit) : build(n.base))).join(' or ');
}

/** An operand of `/`, `-` or `*`: parenthesised when it is an `or` of several names. */
export function operand(expr: string): string {
  return expr.includes(' or ') ? `(${expr})` : expr;
}

/**
 * `inner(selector)` for each spelling of the family's labels, joined with `or` (one query still):
 * the selector of the family's own spelling first, then each other's with its labels renamed.
 */
export function spelled(def: FamilyDef, sel: Selector, inner: (selector: string) => string, extra: ReadonlyArray<readonly [string, string]> = [], ctx?: { by: readonly string[]; range: string }): string {
  const out = [inner(selectorText(sel, def.poolLabel, extra))];
  for (const r of def.labelSpellings ?? []) {
    const rn = (k: string) => r[k] ?? k;
    const renamed: Selector = { metric: sel.metric, ...(sel.match ? { match: sel.match.map(([k, v]) => [rn(k), v] as const) } : {}) };
    const text = inner(selectorText(renamed, rn(def.poolLabel), extra.map(([k, v]) => [rn(k), v] as const)));
    // Another family may use this spelling for the same names (pool-advisor's own pool_name on the
    // time metrics OpenTelemetry's share): only series of a pool and replica that has the family's
    // signature in this spelling are this family's.
    const sig = def.signature[0];
    if (def.anchorOnSignature && ctx && sig && sel.metric !== sig) {
      const on = ctx.by.filter((l) => l !== 'le').map(rn);
      out.push(`(${text} and on (${[...new Set(on)].join(', ')}) count_over_time(${selectorText({ metric: sig }, rn(def.poolLabel))}[${ctx.range}]))`);
    } else out.push(text);
  }
  return out.join(' or ');
}
