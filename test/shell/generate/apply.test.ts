import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyExample } from '../../helpers/configFixture.js';
import { readConfigSources } from '../../../src/shell/configDir.js';
import { planGenerate } from '../../../src/core/generate/plan.js';
import { settingsFromFlags, type Setting } from '../../../src/core/generate/settings.js';

/** One `--set` of generate as a setting. */
const parseSet = (flag: string): Setting => settingsFromFlags([flag])[0]!;
import { applyPlan } from '../../../src/shell/generate/apply.js';

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p, 'latin1');
    }
  };
  walk(dir);
  return out;
}

function planFor(dir: string, flags: string[]) {
  const settings = flags.map(parseSet);
  return { settings, plan: planGenerate(readConfigSources(dir), settings, {}) };
}

describe('applyPlan: restore on failure', () => {
  it('a crash before the last rename restores the files already written and removes the new environment dir', () => {
    const dir = copyExample();
    const before = snapshot(dir);
    const { plan, settings } = planFor(dir, ['test.database.max_connections=12', 'production.database.max_connections=60', 'staging.database.max_connections=8']);
    expect(plan.files.map((f) => f.rel)).toEqual(['environments/test/common.toml', 'environments/production/common.toml', 'environments/staging/common.toml']);
    expect(() =>
      applyPlan(dir, plan, settings, {}, {
        beforeRename: (target) => {
          if (target.includes('staging')) throw new Error('simulated crash');
        },
      }),
    ).toThrow(/simulated crash \(after writing .*test\/common\.toml, .*production\/common\.toml\); every file was restored/);
    expect(snapshot(dir)).toEqual(before);
    expect(existsSync(join(dir, 'environments', 'staging'))).toBe(false);
  });

  it('a file changed by someone else between read and write is left as they wrote it; earlier files are restored', () => {
    const dir = copyExample();
    const before = snapshot(dir);
    const { plan, settings } = planFor(dir, ['test.database.max_connections=12', 'production.database.max_connections=60']);
    const prod = join(dir, 'environments/production/common.toml');
    expect(() =>
      applyPlan(dir, plan, settings, {}, {
        beforeRename: (target) => {
          if (target === prod) writeFileSync(prod, '# edited by hand meanwhile\n');
        },
      }),
    ).toThrow(/production\/common\.toml: changed on disk while pool-advisor was writing it.*every file was restored/);
    expect(readFileSync(prod, 'utf8')).toBe('# edited by hand meanwhile\n');
    expect(snapshot(dir)['environments/test/common.toml']).toBe(before['environments/test/common.toml']);
  });

  it('a file changed after the plan was made is refused before anything is written', () => {
    const dir = copyExample();
    const { plan, settings } = planFor(dir, ['test.database.max_connections=12']);
    const file = join(dir, 'environments/test/common.toml');
    writeFileSync(file, `${readFileSync(file, 'utf8')}# later edit\n`);
    const mtime = statSync(file).mtimeMs;
    expect(() => applyPlan(dir, plan, settings, {})).toThrow(/environments\/test\/common\.toml: changed on disk since pool-advisor read it; nothing was written/);
    expect(readFileSync(file, 'utf8')).toContain('# later edit');
    expect(statSync(file).mtimeMs).toBe(mtime);
  });

  it('when the re-read config does not merge to the asked values, the original bytes are restored', () => {
    const dir = copyExample();
    const before = snapshot(dir);
    const { plan, settings } = planFor(dir, ['test.database.max_connections=12', 'staging.database.max_connections=8']);
    // A writer bug: the text written holds another value than the one asked.
    plan.files[0]!.after = plan.files[0]!.after.replace('max_connections = 12', 'max_connections = 13');
    expect(() => applyPlan(dir, plan, settings, {})).toThrow(
      'verification failed: after writing, the config dir does not merge to the asked values: test: common.database.pool.max_connections: expected 12, found 13; every file was restored',
    );
    expect(snapshot(dir)).toEqual(before);
    expect(existsSync(join(dir, 'environments', 'staging'))).toBe(false);
  });
});
