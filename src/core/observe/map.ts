/**
 * `observe`'s grouping and mapping flags: `--group-by FIELD,...` and `--map 'SELECTOR=ENV.POOL'`,
 * parsed before any connection, and matched against the reconstructed groups. Pure.
 *
 * Grammar of `--map`:
 *   SELECTOR=ENV.POOL     SELECTOR is FIELD:VALUE[,FIELD:VALUE...] or a bare VALUE (an application_name);
 *                         FIELD is one of application_name|app, datname|db, usename|user, client_addr|addr.
 * A group matches when every FIELD:VALUE of the selector equals its own; the first matching --map wins.
 */
import { UsageError } from '../errors.js';
import { isPoolName, POOL_NAMES, type PoolName } from '../config/pools.js';
import { GROUP_FIELDS, type GroupField, type ObservedGroup } from './types.js';

const ALIASES: ReadonlyMap<string, GroupField> = new Map<string, GroupField>([
  ['application_name', 'application_name'],
  ['app', 'application_name'],
  ['datname', 'datname'],
  ['db', 'datname'],
  ['usename', 'usename'],
  ['user', 'usename'],
  ['client_addr', 'client_addr'],
  ['addr', 'client_addr'],
]);

/** A parsed `--map`. */
export interface MapRule {
  text: string;
  selector: Array<[GroupField, string]>;
  env: string;
  pool: PoolName;
}

function field(flag: string, v: string, name: string): GroupField {
  const f = ALIASES.get(name.trim().toLowerCase());
  if (!f) throw new UsageError(`${flag} '${v}': unknown field '${name}'`, `fields: ${GROUP_FIELDS.join(', ')} (or app, db, user, addr)`);
  return f;
}

/** `--group-by application_name,client_addr` (repeatable or comma-separated) -> fields. */
export function parseGroupBy(values: readonly string[] | undefined): GroupField[] {
  if (!values || values.length === 0) return [...GROUP_FIELDS];
  const out = new Set<GroupField>();
  for (const v of values) for (const part of v.split(',')) if (part.trim()) out.add(field('--group-by', v, part));
  if (out.size === 0) throw new UsageError('--group-by is empty', `write e.g. --group-by application_name,client_addr`);
  return GROUP_FIELDS.filter((f) => out.has(f));
}

/** Parse one `--map` against the environments of the loaded config and the grouping fields. */
export function parseMapFlag(v: string, envs: readonly string[], groupBy: readonly GroupField[]): MapRule {
  const fix = "write e.g. --map 'app:orders=production.database' or --map 'app:orders,db:shop=production.pgmq'";
  const eq = v.lastIndexOf('=');
  if (eq <= 0) throw new UsageError(`--map '${v}': expected SELECTOR=ENV.POOL`, fix);
  const sel = v.slice(0, eq).trim();
  const target = v.slice(eq + 1).trim();
  const dot = target.lastIndexOf('.');
  if (dot <= 0) throw new UsageError(`--map '${v}': '${target}' is not ENV.POOL`, fix);
  const env = target.slice(0, dot);
  const pool = target.slice(dot + 1);
  if (!envs.includes(env)) throw new UsageError(`--map '${v}': no environment '${env}' in the config`, `environments: ${envs.join(', ')}`);
  if (!isPoolName(pool)) throw new UsageError(`--map '${v}': unknown pool '${pool}'`, `pools: ${POOL_NAMES.join(', ')}`);
  const selector: Array<[GroupField, string]> = [];
  for (const part of sel.split(',')) {
    const colon = part.indexOf(':');
    const f = colon < 0 ? 'application_name' : field('--map', v, part.slice(0, colon));
    const value = colon < 0 ? part.trim() : part.slice(colon + 1).trim();
    if (!groupBy.includes(f)) throw new UsageError(`--map '${v}': selects by ${f}, which --group-by leaves out`, `add ${f} to --group-by, or select by ${groupBy.join(', ')}`);
    selector.push([f, value]);
  }
  return { text: v, selector, env, pool };
}

/** Field names as `--map` selectors write them (the short aliases). */
const SELECTOR_NAME: Readonly<Record<GroupField, string>> = { application_name: 'app', datname: 'db', usename: 'user', client_addr: 'addr' };

/**
 * The selector that picks a group's service in `--map`: `app:NAME,db:DB,user:ROLE` from its fields,
 * the client address left out (every replica of the service matches it). A value with a comma cannot
 * be written in the grammar (commas split the selector), so that field is left out; null when no
 * field is left.
 */
export function selectorFor(fields: ReadonlyArray<readonly [GroupField, string]>): string | null {
  const parts = fields.filter(([f, v]) => f !== 'client_addr' && !v.includes(',')).map(([f, v]) => `${SELECTOR_NAME[f]}:${v}`);
  return parts.length ? parts.join(',') : null;
}

/** A word as a POSIX shell reads it back unchanged: single quotes, a quote inside written '\''. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The `--map` flag, ready to paste, that ties a group's service to ENV.POOL (placeholders kept when not given). */
export function mapFlagFor(fields: ReadonlyArray<readonly [GroupField, string]>, target = 'ENV.POOL'): string {
  return `--map ${shellQuote(`${selectorFor(fields) ?? 'SELECTOR'}=${target}`)}`;
}

/** The first rule whose selector matches a group's fields, if any. */
export function matchGroup(g: Pick<ObservedGroup, 'fields'>, rules: readonly MapRule[]): MapRule | undefined {
  return rules.find((r) => r.selector.every(([f, v]) => g.fields.some(([gf, gv]) => gf === f && gv === v)));
}
