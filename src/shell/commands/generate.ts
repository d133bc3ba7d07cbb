/**
 * `pool-advisor generate`: write pool settings into `<config-dir>/environments/<env>/<context>.toml`,
 * changing only the text of the values asked for (docs/generate.md).
 *
 * The settings come from `--set` (core/flags.ts), `--from` (shell/generate/read.ts) or `--measure`
 * (shell/generate/measure.ts); the core plans the new texts in memory (validated, merged and
 * compared); shell/generate/apply.ts writes them atomically, verifies and restores on failure.
 */
import { OverBudgetError, UsageError } from '../../core/errors.js';
import { dict } from '../../core/dict.js';
import type { EvidenceFile } from '../../core/evidence/types.js';
import { observedReplicas, readingOf } from '../../core/budget/inputs.js';
import { budgetsOver, overBudgetMessage } from '../../core/generate/budget.js';
import { loadAdvisorConfig, resolveAdvisorConfig, SHIPPED_ADVISOR_CONFIG } from '../advisorConfig.js';
import type { ConfigModel, ConfigSources } from '../../core/config/model.js';
import { planGenerate, selectEnvs } from '../../core/generate/plan.js';
import { mergeSettings, settingsFromFlags, type RunSettings } from '../../core/generate/settings.js';
import { generateData, renderFileDiff, renderGenerateSummary, type GenerateOutcome } from '../../core/render/generate.js';
import { applyPlan } from '../generate/apply.js';
import { measureSettings } from '../generate/measure.js';
import { readRunSettings, writableConfigDir } from '../generate/read.js';
import { writeErr, writeOut } from '../output.js';
import { loadValidConfig } from '../validConfig.js';

interface GenerateOptions {
  configDir?: string;
  set?: string[];
  from?: string;
  advisorConfig?: string;
  env?: string[];
  dryRun?: boolean;
  json?: boolean;
  /** Measure now (analyze with the advisor config's workloads) and write its recommendations. */
  measure?: boolean;
  databaseUrl?: string;
  pgmqDatabaseUrl?: string;
  duration?: string;
  seed?: string;
  yes?: boolean;
  /** Write sizes even when they overflow a layer of the connection budget. */
  allowOverBudget?: boolean;
}

function sourcesOf(model: ConfigModel): ConfigSources {
  return { dir: model.dir, base: model.baseFiles, environments: model.envFiles };
}

/** The whole command, from flags to output. */
export async function runGenerate(opts: GenerateOptions, env: Readonly<Record<string, string | undefined>> = process.env): Promise<void> {
  const flags = opts.set ?? [];
  if (flags.length === 0 && opts.from === undefined && !opts.measure) {
    throw new UsageError('nothing to write: pass --set ENV.POOL.KEY=VALUE (repeatable), --from run.json, or --measure', 'e.g. pool-advisor generate --set production.database.max_connections=40');
  }
  if (opts.measure && opts.from !== undefined) throw new UsageError('--measure and --from both give recommendations: pass one', 'drop --from to measure now, or --measure to use the saved run');
  // Flags first: a bad value is refused before any file is read.
  let fromRun: RunSettings & { evidence?: EvidenceFile } = opts.from !== undefined ? readRunSettings(opts.from, opts.advisorConfig) : { settings: [], skipped: [] };
  if (opts.measure) fromRun = await measureSettings(opts);
  const fromFlags = settingsFromFlags(flags);
  const all = mergeSettings(fromRun.settings, fromFlags);

  const dirArg = writableConfigDir(opts.configDir);
  const { model } = loadValidConfig(dirArg);
  const selected = selectEnvs(all, opts.env, model.environments.map((e) => e.name));
  const skipped = [...fromRun.skipped, ...selected.skipped.map((s) => `${s.source}: environment '${s.env}' is not in --env, skipped`)];
  const plan = planGenerate(sourcesOf(model), selected.settings, env);
  const outcome: GenerateOutcome = { configDir: dirArg, dryRun: opts.dryRun === true, written: false, skipped };

  for (const s of skipped) writeErr(`note: ${s}`);
  for (const w of plan.warnings) writeErr(`warning: ${w}`);

  // The connection budget of every environment the plan changes, with the new sizes (the advisor
  // config's topology; the shipped one describes the example fleet, which generate never writes).
  const changed = [...new Set(plan.files.flatMap((f) => f.changes.map((c) => c.env)))];
  if (changed.length > 0 && resolveAdvisorConfig(opts.advisorConfig) !== SHIPPED_ADVISOR_CONFIG) {
    const advisor = loadAdvisorConfig(opts.advisorConfig);
    const topologies = dict(Object.entries(advisor.environments).map(([name, spec]) => [name, spec.topology]));
    const ev = fromRun.evidence;
    const server = readingOf(ev);
    const over = budgetsOver(plan.after, changed, topologies, {
      ...(server ? { server } : {}),
      ...(ev?.kind === 'observation' ? { observed: Object.fromEntries(ev.environments.map((e) => [e.env, observedReplicas(e.pools)])) } : {}),
      ...(ev?.pgbouncerSettings ? { pgbouncer: ev.pgbouncerSettings } : {}),
    });
    for (const b of over) {
      if (!opts.allowOverBudget) throw new OverBudgetError(overBudgetMessage(b), 'lower the sizes, or pass --allow-over-budget to write them anyway');
      writeErr(`warning: ${overBudgetMessage(b)} (written: --allow-over-budget)`);
    }
  }

  if (!outcome.dryRun && plan.files.length > 0) {
    applyPlan(dirArg, plan, selected.settings, env);
    outcome.written = true;
  }
  if (opts.json) {
    writeOut(JSON.stringify(generateData(plan, outcome), null, 2));
  } else if (outcome.dryRun) {
    // The diff is the machine output; the summary goes beside it, on stderr.
    const diff = plan.files.map(renderFileDiff).join('');
    if (diff) writeOut(diff);
    writeErr(renderGenerateSummary(plan, outcome));
  } else {
    writeOut(renderGenerateSummary(plan, outcome));
  }
}

