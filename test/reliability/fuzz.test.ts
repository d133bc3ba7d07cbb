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
import { UsageError } from '../../src/core/errors.js';
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
