/**
 * The pure side of `alerts`: the YAML of the rules file (reads back as the plan), the translation
 * of thresholds (the firing condition is the threshold's negation; nothing is dropped without a
 * reason), the default set (Tasker's table), the family tables and the file's comments.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parse } from 'yaml';
import { planAlerts } from '../../../src/core/alerts/build.js';
import { figureExpr, promDuration, recordName } from '../../../src/core/alerts/figures.js';
import { FAMILY_NAMES, familyNamed, isUnexpressible } from '../../../src/core/alerts/families.js';
import { defaultPrometheusSpec, type PrometheusSpec } from '../../../src/core/metrics-catalogue/families.js';
import { renderAlertsSummary, renderRulesFile } from '../../../src/core/alerts/render.js';
import { METRIC_NAMES, parseThreshold, parseThresholds } from '../../../src/core/thresholds/parse.js';

const thresholds = (...texts: string[]) => parseThresholds(texts.map((text) => ({ text })));

describe('the YAML of the rules file', () => {
  const tricky = fc.constantFrom('', ' ', 'yes', 'No', 'null', '~', 'on', 'y', ' a', 'a ', 'a: b', 'a:', '#x', 'a #b', '- x', '? x', "it's", '"q"', '{{ $value }}', '[x]', '{x}', '*a', '&a', '!t', '%x', '@x', '`x', '|', '>', '0x1F', '1e3', '.5', '5m', '1:30', 'a\nb', 'a\r\nb', '\t', '\u2028', '\u0085', '\x7f', '\ufeff', 'é ✓ µs', '\\', 'x\\n', '---', '...');
  const anyString = fc.oneof(tricky, fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }));

  it('reads back as the plan, read as YAML 1.1 or 1.2, whatever the header quotes', () => {
    const plan = planAlerts({ family: 'otel', thresholds: thresholds('*.timeouts: count == 0', 'database.acquire: p(99) < 50ms') });
    const groups = parse(renderRulesFile(plan, { advisorConfig: 'pool-advisor.toml', flagThresholds: 0 })).groups;
    expect(groups[1].rules.map((r: { alert: string }) => r.alert)).toEqual(plan.alerts.map((a) => a.alert));
    expect(groups[1].rules[0].expr).toBe(plan.alerts[0]!.expr);
    fc.assert(
      fc.property(anyString, (name) => {
        const file = renderRulesFile(plan, { advisorConfig: name, flagThresholds: 0 });
        expect(parse(file, { version: '1.1' }).groups).toEqual(groups);
        expect(parse(file).groups).toEqual(groups);
      }),
      { numRuns: 500 },
    );
  });

  it('quotes strings a YAML 1.1 reader would take for something else', () => {
    const plan = planAlerts({ family: 'otel', thresholds: thresholds('*.timeouts: count == 0') });
    const file = renderRulesFile(plan, { advisorConfig: 'pool-advisor.toml', flagThresholds: 0 });
    for (const a of parse(file, { version: '1.1' }).groups[1].rules) for (const v of Object.values(a.annotations)) expect(typeof v).toBe('string');
  });
});

describe('translating thresholds', () => {
  it('fires on the negation of the threshold, in the figure unit', () => {
    const cases: Array<[string, string]> = [
      ['database.acquire: p(99) < 50ms', 'pool_advisor:acquire_wait_seconds:p99_5m{pool_name="database"} >= 0.05'],
      ['*.acquire: p(99.9) <= 1s', 'pool_advisor:acquire_wait_seconds:p99_9_5m > 1'],
      ['*.hold: avg > 2', 'pool_advisor:hold_seconds:mean_5m <= 0.002'],
      ['*.timeouts: count == 0', 'pool_advisor:acquire_timeouts:rate_5m * 300 != 0'],
      ['*.timeouts: count == 3', 'round(pool_advisor:acquire_timeouts:rate_5m * 300) != 3'],
      ['*.created: count != 2', 'round(pool_advisor:connections_created:rate_5m * 300) == 2'],
      ['*.expired: rate < 0.1', 'pool_advisor:connections_expired:rate_5m >= 0.1'],
      ['*.slow_share: rate < 5%', 'pool_advisor:slow_share:ratio_5m >= 0.05'],
      ['pgmq.utilization: p(95) >= 10%', 'pool_advisor:utilization:p95_5m{pool_name="pgmq"} < 0.1'],
      ['*.waiting: value <= 3', 'pool_advisor:pending_acquires > 3'],
    ];
    for (const [text, expr] of cases) {
      const [a] = planAlerts({ family: 'pool-advisor', thresholds: thresholds(text) }).alerts;
      expect(a?.expr, text).toBe(expr);
    }
  });

  it('names the pool in each family’s own label and values', () => {
    const t = thresholds('database.in_use: max < 9', 'pgmq.in_use: max < 9', 'orchestration_web.in_use: max < 9');
    expect(planAlerts({ family: 'otel', thresholds: t }).alerts.map((a) => a.expr)).toEqual([
      'pool_advisor:connections_in_use:max_5m{db_client_connection_pool_name="database"} >= 9',
      'pool_advisor:connections_in_use:max_5m{db_client_connection_pool_name="pgmq"} >= 9',
      'pool_advisor:connections_in_use:max_5m{db_client_connection_pool_name="orchestration_web"} >= 9',
    ]);
    const tasker = planAlerts({ family: 'tasker', thresholds: t });
    expect(tasker.alerts.map((a) => a.expr)).toEqual(['pool_advisor:connections_in_use:max_5m{pool="tasker"} >= 9', 'pool_advisor:connections_in_use:max_5m{pool="pgmq"} >= 9']);
    expect(tasker.notExpressed).toEqual([{ what: 'orchestration_web.in_use: max < 9', reason: "Tasker's /metrics reports the tasker and pgmq pools only, not 'orchestration_web'" }]);
  });

  it('accounts for every threshold of every metric and aggregation in every family: an alert or a reason', () => {
    const all = METRIC_NAMES.flatMap((m) => {
      const kind = parseThreshold(`*.${m}: ${m === 'acquire' || m === 'hold' || m === 'create' ? 'avg < 1ms' : m === 'waited' || m === 'slow_share' ? 'rate < 1%' : ['in_use', 'idle', 'waiting', 'utilization'].includes(m) ? 'max < 0.5' : 'count == 0'}`).kind;
      const aggs = kind === 'latency' ? ['p(99) < 5ms', 'avg < 5ms', 'max < 5ms', 'min < 5ms'] : kind === 'counter' ? ['count < 5', 'rate < 5'] : kind === 'ratio' ? ['rate < 5%'] : ['value < 0.5', 'mean < 0.5', 'p(90) < 0.5', 'max < 0.5'];
      return aggs.map((a) => `*.${m}: ${a}`);
    });
    for (const family of FAMILY_NAMES) {
      const plan = planAlerts({ family, thresholds: thresholds(...all) });
      expect(plan.alerts.length + plan.notExpressed.length, family).toBe(all.length);
      for (const n of plan.notExpressed) expect(n.reason.length, `${family} ${n.what}`).toBeGreaterThan(20);
      // Every alert reads a recorded figure the file defines.
      const records = new Set(plan.recording.map((r) => r.record));
      for (const a of plan.alerts) expect(records.has(recordName(a.figure)), a.expr).toBe(true);
    }
    // What each family can say, counted (a change here is a change to docs/alerts.md's table).
    const counts = Object.fromEntries(FAMILY_NAMES.map((f) => [f, planAlerts({ family: f, thresholds: thresholds(...all) }).alerts.length]));
    expect(counts).toEqual({ otel: 26, 'pool-advisor': 35, hikaricp: 26, 'go-sql': 16, tasker: 8 });
  });

  it('writes the figures a family has and refuses the ones it has not', () => {
    // OpenTelemetry's histograms under each name the catalogue knows (no suffix from the JS SDK's exporter, _seconds, older _milliseconds), each in seconds.
    expect(figureExpr({ kind: 'latency', metric: 'acquire', agg: { name: 'p', q: 99 }, window: 300 }, 'otel')).toBe(
      'histogram_quantile(0.99, rate(db_client_connection_wait_time_bucket[5m])) or histogram_quantile(0.99, rate(db_client_connection_wait_time_seconds_bucket[5m])) or histogram_quantile(0.99, rate(db_client_connection_wait_time_milliseconds_bucket[5m])) * 0.001',
    );
    expect(figureExpr({ kind: 'gauge', metric: 'utilization', agg: { name: 'mean' }, window: 60 }, 'otel')).toBe(
      '(rate(db_client_connection_use_time_sum[1m]) or rate(db_client_connection_use_time_seconds_sum[1m]) or rate(db_client_connection_use_time_milliseconds_sum[1m]) * 0.001) / db_client_connection_max',
    );
    expect(figureExpr({ kind: 'latency', metric: 'acquire', agg: { name: 'p', q: 99 }, window: 300 }, 'pool-advisor')).toBe('histogram_quantile(0.99, rate(db_client_connection_wait_time_seconds_bucket[5m]))');
    expect(figureExpr({ kind: 'latency', metric: 'acquire', agg: { name: 'max' }, window: 60 }, 'hikaricp')).toBe('max_over_time(hikaricp_connections_acquire_seconds_max[1m])');
    expect(figureExpr({ kind: 'gauge', metric: 'utilization', agg: { name: 'mean' }, window: 60 }, 'go-sql')).toBe('avg_over_time(go_sql_in_use_connections[1m]) / (go_sql_max_open_connections > 0)');
    expect(figureExpr({ kind: 'gauge', metric: 'utilization', agg: { name: 'value' }, window: 60 }, 'otel')).toBe('db_client_connection_count{db_client_connection_state="used"} / ignoring(db_client_connection_state) db_client_connection_max');
    expect(figureExpr({ kind: 'counter', metric: 'errors', window: 60 }, 'pool-advisor')).toBe('rate(pool_advisor_acquire_errors_total[1m]) - rate(db_client_connection_timeouts_total[1m])');
    expect(isUnexpressible(figureExpr({ kind: 'latency', metric: 'acquire', agg: { name: 'p', q: 99 }, window: 60 }, 'hikaricp'))).toBe(true);
    expect(isUnexpressible(figureExpr({ kind: 'gauge', metric: 'utilization', agg: { name: 'mean' }, window: 60 }, 'tasker'))).toBe(true);
    expect(isUnexpressible(figureExpr({ kind: 'ratio', metric: 'waited', window: 60 }, 'pool-advisor'))).toBe(true);
  });

  it("divides Tasker's in-use gauge by the config's max_connections when given, per pool", () => {
    const t = thresholds('*.utilization: mean < 80%');
    expect(planAlerts({ family: 'tasker', thresholds: t }).notExpressed[0]?.reason).toMatch(/no max_connections gauge .*; pass --env ENV \(and --config-dir\)/);
    const plan = planAlerts({ family: 'tasker', thresholds: t, maxConnections: new Map([['database', 50], ['pgmq', 25], ['orchestration_web', 30]] as const) });
    expect(plan.recording.find((r) => r.record === 'pool_advisor:utilization:mean_5m')?.expr).toBe(
      'max without (state) (avg_over_time(tasker_db_pool_connections{state="active",pool="tasker"}[5m])) / 50 or max without (state) (avg_over_time(tasker_db_pool_connections{state="active",pool="pgmq"}[5m])) / 25',
    );
    expect(plan.alerts.map((a) => a.expr)).toEqual(['pool_advisor:utilization:mean_5m >= 0.8']);
  });

  it('matches named pools by --pool-name, and says how it matched them when not given', () => {
    const t = thresholds('database.acquire: avg < 20ms', 'pgmq.acquire: avg < 20ms', '*.timeouts: count == 0');
    const plain = planAlerts({ family: 'hikaricp', thresholds: t });
    expect(plain.notes).toEqual(['Alerts on named pools match pool="database", pool="pgmq"; if the service names its pools otherwise, pass --pool-name database=ITS_NAME (or use * in the threshold).']);
    const named = planAlerts({ family: 'hikaricp', thresholds: t, poolNames: new Map([['database', 'HikariPool-1'], ['pgmq', 'q"1']] as const) });
    expect(named.alerts.map((a) => a.expr)).toEqual([
      'pool_advisor:acquire_wait_seconds:mean_5m{pool="HikariPool-1"} >= 0.02',
      'pool_advisor:acquire_wait_seconds:mean_5m{pool="q\\"1"} >= 0.02',
      'pool_advisor:acquire_timeouts:rate_5m * 300 != 0',
    ]);
    expect(named.notes).toEqual([]);
    expect(planAlerts({ family: 'pool-advisor', thresholds: t }).notes).toEqual([]);
  });

  it('lists a utilisation threshold on a pool the Tasker config gives no max_connections for', () => {
    const plan = planAlerts({ family: 'tasker', thresholds: thresholds('pgmq.utilization: mean < 80%', 'database.utilization: mean < 80%'), maxConnections: new Map([['database', 50]] as const) });
    expect(plan.alerts.map((a) => a.expr)).toEqual(['pool_advisor:utilization:mean_5m{pool="tasker"} >= 0.8']);
    expect(plan.notExpressed).toEqual([{ what: 'pgmq.utilization: mean < 80%', reason: "the config gives no max_connections for 'pgmq' in that environment (Tasker builds no pool of its own for it there)" }]);
  });

  it('numbers duplicates of one alert name', () => {
    const plan = planAlerts({ family: 'otel', thresholds: thresholds('*.acquire: p(99) < 50ms', '*.acquire: p(99) < 100ms') });
    expect(plan.alerts.map((a) => a.alert)).toEqual(['PoolAcquireWaitP99', 'PoolAcquireWaitP99_2']);
  });

  it("writes a [[prometheus.families]] family's rules in its own names, in seconds, and names the key each missing figure needs", () => {
    const spec: PrometheusSpec = {
      ...defaultPrometheusSpec(),
      families: [{ id: 'billing', title: 'billing (advisor config)', poolLabel: 'svc_pool', signature: ['pw_count'], wait: [{ base: 'pw', unit: 'milliseconds' }], use: [{ base: 'ph', unit: 'microseconds' }], timeouts: 'pt_total', inUse: { metric: 'pc', match: [['phase', 'busy']] }, idle: { metric: 'pc', match: [['phase', 'free']] } }],
    };
    const fam = familyNamed('billing', spec)!;
    const expr = (f: Parameters<typeof figureExpr>[0]) => figureExpr(f, fam);
    expect(expr({ kind: 'latency', metric: 'acquire', agg: { name: 'p', q: 99 }, window: 300 })).toBe('histogram_quantile(0.99, rate(pw_bucket[5m])) * 0.001');
    expect(expr({ kind: 'latency', metric: 'hold', agg: { name: 'avg' }, window: 60 })).toBe('rate(ph_sum[1m]) / rate(ph_count[1m]) * 0.000001');
    expect(expr({ kind: 'gauge', metric: 'in_use', agg: { name: 'max' }, window: 60 })).toBe('max without (phase) (max_over_time(pc{phase="busy"}[1m]))');
    expect(expr({ kind: 'counter', metric: 'failures', window: 60 })).toBe('rate(pt_total[1m])');
    expect(fam.failuresCaveat).toMatch(/timeouts only/);
    expect(expr({ kind: 'latency', metric: 'create', agg: { name: 'avg' }, window: 60 })).toEqual({ reason: "the advisor config's family 'billing' names no connection-open histogram (create in its [[prometheus.families]] entry)" });
    expect(expr({ kind: 'gauge', metric: 'utilization', agg: { name: 'mean' }, window: 60 })).toEqual({ reason: expect.stringMatching(/names no gauge of the pool size \(max in its \[\[prometheus\.families\]\] entry\); pass --env ENV/) });
    const plan = planAlerts({ family: fam, thresholds: thresholds('*.acquire: p(99) < 50ms', '*.create: avg < 1s') });
    expect(plan.family).toBe('billing');
    expect(renderRulesFile(plan, { advisorConfig: 'pool-advisor.toml', flagThresholds: 0 })).toContain('# Metrics: billing (advisor config), label svc_pool.');
    // A name the config does not declare is no family; the [prometheus] units apply to a built-in's names too.
    expect(familyNamed('nosuch', spec)).toBeUndefined();
    const ms = familyNamed('otel', { ...spec, units: { db_client_connection_wait_time: 'milliseconds' } })!;
    expect(figureExpr({ kind: 'acquires', window: 60 }, ms)).toBe('rate(db_client_connection_wait_time_count[1m]) or rate(db_client_connection_wait_time_seconds_count[1m]) or rate(db_client_connection_wait_time_milliseconds_count[1m])');
    expect(figureExpr({ kind: 'latency', metric: 'acquire', agg: { name: 'p', q: 50 }, window: 60 }, ms)).toMatch(/^histogram_quantile\(0\.5, rate\(db_client_connection_wait_time_bucket\[1m\]\)\) \* 0\.001 or /);
  });

  it('formats windows as Prometheus durations', () => {
    expect([1, 59, 60, 90, 300, 3600, 5400, 7200].map(promDuration)).toEqual(['1s', '59s', '1m', '90s', '5m', '1h', '90m', '2h']);
  });
});

describe("Tasker's default set", () => {
  it('is the table: utilisation 80%/5m and 95%/1m, slow 5%/20%, failures >0 in 5m and >10 in 1m, mean wait 50/200 ms', () => {
    const plan = planAlerts({ family: 'pool-advisor', thresholds: [] });
    expect(plan.defaults).toBe(true);
    expect(plan.alerts.map((a) => `${a.alert} ${a.severity} for=${a.forS} ${a.expr}`)).toEqual([
      'PoolUtilizationHigh warning for=300 pool_advisor:utilization:mean_1m > 0.8',
      'PoolUtilizationHigh critical for=60 pool_advisor:utilization:mean_1m > 0.95',
      'PoolSlowAcquires warning for=0 pool_advisor:slow_share:ratio_5m > 0.05',
      'PoolSlowAcquires critical for=0 pool_advisor:slow_share:ratio_1m > 0.2',
      'PoolAcquireFailures warning for=0 pool_advisor:acquire_failures:rate_5m * 300 > 0',
      'PoolAcquireFailures critical for=0 pool_advisor:acquire_failures:rate_1m * 60 > 10',
      'PoolAcquireWaitHigh warning for=0 pool_advisor:acquire_wait_seconds:mean_5m > 0.05',
      'PoolAcquireWaitHigh critical for=0 pool_advisor:acquire_wait_seconds:mean_1m > 0.2',
    ]);
    expect(plan.notExpressed).toEqual([]);
  });

  it('--window and --for replace the table’s', () => {
    const plan = planAlerts({ family: 'otel', thresholds: [], windowS: 10, forS: 2 });
    expect(new Set(plan.alerts.map((a) => `${a.figure.window}/${a.forS}`))).toEqual(new Set(['10/2']));
  });
});

describe('the rules file', () => {
  it('lists what the family cannot express, in the header comments and the summary', () => {
    const plan = planAlerts({ family: 'hikaricp', thresholds: thresholds('*.acquire: p(99) < 50ms', '*.timeouts: count == 0') });
    const file = renderRulesFile(plan, { advisorConfig: 'pool-advisor.toml', flagThresholds: 0 });
    expect(file).toContain('#   *.acquire: p(99) < 50ms: Micrometer publishes HikariCP timers with _count, _sum and _max only');
    expect(file).toContain('- alert: PoolAcquireTimeouts');
    expect(parse(file).groups.map((g: { name: string }) => g.name)).toEqual(['pool-advisor-hikaricp-recording', 'pool-advisor-hikaricp-alerts']);
    const summary = renderAlertsSummary(plan, 'rules.yml');
    expect(summary).toContain('1 alert and 5 recording rules for the hikaricp family to rules.yml, from the thresholds');
    expect(summary).toContain('Not expressible with the hikaricp family (no rule written):\n  *.acquire: p(99) < 50ms: Micrometer');
  });

  it('keeps a file name with line breaks or template braces out of the rules', () => {
    const plan = planAlerts({ family: 'otel', thresholds: thresholds('*.timeouts: count == 0') });
    const file = renderRulesFile(plan, { advisorConfig: 'a\n- alert: Evil {{ x }}.toml', flagThresholds: 0 });
    expect(parse(file).groups[1].rules).toHaveLength(1);
    expect(file).not.toContain('\n- alert: Evil');
  });
});
