/**
 * observe's budget table (src/core/render/budget.ts): the layers of the one model, as computed,
 * with PgBouncer where known and an open-ended layer said so. Pure; the real observation is in
 * test/cli/budget.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { computeBudget, type BudgetInput } from '../../../src/core/budget/model.js';
import { budgetData, renderBudgets } from '../../../src/core/render/budget.js';

const server = { maxConnections: 200, superuserReserved: 3, reservedConnections: 0, adminHeadroom: 5, otherConnections: 0, source: 'observed' as const };
const bouncer = { instances: 2, maxClientConn: 100, defaultPoolSize: 20, reservePoolSize: 5, maxDbConnections: 0, maxUserConnections: 0, users: 1, databases: [{ name: 'app' }], wildcard: false, source: 'console' as const };
const input: BudgetInput = { env: 'prod', services: [{ name: 'api', replicas: 4, autoscalerMax: 6, surge: { percent: 25 }, pools: [{ pool: 'database', size: 25 }] }], pgbouncer: bouncer, server };

describe("observe's budget by layer", () => {
  it('prints each layer of the model with used, allowed and headroom at steady state and at the peak', () => {
    const b = computeBudget(input);
    const text = renderBudgets([{ env: 'prod', budget: { budget: b, input, assumed: false } }], { color: false });
    // clients 4 x 25 = 100, peak (6 + 2) x 25 = 200; PgBouncer 100 x 2 = 200; its pools (20 + 5) x 2 = 50 of 200 - 3 - 5 = 192.
    expect(text).toContain("Connection budget (prod) by layer; the server's limits as the server says:");
    expect(text).toMatch(/│ clients\s+│\s+100 │\s+200 │\s+- │\s+- │\s+- │ -\s+│/);
    expect(text).toMatch(/│ pgbouncer\s+│\s+100 │\s+200 │\s+200 │\s+100 │\s+0 │ fits\s+│/);
    expect(text).toMatch(/│ server\s+│\s+50 │\s+50 │\s+192 │\s+142 │\s+142 │ fits\s+│/);
    const data = budgetData([{ env: 'prod', budget: { budget: b, input, assumed: false } }]) as Array<{ pgbouncer: { toServer: number | null }; overflow: string | null; layers: unknown[] }>;
    expect(data[0]!.pgbouncer.toServer).toBe(50);
    expect(data[0]!.overflow).toBeNull();
    expect(data[0]!.layers).toEqual(b.layers);
  });

  it('a wildcard database makes what PgBouncer asks of the server open-ended, and says so', () => {
    const open = { ...input, pgbouncer: { ...bouncer, wildcard: true } };
    const b = computeBudget(open);
    const text = renderBudgets([{ env: 'prod', budget: { budget: b, input: open, assumed: true } }], { color: false });
    expect(text).toMatch(/│ server\s+│\s+open-ended │\s+open-ended │\s+192 │\s+- │\s+- │ -\s+│/);
    expect(text).toContain('no services in the topology');
    expect(text).toContain("server: open-ended (max_connections 200 - 3 superuser reserved - 5 admin headroom - 0 other = 192, asked by PgBouncer's pools (open-ended: a wildcard database))");
  });

  it('an overflowing layer is marked, at steady state before the peak', () => {
    const tight = { ...input, server: { ...server, maxConnections: 40 } };
    const b = computeBudget(tight);
    const text = renderBudgets([{ env: 'prod', budget: { budget: b, input: tight, assumed: false } }], { color: false });
    expect(text).toMatch(/│ server\s+│\s+50 │\s+50 │\s+32 │\s+-18 │\s+-18 │ OVER at steady state\s+│/);
    expect((budgetData([{ env: 'prod', budget: { budget: b, input: tight, assumed: false } }]) as Array<{ overflow: string }>)[0]!.overflow).toBe('server');
  });
});
