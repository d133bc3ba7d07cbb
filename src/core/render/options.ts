/** What every renderer shares: its options and the version of the JSON shapes it prints. */

/** Rendering options shared by human renderers. */
export interface RenderOptions {
  color: boolean;
}

/** Version of the JSON shapes this tool prints. */
export const SCHEMA_VERSION = 1;
