/**
 * The order test files start in: tier by tier (unit, then integration), and within a tier the files
 * that wait longest on observation windows first, so that while one worker sits in a two-minute
 * window the other works through the short files, and the run does not end on one long file
 * alone. The list is of the longest files in a full run (their seconds in a CI run as comments);
 * every other file follows, largest first (vitest's own rule for files it has no timing of).
 */
import { statSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const LONGEST_FIRST = [
  // The windows project, the longest first, two at a time.
  'test/cli/observeAdvice.test.ts', // ~180 s
  'test/cli/fleet.test.ts', // ~155 s: a two-minute window
  'test/cli/otherPools.test.ts', // ~150 s
  'test/cli/conformance.test.ts', // ~140 s: one shared two-minute window
  'test/cli/advice.test.ts', // ~35 s: measured P99s held to their target, in the slack of the windows
  // The rest (observeChurn observes its own server, so it shares the machine with CPU-light files).
  'test/cli/observeChurn.test.ts', // ~80 s
  'test/cli/observeLoad.test.ts', // ~45 s
  'test/reliability/hostile.test.ts', // ~37 s
  'test/reliability/network.test.ts', // ~36 s
  'test/reliability/networkFuzz.test.ts', // ~33 s
  'test/cli/analyze.test.ts', // ~50 s
  'test/cli/alertsPrometheus.test.ts', // ~45 s
  'test/cli/alerts.test.ts', // ~45 s (unit tier)
];

export class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const rank = (f: TestSpecification): number => {
      const i = LONGEST_FIRST.indexOf(relative(root, f.moduleId));
      return i < 0 ? LONGEST_FIRST.length : i;
    };
    const size = (f: TestSpecification): number => statSync(f.moduleId).size;
    return [...files].sort(
      (a, b) => a.project.config.sequence.groupOrder - b.project.config.sequence.groupOrder || rank(a) - rank(b) || size(b) - size(a),
    );
  }
}
