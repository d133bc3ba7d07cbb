/**
 * Renderers for `config show` and `config lint`. They return strings; the command decides where they go.
 */
import { compactTable } from './table.js';
import { Chalk } from 'chalk';
import { POOLS, POOL_NAMES } from '../config/pools.js';
import type { ConfigModel } from '../config/model.js';
import type { Issue } from '../config/validate.js';
import { renderIssues } from './issues.js';

export { renderIssues };
import { redactUrl } from '../redact.js';
import { SCHEMA_VERSION, type RenderOptions } from './options.js';

/** The JSON shape of `config show --json` (documented in docs/config.md). */
export function configShowData(model: ConfigModel, envs: readonly string[] | undefined, issues: readonly Issue[]): unknown {
  return {
    schemaVersion: SCHEMA_VERSION,
    configDir: model.dir,
    environments: model.environments
      .filter((e) => !envs || envs.includes(e.name))
      .map((e) => ({
        name: e.name,
        pools: Object.fromEntries(
          POOL_NAMES.map((name) => {
            const p = e.pools[name];
            return [
              name,
              {
                table: p.table.join('.'),
                active: p.active,
                ...(p.inactiveReason ? { inactiveReason: p.inactiveReason } : {}),
                ...(p.sharesDatabasePool !== undefined ? { sharesDatabasePool: p.sharesDatabasePool } : {}),
                ...(p.url !== undefined ? { url: redactUrl(p.url) } : {}),
                settings: p.settings,
                keys: Object.fromEntries(
                  Object.entries(p.raw).map(([k, sv]) => [
                    k,
                    { value: sv.value, overridden: sv.overridden, file: sv.origin?.file ?? null, line: sv.origin?.line ?? null },
                  ]),
                ),
              },
            ];
          }),
        ),
      })),
    issues: issues.filter((i) => !envs || i.envs.length === 0 || i.envs.some((e) => envs.includes(e))),
  };
}

/** The human table of `config show`. */
export function renderConfigShow(model: ConfigModel, envs: readonly string[] | undefined, issues: readonly Issue[], opts: RenderOptions): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const parts: string[] = [`Config dir: ${model.dir}`];
  for (const e of model.environments) {
    if (envs && !envs.includes(e.name)) continue;
    const t = compactTable(['pool', 'key', 'value', 'from'], opts.color);
    for (const name of POOL_NAMES) {
      const p = e.pools[name];
      const state = p.active ? '' : ' (inert)';
      let first = true;
      for (const kd of POOLS[name].keys) {
        const sv = p.raw[kd.key];
        const value = sv ? String(sv.value) : c.dim('(unset)');
        const from = sv?.origin ? `${sv.origin.rel}:${sv.origin.line}` : '';
        t.push([first ? `${name}${state}` : '', kd.key, sv?.overridden ? c.bold(`${value} *`) : value, from]);
        first = false;
      }
    }
    const urls = [`database url: ${redactUrl(e.pools.database.url ?? '') || '(empty)'}`];
    const pg = e.pools.pgmq;
    urls.push(pg.sharesDatabasePool ? 'pgmq: shares the database pool' : `pgmq url: ${redactUrl(pg.url ?? '')}`);
    parts.push('', c.bold(`Environment: ${e.name}`), urls.join('; '), t.toString());
  }
  parts.push('', '* = set by the environment file (overrides base)');
  const shown = issues.filter((i) => !envs || i.envs.length === 0 || i.envs.some((x) => envs.includes(x)));
  if (shown.length > 0) parts.push('', renderIssues(shown, opts));
  return `${parts.join('\n')}\n`;
}
