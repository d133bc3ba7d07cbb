import { describe, expect, it } from 'vitest';
import { inertSettings } from '../../../src/core/rules/inertSettings.js';
import { defaultAdvisorConfig } from '../../../src/core/advisor/defaults.js';
import { BASE_SETTINGS, configSnapshot, HEALTHY } from '../../helpers/syntheticRun.js';
import { analysedPool } from '../../helpers/ruleContext.js';

const { env } = analysedPool(HEALTHY);
const withConfig = (config: typeof env.config) => ({ env: { ...env, config }, advisor: defaultAdvisorConfig(), budget: null });

describe('inert-settings', () => {
  it("warns about PGMQ's pool keys while PGMQ shares the database pool, and about the worker web pool, once per table", () => {
    const out = inertSettings.evaluate(
      withConfig({
        database: configSnapshot('database', BASE_SETTINGS),
        pgmq: configSnapshot('pgmq', { ...BASE_SETTINGS, max_connections: 15 }, { active: false, sharesDatabasePool: true }),
        worker_web: configSnapshot('worker_web', BASE_SETTINGS, { active: false }),
      }),
    );
    expect(out.map((f) => [f.pool, f.severity])).toEqual([
      ['pgmq', 'warning'],
      ['worker_web', 'warning'],
    ]);
    expect(out[0]!.message).toContain('[common.pgmq_database.pool]');
    expect(out[0]!.message).toContain('PGMQ shares the database pool');
    expect(out[0]!.file).toBe('config/tasker/base/common.toml');
    expect(out[1]!.message).toContain('Tasker builds no pool from this table');
  });

  it('is silent when those pools are active or their tables are not written', () => {
    expect(inertSettings.evaluate(withConfig({ pgmq: configSnapshot('pgmq', BASE_SETTINGS, { active: true, sharesDatabasePool: false }) }))).toEqual([]);
    const unwritten = configSnapshot('worker_web', BASE_SETTINGS, { active: false });
    for (const k of Object.values(unwritten.keys)) k.file = null;
    expect(inertSettings.evaluate(withConfig({ worker_web: unwritten }))).toEqual([]);
  });
});
