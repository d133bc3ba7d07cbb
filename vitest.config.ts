import { defineConfig } from 'vitest/config';
import { LongestFirst } from './test/helpers/sequencer.js';

/**
 * Two tiers (docs/architecture.md, "Tests"):
 * - unit: every test that needs no server. It starts no PostgreSQL (no globalSetup), so it runs
 *   on a machine without initdb, in parallel, in well under a minute: `npm run test:unit`.
 * - integration: everything else, two files at a time, each worker against its own throwaway
 *   PostgreSQL started by globalSetup (tests that kill backends or stop the server start their
 *   own), plus real Prometheus, PgBouncer and pools of other ecosystems: first the `windows`
 *   project (the files that sit in long observation windows, together), then the `integration`
 *   project (the rest), the longest files first (test/helpers/sequencer.ts). `npm test` runs
 *   both tiers, the unit tier first.
 * A test file is in the unit tier only when listed here; a new file lands in integration by default.
 */
const UNIT = [
  'test/arch.test.ts',
  'test/core/**/*.test.ts',
  'test/fixtures/**/*.test.ts',
  'test/cli/alerts.test.ts',
  'test/cli/bundle.test.ts',
  'test/cli/compare.test.ts',
  'test/cli/config.test.ts',
  'test/cli/docs.test.ts',
  'test/cli/generate.test.ts',
  'test/cli/recommend.test.ts',
  'test/reliability/badConfigs.test.ts',
  'test/reliability/fuzz.test.ts',
  'test/shell/advisorConfig.test.ts',
  'test/shell/atomicWrite.test.ts',
  'test/shell/generate/**/*.test.ts',
  'test/shell/observe/pgbouncerUrl.test.ts',
  'test/shell/observe/cores.test.ts',
  'test/shell/pool/internals.test.ts',
];

/**
 * The integration files that spend minutes in observation windows and hold statistics to their
 * services' own truth, and advice.test (it holds a measured P99 to its target). They run as a group
 * of their own, two at a time (their CPU is light), so that no CPU-heavy file (analyze at full rate,
 * a build) shares the machine with them.
 */
const WINDOWS = ['test/cli/observeAdvice.test.ts', 'test/cli/fleet.test.ts', 'test/cli/otherPools.test.ts', 'test/cli/conformance.test.ts', 'test/cli/advice.test.ts'];

export default defineConfig({
  test: {
    setupFiles: ['test/helpers/cleanEnv.ts'],
    sequence: { sequencer: LongestFirst },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: UNIT,
          maxWorkers: 2,
          // Pure tests share no state through modules: one worker runs many files (no re-import per file).
          isolate: false,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'windows',
          include: WINDOWS,
          globalSetup: ['test/helpers/globalSetup.ts'],
          // Two files at a time on two cores, each worker with its own PostgreSQL (globalSetup).
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...UNIT, ...WINDOWS],
          globalSetup: ['test/helpers/globalSetup.ts'],
          maxWorkers: 2,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
