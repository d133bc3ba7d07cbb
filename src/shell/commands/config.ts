/**
 * `pool-advisor config show` and `config lint`: the effective pool settings of a Tasker config
 * dir, and its problems.
 */
import { CommandOutcome, ExitCode } from '../../core/errors.js';
import { hasErrors, validateModel } from '../../core/config/validate.js';
import { renderIssues } from '../../core/render/issues.js';
import { loadConfig, resolveConfigDir } from '../configDir.js';
import { writeOut, addSecret } from '../output.js';
import { useColor } from '../tty.js';
import { FORMAT_VERSION } from '../../core/versions.js';

interface ShowOptions {
  configDir?: string;
  env?: string[];
  json?: boolean;
}

/** Run `config show`. */
export async function configShow(opts: ShowOptions): Promise<void> {
  // Loaded here: only `show` draws tables and refuses an invalid config.
  const { configShowData, renderConfigShow } = await import('../../core/render/config.js');
  const { loadValidConfig } = await import('../validConfig.js');
  const { model } = loadValidConfig(opts.configDir, opts.env);
  const issues = validateModel(model);
  if (opts.json) writeOut(`${JSON.stringify(configShowData(model, opts.env, issues), null, 2)}`);
  else writeOut(renderConfigShow(model, opts.env, issues, { color: useColor(process.stdout) }));
}

/** Run `config lint`: exit 1 (a CommandOutcome) when the config has errors. */
export function configLint(opts: { configDir?: string; json?: boolean }): void {
  const model = loadConfig(resolveConfigDir(opts.configDir));
  for (const e of model.environments) for (const p of Object.values(e.pools)) addSecret(p.url);
  const issues = validateModel(model);
  if (opts.json) writeOut(JSON.stringify({ schemaVersion: FORMAT_VERSION.configLintJson, configDir: model.dir, issues }, null, 2));
  else if (issues.length === 0) writeOut(`${model.dir}: no problems found`);
  else writeOut(renderIssues(issues, { color: useColor(process.stdout) }));
  if (hasErrors(issues)) throw new CommandOutcome(ExitCode.CheckFailed);
}
