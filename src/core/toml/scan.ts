/**
 * A position-aware pass over TOML text.
 *
 * smol-toml parses values but reports no positions for them, and the tool needs both:
 * validation messages name `file:line`, and the override writer (`generate`) replaces the
 * text of one value and nothing else. This scanner does not interpret values; it finds
 * where each table header and each `key = value` assignment sits, and where each value's
 * text starts and ends. The document must already have been accepted by smol-toml, so the
 * scanner can be forgiving: it never throws on well-formed TOML.
 */

/** One `key = value` assignment, with the full dotted path it assigns. */
export interface KeyPosition {
  /** Table path plus the (possibly dotted) key, e.g. `['common', 'database', 'pool', 'max_connections']`. */
  path: string[];
  /** 1-based line of the key. */
  line: number;
  /** 1-based column of the key. */
  column: number;
  /** Offset of the first character of the line holding the key. */
  lineStart: number;
  /** Offsets of the value's text: `text.slice(valueStart, valueEnd)` is the value as written. */
  valueStart: number;
  valueEnd: number;
  /** Offset just past the end of the line on which the value ends (after its newline, if any). */
  lineEnd: number;
}

/** A `[table]` or `[[array]]` header. */
export interface TablePosition {
  path: string[];
  line: number;
  /** Whether this is an array-of-tables header (`[[...]]`). */
  array: boolean;
  /** Offset of the header line's first character. */
  headerStart: number;
  /** Offset just past the header line. */
  headerEnd: number;
  /** Offset just past the line of the last assignment in this table (headerEnd when it has none). */
  contentEnd: number;
}

/** Everything the scanner found, in document order. */
export interface TomlScan {
  keys: KeyPosition[];
  tables: TablePosition[];
  /** The document's newline style, used when inserting lines. */
  eol: '\n' | '\r\n';
}

