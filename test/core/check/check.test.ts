import { join } from 'node:path';
import { evidenceFromRun } from '../../../src/core/evidence/fromRun.js';
import { describe, expect, it } from 'vitest';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { loadConfig } from '../../../src/shell/configDir.js';
import type { TopologySpec } from '../../../src/core/advisor/types.js';
import { budgetArithmetic, checkStatic, staticBudget } from '../../../src/core/check/static.js';
import { checkOutcome, type CheckReport } from '../../../src/core/check/report.js';
import { escapeData, escapeProperty, renderCheckGithub } from '../../../src/core/check/formats/github.js';
import { renderCheckJunit, xmlEscape } from '../../../src/core/check/formats/junit.js';
import { renderCheckText } from '../../../src/core/check/formats/text.js';
import { parseThresholds } from '../../../src/core/thresholds/parse.js';
import { evaluateThresholds } from '../../../src/core/thresholds/evaluate.js';
import { EXAMPLE_DIR, copyExample } from '../../helpers/configFixture.js';
import { buildEnvironment, buildRunFile, healthyPool, saturatedPool } from '../../helpers/checkRunBuilder.js';

/** GitHub's workflow command syntax: `::level key=value,key=value::message`, properties escaped. */
export const ANNOTATION = /^::(error|warning|notice)( (file|line|endLine|col|endColumn|title)=[^,:\r\n]*(,(file|line|endLine|col|endColumn|title)=[^,:\r\n]*)*)?::[^\r\n]*$/;

const env = {} as Record<string, string | undefined>;
const topology = (over: Partial<TopologySpec> = {}): TopologySpec => ({
  serverMaxConnections: 200,
  superuserReserved: 3,
  reservedConnections: 0,
  adminHeadroom: 0,
  otherConnections: 10,
  services: [
    { name: 'orchestration', replicas: 2, pools: ['database', 'pgmq', 'orchestration_web'] },
    { name: 'worker', replicas: 4, pools: ['database', 'worker_web'] },
  ],
  ...over,
});

describe('connection budget', () => {
  const model = loadConfig(EXAMPLE_DIR, env);
  const production = model.environments.find((e) => e.name === 'production')!;
  const test = model.environments.find((e) => e.name === 'test')!;

  it('sums replicas x active pools + reserved + other; pgmq counts when it has its own database', () => {
    const b = staticBudget(production, topology());
    // production: database 50, pgmq 25 (own url), orchestration_web 50, worker_web inert.
    expect(b.services.map((s) => [s.name, s.perReplica, s.total])).toEqual([
      ['orchestration', 125, 250],
      ['worker', 50, 200],
    ]);
    expect(b.total).toBe(450 + 3 + 10);
    expect(b.status).toBe('over');
    expect(b.largest).toMatchObject({ pool: 'database', key: 'max_connections', maxConnections: 50, replicas: 6, connections: 300 });
    expect(b.largest!.origin).toMatchObject({ rel: 'environments/production/common.toml', line: 4 });
  });

  it('does not count pgmq when it shares the main pool, nor worker_web', () => {
    const b = staticBudget(test, topology({ serverMaxConnections: 1000 }));
    expect(b.status).toBe('ok');
    expect(budgetArithmetic(b)).toBe(
      `2 × orchestration (database ${test.pools.database.settings.max_connections} + pgmq 0 (inert) + orchestration_web ${test.pools.orchestration_web.settings.max_connections}) + 4 × worker (database ${test.pools.database.settings.max_connections} + worker_web 0 (inert)) + 3 superuser reserved + 10 other = ${b.total}`,
    );
  });

  it('takes the server max from a saved run when the topology has none, and skips without either', () => {
    const { serverMaxConnections: _drop, ...noServer } = topology();
    expect(staticBudget(production, noServer, { server: { maxConnections: 1000, superuserReserved: 3, observed: false } })).toMatchObject({ status: 'ok', serverMaxConnections: 1000, serverSource: 'run' });
    expect(staticBudget(production, noServer)).toMatchObject({ status: 'skipped' });
  });

  it('an over-subscribed budget is an error at the largest contributor, with the numbers', () => {
    const r = checkStatic({ model, topologies: { production: topology() }, advisorSource: 'pool-advisor.toml' });
    const issue = r.issues.find((i) => i.code === 'connection-budget')!;
    expect(issue).toMatchObject({ severity: 'error', file: join(EXAMPLE_DIR, 'environments/production/common.toml'), line: 4, envs: ['production'], pool: 'database' });
    expect(issue.message).toBe(
      "connection budget over-subscribed in 'production': 2 × orchestration (database 50 + pgmq 25 + orchestration_web 50) + 4 × worker (database 50 + worker_web 0 (inert)) + 3 superuser reserved + 10 other = 463 > server max_connections 200; the largest share is [common.database.pool] max_connections = 50 × 6 replicas = 300; lower max_connections or replicas, or raise the server's max_connections",
    );
  });

  it('a topology for an environment the config lacks is an error; --env limits issues and budgets', () => {
    const r = checkStatic({ model, topologies: { staging: topology() }, advisorSource: 'pool-advisor.toml' });
    expect(r.issues.find((i) => i.code === 'unknown-environment')?.message).toBe(
      `the advisor config has a topology for environment 'staging', which ${EXAMPLE_DIR} does not have (it has: development, test, production)`,
    );
    const only = checkStatic({ model, topologies: { production: topology(), test: topology() }, envs: ['test'] });
    expect(only.budgets.map((b) => b.env)).toEqual(['test']);
    expect(only.issues.every((i) => i.envs.length === 0 || i.envs.includes('test'))).toBe(true);
  });

  it('includes the config lint: min above max is an error at its line', () => {
    const dir = copyExample({ 'environments/test/common.toml': '[common.database.pool]\nmax_connections = 5\nmin_connections = 8\n' });
    const r = checkStatic({ model: loadConfig(dir, env), topologies: {} });
    expect(r.issues.find((i) => i.code === 'min-above-max')).toMatchObject({ file: join(dir, 'environments/test/common.toml'), line: 3 });
  });
});

