/**
 * A corpus of broken config dirs: every one exits 2 with one clear line naming the file (and the
 * line, where there is one), and never a stack trace.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { copyExample } from '../helpers/configFixture.js';

const ENV = 'environments/test/common.toml';
const POOL = '[common.database.pool]\n';
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const NOBODY = 65534;
/** Whether the built CLI runs as `nobody` here (it needs to read the checkout). */
const nobodyCanRun = isRoot && runCli(['--version'], { uid: NOBODY }).status === 0;

interface Case {
  name: string;
  /** Run the CLI as the unprivileged `nobody` user (uid 65534). */
  asNobody?: boolean;
  /** Build the dir; returns it. */
  make: () => string;
  /** Text the one-line error must contain (`{dir}` is replaced). */
  want: string | RegExp;
  skip?: boolean;
}

const env = (text: string): (() => string) => () => copyExample({ [ENV]: text });

const cases: Case[] = [
  { name: 'unclosed table header', make: env('[common.database.pool\nmax_connections = 5\n'), want: /environments\/test\/common\.toml:1:\d+: invalid TOML/ },
  { name: 'duplicate key', make: env(`${POOL}max_connections = 5\nmax_connections = 6\n`), want: /environments\/test\/common\.toml:3:\d+: invalid TOML/ },
  { name: 'value missing', make: env(`${POOL}max_connections =\n`), want: /environments\/test\/common\.toml:2:\d+: invalid TOML/ },
  { name: 'unterminated string', make: env('[common.database]\nurl = "postgresql://x\n'), want: /environments\/test\/common\.toml:2:\d+: invalid TOML/ },
  { name: 'string for an integer', make: env(`${POOL}max_connections = "40"\n`), want: /environments\/test\/common\.toml:2: \[common\.database\.pool\] max_connections must be an integer, got the string "40"/ },
  { name: 'float for an integer', make: env(`${POOL}min_connections = 1.5\n`), want: /common\.toml:2: \[common\.database\.pool\] min_connections must be an integer, got 1\.5/ },
  { name: 'array for an integer', make: env(`${POOL}max_connections = [1, 2]\n`), want: /common\.toml:2: \[common\.database\.pool\] max_connections must be an integer, got an array/ },
  { name: 'inline table for an integer', make: env(`${POOL}max_connections = { a = 1 }\n`), want: /common\.toml:2: \[common\.database\.pool\] max_connections must be an integer, got a table/ },
  { name: 'max_connections 0', make: env(`${POOL}max_connections = 0\n`), want: /common\.toml:2: \[common\.database\.pool\] max_connections = 0 is outside Tasker's range 1-1000/ },
  { name: 'min_connections above 100', make: env(`${POOL}max_connections = 500\nmin_connections = 200\n`), want: /common\.toml:3: \[common\.database\.pool\] min_connections = 200 is outside Tasker's range 0-100/ },
  { name: 'lifetime under 60 s', make: env(`${POOL}max_lifetime_seconds = 10\n`), want: /max_lifetime_seconds = 10 is outside Tasker's range 60-86400/ },
  { name: 'negative idle timeout', make: env(`${POOL}idle_timeout_seconds = -5\n`), want: /idle_timeout_seconds = -5 is outside Tasker's range 1-3600/ },
  { name: 'acquire timeout 0', make: env(`${POOL}acquire_timeout_seconds = 0\n`), want: /acquire_timeout_seconds = 0 is outside Tasker's range 1-300/ },
  { name: 'typo in the main pool', make: env(`${POOL}max_connection = 40\n`), want: /common\.toml:2: unknown key 'max_connection' in \[common\.database\.pool\]; did you mean 'max_connections'\?/ },
  { name: 'typo in the pgmq pool', make: env('[common.pgmq_database.pool]\nidle_timeout = 40\n'), want: /common\.toml:2: unknown key 'idle_timeout' in \[common\.pgmq_database\.pool\]; did you mean 'idle_timeout_seconds'\?/ },
  {
    name: 'typo in the web pool',
    make: () => copyExample({ 'environments/test/orchestration.toml': '[orchestration.web.database_pools]\nweb_api_max_conections = 5\n' }),
    want: /orchestration\.toml:2: unknown key 'web_api_max_conections' in \[orchestration\.web\.database_pools\]; did you mean 'web_api_max_connections'\?/,
  },
  { name: 'min above max', make: env(`${POOL}max_connections = 5\nmin_connections = 8\n`), want: /common\.toml:3: \[common\.database\.pool\] min_connections = 8 is above max_connections = 5/ },
  {
    name: 'web pool size above its max',
    make: () => copyExample({ 'environments/test/orchestration.toml': '[orchestration.web.database_pools]\nweb_api_pool_size = 40\nweb_api_max_connections = 10\n' }),
    want: /orchestration\.toml:2: \[orchestration\.web\.database_pools\] web_api_pool_size = 40 is above web_api_max_connections = 10/,
  },
  {
    name: 'missing base dir',
    make: () => {
      const d = copyExample();
      rmSync(join(d, 'base'), { recursive: true });
      return d;
    },
    want: "has no base/ directory; expected a Tasker config dir holding base/*.toml and environments/<env>/*.toml",
  },
  { name: 'empty dir', make: () => mkdtempSync(join(tmpdir(), 'pa-empty-')), want: 'has no base/ directory' },
  {
    name: 'base without toml files',
    make: () => {
      const d = mkdtempSync(join(tmpdir(), 'pa-bad-'));
      mkdirSync(join(d, 'base'));
      mkdirSync(join(d, 'environments', 'test'), { recursive: true });
      return d;
    },
    want: /base holds no \.toml files/,
  },
  {
    name: 'no environments',
    make: () => {
      const d = copyExample();
      rmSync(join(d, 'environments'), { recursive: true });
      return d;
    },
    want: 'has no environments/<env>/ directories',
  },
  {
    name: 'not UTF-8',
    make: () => {
      const d = copyExample();
      writeFileSync(join(d, ENV), Buffer.from([0x5b, 0x61, 0x5d, 0x0a, 0x62, 0x20, 0x3d, 0x20, 0x22, 0xff, 0xfe, 0x22, 0x0a]));
      return d;
    },
    want: /environments\/test\/common\.toml: is not valid UTF-8/,
  },
  {
    name: 'a directory where a file should be',
    make: () => {
      const d = copyExample();
      rmSync(join(d, ENV));
      mkdirSync(join(d, ENV));
      return d;
    },
    want: /environments\/test\/common\.toml: is a directory, expected a TOML file/,
  },
  {
    name: 'a huge file',
    make: () => {
      const d = copyExample();
      writeFileSync(join(d, ENV), `# ${'x'.repeat(5 * 1024 * 1024)}\n`);
      return d;
    },
    want: /environments\/test\/common\.toml: larger than the 4194304-byte limit/,
  },
  {
    // As root permissions do not bind, so the CLI runs as `nobody` (skipped only where nobody cannot run it).
    name: 'an unreadable file',
    asNobody: isRoot,
    skip: isRoot && !nobodyCanRun,
    make: () => {
      const d = copyExample();
      // Readable by everyone (mkdtemp made it private to root), except the one file.
      const open = (p: string): void => {
        const dir = statSync(p).isDirectory();
        chmodSync(p, dir ? 0o755 : 0o644);
        if (dir) for (const n of readdirSync(p)) open(join(p, n));
      };
      open(d);
      chmodSync(join(d, ENV), 0o000);
      return d;
    },
    want: /environments\/test\/common\.toml: cannot read: permission denied/,
  },
  {
    name: 'config dir is a file',
    make: () => {
      const d = mkdtempSync(join(tmpdir(), 'pa-bad-'));
      writeFileSync(join(d, 'file.toml'), '');
      return join(d, 'file.toml');
    },
    want: 'is not a directory; expected a Tasker config dir',
  },
];

describe('a corpus of bad configs', () => {
  it('has at least 20 cases', () => expect(cases.filter((c) => !c.skip).length).toBeGreaterThanOrEqual(20));
  for (const c of cases) {
    it.skipIf(Boolean(c.skip))(c.name, () => {
      const dir = c.make();
      for (const cmd of [['config', 'show'], ['analyze', '--duration', '1s']]) {
        const r = runCli([...cmd, '--config-dir', dir], c.asNobody ? { uid: NOBODY } : {});
        expect(r.status, `${cmd.join(' ')}: ${r.stderr}`).toBe(2);
        const err = r.stderr.split('\n').filter((l) => l.startsWith('ERROR:'));
        expect(err).toHaveLength(1);
        if (typeof c.want === 'string') expect(err[0]).toContain(c.want);
        else expect(err[0]).toMatch(c.want);
        expect(r.stderr).not.toMatch(/\n\s+at /);
        expect(r.stderr).not.toContain('unexpected error');
      }
    });
  }
});
