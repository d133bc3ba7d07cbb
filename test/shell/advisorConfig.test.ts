import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAdvisorConfig } from '../../src/shell/advisorConfig.js';
import { UsageError } from '../../src/core/errors.js';

function advisorWithSqlFile(sql: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'pa-sqlfile-'));
  writeFileSync(join(dir, 'hold.sql'), sql);
  const p = join(dir, 'pool-advisor.toml');
  writeFileSync(p, '[environments.test.workloads.database]\narrival = "poisson"\nrate = 10\nhold = "sql"\nsql_file = "hold.sql"\n');
  return p;
}

describe('loadAdvisorConfig', () => {
  it('reads sql_file relative to the advisor config', () => {
    const cfg = loadAdvisorConfig(advisorWithSqlFile('SELECT count(*) FROM pg_class\n'));
    expect(cfg.environments.test!.workloads.database!.hold).toEqual({ kind: 'sql', sql: 'SELECT count(*) FROM pg_class', source: 'hold.sql' });
  });
  it('an empty sql_file is a usage error', () => {
    expect(() => loadAdvisorConfig(advisorWithSqlFile('  \n'))).toThrow(UsageError);
  });
  it('a missing sql_file is a usage error naming it', () => {
    const p = advisorWithSqlFile('SELECT 1');
    writeFileSync(p, '[environments.test.workloads.database]\narrival = "poisson"\nrate = 10\nhold = "sql"\nsql_file = "nope.sql"\n');
    expect(() => loadAdvisorConfig(p)).toThrow(/nope\.sql: cannot read/);
  });
});
