import { describe, expect, it } from 'vitest';
import { environmentSpec, parseAdvisorConfig, parseDurationMs } from '../../../src/core/advisor/parse.js';
import { DEFAULT_RULES, DEFAULT_TARGET_P99_WAIT_MS } from '../../../src/core/advisor/defaults.js';
import { UsageError } from '../../../src/core/errors.js';

function refusal(text: string): string {
  try {
    parseAdvisorConfig(text, 'pool-advisor.toml');
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as UsageError).message;
  }
  throw new Error('expected a refusal');
}

describe('durations', () => {
  it('reads us, ms, s, m and h, and nothing else', () => {
    expect(parseDurationMs('250us')).toBe(0.25);
    expect(parseDurationMs('20ms')).toBe(20);
    expect(parseDurationMs('1.5s')).toBe(1500);
    expect(parseDurationMs('2m')).toBe(120_000);
    expect(parseDurationMs('1h')).toBe(3_600_000);
    for (const bad of ['', '20', 'ms', '-1s', '1 day', '1e3ms']) expect(parseDurationMs(bad)).toBeUndefined();
  });
});

describe('the advisor config', () => {
  it('gives the defaults for an empty file', () => {
    const a = parseAdvisorConfig('', 'pool-advisor.toml');
    expect(a.targetP99WaitMs).toBe(DEFAULT_TARGET_P99_WAIT_MS);
    expect(a.rules).toEqual(DEFAULT_RULES);
  });

  it("reads a workload per pool, an environment's own workload over the default, and its target", () => {
    const a = parseAdvisorConfig(
      [
        '[defaults]',
        'target_p99_wait = "20ms"',
        '[workloads.database]',
        'arrival = "poisson"',
        'rate = 150',
        'hold = "exponential"',
        'hold_mean = "4ms"',
        '[environments.production.workloads.database]',
        'arrival = "closed"',
        'concurrency = 8',
        'hold = "constant"',
        'hold_time = "2ms"',
        '[environments.production.target_p99_wait]',
        'database = "5ms"',
      ].join('\n'),
      'pool-advisor.toml',
    );
    expect(a.targetP99WaitMs).toBe(20);
    const dev = environmentSpec(a, 'development').workloads.database!;
    expect(dev.arrival).toEqual({ mode: 'open', process: 'poisson', rate: 150 });
    expect(dev.hold).toEqual({ kind: 'sleep', dist: 'exponential', meanMs: 4 });
    const prod = environmentSpec(a, 'production').workloads.database!;
    expect(prod.arrival).toMatchObject({ mode: 'closed', concurrency: 8 });
    expect(prod.hold).toEqual({ kind: 'sleep', dist: 'constant', ms: 2 });
    expect(a.environments.production!.targetP99WaitMs.database).toBe(5);
  });

  it('refuses what it does not know, naming the file, the line and the key', () => {
    expect(refusal('[workloads.database]\nrate = 100\nhold_mena = "5ms"\n')).toBe("pool-advisor.toml:3: workloads.database.hold_mena: unknown key 'hold_mena'");
    expect(refusal('[workloads.database]\nrate = "fast"\n')).toMatch(/^pool-advisor\.toml:2: workloads\.database\.rate: /);
    expect(refusal('[defaults]\ntarget_p99_wait = "soon"\n')).toMatch(/^pool-advisor\.toml:2: defaults\.target_p99_wait: /);
    expect(refusal('[defaults\n')).toMatch(/^pool-advisor\.toml:1:\d+: invalid TOML: /);
  });
});
