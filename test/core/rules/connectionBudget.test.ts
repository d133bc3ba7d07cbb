import { describe, expect, it } from 'vitest';
import { connectionBudget } from '../../../src/core/rules/connectionBudget.js';
import { defaultAdvisorConfig } from '../../../src/core/advisor/defaults.js';
import { HEALTHY } from '../../helpers/syntheticRun.js';
import { analysedPool, lineBudget } from '../../helpers/ruleContext.js';

const { env } = analysedPool(HEALTHY);

type Line = { service: string; replicas: number; pool: string; max: number };
const budget = (available: number, lines: Line[], source: 'topology' | 'assumed-single-service' = 'topology') => lineBudget(available, lines, source !== 'topology');

const fleet: Line[] = [
  { service: 'orchestration', replicas: 5, pool: 'database', max: 10 },
  { service: 'worker', replicas: 10, pool: 'database', max: 10 },
];

describe('connection-budget', () => {
  it('is silent without a budget, and when the fleet fits the server', () => {
    expect(connectionBudget.evaluate({ env, advisor: defaultAdvisorConfig(), budget: null })).toEqual([]);
    expect(connectionBudget.evaluate({ env, advisor: defaultAdvisorConfig(), budget: budget(150, fleet) })).toEqual([]);
  });

  it('is an error naming what is asked, what the server gives, and a split that fits', () => {
    const [f, ...rest] = connectionBudget.evaluate({ env, advisor: defaultAdvisorConfig(), budget: budget(97, fleet) });
    expect(rest).toEqual([]);
    expect(f!.severity).toBe('error');
    expect(f!.message).toContain('the pools ask for 150 connections (orchestration 5 x database 10 + worker 10 x database 10) but the server gives 97');
    // The split scales every pool by the same factor and fits: 15 replicas × fair <= 97.
    const fair = f!.split![0]!.fair;
    expect(fair).toBe(6);
    expect(15 * fair).toBeLessThanOrEqual(97);
  });

  it("says when the topology is assumed (the server's figure, one replica of one service)", () => {
    const [f] = connectionBudget.evaluate({ env, advisor: defaultAdvisorConfig(), budget: budget(20, [{ service: 'service', replicas: 1, pool: 'database', max: 25 }], 'assumed-single-service') });
    expect(f!.message).toContain('one replica of one service assumed');
  });
});
