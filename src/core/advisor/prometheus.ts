/**
 * The advisor config's `[prometheus]` table (docs/fleet.md): which environment the series are,
 * which labels tell replicas apart, which series are which Tasker pool (`[[prometheus.pools]]`),
 * and metric families of the user's own (`[[prometheus.families]]`). Pure; errors name the file,
 * line and key (exit 2), like the rest of the advisor config.
 */
import { UsageError } from '../errors.js';
import { isPoolName, POOL_NAMES, type PoolName } from '../config/pools.js';
import { suggest } from '../config/validate.js';
import { locate, samePath, type TomlScan } from '../toml/scan.js';
import { DEFAULT_REPLICA_LABELS, FAMILIES, SECONDS_PER, type FamilyDef, type PoolMapping, type PrometheusSpec, type Selector, type TimeUnit } from '../metrics-catalogue/families.js';

type Table = Record<string, unknown>;

const METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TOP = ['environment', 'env_label', 'replica_labels', 'pools', 'families', 'units', 'database_instance'];
const POOL_KEYS = ['family', 'match', 'pool', 'environment'];
const FAMILY_TIMES = ['wait', 'use', 'create'] as const;
const FAMILY_COUNTERS = ['timeouts'] as const;
const FAMILY_GAUGES = ['max', 'min', 'in_use', 'idle', 'open', 'pending'] as const;
const FAMILY_KEYS = ['name', 'title', 'pool_label', 'unit', ...FAMILY_TIMES, ...FAMILY_COUNTERS, ...FAMILY_GAUGES];
const UNITS = Object.keys(SECONDS_PER) as TimeUnit[];

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Parse a series selector as written in the config: `name` or `name{label="value",...}`; undefined when malformed. */
export function parseSelector(text: string): Selector | undefined {
  const m = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(.*)\})?\s*$/.exec(text);
  if (!m) return undefined;
  const match: Array<[string, string]> = [];
  const body = (m[2] ?? '').trim();
  if (body !== '') {
    const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/y;
    let pos = 0;
    while (pos < body.length) {
      re.lastIndex = pos;
      const l = re.exec(body);
      if (!l) return undefined;
      match.push([l[1]!, l[2]!.replace(/\\(.)/g, '$1')]);
      pos = re.lastIndex;
    }
  }
  return match.length > 0 ? { metric: m[1]!, match } : { metric: m[1]! };
}

