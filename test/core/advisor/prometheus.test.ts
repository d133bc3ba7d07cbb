/** The advisor config's [prometheus] table: what it maps, and file:line errors for what it cannot use. */
import { describe, expect, it } from 'vitest';
import { parseAdvisorConfig } from '../../../src/core/advisor/parse.js';
import { parseSelector } from '../../../src/core/advisor/prometheus.js';
import { UsageError } from '../../../src/core/errors.js';

const GOOD = `[prometheus]
environment = "production"
env_label = "namespace"
replica_labels = ["pod"]

[[prometheus.pools]]
family = "hikari-micrometer"
match = { pool = "HikariPool-1", app = "orders" }
pool = "database"
environment = "staging"

[[prometheus.families]]
name = "billing"
pool_label = "pool"
unit = "milliseconds"
wait = "billing_db_acquire_milliseconds"
use = "billing_db_hold_milliseconds"
timeouts = "billing_db_timeouts_total"
in_use = 'billing_db_connections{state="busy"}'
max = "billing_db_pool_max"
`;

describe('[prometheus] in the advisor config', () => {
  it('parses mappings and families', () => {
    const p = parseAdvisorConfig(GOOD, 'pool-advisor.toml').prometheus!;
    expect(p.environment).toBe('production');
    expect(p.envLabel).toBe('namespace');
    expect(p.replicaLabels).toEqual(['pod']);
    expect(p.pools).toEqual([{ family: 'hikari-micrometer', match: [['pool', 'HikariPool-1'], ['app', 'orders']], pool: 'database', env: 'staging' }]);
    expect(p.families).toEqual([
      {
        id: 'billing',
        title: 'billing (advisor config)',
        poolLabel: 'pool',
        signature: ['billing_db_acquire_milliseconds_count', 'billing_db_hold_milliseconds_count', 'billing_db_pool_max', 'billing_db_connections'],
        wait: [{ base: 'billing_db_acquire_milliseconds', unit: 'milliseconds' }],
        use: [{ base: 'billing_db_hold_milliseconds', unit: 'milliseconds' }],
        timeouts: 'billing_db_timeouts_total',
        inUse: { metric: 'billing_db_connections', match: [['state', 'busy']] },
        max: { metric: 'billing_db_pool_max' },
      },
    ]);
  });

  it('is absent when the file has no [prometheus]', () => {
    expect(parseAdvisorConfig('[defaults]\nseed = 2\n', 'a.toml').prometheus).toBeUndefined();
  });

  it.each([
    ['[prometheus]\nenviroment = "x"\n', 'a.toml:2: prometheus.enviroment: unknown key', "did you mean 'environment'?"],
    ['[prometheus]\nreplica_labels = []\n', 'a.toml:2: prometheus.replica_labels: must be a non-empty array', 'replica_labels = ["pod", "instance"]'],
    ['[prometheus]\nenv_label = "kube-namespace"\n', "a.toml:2: prometheus.env_label: 'kube-namespace' is not a Prometheus label name", 'letters, digits'],
    ['[prometheus]\n\n[[prometheus.pools]]\nmatch = { pool = "a" }\npool = "database"\n\n[[prometheus.pools]]\nmatch = { pool = "b" }\npool = "databse"\n', "a.toml:9: prometheus.pools[2].pool: 'databse' is not a Tasker pool", "did you mean 'database'?"],
    ['[[prometheus.pools]]\npool = "pgmq"\n', 'a.toml:1: prometheus.pools[1].match: must be a table of label = "value"', 'match = { pool = "HikariPool-1" }'],
    ['[[prometheus.pools]]\nfamily = "hikari"\nmatch = { pool = "a" }\npool = "pgmq"\n', "a.toml:2: prometheus.pools[1].family: no family 'hikari'", 'families: pool-advisor, otel'],
    ['[[prometheus.pools]]\nmatch = { pool = "a" }\npool = "pgmq"\nenv = "x"\n', "a.toml:4: prometheus.pools[1].env: unknown key 'env'", 'known keys: family, match, pool, environment'],
    ['[[prometheus.families]]\nname = "otel"\npool_label = "pool"\nmax = "m"\n', "a.toml:2: prometheus.families[1].name: 'otel' is a built-in family", 'choose another name'],
    // `alerts --family hikaricp` is the built-in hikari-micrometer: a family of that name could not be chosen.
    ['[[prometheus.families]]\nname = "hikaricp"\npool_label = "pool"\nmax = "m"\n', "a.toml:2: prometheus.families[1].name: 'hikaricp' is a built-in family", 'choose another name'],
    ['[[prometheus.families]]\nname = "x"\npool_label = "pool"\nunit = "ms"\nmax = "m"\n', "a.toml:4: prometheus.families[1].unit: 'ms' is not a unit", 'seconds, milliseconds, microseconds, nanoseconds'],
    ['[[prometheus.families]]\nname = "x"\npool_label = "pool"\nwait = "x_wait_seconds_bucket{}"\n', "a.toml:4: prometheus.families[1].wait: 'x_wait_seconds_bucket{}' is not a metric name", 'without _bucket'],
    ['[[prometheus.families]]\nname = "x"\npool_label = "pool"\nin_use = \'conns{state=busy}\'\n', "a.toml:4: prometheus.families[1].in_use: 'conns{state=busy}' is not a series selector", 'name{label="value"}'],
    ['[[prometheus.families]]\nname = "x"\npool_label = "pool"\n', 'a.toml:1: prometheus.families[1]: names no metric', 'wait, use, in_use'],
    ['[[prometheus.families]]\nname = "x"\n', 'a.toml:1: prometheus.families[1].pool_label: must be a non-empty string', 'pool_label = "instance"'],
  ])('%j -> %s', (text, message, hint) => {
    let err: unknown;
    try {
      parseAdvisorConfig(text, 'a.toml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toContain(message);
    expect((err as UsageError).hint).toContain(hint);
  });

  it.each([
    ['m', { metric: 'm' }],
    ['m{a="1"}', { metric: 'm', match: [['a', '1']] }],
    [' m { a = "1" , b="x\\"y" } ', { metric: 'm', match: [['a', '1'], ['b', 'x"y']] }],
    ['m{a="1",}', { metric: 'm', match: [['a', '1']] }],
    ['m{a=1}', undefined],
    ['m{a="1"', undefined],
    ['1m', undefined],
  ])('selector %j', (text, want) => {
    expect(parseSelector(text)).toEqual(want);
  });
});
