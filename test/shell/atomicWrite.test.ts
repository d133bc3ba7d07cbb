import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/shell/atomicWrite.js';
import { UsageError } from '../../src/core/errors.js';
import { readBoundedFile } from '../../src/shell/configDir.js';
import { ROOT } from '../helpers/cli.js';

const ORIGINAL = '# keep me\n[common.database.pool]\nmax_connections = 30\n';

function fixture(): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pa-atomic-'));
  const file = join(dir, 'common.toml');
  writeFileSync(file, ORIGINAL);
  return { dir, file };
}

describe('writeFileAtomic', () => {
  it('replaces the file and keeps the mode it is given', () => {
    const { dir, file } = fixture();
    chmodSync(file, 0o640);
    writeFileAtomic(file, 'new\n', { mode: statSync(file).mode & 0o7777 });
    expect(readFileSync(file, 'utf8')).toBe('new\n');
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir)).toEqual(['common.toml']);
  });

  it('a failure between the temp write and the rename leaves the original intact and no temp file', () => {
    const { dir, file } = fixture();
    let temp = '';
    expect(() =>
      writeFileAtomic(file, 'half-done\n', {
        beforeRename: (t) => {
          temp = t;
          expect(readFileSync(t, 'utf8')).toBe('half-done\n');
          throw new Error('simulated crash');
        },
      }),
    ).toThrow('simulated crash');
    expect(temp).toContain('.common.toml.pool-advisor-');
    expect(readFileSync(file, 'utf8')).toBe(ORIGINAL);
    expect(readdirSync(dir)).toEqual(['common.toml']);
  });

  it('a process killed between the temp write and the rename leaves the original intact', () => {
    const { dir, file } = fixture();
    const mod = pathToFileURL(join(ROOT, 'dist', 'shell', 'atomicWrite.js')).href;
    const script = `import { writeFileAtomic } from ${JSON.stringify(mod)};
writeFileAtomic(${JSON.stringify(file)}, 'half-done\\n', { beforeRename: () => process.kill(process.pid, 'SIGKILL') });`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.signal).toBe('SIGKILL');
    expect(readFileSync(file, 'utf8')).toBe(ORIGINAL);
    // The killed process left its synced temp file next to the target; the target never saw it.
    const left = readdirSync(dir).filter((n) => n !== 'common.toml');
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/^\.common\.toml\.pool-advisor-\d+-[0-9a-f]+\.tmp$/);
    expect(readFileSync(join(dir, left[0]!), 'utf8')).toBe('half-done\n');
  });

  it('refuses when the file changed between read and write, keeping the other writer\'s bytes', () => {
    const { dir, file } = fixture();
    const st = statSync(file);
    expect(() =>
      writeFileAtomic(file, 'mine\n', {
        display: 'environments/test/common.toml',
        expect: { content: Buffer.from(ORIGINAL), mtimeMs: st.mtimeMs, size: st.size },
        beforeRename: () => writeFileSync(file, 'theirs\n'),
      }),
    ).toThrow(new UsageError('environments/test/common.toml: changed on disk while pool-advisor was writing it; it was left as the other writer left it', 'run generate again (it reads the file afresh)'));
    expect(readFileSync(file, 'utf8')).toBe('theirs\n');
    expect(readdirSync(dir)).toEqual(['common.toml']);
  });

  it('refuses to create a file that appeared meanwhile', () => {
    const { dir } = fixture();
    const file = join(dir, 'orchestration.toml');
    expect(() => writeFileAtomic(file, 'mine\n', { expect: { content: null }, beforeRename: () => writeFileSync(file, 'theirs\n') })).toThrow(/changed on disk/);
    expect(readFileSync(file, 'utf8')).toBe('theirs\n');
  });

  it('writes when the file is still as read', () => {
    const { file } = fixture();
    const st = statSync(file);
    writeFileAtomic(file, 'mine\n', { expect: { content: Buffer.from(ORIGINAL), mtimeMs: st.mtimeMs, size: st.size } });
    expect(readFileSync(file, 'utf8')).toBe('mine\n');
  });
});

describe('writeFileAtomic: what is there that is not a regular file, and inputs (issue 29)', () => {
  it('a symlink is judged by its target: the target is replaced, the link kept; a dangling one is refused', () => {
    const { dir, file } = fixture();
    const link = join(dir, 'link.toml');
    symlinkSync(file, link);
    writeFileAtomic(link, 'through\n');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('through\n');
    const dangling = join(dir, 'dangling.toml');
    symlinkSync(join(dir, 'none', 'x'), dangling);
    expect(() => writeFileAtomic(dangling, 'x')).toThrow(/is a symlink to .* which does not exist/);
    expect(lstatSync(dangling).isSymbolicLink()).toBe(true);
  });

  it('a FIFO nobody reads is refused at once, without blocking, and stays a FIFO', () => {
    const { dir } = fixture();
    const p = join(dir, 'pipe');
    spawnSync('mkfifo', [p]);
    const t0 = Date.now();
    expect(() => writeFileAtomic(p, 'x')).toThrow(/is a FIFO nobody reads/);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(lstatSync(p).isFIFO()).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['common.toml', 'pipe']);
  });

  it('a file this process read is refused as an output, unless it is the caller\'s own target (generate)', () => {
    const { file } = fixture();
    readBoundedFile(file, 'environments/test/common.toml', 1 << 20, 'a TOML file', 'hint');
    expect(() => writeFileAtomic(file, 'x\n', { display: '--out o' })).toThrow('--out o: is the same file as the input environments/test/common.toml');
    expect(readFileSync(file, 'utf8')).toBe(ORIGINAL);
    writeFileAtomic(file, 'generated\n', { ownInput: true });
    expect(readFileSync(file, 'utf8')).toBe('generated\n');
  });
});