function report(over: Partial<CheckReport> = {}): CheckReport {
  const run = buildRunFile([buildEnvironment('test', [healthyPool()]), buildEnvironment('production', [saturatedPool()])]);
  const thresholds = parseThresholds([{ text: 'database.acquire: p(99) < 50ms', source: { label: 'a,b:c.toml', file: 'a,b:c.toml', line: 3 } }, { text: '*.timeouts: count == 0' }]);
  const model = loadConfig(EXAMPLE_DIR, env);
  return {
    run: { path: 'run.json', createdAt: run.createdAt, target: run.target, partial: false, environments: ['test', 'production'] },
    thresholds,
    results: evaluateThresholds(thresholds, evidenceFromRun(run)),
    evaluated: true,
    static: checkStatic({ model, topologies: { production: topology() } }),
    noSamples: false,
    ...over,
  };
}

describe('check outcome', () => {
  it('maps findings to exit codes', () => {
    const r = report();
    expect(checkOutcome(r)).toMatchObject({ exitCode: 1, held: 2, breached: 2, noData: 0, errors: 1, budgetsOver: 1 });
    expect(checkOutcome({ ...r, results: r.results.filter((x) => x.status === 'held'), static: { ...r.static!, issues: [], budgets: [] } }).exitCode).toBe(0);
    expect(checkOutcome({ ...r, results: [], noSamples: true, static: { ...r.static!, issues: [], budgets: [] } }).exitCode).toBe(4);
    expect(checkOutcome({ ...r, noSamples: true }).exitCode).toBe(1);
  });
});

describe('renderers', () => {
  it('text: one line per threshold with mark, expression and observed value, then the config', () => {
    const text = renderCheckText(report(), { color: false });
    expect(text).toContain('  test\n    ✓ database.acquire: p(99) < 50ms  p(99)=200µs\n    ✓ database.timeouts: count == 0   count=0\n');
    expect(text).toContain('  production\n    ✗ database.acquire: p(99) < 50ms  p(99)=120.1ms\n    ✗ database.timeouts: count == 0   count=7\n');
    expect(text).toContain(`  ✗ ${join(EXAMPLE_DIR, 'environments/production/common.toml')}:4: connection budget over-subscribed in 'production'`);
    expect(text.trimEnd().split('\n').at(-1)).toBe('✗ check failed · 4 thresholds: 2 held, 2 breached · config: 1 error, 5 warnings');
  });

  it('junit: valid XML a real parser reads, one testcase per threshold and per lint error, escaped', () => {
    const xml = renderCheckJunit(report());
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['testsuite', 'testcase'].includes(name) }).parse(xml);
    const suites = doc.testsuites.testsuite as Array<{ name: string; testcase: Array<{ name: string; classname: string; failure?: { type: string; message: string } }> }>;
    const thresholds = suites.find((s) => s.name === 'pool-advisor thresholds')!;
    expect(thresholds.testcase.map((c) => [c.classname, c.name, c.failure?.type ?? 'ok'])).toEqual([
      ['pool-advisor.thresholds.test', 'database.acquire: p(99) < 50ms', 'ok'],
      ['pool-advisor.thresholds.test', 'database.timeouts: count == 0', 'ok'],
      ['pool-advisor.thresholds.production', 'database.acquire: p(99) < 50ms', 'breached'],
      ['pool-advisor.thresholds.production', 'database.timeouts: count == 0', 'breached'],
    ]);
    const config = suites.find((s) => s.name === 'pool-advisor config')!;
    expect(config.testcase.map((c) => [c.name, c.failure?.type ?? 'ok'])).toEqual([
      [`config lint: ${EXAMPLE_DIR}`, 'ok'],
      ['connection budget: production', 'connection-budget'],
    ]);
    expect(doc.testsuites.tests).toBe('6');
    expect(doc.testsuites.failures).toBe('3');
  });

  it('xml escaping covers markup, quotes and characters XML cannot hold', () => {
    expect(xmlEscape(`a<b>&"c'\u0001d`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;d');
  });

  it('github: annotations follow the documented syntax; file and line for config problems', () => {
    const out = renderCheckGithub(report());
    const annotations = out.split('\n').filter((l) => l.startsWith('::'));
    expect(annotations.length).toBeGreaterThan(0);
    for (const l of annotations) expect(l).toMatch(ANNOTATION);
    expect(annotations).toContain('::error file=a%2Cb%3Ac.toml,line=3,title=pool-advisor threshold breached::production: database.acquire: p(99) < 50ms: p(99)=120.1ms');
    expect(annotations.find((l) => l.includes('connection budget'))).toMatch(
      new RegExp(`^::error file=${join(EXAMPLE_DIR, 'environments/production/common.toml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')},line=4,col=1,title=pool-advisor connection budget::connection budget over-subscribed in 'production'`),
    );
  });

  it('github escaping: % CR LF in messages, and also : , in properties', () => {
    expect(escapeData('50%\r\nnext: a,b')).toBe('50%25%0D%0Anext: a,b');
    expect(escapeProperty('C:\\x,y%\n')).toBe('C%3A\\x%2Cy%25%0A');
  });
});
