/**
 * The files this process has read, by identity (device and inode, through links): no output may
 * land on one of them. Every file reader of the shell goes through `readBoundedFile`, which notes
 * what it read here, so a new input is covered without naming it at each command; the output
 * writer (`writeFileAtomic`) and the checks made before any work (`assertOutputsApart`) consult it.
 */
import { statSync, type Stats } from 'node:fs';

const read = new Map<string, string>();

/** The identity of a file, or undefined when there is none. */
export function fileIdentity(path: string): string | undefined {
  try {
    const st = statSync(path);
    return idOf(st);
  } catch {
    return undefined;
  }
}

function idOf(st: Pick<Stats, 'dev' | 'ino'>): string {
  return `${st.dev}:${st.ino}`;
}

/** Note a file read as an input (`what` names it in messages: `the config file x.toml`). */
export function noteInput(what: string, st: Pick<Stats, 'dev' | 'ino'>): void {
  const id = idOf(st);
  if (!read.has(id)) read.set(id, what);
}

/** What input `path` is, when it is one this process read. */
export function inputAt(path: string): string | undefined {
  const id = fileIdentity(path);
  return id === undefined ? undefined : read.get(id);
}

/** Every input read so far, as [identity, what]. */
export function inputsRead(): ReadonlyMap<string, string> {
  return read;
}
