/**
 * Fuzzing the parsers that take user input: whatever the input, they either succeed or throw a
 * UsageError (exit 2 with one line); nothing else may escape.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../src/core/config/model.js';
import { validateModel } from '../../src/core/config/validate.js';
import { parseThreshold } from '../../src/core/thresholds/parse.js';
import { parseAdvisorConfig } from '../../src/core/advisor/parse.js';
import { KnownError, UsageError } from '../../src/core/errors.js';
import { dict } from '../../src/core/dict.js';
import { environmentSpec } from '../../src/core/advisor/parse.js';
import { configShowData, renderConfigShow } from '../../src/core/render/config.js';
import { checkStatic } from '../../src/core/check/static.js';
import { parseThresholds } from '../../src/core/thresholds/parse.js';
import { evaluateThresholds } from '../../src/core/thresholds/evaluate.js';
import { settingsFromFlags } from '../../src/core/generate/settings.js';
import { parsePortFlag, parseSetFlags } from '../../src/core/flags.js';
import { parseRunFile } from '../../src/core/run/file.js';
import { adviseEvidence } from '../../src/core/rules/index.js';
import { parseEvidenceFile } from '../../src/core/evidence/read.js';
import { renderReport } from '../../src/core/render/report.js';
import { renderHtmlReport } from '../../src/core/render/html.js';
import { adviceData } from '../../src/core/render/recommendations.js';
import { compareRuns } from '../../src/core/analysis/compare.js';
import { renderCompare } from '../../src/core/render/compare.js';
import { renderCompareHtml } from '../../src/core/render/htmlCompare.js';
import type { RunFile } from '../../src/core/run/types.js';
import { planAnalyze, type AnalyzeFlags } from '../../src/shell/measure.js';
import { syntheticRun, HEALTHY } from '../helpers/syntheticRun.js';
import { EXAMPLE_DIR } from '../helpers/configFixture.js';

function onlyUsageErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    expect(e.message.split('\n')).toHaveLength(1);
  }
}

const base = readFileSync(join(EXAMPLE_DIR, 'base', 'common.toml'), 'utf8');
const loadEnv = (text: string) => {
  const m = buildModel({ dir: 'cfg', base: [{ rel: 'base/common.toml', display: 'cfg/base/common.toml', text: base }], environments: { test: [{ rel: 'environments/test/common.toml', display: 'cfg/environments/test/common.toml', text }] } }, {});
  return validateModel(m);
};

/** A random mutation of a text: insert, delete or replace a few characters. */
const mutated = (text: string) =>
  fc.array(fc.tuple(fc.nat({ max: text.length }), fc.nat({ max: 3 }), fc.string({ maxLength: 4 })), { minLength: 1, maxLength: 6 }).map((edits) => {
    let t = text;
    for (const [at, del, ins] of edits) t = t.slice(0, at) + ins + t.slice(at + del);
    return t;
  });

const poolValue = fc.oneof(fc.integer({ min: -10, max: 100_000 }), fc.double(), fc.string(), fc.boolean(), fc.array(fc.integer()), fc.constant({ a: 1 }));
const poolTable = fc.dictionary(fc.constantFrom('max_connections', 'min_connections', 'acquire_timeout_seconds', 'idle_timeout_seconds', 'max_lifetime_seconds', 'slow_acquire_threshold_ms', 'max_connection', 'x', '_docs'), poolValue);

describe('fuzz: config loader', () => {
  it('random text never escapes as an unexpected exception', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (t) => onlyUsageErrors(() => loadEnv(t))), { numRuns: 400 });
  });
  it('mutations of a real file never escape', () => {
    fc.assert(fc.property(mutated(base), (t) => onlyUsageErrors(() => loadEnv(t))), { numRuns: 400 });
  });
  it('well-formed TOML with random pool values never escapes', () => {
    fc.assert(
      fc.property(poolTable, fc.option(poolTable), (db, pgmq) => {
        const doc: Record<string, unknown> = { common: { database: { pool: db }, ...(pgmq ? { pgmq_database: { url: 'postgresql://x/y', pool: pgmq } } : {}) } };
        onlyUsageErrors(() => loadEnv(stringify(doc)));
      }),
      { numRuns: 400 },
    );
  });
});

