// A Tasker config directory for the advice benches: base/common.toml with the database pool's
// settings (these keys over the defaults below) and an empty environments/test.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function configDir(keys, prefix = 'pa-bench-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const pool = Object.entries({ min_connections: 2, acquire_timeout_seconds: 30, idle_timeout_seconds: 300, max_lifetime_seconds: 1800, slow_acquire_threshold_ms: 100, ...keys })
    .map(([k, v]) => `${k} = ${v}`)
    .join('\n');
  mkdirSync(join(dir, 'base'), { recursive: true });
  mkdirSync(join(dir, 'environments', 'test'), { recursive: true });
  writeFileSync(join(dir, 'base', 'common.toml'), `[common.database]\nurl = "postgresql://localhost/app"\n\n[common.database.pool]\n${pool}\n\n[common.pgmq_database]\nurl = ""\nenabled = true\n`);
  writeFileSync(join(dir, 'environments', 'test', 'common.toml'), '# bench\n');
  return dir;
}
