/**
 * Loading a Tasker config dir for a command that needs a valid one: refused (exit 2) when it has
 * errors, and `--env` names checked against it. A shell service every command may call.
 */
import { UsageError } from '../core/errors.js';
import { formatIssue, validateModel } from '../core/config/validate.js';
import type { ConfigModel } from '../core/config/model.js';
import { loadConfig, resolveConfigDir } from './configDir.js';
import { addSecret } from './output.js';

/** Load a config dir and refuse it when it has errors (exit 2): what every command but `lint` and `check` does. */
export function loadValidConfig(dirFlag: string | undefined, envs?: readonly string[]): { model: ConfigModel; warnings: string[] } {
  const model = loadConfig(resolveConfigDir(dirFlag));
  for (const e of model.environments) for (const p of Object.values(e.pools)) addSecret(p.url);
  const issues = validateModel(model);
  const errors = issues.filter((i) => i.severity === 'error');
  if (errors.length > 0) {
    const first = errors[0]!;
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''}; run 'pool-advisor config lint' to see all)` : '';
    throw new UsageError(`${formatIssue(first)}${more}`, 'fix the config, then run the command again');
  }
  checkEnvs(model, envs);
  const relevant = (i: (typeof issues)[number]): boolean => !envs || i.envs.length === 0 || i.envs.some((e) => envs.includes(e));
  return { model, warnings: issues.filter((i) => i.severity === 'warning' && relevant(i)).map(formatIssue) };
}

/** Refuse `--env` names the config dir does not have. */
export function checkEnvs(model: ConfigModel, envs: readonly string[] | undefined): void {
  const names = model.environments.map((e) => e.name);
  for (const e of envs ?? []) {
    if (!names.includes(e)) throw new UsageError(`--env '${e}': no such environment in ${model.dir}`, `choose one of: ${names.join(', ')}`);
  }
}