describe('fuzz: threshold parser', () => {
  const token = fc.constantFrom('database', 'pgmq', '*', '.', 'acquire', 'timeouts', 'waited', 'utilization', ':', 'p(', '99', ')', '<', '<=', '==', '!=', '>', '50', 'ms', 'us', 's', '%', 'rate', 'count', 'avg', 'max', 'mean', 'value', ' ', '0.5', '-1', 'p(101)', 'x');
  it('random strings never escape', () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }), (t) => onlyUsageErrors(() => parseThreshold(t))), { numRuns: 1000 });
  });
  it('strings of grammar tokens never escape', () => {
    fc.assert(fc.property(fc.array(token, { maxLength: 12 }), (ts) => onlyUsageErrors(() => parseThreshold(ts.join('')))), { numRuns: 2000 });
  });
});

describe('fuzz: advisor config parser', () => {
  const shipped = readFileSync(join(EXAMPLE_DIR, '..', 'pool-advisor.toml'), 'utf8');
  it('mutations of the shipped advisor config never escape', () => {
    fc.assert(fc.property(mutated(shipped), (t) => onlyUsageErrors(() => parseAdvisorConfig(t, 'pool-advisor.toml'))), { numRuns: 400 });
  });
});

/*
 * Issue 14: names drawn from JavaScript's built-ins and control characters in every place a user
 * names something, and numeric extremes in every flag and run-file number. An outcome is fine when
 * it succeeds or is a known error (one line, a documented exit code); anything else would be an
 * exit 70 in the CLI, and there must be none.
 */
const BUILTINS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', 'isPrototypeOf', '__defineGetter__'];
const CONTROLS = ['\x1b[2J', '\x1b]0;x\x07', 'a\nb', 'a\r::error ::x', '\x00', '\x7f', '\u009b31m', '\t'];
const hostileName = fc.oneof(fc.constantFrom(...BUILTINS), fc.constantFrom(...CONTROLS), fc.tuple(fc.constantFrom(...BUILTINS, 'test'), fc.constantFrom(...CONTROLS)).map(([a, b]) => a + b));
/** Extremes for every number: ±0, huge, NaN (JSON null), negative, fractional, infinity (flags only). */
const EXTREMES = [0, -0, 1e300, -1e300, Number.NaN, -1, 1.5, 2 ** 53];

/** Only known errors may escape (the CLI prints them as one line with a documented code; anything else is exit 70). */
function onlyKnownErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof KnownError)) throw e;
    expect(e.message.split('\n')).toHaveLength(1);
  }
}

