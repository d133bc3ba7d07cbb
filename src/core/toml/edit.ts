/**
 * Surgical edits of TOML text: set integer values without rewriting the document.
 *
 * The environment files `generate` writes are written by people and carry their reasoning in
 * comments; a serializer would throw that away. So an edit changes text, not a parsed tree:
 *
 * - a key that exists: only its value's text is replaced (a trailing comment, the spacing
 *   around `=`, the quoting of the key, everything else on the line stays as it was);
 * - a key that is missing: one line is inserted after the last assignment of its table,
 *   with the indentation and `=` spacing of the assignment before it and the document's
 *   newline style;
 * - a table that is missing: `[table]` and the key are appended at the end, after one blank line.
 *
 * The result is parsed again and compared with the original document plus the edits; an edit
 * is returned only when the two are equal, so a surprise in the scanner can never reach a file.
 */
import { parse as parseToml } from 'smol-toml';
import { UsageError } from '../errors.js';
import { describeDifference, firstDifference, setPath } from './compare.js';
import { findKey, samePath, scanToml, type KeyPosition, type TomlScan } from './scan.js';

/** One change: set `key` of the table at `table` to an integer. */
export interface TomlEdit {
  /** Table path, e.g. `['common', 'database', 'pool']` (never empty). */
  table: readonly string[];
  key: string;
  value: number;
}

/**
 * What an edit did: `unchanged` (the key already held the value), `updated` (its value text was
 * replaced), `inserted` (a line was added to an existing table), `appended` (the table was added
 * at the end of the document, with the key).
 */
export type EditAction = 'unchanged' | 'updated' | 'inserted' | 'appended';

/** An edit with its outcome. */
export interface AppliedEdit extends TomlEdit {
  action: EditAction;
  /** The value's text before the edit, when the key existed. */
  previous?: string;
  /** 1-based line of the key in the new text. */
  line: number;
}

/** The new text and what happened to each edit. */
export interface EditResult {
  text: string;
  applied: AppliedEdit[];
}

const BARE = /^[A-Za-z0-9_-]+$/;

/** Write a key path as TOML: bare segments where allowed, quoted otherwise. */
export function formatKeyPath(parts: readonly string[]): string {
  return parts.map((p) => (BARE.test(p) ? p : JSON.stringify(p))).join('.');
}

function isPrefix(prefix: readonly string[], path: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => p === path[i]);
}

function parseOrThrow(text: string, file: string, what: string): Record<string, unknown> {
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (e) {
    const reason = String((e as Error).message).split('\n')[0];
    throw new UsageError(`${file}: ${what}: ${reason}`);
  }
}

/** The offset where an assignment's key starts. */
function keyStart(k: KeyPosition): number {
  return k.lineStart + k.column - 1;
}

/** The `=` with the spacing around it, as an assignment writes it. */
function separatorOf(text: string, k: KeyPosition): string {
  const m = /[ \t]*=[ \t]*$/.exec(text.slice(keyStart(k), k.valueStart));
  return m ? m[0] : ' = ';
}

/** The whitespace before an assignment's key. */
function indentOf(text: string, k: KeyPosition): string {
  const s = text.slice(k.lineStart, keyStart(k));
  return /^[ \t]*$/.test(s) ? s : '';
}

/** The path of the `[table]` section an assignment sits in (the root is `[]`). */
function sectionOf(scan: TomlScan, k: KeyPosition): readonly string[] {
  let path: readonly string[] = [];
  for (const t of scan.tables) if (t.headerStart <= k.lineStart) path = t.path;
  return path;
}

/** Insert one line at an offset that is either a line start or the end of a last line without newline. */
function insertLine(text: string, at: number, line: string, eol: string): string {
  const ins = at > 0 && text[at - 1] !== '\n' ? `${eol}${line}` : `${line}${eol}`;
  return text.slice(0, at) + ins + text.slice(at);
}

/** Refuse layouts this writer does not edit: a table written inline, inside an array of tables, or a key that is a table. */
function checkShape(scan: TomlScan, path: readonly string[], file: string): void {
  const name = `[${formatKeyPath(path.slice(0, -1))}] ${path[path.length - 1]}`;
  const inline = scan.keys.find((k) => k.path.length < path.length && isPrefix(k.path, path));
  if (inline) {
    throw new UsageError(
      `${file}:${inline.line}: cannot set ${name}: '${formatKeyPath(inline.path)}' is written as a value (an inline table?); pool-advisor edits standard [table] sections only; rewrite it as a [${formatKeyPath(inline.path)}] section`,
    );
  }
  const array = scan.tables.find((t) => t.array && isPrefix(t.path, path));
  if (array) throw new UsageError(`${file}:${array.line}: cannot set ${name}: it would sit inside the array of tables [[${formatKeyPath(array.path)}]]`);
  const deeper = scan.keys.find((k) => k.path.length > path.length && isPrefix(path, k.path)) ?? scan.tables.find((t) => isPrefix(path, t.path));
  if (deeper) throw new UsageError(`${file}:${deeper.line}: cannot set ${name}: it is a table in this file, not a value`);
}

