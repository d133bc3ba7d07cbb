/**
 * `pool-advisor alerts` end to end with promtool: every file it writes (each family, with and
 * without thresholds) passes `promtool check rules`, and `promtool test rules` with unit tests
 * written here makes each alert fire on synthetic series where its threshold is broken and stay
 * quiet where it holds. The synthetic series are the families' real metric names
 * (test/helpers/alertSeries.ts), so an alert reading a wrong name never fires and fails here.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { advisorFile, scenarioConfig } from '../helpers/scenario.js';
import { hasTool } from '../helpers/promText.js';
import { BILLING_FAMILY, POOL_LABEL, seriesFor, STEP_S, type SeriesFamily } from '../helpers/alertSeries.js';
import { FAMILY_NAMES, familyNamed } from '../../src/core/alerts/families.js';
import { loadAdvisorConfig } from '../../src/shell/advisorConfig.js';
import { planAlerts, type AlertRule } from '../../src/core/alerts/build.js';
import { figureUnit, promDuration } from '../../src/core/alerts/figures.js';
import { parseThresholds, type Operator } from '../../src/core/thresholds/parse.js';

/** A threshold on every metric, with every aggregation kind and operator the grammar has, on `*` and on named pools. */
export const ALL_THRESHOLDS = [
  '*.acquire: p(99) < 50ms',
  'database.acquire: avg < 20ms',
  'database.acquire: max < 1s',
  '*.acquire: min < 1ms',
  'pgmq.hold: p(95) < 100ms',
  '*.hold: avg < 50ms',
  '*.create: p(99.9) < 200ms',
  '*.create: max < 500ms',
  '*.timeouts: count == 0',
  'database.timeouts: rate < 0.5',
  '*.expired: rate < 0.1',
  '*.idle_closed: count < 30',
  '*.created: rate <= 1',
  '*.errors: count == 0',
  '*.slow: count <= 10',
  '*.waited: rate < 5%',
  '*.slow_share: rate < 1%',
  '*.in_use: mean < 8',
  'database.in_use: max <= 9',
  '*.idle: value >= 1',
  '*.waiting: p(95) < 3',
  '*.utilization: mean < 80%',
  'orchestration_web.utilization: p(95) < 90%',
  'pgmq.utilization: mean < 50%',
  '*.utilization: max <= 95%',
  '*.utilization: value < 99%',
];

const work = mkdtempSync(join(tmpdir(), 'pa-alerts-'));
const noThresholds = advisorFile('[check]\nthresholds = []\n');
const withThresholds = advisorFile(`[check]\nthresholds = [\n${ALL_THRESHOLDS.map((t) => `  ${JSON.stringify(t)},`).join('\n')}\n]\n`);

function holds(value: number, op: Operator, limit: number): boolean {
  switch (op) {
    case '<':
      return value < limit;
    case '<=':
      return value <= limit;
    case '>':
      return value > limit;
    case '>=':
      return value >= limit;
    case '==':
      return value === limit;
    case '!=':
      return value !== limit;
  }
}

/** A value of the alert's compared quantity that makes it fire, and one that keeps it quiet. */
function valuesFor(a: AlertRule): { fire: number; quiet: number } {
  const L = a.limit;
  const up = L === 0 ? 1 : figureUnit(a.figure) === 'fraction' && !a.count && L * 2 > 1 ? (L + 1) / 2 : L * 2;
  const down = L / 2;
  switch (a.operator) {
    case '>':
    case '>=':
      return { fire: up, quiet: down };
    case '<':
    case '<=':
      return { fire: down, quiet: up };
    case '!=':
      return { fire: up, quiet: L };
    case '==':
      return { fire: L, quiet: up };
  }
}

/** The alert's compared quantity from the figure's native value (a count is the rate over its window). */
const compared = (a: AlertRule, native: number) => (a.count ? native * a.figure.window : native);
const native = (a: AlertRule, value: number) => (a.count ? value / a.figure.window : value);

