/**
 * Reading a saved run back (`--from run.json`): the schema version first, then the run file's
 * schema (types.ts), which is its type too; what is wrong is said in one line naming the file and
 * the key path. Pure: the shell reads the file and hands its text in.
 */
import { UsageError } from '../errors.js';
import { isObj, readWith } from '../saved.js';
import { RUN_SCHEMA_VERSION, runFile, type RunFile } from './types.js';

const HINT = "pass a file written by 'pool-advisor analyze --out FILE'";

/** A saved file's JSON; `display` names it in the one-line error (exit 2), `hint` says what to pass instead. */
export function parseJson(text: string, display: string, hint: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${display}: not JSON (${(e as Error).message.replace(/\s+/g, ' ')})`, hint);
  }
}

/** Parse and check a run file's text; `display` names it in errors. Throws UsageError (exit 2). */
export function parseRunFile(text: string, display: string): RunFile {
  return checkRunFile(parseJson(text, display, HINT), display);
}

/** Check parsed JSON is a run file: the first refusal is one line naming the key path (exit 2). */
export function checkRunFile(data: unknown, display: string): RunFile {
  if (isObj(data)) {
    const version = data.schemaVersion;
    if (version === undefined) throw new UsageError(`${display}: schemaVersion: missing: this is not a pool-advisor run file`, HINT);
    if (version !== RUN_SCHEMA_VERSION) throw new UsageError(`${display}: schemaVersion ${JSON.stringify(version)} is not supported (this pool-advisor reads ${RUN_SCHEMA_VERSION})`, 'save the run again with this version of pool-advisor');
  }
  return readWith(runFile, data, display, HINT);
}
