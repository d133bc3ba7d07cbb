/**
 * The stopping rule on an observation (`observe --until-settled`, issue 35): the same box as
 * analyze's, over what an observation's evidence has (the mean busy with its batch-means standard
 * error). Read on a saved observation of a real service (test/fixtures/observations/server-only.json:
 * mean busy 2.59, standard error 0.13 over 20 batches, at most 8 open), its pool size set so that
 * occupancy alone decides the advised size (an oversized pool: cut to Erlang C's need at the mean
 * busy, not below the most seen open).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEvidenceFile } from '../../../src/core/evidence/read.js';
import type { EvidenceFile } from '../../../src/core/evidence/types.js';
import { defaultAdvisorConfig } from '../../../src/core/advisor/defaults.js';
import { judgeObservation } from '../../../src/core/rules/settled.js';

const advisor = defaultAdvisorConfig();

function observation(o: { max?: number; seScale?: number; batches?: number } = {}): EvidenceFile {
  const f = parseEvidenceFile(readFileSync(join(__dirname, '..', '..', 'fixtures', 'observations', 'server-only.json'), 'utf8'), 'server-only.json');
  const p = f.environments.find((e) => e.env === 'test')!.pools[0]!;
  if (o.max !== undefined) p.settings.max_connections = o.max;
  p.occupancy!.inUseMeanStdErr = p.occupancy!.inUseMeanStdErr! * (o.seScale ?? 1);
  if (o.batches !== undefined) p.occupancy!.inUseBatches = o.batches;
  return f;
}

describe('judgeObservation', () => {
  it('is settled when no corner of the mean busy moves the advice', () => {
    // At the size the service ran (10), occupancy alone advises no change whatever the mean busy.
    expect(judgeObservation(observation({ seScale: 10 }), advisor, 1, 30, 5)).toMatchObject({ settled: true });
    // An oversized pool (40) whose mean busy is known closely: the cut is 8 at every corner.
    expect(judgeObservation(observation({ max: 40, seScale: 0.3 }), advisor, 1, 30, 5)).toMatchObject({ settled: true });
  });

  it('is not settled when the mean busy is too uncertain for one size, naming the sizes', () => {
    const out = judgeObservation(observation({ max: 40 }), advisor, 1, 30, 5);
    expect(out.settled).toBe(false);
    if (out.settled) return;
    expect(out.why).toBe('test: database.max_connections is 8 or 9');
    expect(out.differences[0]).toEqual({ label: 'test: database.max_connections', values: [8, 9] });
    // A wider box (a larger error) spreads the sizes further.
    const wide = judgeObservation(observation({ max: 40, seScale: 10 }), advisor, 1, 30, 5);
    expect(wide.settled).toBe(false);
    if (!wide.settled) expect(wide.differences[0]!.values).toEqual([8, 14]);
  });

  it('spends the error rate over the looks: a later look has a wider box', () => {
    // seScale 0.5 settles at look 1 (z for 0.05 over 4 inputs) and not at look 20 (alpha_20 = alpha / 400 of look 1's).
    expect(judgeObservation(observation({ max: 40, seScale: 0.5 }), advisor, 1, 30, 5).settled).toBe(true);
    expect(judgeObservation(observation({ max: 40, seScale: 0.5 }), advisor, 20, 30, 5).settled).toBe(false);
  });

  it('is never settled before the minimum or with fewer than 10 batches', () => {
    expect(judgeObservation(observation({ seScale: 0 }), advisor, 1, 4.9, 5)).toMatchObject({ settled: false, why: 'the window is under the 5 s minimum' });
    expect(judgeObservation(observation({ batches: 9 }), advisor, 1, 30, 5)).toMatchObject({ settled: false, why: 'test.database: the busy count has fewer than 10 batches' });
    // Only unmapped connections (an environment without pools): nothing to settle, the window runs whole.
    const unmapped = observation();
    unmapped.environments = unmapped.environments.filter((e) => e.env === 'unmapped');
    expect(unmapped.environments).toHaveLength(1);
    expect(judgeObservation(unmapped, advisor, 1, 30, 5)).toMatchObject({ settled: false, why: 'no pool maps to an environment of the config (--map)' });
  });
});
