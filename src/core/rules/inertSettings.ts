/**
 * inert-settings: keys that Tasker reads but that change nothing in this environment -
 * [common.pgmq_database.pool] while PGMQ shares the main pool (its url empty or equal to the main
 * one), and [worker.web.database_pools], from which Tasker builds no pool. A finding per table,
 * naming the keys and where they are written; no key change.
 */
import { POOLS, type PoolName } from '../config/pools.js';
import { ev } from './support.js';
import type { EnvironmentRule, Finding } from './types.js';

const WHY: Partial<Record<PoolName, string>> = {
  pgmq: 'PGMQ shares the database pool ([common.pgmq_database].url is empty or equals the main url), so its work goes through [common.database.pool]',
  worker_web: 'Tasker builds no pool from this table',
};

export const inertSettings: EnvironmentRule = {
  id: 'inert-settings',
  scope: 'environment',
  evaluate(ctx) {
    const out: Finding[] = [];
    for (const pool of ['pgmq', 'worker_web'] as const) {
      const snap = ctx.env.config[pool];
      if (!snap || snap.active) continue;
      const written = Object.entries(snap.keys).filter(([, k]) => k.file !== null);
      if (written.length === 0) continue;
      const first = written.find(([, k]) => k.overridden) ?? written[0]!;
      out.push({
        env: ctx.env.env,
        pool,
        kind: 'inert-settings',
        severity: 'warning',
        message: `[${POOLS[pool].table.join('.')}] ${written.map(([k]) => k).join(', ')} do nothing in '${ctx.env.env}': ${WHY[pool]}`,
        evidence: [ev('keys', 'keys set', written.length, 'count')],
        ...(first[1].file ? { file: first[1].file } : {}),
        ...(first[1].line !== null ? { line: first[1].line } : {}),
      });
    }
    return out;
  },
};
