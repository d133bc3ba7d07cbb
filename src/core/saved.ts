/**
 * The kit the saved formats are declared with (docs/architecture.md, "The evidence contract"):
 * each format is one schema (valibot) that gives both its TypeScript type and its reader, built
 * from the pieces here: numbers bounded where they enter (the bounds of src/core/limits.ts),
 * objects and arrays whose refusals say what was expected, and one reader that turns the first
 * refusal into one line naming the file, the key path, what is wrong and what to pass instead
 * (a UsageError, exit 2). Pure: no I/O.
 *
 * Every file kind pool-advisor writes has one version, in {@link FORMAT_VERSION}.
 */
import * as v from 'valibot';
import { UsageError } from './errors.js';
import { BOUNDS, outside, rangeText, type Range } from './limits.js';

export { FORMAT_VERSION } from './versions.js';

/** What a value is, for a refusal: `a string`, `number -1`, `null`, `an array`. */
export const describe = (x: unknown): string => (x === null ? 'null' : Array.isArray(x) ? 'an array' : typeof x === 'object' ? 'an object' : typeof x === 'string' ? 'a string' : `${typeof x} ${String(x)}`);

/** A refusal of the wrong type: `missing` when there is nothing, else what was expected and what came. */
const expected =
  (what: string) =>
  (issue: { input: unknown }): string =>
    issue.input === undefined ? 'missing' : `expected ${what}, got ${describe(issue.input)}`;

/** Whether a value is a plain JSON object (not null, not an array). */
export const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Why a number is refused by `r`, in the words every reader uses. */
export function rangeRefusal(n: number, r: Range): string | undefined {
  const why = outside(n, r);
  return why === undefined ? undefined : `${n} is out of range (${why}; expected ${r.integer ? 'an integer ' : ''}from ${rangeText(r)})`;
}

const numberSchema = (r: Range) =>
  v.pipe(
    v.number(expected('a number')),
    v.check((n) => outside(n, r) === undefined, (i) => rangeRefusal(i.input as number, r)!),
  );
/** One schema per range (the formats use a few ranges many times: built once, at startup). */
const numbersByRange = new Map<Range, ReturnType<typeof numberSchema>>();

/** A number within `r` (finite, and from 0 by default: a total): numbers from outside are bounded where they enter. */
export function num(r: Range = BOUNDS.total): ReturnType<typeof numberSchema> {
  let s = numbersByRange.get(r);
  if (s === undefined) numbersByRange.set(r, (s = numberSchema(r)));
  return s;
}

const COUNT: Range = { min: 0, max: Number.MAX_SAFE_INTEGER, integer: true };
/** A count: a whole number from 0, exact as a double. */
export const count = () => num(COUNT);

export const str = () => v.string(expected('a string'));
export const bool = () => v.boolean(expected('true or false'));

/** One of a few strings (a kind, a mode). */
export const oneOf = <const T extends readonly [string, ...string[]]>(options: T, words?: string) =>
  v.picklist(options, (i: { input: unknown }) => `expected ${words ?? options.map((o) => JSON.stringify(o)).join(', ')}, got ${typeof i.input === 'string' ? JSON.stringify(i.input) : describe(i.input)}`);

/**
 * An object with these entries. Any other key is let through ({@link readWith} returns the file as
 * read, so a file saved by a newer pool-advisor, or an observation's source's own parts, keep theirs). Adding an optional part to a format is
 * one entry here: `name: v.optional(schema)`.
 */
export const obj = <const E extends v.ObjectEntries>(entries: E) => v.pipe(v.custom<Record<string, unknown>>(isObj, expected('an object')), v.object(entries, expected('an object')));

/** An array of `item`. */
export const arr = <const S extends v.GenericSchema>(item: S) => v.array(item, expected('an array'));

/** Finite numbers, from 0 unless `fromZero` is false. */
export const numbers = (fromZero = true) =>
  v.pipe(
    v.array(v.unknown(), expected('an array')),
    v.check((xs) => xs.every((x) => typeof x === 'number' && Number.isFinite(x) && (!fromZero || x >= 0)), fromZero ? 'expected numbers from 0' : 'expected numbers'),
    v.transform((xs) => xs as number[]),
  );

/** A value whose type is declared elsewhere and that no reader of saved files reads (kept as saved). */
export const kept = <T>() => v.custom<T>(() => true);

/** A refusal that names a key below the value checked (e.g. one row of a table), for {@link v.rawCheck}. */
export type AddIssue = (info: { message: string; path?: [v.IssuePathItem, ...v.IssuePathItem[]] }) => void;

/** Refuse at `keys` below the checked value. */
export function refuseAt(addIssue: AddIssue, input: unknown, keys: Array<string | number>, message: string): void {
  const path = keys.map((key) => ({ type: 'unknown' as const, origin: 'value' as const, input, key, value: undefined }));
  addIssue({ message, ...(path.length > 0 ? { path: path as unknown as [v.IssuePathItem, ...v.IssuePathItem[]] } : {}) });
}

/**
 * Check `data` against `schema`; the first refusal is one line naming `display` and the key path
 * (`environments.0.pools.0.counters.acquires: expected a number, got a string`), with `hint`
 * (exit 2). Returns the data as it was read (every key kept, in its order), typed by the schema.
 */
export function readWith<S extends v.GenericSchema>(schema: S, data: unknown, display: string, hint: string): v.InferOutput<S> {
  const r = v.safeParse(schema, data, { abortEarly: true });
  if (r.success) return data as v.InferOutput<S>;
  const issue = r.issues[0];
  const path = issue.path?.map((p) => String(p.key)).join('.') || '(top level)';
  throw new UsageError(`${display}: ${path}: ${issue.message}`, hint);
}