/** Parse `[prometheus]`; `raw` is the table (or undefined). */
export function parsePrometheusTable(raw: unknown, file: string, scan: TomlScan): PrometheusSpec | undefined {
  if (raw === undefined) return undefined;
  /** The line of a key of the i-th `[[prometheus.<arr>]]` entry (or of its header). */
  const entryLine = (arr: string, i: number, key?: string): number | undefined => {
    const path = ['prometheus', arr];
    const headers = scan.tables.filter((t) => t.array && samePath(t.path, path));
    const h = headers[i];
    if (!h) return locate(scan, key ? [...path, key] : path)?.line;
    const k = key ? scan.keys.find((kp) => samePath(kp.path, [...path, key]) && kp.lineStart >= h.headerStart && kp.lineStart < Math.max(h.contentEnd, h.headerEnd + 1)) : undefined;
    return k?.line ?? h.line;
  };
  const fail = (line: number | undefined, key: string, reason: string, fix: string): never => {
    throw new UsageError(`${file}${line ? `:${line}` : ''}: ${key}: ${reason}`, fix);
  };
  const at = (key: string) => locate(scan, ['prometheus', key])?.line;
  if (!isTable(raw)) fail(at(''), 'prometheus', 'must be a table', 'write [prometheus] with environment = "production"');
  const t = raw as Table;
  for (const k of Object.keys(t)) {
    if (!TOP.includes(k)) {
      const g = suggest(k, TOP);
      fail(at(k), `prometheus.${k}`, `unknown key '${k}'`, g ? `did you mean '${g}'?` : `known keys: ${TOP.join(', ')}`);
    }
  }
  const str = (v: unknown, line: number | undefined, key: string, example: string): string => {
    if (typeof v !== 'string' || v === '') fail(line, key, `must be a non-empty string, got ${JSON.stringify(v)}`, `write e.g. ${key.split('.').at(-1)} = ${example}`);
    return v as string;
  };
  const label = (v: unknown, line: number | undefined, key: string): string => {
    const s = str(v, line, key, '"instance"');
    if (!LABEL.test(s)) fail(line, key, `'${s}' is not a Prometheus label name`, 'label names are letters, digits and _, not starting with a digit');
    return s;
  };
  const spec: PrometheusSpec = { replicaLabels: [...DEFAULT_REPLICA_LABELS], pools: [], families: [] };
  if (t.environment !== undefined) spec.environment = str(t.environment, at('environment'), 'prometheus.environment', '"production"');
  if (t.database_instance !== undefined) spec.databaseInstance = str(t.database_instance, at('database_instance'), 'prometheus.database_instance', '"db-1:9100"');
  if (t.env_label !== undefined) spec.envLabel = label(t.env_label, at('env_label'), 'prometheus.env_label');
  if (t.replica_labels !== undefined) {
    const v = t.replica_labels;
    if (!Array.isArray(v) || v.length === 0) fail(at('replica_labels'), 'prometheus.replica_labels', 'must be a non-empty array of label names', 'write replica_labels = ["pod", "instance"]');
    spec.replicaLabels = (v as unknown[]).map((x) => label(x, at('replica_labels'), 'prometheus.replica_labels'));
  }

  if (t.units !== undefined) {
    // The unit of a time metric whose name does not say it (OpenTelemetry's JS exporter writes none), by base name.
    const u = t.units;
    const example = 'write units = { db_client_connection_wait_time = "milliseconds" }';
    if (!isTable(u)) fail(at('units'), 'prometheus.units', 'must be a table of base names to units', example);
    spec.units = {};
    for (const [base, unit] of Object.entries(u as Table)) {
      if (!METRIC.test(base)) fail(at('units'), `prometheus.units.${base}`, `'${base}' is not a metric name`, example);
      if (typeof unit !== 'string' || !UNITS.includes(unit as TimeUnit)) fail(at('units'), `prometheus.units.${base}`, `unknown unit ${JSON.stringify(unit)}`, `units: ${UNITS.join(', ')}`);
      spec.units[base] = unit as TimeUnit;
    }
  }
  const userFamilies = t.families ?? [];
  if (!Array.isArray(userFamilies)) fail(at('families'), 'prometheus.families', 'must be an array of tables', 'write [[prometheus.families]] blocks');
  (userFamilies as unknown[]).forEach((f, i) => spec.families.push(familyFrom(f, i)));
  const familyIds = [...FAMILIES.map((f) => f.id), ...spec.families.map((f) => f.id)];

  const pools = t.pools ?? [];
  if (!Array.isArray(pools)) fail(at('pools'), 'prometheus.pools', 'must be an array of tables', 'write [[prometheus.pools]] blocks');
  (pools as unknown[]).forEach((p, i) => {
    const key = (k: string) => `prometheus.pools[${i + 1}].${k}`;
    if (!isTable(p)) return fail(entryLine('pools', i), `prometheus.pools[${i + 1}]`, 'must be a table', 'write [[prometheus.pools]] with match = { pool = "HikariPool-1" } and pool = "database"');
    for (const k of Object.keys(p)) {
      if (POOL_KEYS.includes(k)) continue;
      const g = suggest(k, POOL_KEYS);
      fail(entryLine('pools', i, k), key(k), `unknown key '${k}'`, g ? `did you mean '${g}'?` : `known keys: ${POOL_KEYS.join(', ')}`);
    }
    const poolName = str(p.pool, entryLine('pools', i, 'pool'), key('pool'), '"database"');
    if (!isPoolName(poolName)) {
      const g = suggest(poolName, POOL_NAMES);
      fail(entryLine('pools', i, 'pool'), key('pool'), `'${poolName}' is not a Tasker pool`, g ? `did you mean '${g}'?` : `use one of: ${POOL_NAMES.join(', ')}`);
    }
    if (!isTable(p.match) || Object.keys(p.match).length === 0) {
      fail(entryLine('pools', i, 'match'), key('match'), 'must be a table of label = "value" (at least one)', 'write match = { pool = "HikariPool-1" }');
    }
    const match: Array<[string, string]> = Object.entries(p.match as Table).map(([k, v]) => {
      if (!LABEL.test(k)) fail(entryLine('pools', i, 'match'), key('match'), `'${k}' is not a Prometheus label name`, 'label names are letters, digits and _');
      return [k, str(v, entryLine('pools', i, 'match'), key(`match.${k}`), '"HikariPool-1"')];
    });
    const m: PoolMapping = { match, pool: poolName as PoolName };
    if (p.family !== undefined) {
      const fam = str(p.family, entryLine('pools', i, 'family'), key('family'), '"hikari-micrometer"');
      if (!familyIds.includes(fam)) {
        const g = suggest(fam, familyIds);
        fail(entryLine('pools', i, 'family'), key('family'), `no family '${fam}'`, g ? `did you mean '${g}'?` : `families: ${familyIds.join(', ')}`);
      }
      m.family = fam;
    }
    if (p.environment !== undefined) m.env = str(p.environment, entryLine('pools', i, 'environment'), key('environment'), '"production"');
    spec.pools.push(m);
  });
  return spec;

  function familyFrom(f: unknown, i: number): FamilyDef {
    const key = (k: string) => `prometheus.families[${i + 1}].${k}`;
    const line = (k?: string) => entryLine('families', i, k);
    if (!isTable(f)) return fail(line(), `prometheus.families[${i + 1}]`, 'must be a table', 'write [[prometheus.families]] with name, pool_label and the metric names');
    for (const k of Object.keys(f)) {
      if (FAMILY_KEYS.includes(k)) continue;
      const g = suggest(k, FAMILY_KEYS);
      fail(line(k), key(k), `unknown key '${k}'`, g ? `did you mean '${g}'?` : `known keys: ${FAMILY_KEYS.join(', ')}`);
    }
    const id = str(f.name, line('name'), key('name'), '"billing"');
    // A name, not a key into anything: letters, digits, '-', '_' and '.', starting with a letter (so no '__proto__').
    if (!/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(id)) fail(line('name'), key('name'), `'${id}' is not a family name`, "use letters, digits, '-', '_' and '.', starting with a letter (at most 64), e.g. \"billing\"");
    if (FAMILIES.some((b) => b.id === id || b.alias === id)) fail(line('name'), key('name'), `'${id}' is a built-in family`, 'choose another name');
    if (spec.families.some((b) => b.id === id)) fail(line('name'), key('name'), `'${id}' names two families`, 'give each [[prometheus.families]] its own name');
    const poolLabel = label(f.pool_label, line('pool_label'), key('pool_label'));
    const unitText = f.unit === undefined ? 'seconds' : str(f.unit, line('unit'), key('unit'), '"seconds"');
    if (!UNITS.includes(unitText as TimeUnit)) fail(line('unit'), key('unit'), `'${unitText}' is not a unit`, `use one of: ${UNITS.join(', ')}`);
    const unit = unitText as TimeUnit;
    const def: FamilyDef = { id, title: f.title === undefined ? `${id} (advisor config)` : str(f.title, line('title'), key('title'), '"Billing service pools"'), poolLabel, signature: [] };
    const signature: string[] = [];
    for (const k of FAMILY_TIMES) {
      if (f[k] === undefined) continue;
      const base = str(f[k], line(k), key(k), '"my_pool_wait_seconds"');
      if (!METRIC.test(base)) fail(line(k), key(k), `'${base}' is not a metric name`, 'give the base name of the histogram or summary, without _bucket, _sum or _count');
      def[k] = [{ base, unit }];
      signature.push(`${base}_count`);
    }
    if (f.timeouts !== undefined) {
      const n = str(f.timeouts, line('timeouts'), key('timeouts'), '"my_pool_timeouts_total"');
      if (!METRIC.test(n)) fail(line('timeouts'), key('timeouts'), `'${n}' is not a metric name`, 'write the counter\'s full name, e.g. my_pool_timeouts_total');
      def.timeouts = n;
    }
    const gaugeField = { max: 'max', min: 'min', in_use: 'inUse', idle: 'idle', open: 'open', pending: 'pending' } as const;
    for (const k of FAMILY_GAUGES) {
      if (f[k] === undefined) continue;
      const text = str(f[k], line(k), key(k), '\'my_pool_connections{state="used"}\'');
      const sel = parseSelector(text) ?? fail(line(k), key(k), `'${text}' is not a series selector`, 'write name or name{label="value"}');
      def[gaugeField[k]] = sel;
      signature.push(sel.metric);
    }
    if (signature.length === 0) fail(line(), `prometheus.families[${i + 1}]`, 'names no metric', 'name at least one of: wait, use, in_use, open, max');
    def.signature = [...new Set(signature)];
    return def;
  }
}
