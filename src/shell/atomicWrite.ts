/**
 * Writing a file so that a reader (or a crash) sees either the old bytes or the new ones, never
 * a mix: a temp file in the same directory, fsync, rename over the target, fsync the directory.
 *
 * Only a regular file (or a path where nothing is) is replaced that way. An existing path of
 * another kind is judged by what it is, never replaced: a symlink by its target (the target is
 * written, the link kept), a character device (`/dev/null`, a terminal) written through, a FIFO
 * opened without blocking and written when someone reads it (refused when nobody does), a socket,
 * a block device or a directory refused. And no output lands on a file this process read
 * (src/shell/inputs.ts), unless the caller says the input is its own target (`generate`).
 */
import { accessSync, closeSync, constants, fsyncSync, lstatSync, openSync, readFileSync, readlinkSync, realpathSync, renameSync, statSync, unlinkSync, writeSync, fchmodSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { UsageError } from '../core/errors.js';
import { inputAt } from './inputs.js';

/** What the target must still be just before the rename: otherwise someone else changed it meanwhile. */
export interface Expectation {
  /** Its bytes, or null when it must not exist. */
  content: Buffer | null;
  /** Its mtime and size when it was read (checked with the content). */
  mtimeMs?: number;
  size?: number;
}

/** Options of {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** Permission bits of the new file (the old file's, to keep them); default 0o666 minus the umask. */
  mode?: number;
  /** Refuse to replace the target unless it still matches this. */
  expect?: Expectation;
  /** The path to name in messages. */
  display?: string;
  /**
   * Called after the temp file is written and synced, just before the rename. A failure point
   * for tests (a crash here must leave the target intact); nothing else uses it.
   */
  beforeRename?: (tempPath: string) => void;
  /** The target may be a file this process read (generate's own targets); every other output may not. */
  ownInput?: boolean;
}

/** What an output path is, judged through symlinks: where to write and how. */
export interface OutputTarget {
  /** The path to write (the symlink's target, resolved, when the path is a link). */
  path: string;
  /** `file` and `absent` are written atomically; `device` and `fifo` are written through. */
  kind: 'file' | 'absent' | 'device' | 'fifo';
}

/**
 * Judge an output path before writing it (and before any work): a regular file or nothing is
 * replaced atomically; a character device or a FIFO is written through; a directory, a socket, a
 * block device, a dangling symlink or a symlink loop is refused (exit 2) naming `display`.
 */
export function outputTarget(path: string, display: string): OutputTarget {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { path, kind: 'absent' };
    throw new UsageError(`${display}: cannot write: ${errnoReason(e)}`, 'choose another path');
  }
  let real = path;
  if (st.isSymbolicLink()) {
    try {
      real = realpathSync(path);
      st = statSync(real);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new UsageError(`${display}: is a symlink to ${readlinkSync(path)}, which does not exist; pool-advisor does not replace the link`, 'give the path of a file (or of the link\'s target) instead');
      throw new UsageError(`${display}: cannot write: ${code === 'ELOOP' ? 'a symlink loop' : errnoReason(e)}`, 'choose another path');
    }
  }
  if (st.isFile()) return { path: real, kind: 'file' };
  if (st.isCharacterDevice()) return { path: real, kind: 'device' };
  if (st.isFIFO()) return { path: real, kind: 'fifo' };
  const what = st.isDirectory() ? 'a directory' : st.isSocket() ? 'a socket' : st.isBlockDevice() ? 'a block device' : 'not a regular file';
  throw new UsageError(`${display}: is ${what}; pool-advisor writes a file there only when it is a regular file, a character device or a FIFO`, st.isDirectory() ? 'give a file name, e.g. report.html' : 'choose a file path');
}

/** Whether the output may be written now: a device or FIFO must let us write, (judged by access, nothing opened). */
export function assertWritableTarget(t: OutputTarget, display: string): void {
  if (t.kind !== 'device' && t.kind !== 'fifo') return;
  try {
    accessSync(t.path, constants.W_OK);
  } catch (e) {
    throw new UsageError(`${display}: cannot write: ${errnoReason(e)}`, 'choose a path you can write');
  }
}

/** Sleep synchronously (the writer of a FIFO waits for its reader to drain the pipe). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** How long a FIFO's reader may leave the pipe full before the write gives up. */
const FIFO_STALL_MS = 30_000;