function applyOne(text: string, e: TomlEdit, file: string): { text: string; action: EditAction; previous?: string } {
  const scan = scanToml(text);
  const path = [...e.table, e.key];
  checkShape(scan, path, file);
  const value = String(e.value);
  const existing = findKey(scan, path);
  if (existing) {
    const previous = text.slice(existing.valueStart, existing.valueEnd);
    const current = parseOrThrow(`x = ${previous}`, file, 'cannot read the current value')['x'];
    if (current === e.value) return { text, action: 'unchanged', previous };
    return { text: text.slice(0, existing.valueStart) + value + text.slice(existing.valueEnd), action: 'updated', previous };
  }
  const docSep = scan.keys[0] ? separatorOf(text, scan.keys[0]) : ' = ';
  const header = scan.tables.find((t) => !t.array && samePath(t.path, e.table));
  if (header) {
    // Keys of this section, in order; the new line goes after the last, formatted like it.
    const inSection = scan.keys.filter((k) => k.lineStart >= header.headerEnd && k.lineEnd <= header.contentEnd && samePath(sectionOf(scan, k), e.table));
    const ref = inSection[inSection.length - 1];
    const line = `${ref ? indentOf(text, ref) : ''}${formatKeyPath([e.key])}${ref ? separatorOf(text, ref) : docSep}${value}`;
    return { text: insertLine(text, header.contentEnd, line, scan.eol), action: 'inserted' };
  }
  // A table made by dotted keys under an ancestor's header (`[common.database]` + `pool.max_connections = 5`).
  const direct = scan.keys.filter((k) => k.path.length === path.length && isPrefix(e.table, k.path));
  const ref = direct[direct.length - 1];
  if (ref) {
    const section = sectionOf(scan, ref);
    const line = `${indentOf(text, ref)}${formatKeyPath(path.slice(section.length))}${separatorOf(text, ref)}${value}`;
    return { text: insertLine(text, ref.lineEnd, line, scan.eol), action: 'inserted' };
  }
  const eol = scan.eol;
  let lead: string;
  if (text === '' || /(^|\n)[ \t]*\r?\n$/.test(text)) lead = '';
  else if (text.endsWith('\n')) lead = eol;
  else lead = eol + eol;
  // A file that ends without a newline keeps ending without one (its layout is kept).
  const last = text !== '' && !text.endsWith('\n') ? '' : eol;
  const block = `[${formatKeyPath(e.table)}]${eol}${formatKeyPath([e.key])}${docSep}${value}${last}`;
  return { text: text + lead + block, action: 'appended' };
}

/**
 * Apply edits to a TOML document's text, in order. Throws a {@link UsageError} (naming `file`)
 * when the document is not TOML, when a table is written in a shape this writer does not edit
 * (inline, inside an array of tables), or when the result does not parse to the original
 * document plus the edits.
 */
export function editToml(text: string, edits: readonly TomlEdit[], file = 'the document'): EditResult {
  const expected = parseOrThrow(text, file, 'invalid TOML');
  let out = text;
  const outcomes: Array<{ action: EditAction; previous?: string }> = [];
  for (const e of edits) {
    if (e.table.length === 0) throw new Error('editToml: an edit needs a table path');
    if (!Number.isSafeInteger(e.value)) throw new Error(`editToml: ${e.value} is not a safe integer`);
    const r = applyOne(out, e, file);
    out = r.text;
    outcomes.push({ action: r.action, ...(r.previous !== undefined ? { previous: r.previous } : {}) });
    setPath(expected, [...e.table, e.key], e.value);
  }
  const actual = parseOrThrow(out, file, 'the edited text would not be valid TOML (nothing was written)');
  const d = firstDifference(expected, actual);
  if (d) throw new UsageError(`${file}: the edited text would not hold the asked values (nothing was written): ${describeDifference(d)}`, 'edit this file by hand, and please report the file shape as a pool-advisor bug');
  const scan = scanToml(out);
  const applied = edits.map((e, i) => ({ ...e, table: [...e.table], ...outcomes[i]!, line: findKey(scan, [...e.table, e.key])?.line ?? 0 }));
  return { text: out, applied };
}
