/** Scenario fixtures for analyze: a tiny Tasker config dir and an advisor config, in a temp dir. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { makeConfigDir } from './configFixture.js';

export interface PoolKeys {
  max_connections: number;
  min_connections: number;
  acquire_timeout_seconds?: number;
  idle_timeout_seconds?: number;
  max_lifetime_seconds?: number;
  slow_acquire_threshold_ms?: number;
}

function poolToml(k: PoolKeys): string {
  return [
    `max_connections = ${k.max_connections}`,
    `min_connections = ${k.min_connections}`,
    `acquire_timeout_seconds = ${k.acquire_timeout_seconds ?? 10}`,
    `idle_timeout_seconds = ${k.idle_timeout_seconds ?? 300}`,
    `max_lifetime_seconds = ${k.max_lifetime_seconds ?? 1800}`,
    `slow_acquire_threshold_ms = ${k.slow_acquire_threshold_ms ?? 100}`,
  ].join('\n');
}

/** A Tasker config dir with one environment `test`. */
export function scenarioConfig(database: PoolKeys, opts: { pgmq?: PoolKeys; pgmqUrl?: string } = {}): string {
  return makeConfigDir({
    'base/common.toml': `[common.database]\nurl = "postgresql://localhost/app"\n\n[common.database.pool]\n${poolToml(database)}\n\n[common.pgmq_database]\nurl = "${opts.pgmqUrl ?? ''}"\nenabled = true\n\n[common.pgmq_database.pool]\n${poolToml(opts.pgmq ?? { max_connections: 5, min_connections: 1 })}\n`,
    'environments/test/common.toml': '# test environment\n',
  });
}

/** An advisor config file with the given TOML body. */
export function advisorFile(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'pa-adv-'));
  const p = join(dir, 'pool-advisor.toml');
  writeFileSync(p, body);
  return p;
}

/** Backends pool-advisor left on the server, and scratch schemas left in a database. */
export async function leftovers(url: string, sinceMs = 0): Promise<{ backends: number; schemas: string[] }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    // Only the backends opened since the run under test started: another file's run on the same
    // server, still closing, is not this run's leftover.
    const b = await c.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'pool-advisor' AND backend_start >= to_timestamp($1 / 1000.0)", [sinceMs]);
    const s = await c.query<{ nspname: string }>("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'pool_advisor_scratch_%'");
    return { backends: Number(b.rows[0]!.n), schemas: s.rows.map((r) => r.nspname) };
  } finally {
    await c.end();
  }
}

/** Advisor config text with one `database` workload for environment `test` (Poisson arrivals). */
export function databaseWorkload(o: { rate: number; hold: string; dist?: 'constant' | 'exponential'; duration?: string; defaults?: string; extra?: string }): string {
  const dist = o.dist ?? 'constant';
  return `
[defaults]
duration = "${o.duration ?? '4s'}"
warmup = "1s"
${o.defaults ?? ''}[environments.test.workloads.database]
arrival = "poisson"
rate = ${o.rate}
hold = "${dist}"
${dist === 'constant' ? 'hold_time' : 'hold_mean'} = "${o.hold}"
${o.extra ?? ''}`;
}
