/**
 * A small YAML emitter for the rule files `alerts` writes: block mappings and sequences of
 * strings and numbers, nothing else. It never wraps a line and picks, per string, the simplest
 * style a YAML 1.1 or 1.2 reader (Prometheus's Go reader included) reads back as the same string:
 *
 * - plain, for identifiers and durations (`warning`, `5m`), unless a reader could take them for
 *   something else (`yes`, `null`, `on`...);
 * - single-quoted, for any other one-line printable text (PromQL keeps its `"` unescaped);
 * - double-quoted with escapes, for everything else (line breaks, control characters).
 *
 * Pure: returns a string.
 */

/** A value the emitter writes. Mappings keep their insertion order. */
export type YamlValue = string | number | readonly YamlValue[] | YamlMap;

/** A mapping: an object whose keys are the emitter's caller's own (never user-chosen names). */
export interface YamlMap {
  readonly [key: string]: YamlValue | undefined;
}

/** Words YAML 1.1 (or 1.2) reads as booleans or null when plain. */
const RESERVED = new Set(['y', 'n', 'yes', 'no', 'true', 'false', 'on', 'off', 'null']);
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_./:-]*$/;
const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;
/** Printable on one line in any YAML reader: no C0/C1 controls, DEL, line or paragraph separators, BOM, or lone surrogates. */
const ONE_LINE_PRINTABLE = /^(?:[\x20-\x7E\u00A0-\u2027\u202A-\uD7FF\uE000-\uFEFE\uFF00-\uFFFD]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/;

/** A string as a YAML scalar that reads back as exactly that string. */
export function yamlString(s: string): string {
  if ((IDENTIFIER.test(s) && !s.endsWith(":") && !RESERVED.has(s.toLowerCase())) || DURATION.test(s)) return s;
  if (s !== '' && ONE_LINE_PRINTABLE.test(s) && !/^\s|\s$/.test(s)) return `'${s.replaceAll("'", "''")}'`;
  return doubleQuoted(s);
}

function doubleQuoted(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch.length === 1 && !ONE_LINE_PRINTABLE.test(ch)) out += cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function scalar(v: string | number): string {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`yaml: ${v} is not a finite number`);
    return String(v);
  }
  return yamlString(v);
}

function isScalar(v: YamlValue): v is string | number {
  return typeof v === 'string' || typeof v === 'number';
}

function entriesOf(m: YamlMap): Array<[string, YamlValue]> {
  return Object.entries(m).filter((e): e is [string, YamlValue] => e[1] !== undefined);
}

/** The value after `key:` or `-` when it fits on the same line, else undefined. */
function inline(v: YamlValue): string | undefined {
  if (isScalar(v)) return scalar(v);
  if (Array.isArray(v)) return v.length === 0 ? '[]' : undefined;
  return entriesOf(v as YamlMap).length === 0 ? '{}' : undefined;
}

function lines(v: YamlValue, indent: number): string[] {
  const pad = ' '.repeat(indent);
  if (Array.isArray(v)) {
    return (v as readonly YamlValue[]).flatMap((item) => {
      const one = inline(item);
      if (one !== undefined) return [`${pad}- ${one}`];
      const inner = lines(item, indent + 2);
      return [`${pad}- ${inner[0]!.slice(indent + 2)}`, ...inner.slice(1)];
    });
  }
  return entriesOf(v as YamlMap).flatMap(([k, val]) => {
    const one = inline(val);
    return one !== undefined ? [`${pad}${yamlString(k)}: ${one}`] : [`${pad}${yamlString(k)}:`, ...lines(val, indent + 2)];
  });
}

/** A YAML document for a mapping or sequence, ending in a newline. */
export function toYaml(doc: YamlMap | readonly YamlValue[]): string {
  const one = inline(doc);
  return `${one ?? lines(doc, 0).join('\n')}\n`;
}

/** Text as `# ` comment lines: each line of the text is one comment line, with non-printable characters escaped. */
export function yamlComment(text: string, indent = 0): string[] {
  const pad = ' '.repeat(indent);
  return text.split('\n').map((line) => {
    const shown = ONE_LINE_PRINTABLE.test(line) ? line : doubleQuoted(line).slice(1, -1);
    return `${pad}#${shown === '' ? '' : ` ${shown}`}`;
  });
}
