/**
 * The connection budget end to end (docs/tuning.md, "The connection budget"): replicas observed as
 * separate processes from 127.0.0.2 and 127.0.0.3, a surge in the topology, and the server's own
 * max_connections (the observed server wins over the topology's).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, runCliAsync } from '../helpers/cli.js';
import { copyExample } from '../helpers/configFixture.js';
import { pgUrl } from '../helpers/pg.js';
import pg from 'pg';
import { missingPgBouncer, skipUnlessCi, startPgBouncer } from '../helpers/otherPools.js';
import { freePort } from '../../src/shell/throwawayPg.js';

const APP = 'pa-budget-api';
const children: ChildProcess[] = [];

/** One replica: a process holding `count` connections from `local`. */
function replica(local: string, count: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'test', 'helpers', 'boundClients.mjs'), pgUrl(), local, String(count), APP], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`replica from ${local} exited ${code}: ${err}`)));
  });
}

/** The advisor config: one service of one replica opening the database pool, with or without a surge; the topology says 500 connections, the server 300. */
function advisorConfig(dir: string, surge: string): string {
  const p = join(dir, `pool-advisor${surge ? '-surge' : ''}.toml`);
  writeFileSync(p, `[environments.test.topology]\nserver_max_connections = 500\nservices = [{ name = "api", replicas = 1, pools = ["database"]${surge} }]\n`);
  return p;
}

