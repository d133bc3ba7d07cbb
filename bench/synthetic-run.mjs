// A synthetic run file of any length, recorded by the real Recorder on a synthetic clock:
// 2,000 acquires/s with mostly instant and some queued acquires, periodic expiries. Used to
// measure commands on a 10-minute run without a 10-minute wait.
import { writeFileSync } from 'node:fs';
import { Recorder } from '../dist/core/run/recorder.js';
import { poolConfigSnapshot } from '../dist/core/load/plan.js';
import { prng } from '../dist/core/load/schedule.js';

/** Write a RunFile covering `seconds` of measurement; returns its size in bytes. */
export function writeSyntheticRun(path, seconds, rate = 2000) {
  const settings = { max_connections: 10, min_connections: 2, acquire_timeout_seconds: 10, idle_timeout_seconds: 300, max_lifetime_seconds: 1800, slow_acquire_threshold_ms: 100 };
  const r = new Recorder({ pool: 'database', settings, emulateSqlx: true }, 0, Date.parse('2026-01-01T00:00:00Z'));
  const rand = prng(7);
  let t = 0;
  const step = 1e6 / rate;
  for (let sec = 0; sec < seconds; sec++) {
    for (let i = 0; i < rate; i++) {
      t += step;
      const queued = rand() < 0.1;
      r.acquired(queued ? 'queued' : 'idle', queued ? 100 + rand() * 20_000 : 1 + rand() * 5, 'ok');
      const inUse = 1 + Math.floor(rand() * 8);
      r.gauges({ inUse, idle: 10 - inUse, waiting: queued ? 1 : 0, total: 10 }, t);
      r.released(1000 + rand() * 5000, inUse);
    }
    if (sec % 180 === 179) for (let k = 0; k < 10; k++) r.closed('expired', 1800, t);
    r.tick(t, 0);
  }
  r.markWindowEnd(t, 0);
  const pool = r.snapshot(t);
  const raw = Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, { value: v, overridden: false, origin: { file: 'config/tasker/base/common.toml', rel: 'base/common.toml', line: 1, column: 1 } }]));
  const run = {
    schemaVersion: 1,
    tool: { name: 'pool-advisor', version: '0.0.0-synthetic' },
    createdAt: '2026-01-01T00:00:00.000Z',
    target: 'synthetic',
    server: { version: '15', maxConnections: 300, superuserReserved: 3 },
    configDir: 'config/tasker',
    seed: 1,
    environments: [
      {
        env: 'test',
        warmupMs: 2000,
        durationMs: pool.durationMs,
        pgmqShared: true,
        pools: [pool],
        workloads: [
          {
            workload: { pool: 'database', arrival: { mode: 'open', process: 'poisson', rate }, hold: { kind: 'sleep', dist: 'exponential', meanMs: 3.5 }, warmupS: 2, rampS: 0, durationS: seconds },
            through: 'database',
            generator: { mode: 'open', requests: rate * seconds, completed: rate * seconds, failed: 0, targetRate: rate, achievedRate: rate, behind: false },
          },
        ],
        config: { database: poolConfigSnapshot({ pool: 'database', table: ['common', 'database', 'pool'], context: 'common', active: true, raw, settings, settingOrigins: {} }) },
        overrides: [],
      },
    ],
    partial: false,
  };
  const text = `${JSON.stringify(run)}\n`;
  writeFileSync(path, text);
  return Buffer.byteLength(text);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [path = 'run-synthetic.json', seconds = '600'] = process.argv.slice(2);
  console.log(`${path}: ${writeSyntheticRun(path, Number(seconds))} bytes`);
}
