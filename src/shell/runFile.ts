/**
 * Run files on disk: read and checked for `--from`, written for `--out`. A run is saved
 * atomically and scrubbed of every known secret (a driver's error message is kept in it).
 */
import { readFileSync, statSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import { parseRunFile } from '../core/analysis/runFile.js';
import type { RunFile } from '../core/run/types.js';
import { writeFileAtomic } from './atomicWrite.js';
import { clean, writeErr } from './output.js';

/** Largest run file read (a run file keeps histograms encoded, so real ones are far smaller). */
const MAX_RUN_FILE_BYTES = 64 * 1024 * 1024;

/** Read and check a saved run (exit 2 with one line on a missing, unreadable or malformed file). */
export function readRunFile(path: string): RunFile {
  let text: string;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new UsageError(`${path}: is a directory, expected a run file`, "pass the file written by 'pool-advisor analyze --out FILE'");
    if (st.size > MAX_RUN_FILE_BYTES) throw new UsageError(`${path}: ${st.size} bytes is larger than any run file (limit ${MAX_RUN_FILE_BYTES})`, 'check this is the right file');
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${path}: cannot read: ${code === 'ENOENT' ? 'no such file' : (code ?? (e as Error).message)}`, "pass the file written by 'pool-advisor analyze --out FILE'");
  }
  return parseRunFile(text, path);
}

/** Save a run (`--out`), atomically and scrubbed, and say where it went. */
export function saveRun(path: string, run: RunFile): void {
  writeFileAtomic(path, clean(`${JSON.stringify(run)}\n`), { display: path });
  writeErr(`Saved the run to ${path}${run.partial ? ' (partial)' : ''}`);
}