describe('the connection budget across replicas and a rollout surge', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pa-budget-'));
  // database max_connections 100: 2 replicas x 100 = 200 fit the server's 300 - 3 = 297; 3 (a surge of 1) x 100 = 300 do not.
  const config = copyExample();
  const common = join(config, 'environments', 'test', 'common.toml');
  writeFileSync(common, readFileSync(common, 'utf8').replace('max_connections = 10', 'max_connections = 100'));
  const obs = join(dir, 'obs.json');

  beforeAll(async () => {
    await Promise.all([replica('127.0.0.2', 2), replica('127.0.0.3', 2)]);
    const r = await runCliAsync(['observe', '--database-url', pgUrl(), '--duration', '1s', '--interval', '100ms', '--config-dir', config, '--map', `app:${APP}=test.database`, '--out', obs, '--json', '--no-progress']);
    expect(r.stderr).not.toMatch(/ERROR/);
    expect(r.status).toBe(0);
  }, 30_000);

  afterAll(() => {
    for (const c of children) c.stdin!.end();
  });

  it('the observation saw both replicas, and the server said 300', () => {
    const file = JSON.parse(readFileSync(obs, 'utf8')) as { server: { maxConnections: number; superuserReserved: number }; environments: Array<{ pools: Array<{ pool: string; replica: string }> }> };
    expect(file.server).toMatchObject({ maxConnections: 300, superuserReserved: 3 });
    expect(file.environments[0]!.pools.filter((p) => p.pool === 'database').map((p) => p.replica).sort()).toEqual(['127.0.0.2', '127.0.0.3']);
  });

  it('check passes without the surge: 2 observed replicas x 100 = 200 of 297 (the server, not the topology, says 300)', () => {
    const r = runCli(['check', '--from', obs, '--config-dir', config, '--advisor-config', advisorConfig(dir, ''), '--env', 'test', '--format', 'json']);
    const out = JSON.parse(r.stdout) as { config: { budgets: Array<{ status: string; serverSource: string; layers: Array<{ layer: string; used: { steady: number; peak: number }; allowed: number }> }> } };
    const b = out.config.budgets[0]!;
    expect(b).toMatchObject({ status: 'ok', serverSource: 'observed' });
    expect(b.layers.find((l) => l.layer === 'server')).toMatchObject({ used: { steady: 200, peak: 200 }, allowed: 297 });
    expect(r.status).toBe(0);
  });

  it('check exits 1 naming the server layer with a surge of 1: 3 x 100 = 300 > 297 at the rollout peak', () => {
    const r = runCli(['check', '--from', obs, '--config-dir', config, '--advisor-config', advisorConfig(dir, ', surge = 1'), '--env', 'test']);
    expect(r.stdout).toContain("connection budget over-subscribed in 'test': the server layer overflows at the rollout peak: 300 connections asked of 297 allowed");
    expect(r.status).toBe(1);
  });

  it("observe prints the budget per layer (text and --json): used, allowed and headroom at steady state and at the rollout peak, from the server's own limits", async () => {
    const adv = advisorConfig(dir, ', surge = 1');
    const args = ['observe', '--database-url', pgUrl(), '--duration', '1s', '--interval', '100ms', '--config-dir', config, '--advisor-config', adv, '--map', `app:${APP}=test.database`, '--no-progress'];
    const [json, text] = await Promise.all([runCliAsync([...args, '--json']), runCliAsync(args)]);
    expect(json.status, json.stderr).toBe(0);
    expect(text.status, text.stderr).toBe(0);
    const budget = (JSON.parse(json.stdout) as { advice: { connectionBudget: Array<{ env: string; server: { maxConnections: number; source: string }; overflow: string | null; layers: Array<{ layer: string; used: { steady: number; peak: number }; allowed: number | null; headroom: { steady: number; peak: number } | null; status: string }> }> } }).advice.connectionBudget;
    expect(budget.map((b) => b.env)).toEqual(['test']);
    const b = budget[0]!;
    // 2 replicas seen x 100 at steady state; 3 (a surge of 1) at the peak; the server says 300 less 3 reserved (the topology says 500).
    expect(b.server).toMatchObject({ maxConnections: 300, source: 'observed' });
    expect(b.layers.find((l) => l.layer === 'clients')).toMatchObject({ used: { steady: 200, peak: 300 }, allowed: null, headroom: null });
    expect(b.layers.find((l) => l.layer === 'server')).toMatchObject({ used: { steady: 200, peak: 300 }, allowed: 297, headroom: { steady: 97, peak: -3 }, status: 'over-at-peak' });
    expect(b.overflow).toBe('server');
    expect(text.stdout).toContain("Connection budget (test) by layer; the server's limits as the server says:");
    expect(text.stdout).toMatch(/│ server\s+│\s+200 │\s+300 │\s+297 │\s+97 │\s+-3 │ OVER at the rollout peak\s+│/);
    expect(text.stdout).toContain('server: 200 of 297 at steady state (headroom 97), 300 of 297 at the rollout peak (headroom -3) (max_connections 300 - 3 superuser reserved - 0 other = 297, asked by the pods)');
  }, 30_000);

  it('generate refuses a size that overflows the server layer at the peak (exit 1), and writes it with --allow-over-budget', () => {
    const adv = advisorConfig(dir, ', surge = 1');
    // 90 a pod: 3 x 90 = 270 fits; 110: 330 does not.
    const fits = runCli(['generate', '--config-dir', config, '--advisor-config', adv, '--from', obs, '--set', 'test.database.max_connections=90', '--dry-run']);
    expect(fits.status).toBe(0);
    const before = readFileSync(common, 'utf8');
    const refused = runCli(['generate', '--config-dir', config, '--advisor-config', adv, '--from', obs, '--set', 'test.database.max_connections=110']);
    expect(refused.stderr).toContain("the new sizes over-subscribe the connection budget in 'test': the server layer overflows at the rollout peak: 330 connections asked of 297 allowed");
    expect(refused.stderr).toContain('--allow-over-budget');
    expect(refused.status).toBe(1);
    expect(readFileSync(common, 'utf8')).toBe(before);
    const forced = runCli(['generate', '--config-dir', config, '--advisor-config', adv, '--from', obs, '--set', 'test.database.max_connections=110', '--allow-over-budget']);
    expect(forced.status).toBe(0);
    expect(readFileSync(common, 'utf8')).toContain('max_connections = 110');
  });
});

/** Rows of one query on a fresh connection (the PgBouncer console speaks the simple protocol only). */
async function rows(url: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows as Array<Record<string, unknown>>;
  } finally {
    await c.end();
  }
}

