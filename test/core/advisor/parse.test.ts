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

describe('the topology of the connection budget', () => {
  it('reads the autoscaler maximum, the surge (a count or a percentage), the reserves and the PgBouncer layer', () => {
    const a = parseAdvisorConfig(
      [
        '[environments.production.topology]',
        'server_max_connections = 200',
        'reserved_connections = 2',
        'admin_headroom = 5',
        'services = [{ name = "api", replicas = 2, autoscaler_max = 6, surge = "25%", pools = ["database"] }, { name = "worker", replicas = 3, surge = 1 }]',
        '[environments.production.topology.pgbouncer]',
        'instances = 3',
        'max_client_conn = 6000',
        'databases = [{ name = "tasker", pool_size = 40, reserve_pool = 5 }]',
      ].join('\n'),
      'pool-advisor.toml',
    );
    const t = a.environments.production!.topology!;
    expect(t).toMatchObject({ serverMaxConnections: 200, reservedConnections: 2, adminHeadroom: 5 });
    expect(t.services.map((s) => [s.name, s.autoscalerMax, s.surge])).toEqual([
      ['api', 6, { percent: 25 }],
      ['worker', undefined, { count: 1 }],
    ]);
    expect(t.pgbouncer).toEqual({ instances: 3, maxClientConn: 6000, defaultPoolSize: 20, reservePoolSize: 0, maxDbConnections: 0, maxUserConnections: 0, users: 1, databases: [{ name: 'tasker', poolSize: 40, reservePool: 5 }], wildcard: false });
  });

  it.each([
    ['services = [{ name = "api", replicas = 4, autoscaler_max = 2 }]', 'pool-advisor.toml:2: environments.production.topology.services.0.autoscaler_max: 2 is below replicas 4'],
    ['services = [{ name = "api", surge = "lots" }]', 'environments.production.topology.services.0.surge: must be a count of pods or a percentage, got "lots"'],
    ['services = [{ name = "api", surge = -1 }]', 'environments.production.topology.services.0.surge: -1 is outside 0..100000'],
    ['admin_headroom = 1.5', 'environments.production.topology.admin_headroom: must be an integer'],
    ['pgbouncer = 3', 'environments.production.topology.pgbouncer: must be a table'],
    ['pgbouncer = { instances = 0 }', 'environments.production.topology.pgbouncer.instances: 0 is outside 1..10000'],
    ['pgbouncer = { max_client = 10 }', "environments.production.topology.pgbouncer.max_client: unknown key 'max_client'"],
    ['pgbouncer = { databases = [{ pool_size = 4 }] }', 'environments.production.topology.pgbouncer.databases: entry 1 has no name'],
  ])('%s is refused in one line naming the key', (line, message) => {
    expect(refusal(`[environments.production.topology]\n${line}\n`)).toContain(message);
  });
});