/** A promtool unit-test file for every alert of a plan: one test case where it fires, one where it does not. */
function unitTests(rulesFile: string, family: SeriesFamily, alerts: AlertRule[], maxOf: (poolValue: string) => number = () => 10): string {
  const tests = alerts.flatMap((a) => {
    const poolValue = family === 'tasker' ? (a.pool === 'pgmq' ? 'pgmq' : 'tasker') : a.pool === '*' ? 'database' : a.pool;
    const poolOf = (b: AlertRule) => (b.pool === '*' ? undefined : family === 'tasker' ? (b.pool === 'pgmq' ? 'pgmq' : 'tasker') : b.pool);
    const evalS = Math.max(...alerts.map((b) => b.figure.window + b.forS)) + 4 * STEP_S;
    return (['fire', 'quiet'] as const).map((mode) => {
      const v = native(a, valuesFor(a)[mode]);
      // Every alert of the same name (a warning and a critical) whose condition the series meets.
      const expected = alerts
        .filter((b) => b.alert === a.alert && (poolOf(b) === undefined || poolOf(b) === poolValue))
        .filter((b) => holds(compared(b, v), b.operator, b.limit));
      if (mode === 'fire') expect(expected, `${a.alert} ${a.annotations.threshold}`).toContain(a);
      else expect(expected, `${a.alert} ${a.annotations.threshold}`).not.toContain(a);
      return {
        name: `${a.alert} (${a.severity}) ${mode}: ${a.annotations.threshold}`,
        interval: `${STEP_S}s`,
        input_series: seriesFor(family, a.figure, v, poolValue, maxOf(poolValue)),
        alert_rule_test: [
          {
            eval_time: promDuration(evalS),
            alertname: a.alert,
            exp_alerts: expected.map((b) => ({ exp_labels: { severity: b.severity, [POOL_LABEL[family]]: poolValue, instance: 'svc:9187', job: 'svc' } })),
          },
        ],
      };
    });
  });
  return stringify({ rule_files: [rulesFile], evaluation_interval: `${STEP_S}s`, tests });
}

interface RulesYaml {
  groups: Array<{ name: string; rules: Array<Record<string, unknown>> }>;
}

