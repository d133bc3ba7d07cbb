/**
 * Structural comparison of parsed TOML values, for checking an edit before it is trusted.
 *
 * `node:util`'s deep equality is not usable here: smol-toml builds tables with a null
 * prototype while merged or hand-built expectations use plain objects, and the two must
 * compare equal when their keys and values do.
 */

/** Where two values first differ: the key path, and both values there. */
export interface Difference {
  path: string[];
  expected: unknown;
  actual: unknown;
}

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function sameScalar(a: unknown, b: unknown): boolean {
  if (a instanceof Date || b instanceof Date) {
    // TomlDate keeps local dates and times; its string form says which, so compare that.
    return a instanceof Date && b instanceof Date && String(a) === String(b) && a.getTime() === b.getTime();
  }
  return Object.is(a, b) || (typeof a === 'number' && typeof b === 'number' && a === b);
}

/**
 * The first place where `actual` differs from `expected` (keys in `expected`'s order, then keys
 * only `actual` has), or undefined when they are equal.
 */
export function firstDifference(expected: unknown, actual: unknown, path: string[] = []): Difference | undefined {
  if (isTable(expected) && isTable(actual)) {
    for (const k of Object.keys(expected)) {
      if (!Object.prototype.hasOwnProperty.call(actual, k)) return { path: [...path, k], expected: expected[k], actual: undefined };
      const d = firstDifference(expected[k], actual[k], [...path, k]);
      if (d) return d;
    }
    for (const k of Object.keys(actual)) {
      if (!Object.prototype.hasOwnProperty.call(expected, k)) return { path: [...path, k], expected: undefined, actual: actual[k] };
    }
    return undefined;
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length !== actual.length) return { path, expected, actual };
    for (let i = 0; i < expected.length; i++) {
      const d = firstDifference(expected[i], actual[i], [...path, String(i)]);
      if (d) return d;
    }
    return undefined;
  }
  if (isTable(expected) || isTable(actual) || Array.isArray(expected) || Array.isArray(actual)) return { path, expected, actual };
  return sameScalar(expected, actual) ? undefined : { path, expected, actual };
}

/** Set a value at a key path, creating missing tables on the way (a non-table in the way is replaced by a table). */
export function setPath(root: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let cur = root;
  for (const p of path.slice(0, -1)) {
    const next = Object.hasOwn(cur, p) ? cur[p] : undefined;
    if (isTable(next)) {
      cur = next;
    } else {
      const created: Record<string, unknown> = Object.create(null);
      cur[p] = created;
      cur = created;
    }
  }
  cur[path[path.length - 1]!] = value;
}

/** Describe a difference in one line: `a.b.c: expected 40, found 30`. */
export function describeDifference(d: Difference): string {
  const show = (v: unknown): string => (v === undefined ? 'nothing' : typeof v === 'string' ? JSON.stringify(v) : isTable(v) ? 'a table' : Array.isArray(v) ? `[${v.map(String).join(', ')}]` : String(v));
  return `${d.path.join('.') || '(root)'}: expected ${show(d.expected)}, found ${show(d.actual)}`;
}

/** Copy the tables and arrays of a parsed document, sharing its scalars (dates stay TomlDate). */
export function cloneTree<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x: unknown) => cloneTree(x)) as T;
  if (isTable(v)) {
    const out: Record<string, unknown> = Object.create(null);
    for (const [k, x] of Object.entries(v)) out[k] = cloneTree(x);
    return out as T;
  }
  return v;
}
