import { describe, expect, it } from 'vitest';
import { isEnvName, parseDurationFlag, parseHoldFlag, parseNumberFlag, parsePortFlag, parseSetFlag, parseSetFlags, type SetUse } from '../../src/core/flags.js';
import { UsageError } from '../../src/core/errors.js';
import { LIMITS } from '../../src/core/limits.js';

const trial: SetUse = { trial: true, envs: ['test', 'production'] };
const write: SetUse = { trial: false };

function refusal(f: () => unknown): { message: string; hint: string | undefined } {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return { message: (e as UsageError).message, hint: (e as UsageError).hint };
  }
  throw new Error('expected a refusal');
}

describe('--set (one parser for analyze and generate)', () => {
  const ok: Array<[string, object]> = [
    ['test.database.max_connections=40', { env: 'test', pool: 'database', key: 'max_connections', value: 40 }],
    ['production.pgmq.min_connections= 0', { env: 'production', pool: 'pgmq', key: 'min_connections', value: 0 }],
    ['test.worker_web.max_total_connections_hint=10000', { env: 'test', pool: 'worker_web', key: 'max_total_connections_hint', value: 10000 }],
  ];
  for (const [flag, want] of ok) {
    it(`accepts ${flag} for a trial run and for generate`, () => {
      expect(parseSetFlag(flag, trial)).toEqual({ ...want, source: `--set ${flag}` });
      expect(parseSetFlag(flag, write)).toEqual({ ...want, source: `--set ${flag}` });
    });
  }

  it('generate may name a new environment (a directory name); a trial run only the configured ones', () => {
    expect(parseSetFlag('my-env_2.orchestration_web.web_api_pool_size=20', write)).toMatchObject({ env: 'my-env_2', key: 'web_api_pool_size', value: 20 });
    expect(refusal(() => parseSetFlag('my-env_2.database.max_connections=20', trial))).toEqual({ message: "--set 'my-env_2.database.max_connections=20': no environment 'my-env_2'", hint: 'choose one of: test, production' });
    expect(refusal(() => parseSetFlag('-x.database.max_connections=4', write)).message).toBe("--set '-x.database.max_connections=4': '-x' cannot name an environment");
    expect(isEnvName('prod_2-a')).toBe(true);
    expect(isEnvName('-prod')).toBe(false);
    expect(isEnvName('a/b')).toBe(false);
    expect(isEnvName('x'.repeat(101))).toBe(false);
  });

  it("outside Tasker's range: a trial run warns (within the trial bounds), generate refuses", () => {
    expect(parseSetFlag('test.database.max_lifetime_seconds=1', trial).warning).toBe("--set test.database.max_lifetime_seconds=1 is outside Tasker's range 60-86400: allowed for this run only; Tasker would refuse it");
    expect(parseSetFlag('test.database.max_lifetime_seconds=60', trial).warning).toBeUndefined();
    expect(refusal(() => parseSetFlag('test.database.max_lifetime_seconds=59', write))).toEqual({ message: "--set 'test.database.max_lifetime_seconds=59': 59 is outside Tasker's range 60-86400 for [common.database.pool] max_lifetime_seconds", hint: 'use a value from 60 to 86400' });
    expect(refusal(() => parseSetFlag(`test.database.max_connections=${LIMITS.setValue.max + 1}`, trial)).message).toContain('out of bounds even for a trial run');
    expect(refusal(() => parseSetFlag('test.database.max_connections=0', trial)).message).toBe("--set 'test.database.max_connections=0': max_connections must be at least 1");
    expect(refusal(() => parseSetFlag('test.database.max_connections=0', write)).message).toContain("outside Tasker's range 1-1000");
  });

  const bad: Array<[string, string, string]> = [
    ['test.database.max_connections=4.5', "value '4.5' is not an integer", 'write e.g. test.database.max_connections=1'],
    ['test.database.max_connection=40', "unknown key 'max_connection' for pool database [common.database.pool]", "did you mean 'max_connections'?"],
    // A setting name in a web pool's table points to the table's own key.
    ['test.orchestration_web.max_connections=40', "unknown key 'max_connections' for pool orchestration_web [orchestration.web.database_pools]", "did you mean 'web_api_max_connections'?"],
    ['test.web.max_connections=40', "unknown pool 'web'", 'pools: database, pgmq, orchestration_web, worker_web'],
    ['database.max_connections=40', 'expected ENV.POOL.KEY=VALUE', 'write e.g. --set test.database.max_connections=40'],
    ['test.database.max_connections', 'expected ENV.POOL.KEY=VALUE', 'write e.g. --set test.database.max_connections=40'],
    ['test.database.max_connections=', 'expected ENV.POOL.KEY=VALUE', 'write e.g. --set test.database.max_connections=40'],
  ];
  for (const [flag, reason, hint] of bad) {
    it(`refuses ${flag} the same way in both commands`, () => {
      for (const use of [trial, write]) expect(refusal(() => parseSetFlag(flag, use))).toEqual({ message: `--set '${flag}': ${reason}`, hint });
    });
  }

  it('refuses one key given twice, even with the same value', () => {
    expect(refusal(() => parseSetFlags(['test.database.max_connections=4', 'test.database.max_connections=4'], write)).message).toBe('--set test.database.max_connections is given twice (4 and 4)');
    expect(parseSetFlags(['test.database.max_connections=4', 'production.database.max_connections=4'], trial)).toHaveLength(2);
  });
});

describe('other flags', () => {
  it('--duration and --warmup: durations within the config bounds', () => {
    expect(parseDurationFlag('--duration', '30s')).toBe(30);
    expect(parseDurationFlag('--warmup', '0', LIMITS.spanMs)).toBe(0);
    expect(refusal(() => parseDurationFlag('--duration', 'soon')).message).toBe("--duration 'soon': not a duration");
    expect(refusal(() => parseDurationFlag('--duration', '0')).message).toBe("--duration '0': must be above 0");
    expect(refusal(() => parseDurationFlag('--duration', '25h')).message).toContain('longer than the 24h limit');
  });

  it('--hold: the distributions and their parameters', () => {
    expect(parseHoldFlag('constant:5ms')).toEqual({ kind: 'sleep', dist: 'constant', ms: 5 });
    expect(parseHoldFlag('exp:20ms')).toEqual({ kind: 'sleep', dist: 'exponential', meanMs: 20 });
    expect(parseHoldFlag('lognormal:5ms,50ms')).toEqual({ kind: 'sleep', dist: 'lognormal', p50Ms: 5, p99Ms: 50 });
    expect(refusal(() => parseHoldFlag('lognormal:50ms,5ms')).message).toBe("--hold 'lognormal:50ms,5ms': p99 must be above p50");
    expect(refusal(() => parseHoldFlag('uniform:5ms')).message).toBe("--hold 'uniform:5ms': unknown distribution 'uniform'");
  });

  it('--rate-like numbers and --metrics-port', () => {
    expect(parseNumberFlag('--rate', '200', LIMITS.rate)).toBe(200);
    expect(refusal(() => parseNumberFlag('--rate', 'x', LIMITS.rate)).message).toContain("--rate 'x'");
    expect(parsePortFlag('--metrics-port', '0')).toBe(0);
    expect(parsePortFlag('--metrics-port', '9187')).toBe(9187);
    expect(refusal(() => parsePortFlag('--metrics-port', '65536')).message).toBe("--metrics-port '65536': expected a port number 0-65535");
  });
});