describe('fuzz: built-in names and control characters where users name things', () => {
  it('environment names: every one is read (none skipped), validated, shown and budgeted', () => {
    fc.assert(
      fc.property(fc.uniqueArray(hostileName, { minLength: 1, maxLength: 4 }), (names) => {
        const environments = dict(names.map((n) => [n, [{ rel: `environments/${n}/common.toml`, display: `cfg/environments/${n}/common.toml`, text: '[common.database.pool]\nmax_connections = 5000\n' }]] as const));
        const model = buildModel({ dir: 'cfg', base: [{ rel: 'base/common.toml', display: 'cfg/base/common.toml', text: base }], environments }, {});
        expect(model.environments.map((e) => e.name).sort()).toEqual([...names].sort());
        const issues = validateModel(model);
        // Each environment's 5000 is out of range: none may slip through under a built-in name.
        for (const n of names) expect(issues.some((i) => i.code === 'out-of-range' && i.envs.includes(n))).toBe(true);
        renderConfigShow(model, undefined, issues, { color: false });
        JSON.stringify(configShowData(model, names, issues));
        checkStatic({ model, topologies: dict(names.map((n) => [n, { superuserReserved: 3, otherConnections: 0, services: [{ name: n, replicas: 2, pools: ['database'] }], serverMaxConnections: 100 }] as const)), advisorSource: 'fuzz' });
      }),
      { numRuns: 150 },
    );
  });
  it('keys and tables: built-in and control names in pool tables are unknown keys, never crashes', () => {
    fc.assert(
      fc.property(hostileName, fc.constantFrom('common.database.pool', 'common.pgmq_database.pool', 'orchestration.web.database_pools', 'common', ''), fc.integer({ min: -5, max: 5000 }), (key, table, value) => {
        const quoted = JSON.stringify(key);
        const text = `${table ? `[${table}]\n` : ''}${quoted} = ${value}\n[${quoted}]\nmax_connections = 5\n`;
        onlyUsageErrors(() => {
          const issues = loadEnv(text);
          if (table.endsWith('pool') || table.endsWith('pools')) expect(issues.some((i) => i.code === 'unknown-key')).toBe(true);
        });
      }),
      { numRuns: 300 },
    );
  });
  it('thresholds: built-in and control names as pool, metric and aggregation', () => {
    fc.assert(
      fc.property(hostileName, fc.constantFrom(0, 1, 2), (name, where) => {
        const parts = ['database', 'acquire', 'p(99)'];
        parts[where] = name;
        onlyUsageErrors(() => parseThreshold(`${parts[0]}.${parts[1]}: ${parts[2]} < 5ms`));
      }),
      { numRuns: 300 },
    );
  });
  it('advisor config: built-in and control names as environments, pools, topology pools and rules', () => {
    fc.assert(
      fc.property(hostileName, fc.constantFrom(0, 1, 2, 3, 4), (name, where) => {
        const q = JSON.stringify(name);
        const docs = [
          `[environments.${q}.workloads.database]\nrate = 10\nhold = "constant"\nhold_time = "1ms"\n`,
          `[environments.test.workloads.${q}]\nrate = 10\n`,
          `[environments.test.topology]\nservices = [{ name = ${q}, pools = [${q}] }]\n`,
          `[environments.test.target_p99_wait]\n${q} = "5ms"\n`,
          `[rules]\n${q} = 1\n`,
        ];
        onlyUsageErrors(() => {
          const cfg = parseAdvisorConfig(docs[where]!, 'pool-advisor.toml');
          const spec = environmentSpec(cfg, name);
          expect(typeof spec.workloads).toBe('object');
        });
      }),
      { numRuns: 300 },
    );
  });
  it('generate --set: built-in and control names as environment, pool and key', () => {
    fc.assert(
      fc.property(hostileName, fc.constantFrom(0, 1, 2), (name, where) => {
        const parts = ['test', 'database', 'max_connections'];
        parts[where] = name;
        onlyUsageErrors(() => settingsFromFlags([`${parts.join('.')}=5`]));
        onlyUsageErrors(() => parseSetFlags([`${parts.join('.')}=5`], { trial: true, envs: ['test', ...BUILTINS] }));
      }),
      { numRuns: 300 },
    );
  });
  it('run files: built-in and control names as env, pool, through, config and override fields', () => {
    const healthy = JSON.stringify(syntheticRun([HEALTHY]));
    const advisor = parseAdvisorConfig(readFileSync(join(EXAMPLE_DIR, '..', 'pool-advisor.toml'), 'utf8'), 'pool-advisor.toml');
    const places: Array<(r: RunFile, n: string) => void> = [
      (r, n) => (r.environments[0]!.env = n),
      (r, n) => ((r.environments[0]!.pools[0] as { pool: string }).pool = n),
      (r, n) => ((r.environments[0]!.workloads[0] as { through: string }).through = n),
      (r, n) => ((r.environments[0]!.config as Record<string, unknown>)[n] = r.environments[0]!.config.database),
      (r, n) => r.environments[0]!.overrides.push({ pool: n as 'database', key: n, value: 1 }),
      (r, n) => r.environments[0]!.overrides.push({ pool: 'database', key: n, value: 1 }),
      (r, n) => (r.target = n),
      (r, n) => ((r.environments[0]!.workloads[0]!.workload.hold as { sql?: string; kind: string }) = { kind: 'sql', sql: n }),
    ];
    fc.assert(
      fc.property(hostileName, fc.nat({ max: places.length - 1 }), (name, where) => {
        const run = JSON.parse(healthy) as RunFile;
        places[where]!(run, name);
        onlyKnownErrors(() => {
          const parsed = parseEvidenceFile(JSON.stringify(run), 'run.json');
          const { analysis, advice } = adviseEvidence(parsed, advisor);
          renderReport(parsed, analysis, advice, { color: false });
          renderHtmlReport(parsed, analysis, advice);
          JSON.stringify(adviceData(analysis, advice));
          evaluateThresholds(parseThresholds([{ text: 'database.acquire: p(99) < 50ms' }, { text: '*.timeouts: count == 0' }]), parsed);
          const cmp = compareRuns(parsed, parsed, { before: 'a', after: 'b' });
          renderCompare(cmp, { color: false });
          renderCompareHtml(cmp);
        });
      }),
      { numRuns: 120 },
    );
  });
});

