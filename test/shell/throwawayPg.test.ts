import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { pgUrl } from '../helpers/pg.js';
import { startThrowaway, sweepOrphans } from '../../src/shell/throwawayPg.js';
import { ROOT } from '../helpers/cli.js';

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('throwaway PostgreSQL', () => {
  it('the shared test cluster answers real queries', async () => {
    const c = new pg.Client({ connectionString: pgUrl() });
    await c.connect();
    const r = await c.query<{ v: string; mc: string }>("SELECT current_setting('server_version_num') AS v, current_setting('max_connections') AS mc");
    await c.end();
    expect(Number(r.rows[0]!.v)).toBeGreaterThan(100000);
    expect(Number(r.rows[0]!.mc)).toBe(300);
  });

  it('starts, creates databases, and is gone after stop (port closed, dir removed)', async () => {
    const cl = await startThrowaway({ maxConnections: 50, databases: ['extra_db'] });
    const c = new pg.Client({ connectionString: cl.urlFor('extra_db') });
    await c.connect();
    expect((await c.query('SELECT current_database() AS d')).rows[0].d).toBe('extra_db');
    await c.end();
    expect(await portOpen(cl.port)).toBe(true);
    await cl.stop();
    expect(await portOpen(cl.port)).toBe(false);
    expect(existsSync(cl.dir)).toBe(false);
  });

  it('is stopped and removed when its process gets SIGTERM', async () => {
    const script = `
      import { startThrowaway } from ${JSON.stringify(join(ROOT, 'dist/shell/throwawayPg.js'))};
      const c = await startThrowaway({ maxConnections: 20, handleSignals: true });
      console.log(JSON.stringify({ port: c.port, dir: c.dir }));
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const info = await new Promise<{ port: number; dir: string }>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        if (buf.includes('\n')) resolve(JSON.parse(buf.split('\n')[0]!));
      });
      child.on('exit', (code) => reject(new Error(`child exited early: ${code}`)));
    });
    expect(await portOpen(info.port)).toBe(true);
    const c = new pg.Client({ host: '127.0.0.1', port: info.port, user: 'postgres', database: 'postgres' });
    await c.connect();
    await c.query('SELECT 1');
    c.on('error', () => {});
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
    child.kill('SIGTERM');
    expect(await exited).toBe('SIGTERM');
    expect(await portOpen(info.port)).toBe(false);
    expect(existsSync(info.dir)).toBe(false);
    await c.end().catch(() => {});
  });

  it('removes clusters orphaned by a dead process', () => {
    // pid 2^22 + 1 is above Linux's pid_max default, so no live process owns it.
    const dir = join(tmpdir(), `pool-advisor-pg-4194305-orphan`);
    mkdirSync(join(dir, 'data'), { recursive: true });
    writeFileSync(join(dir, 'data', 'PG_VERSION'), '15\n');
    expect(sweepOrphans()).toContain(dir);
    expect(existsSync(dir)).toBe(false);
  });
});
