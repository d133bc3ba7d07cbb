/**
 * The architecture check's folder rule (docs/architecture.md, "Folders"): `npm run arch` runs the
 * rules of .dependency-cruiser.cjs on src/. Here the same rules run on a few modules written for
 * the test: a cycle between two folders that is no cycle between modules, and within one layer,
 * so only the folder rule can see it.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cruise, type ICruiseResult, type IConfiguration } from 'dependency-cruiser';

const ruleSet = createRequire(import.meta.url)('../.dependency-cruiser.cjs') as IConfiguration;
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The rules of .dependency-cruiser.cjs broken by `files` (path under the project → source). */
async function violations(files: Record<string, string>): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'arch-'));
  dirs.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const r = await cruise(['src'], { ...ruleSet.options, baseDir: dir, ruleSet: { forbidden: ruleSet.forbidden }, validate: true });
  return (r.output as ICruiseResult).summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
}

describe('the folder rule', () => {
  // observe/ before fleet/ (fleet/evidence.ts reads observe/evidence.ts's mapping).
  const fleetReadsObserve = {
    'src/core/observe/evidence.ts': 'export const UNMAPPED = "(unmapped)";\n',
    'src/core/fleet/evidence.ts': "import { UNMAPPED } from '../observe/evidence.js';\nexport const label = (s: string) => s || UNMAPPED;\n",
  };

  it('passes folders that import only the ones before them', async () => {
    expect(await violations({ ...fleetReadsObserve, 'src/core/observe/map.ts': "export const map = 1;\n" })).toEqual([]);
  });

  it('fails a cycle between two folders of one layer that no module cycle shows, naming the import against the order', async () => {
    const got = await violations({ ...fleetReadsObserve, 'src/core/observe/map.ts': "import { label } from '../fleet/evidence.js';\nexport const map = label('');\n" });
    expect(got).toEqual(['folder-observe: src/core/observe/map.ts → src/core/fleet/evidence.ts']);
  });
});
