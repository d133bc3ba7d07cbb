/** What every renderer shares: its options and the version of the JSON shapes it prints. */
import { FORMAT_VERSION } from '../saved.js';

/** Rendering options shared by human renderers. */
export interface RenderOptions {
  color: boolean;
}

/** Version of the JSON shapes of `recommend --json`, `generate --json` and `config show --json`. */
export const SCHEMA_VERSION = FORMAT_VERSION.recommendJson;
