/**
 * Writing a file so that a reader (or a crash) sees either the old bytes or the new ones, never
 * a mix: a temp file in the same directory, fsync, rename over the target, fsync the directory.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync, fchmodSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { UsageError } from '../core/errors.js';

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
export function writeFileAtomic(path: string, data: string | Buffer, opts: AtomicWriteOptions = {}): void {
  const display = opts.display ?? path;
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
