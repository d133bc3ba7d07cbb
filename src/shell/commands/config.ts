/**
 * `pool-advisor config show` and `config lint`: the effective pool settings of a Tasker config
 * dir, and its problems.
 */
import { ExitCode, UsageError } from '../../core/errors.js';
import { hasErrors, validateModel, formatIssue } from '../../core/config/validate.js';
import { renderIssues } from '../../core/render/issues.js';
import type { ConfigModel } from '../../core/config/model.js';
import { loadConfig, resolveConfigDir } from '../configDir.js';
import { writeOut, addSecret } from '../output.js';
import { useColor } from '../tty.js';

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

interface ShowOptions {
  configDir?: string;
  env?: string[];
  json?: boolean;
}

/** Run `config show`. */
export async function configShow(opts: ShowOptions): Promise<void> {
  // Loaded here: only `show` draws tables.
  const { configShowData, renderConfigShow } = await import('../../core/render/config.js');
  const { model } = loadValidConfig(opts.configDir, opts.env);
  const issues = validateModel(model);
  if (opts.json) writeOut(`${JSON.stringify(configShowData(model, opts.env, issues), null, 2)}`);
  else writeOut(renderConfigShow(model, opts.env, issues, { color: useColor(process.stdout) }));
}

/** Run `config lint`: exit 1 (through process.exitCode) when the config has errors. */
export function configLint(opts: { configDir?: string; json?: boolean }): void {
  const model = loadConfig(resolveConfigDir(opts.configDir));
  for (const e of model.environments) for (const p of Object.values(e.pools)) addSecret(p.url);
  const issues = validateModel(model);
  if (opts.json) writeOut(JSON.stringify({ schemaVersion: 1, configDir: model.dir, issues }, null, 2));
  else if (issues.length === 0) writeOut(`${model.dir}: no problems found`);
  else writeOut(renderIssues(issues, { color: useColor(process.stdout) }));
  if (hasErrors(issues)) process.exitCode = ExitCode.CheckFailed;
}
