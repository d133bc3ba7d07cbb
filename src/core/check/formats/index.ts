/**
 * `check`'s output formats, one file each: the registry `--format` takes its choices from. A
 * format is a function from the report to the text written on stdout.
 */
import type { CheckReport, TextOptions } from '../report.js';
import { renderCheckGithub } from './github.js';
import { renderCheckJson } from './json.js';
import { renderCheckJunit } from './junit.js';
import { renderCheckText } from './text.js';
import type { CheckFormat } from './names.js';

export { CHECK_FORMAT_NAMES, type CheckFormat } from './names.js';

/** Renderers by format name: exactly the names of names.ts (a missing or extra one does not compile). */
export const CHECK_FORMATS: Readonly<Record<CheckFormat, (r: CheckReport, opts: TextOptions) => string>> = {
  text: renderCheckText,
  json: (r: CheckReport) => renderCheckJson(r),
  junit: (r: CheckReport) => renderCheckJunit(r),
  github: (r: CheckReport) => renderCheckGithub(r),
};
