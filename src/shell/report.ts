/**
 * Writing the HTML reports of `--report FILE` (analyze, recommend --from, compare): the path is
 * checked before any work, and the page is written atomically with every known secret scrubbed.
 */
import { closeSync, existsSync, openSync, realpathSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { UsageError } from '../core/errors.js';
import { assertWritableTarget, outputTarget, writeFileAtomic } from './atomicWrite.js';
import { fileIdentity, inputsRead } from './inputs.js';
import { clean, writeErr } from './output.js';

/**
 * Refuse, before any work (and before any connection), an output path that cannot be written:
 * its directory missing, the path a directory, or the directory not writable. Writability is
 * tried, not guessed from mode bits: a file is created and removed where the atomic write will
 * put its temp file (ACLs, read-only mounts and root all answer truthfully that way).
 */
export function assertReportPath(flag: string, path: string): void {
  const display = `${flag} ${path}`;
  // Judged through links: a directory, socket or block device (or a dangling link) is refused here.
  const t = outputTarget(path, display);
  if (t.kind === 'device' || t.kind === 'fifo') {
    // Written through, not replaced: its directory needs no room for a temp file. A FIFO is not
    // opened here (opening and closing it would end its reader's input); whether someone reads it
    // is found when it is written.
    assertWritableTarget(t, display);
    return;
  }
  const dir = dirname(t.path);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${flag} ${path}: the directory ${dir} does not exist`, 'create it first, or choose another path');
  const probe = join(dir, `.${basename(t.path)}.pool-advisor-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    closeSync(openSync(probe, 'wx', 0o600));
    unlinkSync(probe);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'read-only filesystem' : code === 'ENOSPC' ? 'no space left on the device' : (code ?? (e as Error).message);
    throw new UsageError(`${flag} ${path}: cannot write in ${dir}: ${why}`, 'choose a directory you can write, or fix its permissions');
  }
}

const fileId = fileIdentity;

function isCharacterDevice(path: string): boolean {
  try {
    return statSync(path).isCharacterDevice();
  } catch {
    return false;
  }
}

function realDir(path: string): string {
  try {
    return realpathSync(dirname(path));
  } catch {
    return resolve(dirname(path));
  }
}

/**
 * Refuse outputs that would overwrite an input, or each other: the same file by any name (a
 * symlink, a hard link, `./x` and `x`) is found by device and inode, before any work (exit 2).
 * The inputs are the ones given and every file this process has read so far (src/shell/inputs.ts),
 * so a command calls this after reading its local inputs and before any connection. Two outputs
 * may both be a character device (`--out /dev/null --report /dev/null`).
 */
export function assertOutputsApart(outputs: ReadonlyArray<readonly [flag: string, path: string | undefined]>, inputs: ReadonlyArray<readonly [what: string, path: string | undefined]>): void {
  const seen = new Map<string, string>();
  for (const [what, path] of inputs) {
    const id = path === undefined ? undefined : fileId(path);
    if (id !== undefined && !seen.has(id)) seen.set(id, `${what} ${path}`);
  }
  // Every file read so far is an input too (the config dir's files, the advisor config's sql_file, a CA file, ...).
  for (const [id, what] of inputsRead()) if (!seen.has(id)) seen.set(id, what);
  const outs = new Map<string, string>();
  for (const [flag, path] of outputs) {
    if (path === undefined) continue;
    const id = fileId(path);
    const input = id === undefined ? undefined : seen.get(id);
    if (input) throw new UsageError(`${flag} ${path}: is the same file as the input ${input}; writing it would destroy that input`, `choose another path for ${flag}`);
    if (isCharacterDevice(path)) continue;
    const key = id ?? `new:${join(realDir(path), basename(path))}`;
    const other = outs.get(key);
    if (other) throw new UsageError(`${flag} ${path}: is the same file as ${other}; one would overwrite the other`, `give ${flag} its own path`);
    outs.set(key, `${flag} ${path}`);
  }
}

/** Write a report atomically, scrubbed of every known secret, and say where it went. */
export function writeReport(path: string, html: string): void {
  writeFileAtomic(path, clean(html), { display: path });
  writeErr(`Wrote the report to ${path}`);
}
