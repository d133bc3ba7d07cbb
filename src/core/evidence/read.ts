/**
 * The one reader of saved evidence (`--from FILE` of recommend, check, compare, generate and the
 * report): a run file (`kind: "run"`, or no kind: every run saved before kinds existed) is checked
 * by the run file's schema and mapped into evidence; an observation (`kind: "observation"`) carries
 * its evidence itself, under `environments`, beside whatever else its source saved, and is checked
 * by the evidence's schema (types.ts). Pure: the shell reads the file and hands its text in.
 * Errors are one line naming the file and the key path.
 */
import { UsageError } from '../errors.js';
import { checkRunFile, parseJson } from '../run/file.js';
import { redactUrl } from '../redact.js';
import { isObj, readWith } from '../saved.js';
import { evidenceFromRun } from './fromRun.js';
import { EVIDENCE_SCHEMA_VERSION, observationEvidence, type EvidenceFile } from './types.js';

const HINT = "pass a file written by 'pool-advisor analyze --out FILE' or 'pool-advisor observe --out FILE'";

/** Check the evidence of an observation file and return it (extra fields of its source are kept). */
function checkObservation(data: Record<string, unknown>, display: string): EvidenceFile {
  const version = data.schemaVersion;
  if (version !== EVIDENCE_SCHEMA_VERSION) throw new UsageError(`${display}: schemaVersion ${JSON.stringify(version)} is not supported (this pool-advisor reads observations of version ${EVIDENCE_SCHEMA_VERSION})`, 'save the observation again with this version of pool-advisor');
  if (data.environments === undefined) throw new UsageError(`${display}: environments: missing: this observation carries no evidence (saved by a pool-advisor without the evidence model); observe again and save it with this version`, HINT);
  const obs = readWith(observationEvidence, data, display, HINT);
  return { ...obs, seed: null, configDir: obs.configDir ?? null, tool: obs.tool ?? { name: 'pool-advisor', version: 'unknown' } };
}

/**
 * Parse a saved evidence file's text into evidence; `display` names it in errors. Throws
 * UsageError (exit 2) with one line naming the path and the reason.
 */
export function parseEvidenceFile(text: string, display: string): EvidenceFile {
  const data = parseJson(text, display, HINT);
  const kind = isObj(data) ? data.kind : undefined;
  if (kind !== undefined && kind !== 'run' && kind !== 'observation') throw new UsageError(`${display}: kind ${JSON.stringify(kind)} is not one pool-advisor reads (expected 'run' or 'observation')`, HINT);
  const ev = kind === 'observation' ? checkObservation(data as Record<string, unknown>, display) : evidenceFromRun(checkRunFile(data, display));
  // The target as written in the file may carry a password (an edited file, another tool's): never shown.
  return { ...ev, target: redactUrl(ev.target) };
}