describe.skipIf(!hasTool('promtool'))('alerts: promtool check rules and test rules, every family', () => {
  // Tasker's metrics have no maximum: with --env, utilisation divides by the config's max_connections (database 20, pgmq 6 here).
  const taskerConfig = scenarioConfig({ max_connections: 20, min_connections: 2 }, { pgmq: { max_connections: 6, min_connections: 1 }, pgmqUrl: 'postgresql://localhost/queue' });
  const configured = new Map([['tasker', 20], ['pgmq', 6]]);
  for (const [family, withEnv] of [...FAMILY_NAMES.map((f) => [f, false] as const), ['tasker', true] as const]) {
    for (const variant of ['defaults', 'thresholds'] as const) {
      it(`${family}${withEnv ? ' --env test' : ''}, ${variant === 'defaults' ? "Tasker's default set" : 'a threshold on every metric'}`, () => {
        const out = join(work, `${family}${withEnv ? '-env' : ''}-${variant}.rules.yml`);
        const adv = variant === 'defaults' ? noThresholds : withThresholds;
        const r = runCli(['alerts', '--family', family, '--advisor-config', adv, '--out', out, ...(withEnv ? ['--config-dir', taskerConfig, '--env', 'test'] : [])]);
        expect(r.status, r.stderr).toBe(0);
        const text = readFileSync(out, 'utf8');
        const check = spawnSync('promtool', ['check', 'rules', out], { encoding: 'utf8' });
        expect(check.status, check.stdout + check.stderr).toBe(0);

        const thresholds = variant === 'defaults' ? [] : parseThresholds(ALL_THRESHOLDS.map((text) => ({ text })));
        const plan = planAlerts({ family, thresholds, ...(withEnv ? { maxConnections: new Map([['database', 20], ['pgmq', 6]] as const) } : {}) });
        if (withEnv) expect(plan.alerts.some((a) => a.figure.kind === 'gauge' && a.figure.metric === 'utilization')).toBe(true);
        // Nothing silently dropped: each threshold is an alert or listed, with its reason, in the file and the summary.
        if (variant === 'thresholds') expect(plan.alerts.length + plan.notExpressed.length).toBe(ALL_THRESHOLDS.length);
        for (const n of plan.notExpressed) {
          expect(text).toContain(`#   ${n.what}: ${n.reason}`);
          expect(r.stdout).toContain(`  ${n.what}: ${n.reason}`);
        }
        // The file holds exactly the plan's alerts.
        const doc = parse(text) as RulesYaml;
        const alertRules = doc.groups.filter((g) => !g.name.endsWith('-budget')).flatMap((g) => g.rules).filter((x) => 'alert' in x);
        expect(alertRules.map((x) => [x.alert, x.expr, (x.labels as { severity: string }).severity])).toEqual(plan.alerts.map((a) => [a.alert, a.expr, a.severity]));
        console.log(`${family} ${variant}: ${plan.alerts.length} alerts, ${plan.recording.length} recording rules, ${plan.notExpressed.length} not expressible`);
        if (plan.alerts.length === 0) {
          // Tasker's gauges express none of the default set: the file still loads and records what it can.
          expect(family).toBe('tasker');
          expect(plan.recording.length).toBeGreaterThan(0);
          return;
        }

        // promtool compares annotations too; their templates are tested on their own below, so this copy drops them.
        for (const rule of alertRules) delete rule.annotations;
        const copy = join(work, `${family}${withEnv ? '-env' : ''}-${variant}.noannotations.yml`);
        writeFileSync(copy, stringify(doc));
        const testFile = join(work, `${family}${withEnv ? '-env' : ''}-${variant}.test.yml`);
        writeFileSync(testFile, unitTests(copy, family, plan.alerts, withEnv ? (p) => configured.get(p)! : undefined));
        const t = spawnSync('promtool', ['test', 'rules', testFile], { encoding: 'utf8', timeout: 60_000 });
        expect(t.status, `${testFile}\n${t.stdout}${t.stderr}`).toBe(0);
        // promtool evaluates each unit test over hours of synthetic series: seconds each, more on a
        // loaded machine (a guard against a hang, not a speed target).
      }, 120_000);
    }
  }

  it("renders the annotations with the pool, the target, the value in its unit and the fix", () => {
    const out = join(work, 'annotations.rules.yml');
    const r = runCli(['alerts', '--family', 'pool-advisor', '--advisor-config', noThresholds, '--threshold', 'database.acquire: avg < 20ms', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const [a] = planAlerts({ family: 'pool-advisor', thresholds: parseThresholds([{ text: 'database.acquire: avg < 20ms' }]) }).alerts;
    const test = {
      rule_files: [out],
      evaluation_interval: `${STEP_S}s`,
      tests: [
        {
          interval: `${STEP_S}s`,
          input_series: seriesFor('pool-advisor', a!.figure, 0.04, 'database'),
          alert_rule_test: [
            {
              eval_time: '12m',
              alertname: 'DatabasePoolAcquireWaitMean',
              exp_alerts: [
                {
                  exp_labels: { severity: 'critical', pool_name: 'database', instance: 'svc:9187', job: 'svc' },
                  exp_annotations: {
                    summary: 'Pool database on svc:9187: mean acquire wait over 5m is 40ms',
                    description: 'The mean acquire wait over 5m of pool database on svc:9187 breaks database.acquire: avg < 20ms, for 5m.',
                    fix: a!.annotations.fix,
                    threshold: 'database.acquire: avg < 20ms',
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    const testFile = join(work, 'annotations.test.yml');
    writeFileSync(testFile, stringify(test));
    const t = spawnSync('promtool', ['test', 'rules', testFile], { encoding: 'utf8' });
    expect(t.status, t.stdout + t.stderr).toBe(0);
    expect(a!.annotations.fix).toContain('max_connections');
  });
});

describe.skipIf(!hasTool('promtool'))('alerts: a family of the advisor config, and OpenTelemetry histograms without a unit suffix', () => {
  // `billing` is declared in [[prometheus.families]] (times in milliseconds); `otel-js` is --family otel
  // fed the names @opentelemetry/exporter-prometheus serves (no _seconds). A threshold on each figure
  // the names give (and one on create, which billing lacks): the rules load, and each alert fires on
  // its breach and not otherwise.
  const some = ['*.acquire: p(99) < 50ms', 'database.acquire: avg < 20ms', 'pgmq.hold: p(95) < 100ms', '*.create: p(99.9) < 200ms', '*.timeouts: count == 0', '*.in_use: mean < 8', '*.idle: value >= 1', '*.waiting: p(95) < 3', '*.utilization: mean < 80%', '*.utilization: max <= 95%'];
  const someThresholds = advisorFile(`[check]\nthresholds = [\n${some.map((t) => `  ${JSON.stringify(t)},`).join('\n')}\n]\n`);
  for (const family of ['billing', 'otel-js'] as const) {
    it(family === 'billing' ? 'alerts --family billing, a [[prometheus.families]] entry in milliseconds' : 'alerts --family otel on series named without _seconds', () => {
      const adv = family === 'billing' ? advisorFile(`${readFileSync(someThresholds, 'utf8')}\n${BILLING_FAMILY}`) : someThresholds;
      const out = join(work, `${family}.rules.yml`);
      const r = runCli(['alerts', '--family', family === 'billing' ? 'billing' : 'otel', '--advisor-config', adv, '--out', out]);
      expect(r.status, r.stderr).toBe(0);
      const check = spawnSync('promtool', ['check', 'rules', out], { encoding: 'utf8' });
      expect(check.status, check.stdout + check.stderr).toBe(0);
      const text = readFileSync(out, 'utf8');
      const fam = familyNamed(family === 'billing' ? 'billing' : 'otel', loadAdvisorConfig(adv).prometheus)!;
      const plan = planAlerts({ family: fam, thresholds: parseThresholds(some.map((t) => ({ text: t }))) });
      expect(plan.alerts.length + plan.notExpressed.length).toBe(some.length);
      if (family === 'billing') {
        expect(text).toContain('alerts --family billing');
        expect(text).toContain('billing_pool_wait_ms_bucket');
        // Every latency, utilisation and gauge threshold it has names for is an alert; what it lacks says which key would give it.
        expect(plan.alerts.map((a) => a.figure.kind === 'latency' ? a.figure.metric : a.figure.kind === 'gauge' || a.figure.kind === 'counter' ? a.figure.metric : a.figure.kind).filter((m, i, all) => all.indexOf(m) === i).sort()).toEqual(['acquire', 'hold', 'idle', 'in_use', 'timeouts', 'utilization', 'waiting']);
        expect(plan.notExpressed.map((n) => n.what)).toEqual(['*.create: p(99.9) < 200ms']);
        expect(plan.notExpressed.find((n) => n.what.startsWith('*.create'))?.reason).toMatch(/names no connection-open histogram \(create in its \[\[prometheus.families\]\] entry\)/);
      }
      const doc = parse(text) as RulesYaml;
      const alertRules = doc.groups.filter((g) => !g.name.endsWith('-budget')).flatMap((g) => g.rules).filter((x) => 'alert' in x);
      expect(alertRules.map((x) => [x.alert, x.expr])).toEqual(plan.alerts.map((a) => [a.alert, a.expr]));
      for (const rule of alertRules) delete rule.annotations;
      const copy = join(work, `${family}.noannotations.yml`);
      writeFileSync(copy, stringify(doc));
      const testFile = join(work, `${family}.test.yml`);
      writeFileSync(testFile, unitTests(copy, family, plan.alerts));
      const t = spawnSync('promtool', ['test', 'rules', testFile], { encoding: 'utf8', timeout: 60_000 });
      expect(t.status, `${testFile}\n${t.stdout}${t.stderr}`).toBe(0);
    }, 120_000);
  }
});

describe.skipIf(!hasTool('promtool'))('alerts: the live connection budget', () => {
  it("fires when the fleet's open connections cross 90% of the server's limit: pg_settings where scraped, else the topology's constant", () => {
    const adv = advisorFile('[check]\nthresholds = []\n[environments.production.topology]\nserver_max_connections = 100\n');
    const out = join(work, 'budget.rules.yml');
    const r = runCli(['alerts', '--family', 'pool-advisor', '--advisor-config', adv, '--for', '1m', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const check = spawnSync('promtool', ['check', 'rules', out], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    const doc = parse(readFileSync(out, 'utf8')) as RulesYaml;
    const budget = doc.groups.find((g) => g.name === 'pool-advisor-pool-advisor-budget')!;
    expect(budget.rules.map((x) => x.alert)).toEqual(['PoolConnectionBudget']);
    // The topology gives 100 - 3 reserved = 97; 90% of it is 87.3.
    expect(String(budget.rules[0]!.expr)).toContain('vector(97)');
    const stripped = join(work, 'budget.noannotations.yml');
    for (const rule of budget.rules) delete rule.annotations;
    writeFileSync(stripped, stringify(doc));
    const used = (v: string) => ({ series: 'db_client_connections{state="used",pool_name="database",instance="a:1",job="svc"}', values: v });
    const idle = { series: 'db_client_connections{state="idle",pool_name="database",instance="a:1",job="svc"}', values: '5x40' };
    const fires = [{ exp_labels: { severity: 'warning' } }];
    const test = {
      rule_files: [stripped],
      evaluation_interval: '1m',
      tests: [
        // The family's gauges against the topology's 97: 55 open, then 95 from minute 11 (over 87.3).
        { interval: '1m', input_series: [used('50x10 90x30'), idle], alert_rule_test: [{ eval_time: '5m', alertname: 'PoolConnectionBudget', exp_alerts: [] }, { eval_time: '20m', alertname: 'PoolConnectionBudget', exp_alerts: fires }] },
        // postgres_exporter scraped: its 200 - 3 = 197 wins, so 95 open is fine.
        {
          interval: '1m',
          input_series: [used('50x10 90x30'), idle, { series: 'pg_settings_max_connections{instance="pg:9187"}', values: '200x40' }, { series: 'pg_settings_superuser_reserved_connections{instance="pg:9187"}', values: '3x40' }],
          alert_rule_test: [{ eval_time: '20m', alertname: 'PoolConnectionBudget', exp_alerts: [] }],
        },
        // No pool gauges: pg_stat_activity_count across the databases, against pg_settings: 150 then 180 (over 177.3).
        {
          interval: '1m',
          input_series: [
            { series: 'pg_stat_activity_count{datname="tasker",state="active",instance="pg:9187"}', values: '100x10 130x30' },
            { series: 'pg_stat_activity_count{datname="tasker",state="idle",instance="pg:9187"}', values: '50x40' },
            { series: 'pg_settings_max_connections{instance="pg:9187"}', values: '200x40' },
            { series: 'pg_settings_superuser_reserved_connections{instance="pg:9187"}', values: '3x40' },
          ],
          alert_rule_test: [{ eval_time: '5m', alertname: 'PoolConnectionBudget', exp_alerts: [] }, { eval_time: '20m', alertname: 'PoolConnectionBudget', exp_alerts: fires }],
        },
      ],
    };
    const testFile = join(work, 'budget.test.yml');
    writeFileSync(testFile, stringify(test));
    const t = spawnSync('promtool', ['test', 'rules', testFile], { encoding: 'utf8', timeout: 60_000 });
    expect(t.status, `${t.stdout}${t.stderr}`).toBe(0);
  });
});

describe('alerts: the command', () => {
  it('writes the rules to stdout and the summary, with what it cannot express, to stderr', () => {
    const r = runCli(['alerts', '--family', 'go-sql', '--advisor-config', noThresholds]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^# Prometheus rules written by `pool-advisor alerts --family go-sql`/);
    expect(parse(r.stdout)).toHaveProperty('groups');
    expect(r.stderr).toContain("2 alerts and 3 recording rules for the go-sql family, from Tasker's default alert table");
    expect(r.stderr).toContain("Tasker's alert table: slow acquires > 5% of acquires over 5 min (warning): database/sql's DBStats have no count of slow acquires");
  });

  it('lists partial translations: OpenTelemetry counts timeouts, not other failed acquires', () => {
    const r = runCli(['alerts', '--advisor-config', noThresholds]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('Expressed in part with the otel family:');
    expect(r.stdout).toContain('#   Tasker\'s alert table: acquire errors or timeouts > 0 in 5 min (warning): the alert counts timeouts only');
  });

  it('translates the shipped advisor config thresholds by default', () => {
    const r = runCli(['alerts', '--family', 'pool-advisor'], { cwd: work });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("expr: pool_advisor:acquire_wait_seconds:p99_5m >= 0.1\n");
    expect(r.stdout).toContain("expr: pool_advisor:acquire_timeouts:rate_5m * 300 != 0\n");
  });

  it('refuses a bad family, duration or output with one ERROR line and exit 2, writing nothing', () => {
    const before = readFileSync(withThresholds, 'utf8');
    const linkToConfig = join(work, 'link-to-advisor.toml');
    const taskerDir = scenarioConfig({ max_connections: 20, min_connections: 2 });
    const taskerBefore = readFileSync(join(taskerDir, 'base', 'common.toml'), 'utf8');
    symlinkSync(withThresholds, linkToConfig);
    const cases: Array<[string[], string]> = [
      [['--family', 'hikari'], "ERROR: --family 'hikari': unknown metric family (did you mean 'hikaricp'?)"],
      [['--family', 'prom'], "ERROR: --family 'prom': unknown metric family"],
      [['--window', '5 minutes'], "ERROR: --window '5 minutes': not a duration"],
      [['--window', '0s'], "ERROR: --window '0s': must be whole seconds from 1s to 24h"],
      [['--for', '1.5s'], "ERROR: --for '1.5s': must be whole seconds from 0s to 24h"],
      [['--out', withThresholds], `ERROR: --out ${withThresholds}: is an input of this command`],
      [['--out', '/nonexistent/dir/rules.yml'], 'ERROR: --out /nonexistent/dir/rules.yml: the directory /nonexistent/dir does not exist'],
      [['--threshold', 'database.acquire: p99 < 5ms'], "ERROR: --threshold: threshold 'database.acquire: p99 < 5ms': write percentiles as p(N)"],
      [['--env', 'production'], 'ERROR: --env has no effect with --family otel'],
      [['--family', 'tasker', '--env', 'staging'], "ERROR: --env 'staging': no such environment in"],
      [['--family', 'tasker', '--config-dir', work], 'ERROR: --config-dir needs --env'],
      [['--out', linkToConfig], `ERROR: --out ${linkToConfig}: is an input of this command`],
      [['--family', 'tasker', '--config-dir', taskerDir, '--env', 'test', '--out', join(taskerDir, 'base', 'common.toml')], 'is an input of this command'],
      [['--pool-name', 'db=x'], "ERROR: --pool-name 'db=x': unknown pool 'db'"],
      [['--pool-name', 'database'], "ERROR: --pool-name 'database': expected POOL=NAME with a non-empty printable name"],
      [['--pool-name', 'database=a', '--pool-name', 'database=b'], "ERROR: --pool-name 'database=b': pool 'database' is named twice"],
    ];
    for (const [args, message] of cases) {
      const r = runCli(['alerts', '--advisor-config', withThresholds, ...args]);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('ERROR:'));
      expect(errors, args.join(' ')).toHaveLength(1);
      expect(errors[0]).toContain(message);
      expect(r.stdout).toBe('');
    }
    expect(readFileSync(withThresholds, 'utf8')).toBe(before);
    expect(readFileSync(join(taskerDir, 'base', 'common.toml'), 'utf8')).toBe(taskerBefore);
  });

  it('--pool-name puts the service’s own pool name in the alerts', () => {
    const r = runCli(['alerts', '--family', 'hikaricp', '--advisor-config', noThresholds, '--threshold', 'database.timeouts: count == 0', '--pool-name', 'database=HikariPool-1']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`expr: pool_advisor:acquire_timeouts:rate_5m{pool="HikariPool-1"} * 300 != 0\n`);
    const without = runCli(['alerts', '--family', 'hikaricp', '--advisor-config', noThresholds, '--threshold', 'database.timeouts: count == 0']);
    expect(without.stderr).toContain('Alerts on named pools match pool="database"; if the service names its pools otherwise, pass --pool-name database=ITS_NAME');
  });

  it('--window and --for replace every range and every for', () => {
    const r = runCli(['alerts', '--family', 'pool-advisor', '--advisor-config', noThresholds, '--window', '10s', '--for', '2s']);
    expect(r.status, r.stderr).toBe(0);
    const doc = parse(r.stdout) as RulesYaml;
    const rules = doc.groups.flatMap((g) => g.rules);
    for (const x of rules) if ('record' in x) expect(String(x.expr)).not.toMatch(/\[(1m|5m)\]/);
    for (const x of rules.filter((x) => 'alert' in x)) expect(x.for).toBe('2s');
  });
});