/** Every numeric leaf of a value, by path (the first element of each array stands for the rest). */
function numericPaths(v: unknown, path: Array<string | number> = []): Array<Array<string | number>> {
  if (typeof v === 'number') return [path];
  if (Array.isArray(v)) return v.length > 0 ? numericPaths(v[0], [...path, 0]) : [];
  if (typeof v === 'object' && v !== null) return Object.entries(v).flatMap(([k, x]) => numericPaths(x, [...path, k]));
  return [];
}

describe('fuzz: numeric extremes', () => {
  it('every run-file number set to ±0, 1e300, -1e300, NaN, -1, 1.5 or 2^53: refused in one line, or analysed', () => {
    const advisor = parseAdvisorConfig(readFileSync(join(EXAMPLE_DIR, '..', 'pool-advisor.toml'), 'utf8'), 'pool-advisor.toml');
    const healthy = syntheticRun([HEALTHY]);
    const paths = numericPaths(healthy);
    expect(paths.length).toBeGreaterThan(50);
    let analysed = 0;
    for (const path of paths) {
      // -0 is left out here: JSON writes it as 0.
      for (const x of EXTREMES.filter((e) => !Object.is(e, -0))) {
        const run = JSON.parse(JSON.stringify(healthy)) as Record<string, unknown>;
        let cur = run as Record<string | number, unknown>;
        for (const p of path.slice(0, -1)) cur = cur[p] as Record<string | number, unknown>;
        cur[path[path.length - 1]!] = x;
        onlyKnownErrors(() => {
          const parsed = parseEvidenceFile(JSON.stringify(run), 'run.json');
          // The largest accepted values (and 0) are analysed: a value that would make the analysis
          // loop or allocate without bound must have been refused above. (Analysing every one costs
          // a minute of histogram decoding for nothing more.)
          if (x === 0 || x >= 2 ** 53) {
            adviseEvidence(parsed, advisor);
            analysed++;
          }
        });
      }
    }
    expect(analysed).toBeGreaterThan(0);
  });
  it('every numeric flag given ±0, 1e300, -1e300, NaN, negative, fractional, Infinity, empty or hex: accepted in range or refused in one line', () => {
    const dir = EXAMPLE_DIR;
    const values = ['0', '-0', '1e300', '-1e300', 'NaN', '-1', '1.5', 'Infinity', '', ' ', '0x10', '1e-300'];
    const flags: Array<[keyof AnalyzeFlags, (v: string) => string]> = [
      ['rate', (v) => v],
      ['concurrency', (v) => v],
      ['seed', (v) => v],
      ['duration', (v) => `${v}s`],
      ['duration', (v) => v],
      ['warmup', (v) => `${v}ms`],
      ['hold', (v) => `${v}ms`],
      ['hold', (v) => `exp:${v}ms`],
      ['hold', (v) => `lognormal:${v}ms,${v}ms`],
    ];
    for (const [flag, form] of flags) {
      for (const v of values) onlyUsageErrors(() => planAnalyze({ configDir: dir, env: ['test'], [flag]: form(v) }));
    }
    for (const v of values) {
      onlyUsageErrors(() => planAnalyze({ configDir: dir, env: ['test'], set: [`test.database.max_connections=${v}`] }));
      onlyUsageErrors(() => planAnalyze({ configDir: dir, env: ['test'], set: [`test.database.min_connections=${v}`] }));
      onlyUsageErrors(() => settingsFromFlags([`test.database.max_connections=${v}`]));
      onlyUsageErrors(() => parsePortFlag('--metrics-port', v));
    }
    // What is accepted is within the bounds the advisor config would accept.
    const p = planAnalyze({ configDir: dir, env: ['test'], rate: '0.001', warmup: '0s', seed: '-0' });
    expect(p.session.flags).toMatchObject({ rate: 0.001, warmupS: 0 });
    expect(Object.is(p.session.seed, 0)).toBe(true);
  });
});