/**
 * Write through a character device or a FIFO (never replacing it). A FIFO is opened without
 * blocking: nobody reading it is a refusal at once (ENXIO), not a hang; a reader that stops
 * reading for {@link FIFO_STALL_MS} or goes away is a refusal too.
 */
function writeThrough(t: OutputTarget, bytes: Buffer, display: string): void {
  let fd: number;
  try {
    fd = openSync(t.path, constants.O_WRONLY | constants.O_NOCTTY | (t.kind === 'fifo' ? constants.O_NONBLOCK : 0));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENXIO') throw new UsageError(`${display}: is a FIFO nobody reads; writing it would wait forever`, 'start its reader first (e.g. cat FIFO), or give a file path');
    throw new UsageError(`${display}: cannot write: ${errnoReason(e)}`, 'choose a path you can write');
  }
  try {
    let stalledSince = Date.now();
    for (let off = 0; off < bytes.length; ) {
      try {
        off += writeSync(fd, bytes, off, bytes.length - off);
        stalledSince = Date.now();
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' && Date.now() - stalledSince < FIFO_STALL_MS) {
          pause(5);
          continue;
        }
        if (code === 'EAGAIN') throw new UsageError(`${display}: its reader read nothing for ${FIFO_STALL_MS / 1000} s; the output is incomplete`, 'read the FIFO to its end, or give a file path');
        if (code === 'EPIPE') throw new UsageError(`${display}: its reader went away before the end; the output is incomplete`, 'read the FIFO to its end, or give a file path');
        throw new UsageError(`${display}: cannot write: ${errnoReason(e)}`, 'choose a path you can write');
      }
    }
  } finally {
    closeSync(fd);
  }
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms and filesystems cannot fsync a directory; the rename is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Whether the target still is what the caller read. */
function unchangedSince(path: string, expect: Expectation): boolean {
  const st = statOrNull(path);
  if (expect.content === null) return st === null;
  if (st === null) return false;
  if (expect.mtimeMs !== undefined && st.mtimeMs !== expect.mtimeMs) return false;
  if (expect.size !== undefined && st.size !== expect.size) return false;
  return readFileSync(path).equals(expect.content);
}

function errnoReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOSPC') return 'no space left on the device';
  if (code === 'EROFS') return 'read-only filesystem';
  return code ?? String((e as Error).message);
}

/**
 * Replace (or create) `path` with `data` atomically. Throws a {@link UsageError} when the target
 * changed since it was read (per `expect`) or cannot be written; the temp file is removed on
 * every failure, and the target is then untouched.
 */
export function writeFileAtomic(target: string, data: string | Buffer, opts: AtomicWriteOptions = {}): void {
  const display = opts.display ?? target;
  if (!opts.ownInput) {
    const input = inputAt(target);
    if (input !== undefined) throw new UsageError(`${display}: is the same file as the input ${input}; writing it would destroy that input`, 'choose another output path');
  }
  const t = outputTarget(target, display);
  if (t.kind === 'device' || t.kind === 'fifo') {
    writeThrough(t, typeof data === 'string' ? Buffer.from(data, 'utf8') : data, display);
    return;
  }
  const path = t.path;
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.pool-advisor-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | undefined;
  let renamed = false;
  try {
    try {
      fd = openSync(temp, 'wx', opts.mode ?? 0o666);
      // The umask may have cleared bits of the old file's mode; set it exactly.
      if (opts.mode !== undefined) fchmodSync(fd, opts.mode);
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
      closeSync(fd);
      fd = undefined;
    } catch (e) {
      throw new UsageError(`${display}: cannot write: ${errnoReason(e)}`, 'check the directory is writable');
    }
    opts.beforeRename?.(temp);
    if (opts.expect && !unchangedSince(path, opts.expect)) {
      throw new UsageError(
        `${display}: changed on disk while pool-advisor was writing it; it was left as the other writer left it`,
        'run generate again (it reads the file afresh)',
      );
    }
    try {
      renameSync(temp, path);
      renamed = true;
    } catch (e) {
      throw new UsageError(`${display}: cannot replace: ${errnoReason(e)}`, 'check the directory is writable');
    }
    fsyncDir(dir);
  } finally {
    if (fd !== undefined) closeSync(fd);
    if (!renamed) {
      try {
        unlinkSync(temp);
      } catch {
        // Already gone (or never created).
      }
    }
  }
}
