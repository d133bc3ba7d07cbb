/**
 * Evidence files on disk: read and checked for `--from` (a run, or an observation), and runs
 * written for `--out`. A run is saved atomically and scrubbed of every known secret (a driver's
 * error message is kept in it), with `kind: "run"` so every reader knows what it holds.
 */
import { readBoundedFile } from './configDir.js';
import { parseEvidenceFile } from '../core/evidence/read.js';
import type { EvidenceFile } from '../core/evidence/types.js';
import type { RunFile } from '../core/run/types.js';
import { writeFileAtomic } from './atomicWrite.js';
import { clean, writeErr } from './output.js';

/** Largest run file read (a run file keeps histograms encoded, so real ones are far smaller). */
const MAX_RUN_FILE_BYTES = 64 * 1024 * 1024;

/** Read a saved evidence file's text: a regular file, at most {@link MAX_RUN_FILE_BYTES} (exit 2 with one line otherwise). */
export function readEvidenceText(path: string): string {
  const buf = readBoundedFile(path, path, MAX_RUN_FILE_BYTES, 'a run or observation file', "pass the file written by 'pool-advisor analyze --out FILE' or 'pool-advisor observe --out FILE'");
  return buf.toString('utf8');
}

/** Read and check a saved evidence file: a run or an observation (exit 2 with one line on a missing, unreadable or malformed file). */
export function readEvidenceFile(path: string): EvidenceFile {
  return parseEvidenceFile(readEvidenceText(path), path);
}

/** Save a run (`--out`), atomically and scrubbed, and say where it went. */
export function saveRun(path: string, run: RunFile): void {
  writeFileAtomic(path, clean(`${JSON.stringify({ kind: 'run', ...run })}\n`), { display: path });
  writeErr(`Saved the run to ${path}${run.partial ? ' (partial)' : ''}`);
}
