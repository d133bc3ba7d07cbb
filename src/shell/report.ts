/**
 * Writing the HTML reports of `--report FILE` (analyze, recommend --from, compare): the path is
 * checked before any work, and the page is written atomically with every known secret scrubbed.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from '../core/errors.js';
import { writeFileAtomic } from './atomicWrite.js';
import { clean, writeErr } from './output.js';

/** Refuse, before any work, a report path whose directory does not exist or that is a directory (exit 2). */
export function assertReportPath(flag: string, path: string): void {
  const dir = dirname(path);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${flag} ${path}: the directory ${dir} does not exist`, 'create it first, or choose another path');
  if (existsSync(path) && statSync(path).isDirectory()) throw new UsageError(`${flag} ${path}: is a directory`, 'give a file name, e.g. report.html');
}

/** Write a report atomically, scrubbed of every known secret, and say where it went. */
export function writeReport(path: string, html: string): void {
  writeFileAtomic(path, clean(html), { display: path });
  writeErr(`Wrote the report to ${path}`);
}