// Sticky patterns that skip a run of characters in one native call: the scanner runs once per file
// at startup, on about 100 KB for Tasker's own config, before V8 has optimised any of its loops.
const BARE_KEY = /[A-Za-z0-9_-]*/y;
/** The rest of a one-line basic string after its opening quote, up to its closing quote or the line end. */
const BASIC_REST = /(?:[^"\n\\]|\\[^])*/y;
/** The rest of a one-line literal string after its opening quote. */
const LITERAL_REST = /[^'\n]*/y;
/** A scalar's text: up to whitespace, a comma, a comment or the end of an array or inline table. */
const SCALAR = /[^\s,#\]}]*/y;

/** The offset just past a sticky pattern's match at `i`. */
function skipRun(re: RegExp, text: string, i: number): number {
  re.lastIndex = i;
  re.test(text);
  return re.lastIndex;
}

/** Scan TOML text for the positions of its tables and assignments. */
export function scanToml(text: string): TomlScan {
  const keys: KeyPosition[] = [];
  const tables: TablePosition[] = [];
  const eol: '\n' | '\r\n' = text.includes('\r\n') ? '\r\n' : '\n';
  let current: string[] = [];
  let currentTable: TablePosition | undefined;
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const n = text.length;

  const skipSpaces = (): void => {
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
  };
  const newline = (): void => {
    line++;
    lineStart = i;
  };
  /** Skip to the end of the current line, consuming its newline. */
  const skipLine = (): void => {
    const eolAt = text.indexOf('\n', i);
    if (eolAt >= 0) {
      i = eolAt + 1;
      newline();
    } else i = n;
  };

  const readKey = (): string[] => {
    const parts: string[] = [];
    for (;;) {
      skipSpaces();
      const c = text[i];
      if (c === '"') {
        i++;
        let s = '';
        while (i < n && text[i] !== '"') {
          if (text[i] === '\\' && i + 1 < n) {
            s += unescapeBasic(text, i);
            i += escapeLength(text, i);
          } else {
            s += text[i];
            i++;
          }
        }
        i++;
        parts.push(s);
      } else if (c === "'") {
        i++;
        const start = i;
        while (i < n && text[i] !== "'") i++;
        parts.push(text.slice(start, i));
        i++;
      } else {
        const start = i;
        i = skipRun(BARE_KEY, text, i);
        parts.push(text.slice(start, i));
      }
      skipSpaces();
      if (text[i] === '.') {
        i++;
        continue;
      }
      return parts;
    }
  };

  /** Skip one value starting at i; returns with i just past it. Tracks newlines inside it. */
  const skipValue = (): void => {
    const c = text[i];
    if (c === '"' || c === "'") {
      const triple = text.startsWith(c.repeat(3), i);
      if (triple) {
        i += 3;
        const close = c.repeat(3);
        while (i < n) {
          if (c === '"' && text[i] === '\\') {
            i += 2;
            continue;
          }
          if (text.startsWith(close, i)) {
            i += 3;
            // Up to two extra quotes may belong to the content ("""a"""").
            while (text[i] === c) i++;
            return;
          }
          if (text[i] === '\n') {
            i++;
            newline();
            continue;
          }
          i++;
        }
        return;
      }
      i = skipRun(c === '"' ? BASIC_REST : LITERAL_REST, text, i + 1) + 1;
      return;
    }
    if (c === '[' || c === '{') {
      const closeChar = c === '[' ? ']' : '}';
      i++;
      while (i < n) {
        const d = text[i];
        if (d === closeChar) {
          i++;
          return;
        }
        if (d === '#') {
          while (i < n && text[i] !== '\n') i++;
          continue;
        }
        if (d === '\n') {
          i++;
          newline();
          continue;
        }
        if (d === '"' || d === "'" || d === '[' || d === '{') {
          skipValue();
          continue;
        }
        i++;
      }
      return;
    }
    // Scalars: numbers, booleans, dates. They end at whitespace, a comma, a comment or the line end.
    i = skipRun(SCALAR, text, i);
    // A date-time may contain one space between date and time: 1979-05-27 07:32:00
    if (text[i] === ' ' && /^\d{4}-\d{2}-\d{2}$/.test(text.slice(i - 10, i)) && /\d{2}:/.test(text.slice(i + 1, i + 4))) {
      i = skipRun(SCALAR, text, i + 1);
    }
  };

  while (i < n) {
    skipSpaces();
    const c = text[i];
    if (c === undefined) break;
    if (c === '\r' && text[i + 1] === '\n') {
      i += 2;
      newline();
      continue;
    }
    if (c === '\n') {
      i++;
      newline();
      continue;
    }
    if (c === '#') {
      skipLine();
      continue;
    }
    if (c === '[') {
      const headerStart = lineStart;
      const headerLine = line;
      const array = text[i + 1] === '[';
      i += array ? 2 : 1;
      const path = readKey();
      i += array ? 2 : 1;
      skipLine();
      current = path;
      currentTable = { path, line: headerLine, array, headerStart, headerEnd: i, contentEnd: i };
      tables.push(currentTable);
      continue;
    }
    // An assignment.
    const keyLine = line;
    const keyColumn = i - lineStart + 1;
    const keyLineStart = lineStart;
    const keyParts = readKey();
    skipSpaces();
    if (text[i] === '=') i++;
    skipSpaces();
    const valueStart = i;
    skipValue();
    const valueEnd = i;
    skipLine();
    keys.push({
      path: current.concat(keyParts),
      line: keyLine,
      column: keyColumn,
      lineStart: keyLineStart,
      valueStart,
      valueEnd,
      lineEnd: i,
    });
    if (currentTable) currentTable.contentEnd = i;
  }
  return { keys, tables, eol };
}

function escapeLength(text: string, i: number): number {
  const e = text[i + 1];
  if (e === 'u') return 6;
  if (e === 'U') return 10;
  return 2;
}

function unescapeBasic(text: string, i: number): string {
  const e = text[i + 1];
  switch (e) {
    case 'n':
      return '\n';
    case 't':
      return '\t';
    case 'r':
      return '\r';
    case 'b':
      return '\b';
    case 'f':
      return '\f';
    case 'u':
      return String.fromCodePoint(parseInt(text.slice(i + 2, i + 6), 16));
    case 'U':
      return String.fromCodePoint(parseInt(text.slice(i + 2, i + 10), 16));
    default:
      return e ?? '';
  }
}

/** Find the assignment of an exact path, or undefined. The last assignment wins (TOML forbids duplicates anyway). */
export function findKey(scan: TomlScan, path: readonly string[]): KeyPosition | undefined {
  let found: KeyPosition | undefined;
  for (const k of scan.keys) {
    if (samePath(k.path, path)) found = k;
  }
  return found;
}

/** Find the nearest position for a path: the key itself, an ancestor key (inline table), or its table header. */
export function locate(scan: TomlScan, path: readonly string[]): { line: number; column: number } | undefined {
  for (let len = path.length; len > 0; len--) {
    const prefix = path.slice(0, len);
    const k = findKey(scan, prefix);
    if (k) return { line: k.line, column: k.column };
    const t = scan.tables.find((tb) => samePath(tb.path, prefix));
    if (t) return { line: t.line, column: 1 };
  }
  return undefined;
}

/** Whether two key paths are equal. */
export function samePath(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((p, idx) => p === b[idx]);
}
