import { describe, expect, it } from 'vitest';
import { poolSaturation } from '../../../src/core/rules/poolSaturation.js';
import { predict } from '../../../src/core/model/queue.js';
import { HEALTHY, WORKED_EXAMPLE } from '../../helpers/syntheticRun.js';
import { analysedPool, lineBudget, ruleContext } from '../../helpers/ruleContext.js';

// 200 acquires/s holding 20 ms (4 connections' worth of work) on 5 connections: waits common and long.
const saturated = analysedPool(WORKED_EXAMPLE);
const healthy = analysedPool(HEALTHY);

/** A budget whose only line is `replicas` × this pool, with `available` connections. */
const budget = (available: number, replicas: number, max: number) => lineBudget(available, [{ service: 'orchestration', replicas, pool: 'database', max }]);

describe('pool-saturation', () => {
  it('says nothing about a pool whose waits are rare and short', () => {
    expect(healthy.pool.waitedShare).toBeLessThan(0.05);
    expect(poolSaturation.evaluate(ruleContext(healthy))).toEqual({ changes: [], findings: [] });
  });

  it("raises max_connections to the smallest size whose modelled P99 meets the target (the queue model's answer)", () => {
    const p = saturated.pool;
    const out = poolSaturation.evaluate(ruleContext(saturated));
    expect(out.changes).toHaveLength(1);
    const to = out.changes[0]!.to as number;
    expect(out.changes[0]!.setting).toBe('max_connections');
    expect(to).toBeGreaterThan(p.settings.max_connections);
    // The model fed with the sampling allowance meets the 10 ms target at `to`, and not one below.
    const input = p.model.sizingInput!;
    expect(predict(input, to).p99WaitS * 1000).toBeLessThanOrEqual(p.targetP99WaitMs);
    expect(predict(input, to - 1).p99WaitS * 1000).toBeGreaterThan(p.targetP99WaitMs);
    // More connections than the offered load: a stable queue.
    expect(to).toBeGreaterThan(p.offeredLoad);
  });

  it('is capped by the connection budget, and says so', () => {
    const p = saturated.pool;
    const need = p.model.needForTarget!;
    const max = p.settings.max_connections;
    // Two replicas and room for one more connection each.
    const out = poolSaturation.evaluate(ruleContext(saturated, p, { budget: budget(2 * max + 2, 2, max) }));
    expect(need).toBeGreaterThan(max + 1);
    expect(out.changes.map((c) => [c.to, c.limitedBy])).toEqual([[max + 1, 'budget']]);
    expect(out.changes[0]!.rationale).toContain('capped at');
  });

  it('with no room in the budget, raises nothing and says what would have been needed', () => {
    const p = saturated.pool;
    const out = poolSaturation.evaluate(ruleContext(saturated, p, { budget: budget(p.settings.max_connections, 1, p.settings.max_connections) }));
    expect(out.changes).toEqual([]);
    expect(out.findings.map((f) => f.severity)).toEqual(['error']);
    expect(out.findings[0]!.message).toContain(`${p.model.needForTarget} connections would meet the target`);
  });

  it('raises nothing when the server limited the run: its waits are not the pool size', () => {
    const p = { ...saturated.pool, server: { ...saturated.pool.server, bound: true } };
    const out = poolSaturation.evaluate(ruleContext(saturated, p));
    expect(out.changes).toEqual([]);
    expect(out.findings.map((f) => [f.kind, f.severity])).toEqual([['pool-saturation', 'info']]);
  });

  it('recommends no size when the model says the current one meets the target: the waits come from what it does not see', () => {
    // The healthy pool's figures, with measured waits pushed over the target.
    const p = { ...healthy.pool, waitedShare: 0.2, wait: { ...healthy.pool.wait, p99Us: 50_000 } };
    const out = poolSaturation.evaluate(ruleContext(healthy, p));
    expect(out.changes).toEqual([]);
    expect(out.findings.map((f) => f.severity)).toEqual(['warning']);
    expect(out.findings[0]!.message).toContain('so no size is recommended');
    // The same, with the generator behind: put down to the generator, not the pool.
    const behind = poolSaturation.evaluate(ruleContext(healthy, p, { generatorBehind: true }));
    expect(behind.findings.map((f) => f.severity)).toEqual(['info']);
  });
});
