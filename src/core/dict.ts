/**
 * Dictionaries keyed by names users choose (environments, pools, keys, TOML tables). A plain
 * object literal inherits `constructor`, `toString` and the `__proto__` setter, so a user's
 * environment named `constructor` would read a function and one named `__proto__` would vanish.
 * These have no prototype: every name, built-in or not, is an ordinary key.
 */

/** A new dictionary with no prototype, optionally filled from entries. */
export function dict<T>(entries?: Iterable<readonly [string, T]>): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  if (entries) for (const [k, v] of entries) out[k] = v;
  return out;
}

/** The value a dictionary holds for a name as its own key (never an inherited one), else undefined. */
export function own<T>(d: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return d !== undefined && Object.hasOwn(d, key) ? d[key] : undefined;
}
