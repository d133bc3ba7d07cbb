/**
 * The version of every file and JSON document pool-advisor writes, one per kind (re-exported by
 * saved.ts, whose readers check it). Apart from the schemas, so a command that only writes a
 * version (`config lint --json`) does not load valibot at startup. Pure: no I/O.
 */
export const FORMAT_VERSION = {
  /** A measured run (`analyze --out`). */
  run: 1,
  /** An observation (`observe --out`): its evidence part and its source's parts together. */
  observation: 1,
  /** `analyze --json`. */
  analyzeJson: 1,
  /** `recommend --json`, `generate --json` and `config show --json`. */
  recommendJson: 1,
  /** `config lint --json`. */
  configLintJson: 1,
  /** `compare --json`. */
  compareJson: 1,
  /** `check --format json`. */
  checkJson: 1,
  /** `fleet --json`. */
  fleetJson: 1,
} as const;