const bouncerSkip = skipUnlessCi('the PgBouncer budget test', missingPgBouncer());

describe.skipIf(bouncerSkip)('the budget of a real PgBouncer in transaction mode', () => {
  const cleanup: Array<() => void> = [];
  afterAll(() => {
    for (const f of cleanup.reverse()) f();
  });

  it("its layers are SHOW CONFIG's max_client_conn x instances, SHOW DATABASES' pool_size + reserve_pool x instances, and the server's own max_connections less its reserved slots", async () => {
    const reason = missingPgBouncer();
    if (reason) throw new Error(`the PgBouncer budget test cannot run: ${reason}`);
    const bouncer = await startPgBouncer(pgUrl(), await freePort(), { poolMode: 'transaction', poolSize: 7 }, cleanup);
    await replica('127.0.0.4', 1);
    const dir = mkdtempSync(join(tmpdir(), 'pa-budget-bnc-'));
    const obs = join(dir, 'obs.json');
    const r = await runCliAsync(['observe', '--database-url', pgUrl(), '--pgbouncer-url', bouncer.adminUrl, '--duration', '1s', '--interval', '100ms', '--config-dir', copyExample(), '--map', `app:${APP}=test.database`, '--out', obs, '--json', '--no-progress']);
    expect(r.status, r.stderr).toBe(0);
    const adv = join(dir, 'pool-advisor.toml');
    writeFileSync(adv, '[environments.test.topology]\nservices = [{ name = "api", replicas = 1, pools = ["database"] }]\n[environments.test.topology.pgbouncer]\ninstances = 2\n');
    const c = runCli(['check', '--from', obs, '--config-dir', copyExample(), '--advisor-config', adv, '--env', 'test', '--format', 'json']);
    const out = JSON.parse(c.stdout) as { config: { budgets: Array<{ status: string; layers: Array<{ layer: string; used: { steady: number } | null; allowed: number | null }> }> } };
    const layers = out.config.budgets[0]!.layers;

    // The truth, read here straight from the console and the server.
    const config = Object.fromEntries((await rows(bouncer.adminUrl, 'SHOW CONFIG')).map((x) => [String(x.key), String(x.value)]));
    const dbs = (await rows(bouncer.adminUrl, 'SHOW DATABASES')).filter((x) => x.name !== 'pgbouncer');
    expect(config.pool_mode).toBe('transaction');
    const server = (await rows(pgUrl(), "SELECT current_setting('max_connections')::int AS mc, current_setting('superuser_reserved_connections')::int AS su, coalesce(current_setting('reserved_connections', true), '0')::int AS rc"))[0]!;
    const pools = dbs.reduce((a, x) => a + Number(x.pool_size) + Number(x.reserve_pool ?? x.reserve_pool_size ?? 0), 0);
    expect(pools).toBe(7);
    expect(layers.find((l) => l.layer === 'pgbouncer')).toMatchObject({ allowed: Number(config.max_client_conn) * 2, used: { steady: 10 } });
    expect(layers.find((l) => l.layer === 'server')).toMatchObject({ allowed: Number(server.mc) - Number(server.su) - Number(server.rc), used: { steady: pools * 2 } });
    // observe's own budget (no topology given to it: one PgBouncer instance) has the same figures.
    const seen = (JSON.parse(r.stdout) as { advice: { connectionBudget: Array<{ env: string; layers: Array<{ layer: string; used: { steady: number } | null; allowed: number | null }> }> } }).advice.connectionBudget.find((b) => b.env === 'test')!;
    expect(seen.layers.find((l) => l.layer === 'pgbouncer')).toMatchObject({ allowed: Number(config.max_client_conn) });
    expect(seen.layers.find((l) => l.layer === 'server')).toMatchObject({ allowed: Number(server.mc) - Number(server.su) - Number(server.rc), used: { steady: pools } });
    // Behind a proxy the server's view cannot stand for the service's pools: the run is invalid (exit 4), its budget still printed.
    expect(c.stderr).toContain("the server sees a proxy, not the service's pools");
    expect(c.status).toBe(4);
  }, 30_000);
});
