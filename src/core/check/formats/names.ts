/**
 * The names of `check`'s output formats, in the order `--help` lists them (the first is the
 * default). Kept apart from the renderers so the command tree can offer them without loading
 * any; index.ts maps every name to its renderer, and the compiler holds the two to each other.
 */
export const CHECK_FORMAT_NAMES = ['text', 'json', 'junit', 'github'] as const;

/** The output formats of `check`. */
export type CheckFormat = (typeof CHECK_FORMAT_NAMES)[number];
