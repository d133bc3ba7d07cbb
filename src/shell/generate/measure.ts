/** `generate --measure`: measure the config dir being written (analyze) and take its recommendations. */
import { NoDataError } from '../../core/errors.js';
import { hasSamples } from '../../core/evidence/samples.js';
import { evidenceFromRun } from '../../core/evidence/fromRun.js';
import { settingsFromEvidence, type RunSettings } from '../../core/generate/settings.js';
import type { RunFile } from '../../core/run/types.js';
import { writeErr } from '../output.js';
import { writableConfigDir } from './read.js';

/** The flags of generate that a measurement takes. */
export interface MeasureFlags {
  configDir?: string;
  advisorConfig?: string;
  env?: string[];
  duration?: string;
  seed?: string;
  databaseUrl?: string;
  pgmqDatabaseUrl?: string;
  yes?: boolean;
}

/** `--measure`: run analyze on the config dir being written, and take its recommendations. */
export async function measureSettings(opts: MeasureFlags): Promise<RunSettings> {
  const flags = {
    configDir: writableConfigDir(opts.configDir),
    advisorConfig: opts.advisorConfig,
    env: opts.env,
    duration: opts.duration,
    seed: opts.seed,
    databaseUrl: opts.databaseUrl,
    pgmqDatabaseUrl: opts.pgmqDatabaseUrl,
    yes: opts.yes,
    json: true,
    progress: false,
  };
  // Loaded here: only --measure needs pg and the load generator.
  const { planAnalyze, runAnalyze } = await import('../measure.js');
  const plan = planAnalyze(flags);
  writeErr(`Measuring ${plan.session.envs.join(', ')} before writing (analyze with ${plan.advisor.source})...`);
  const run: RunFile = await runAnalyze({ plan, flags });
  const evidence = evidenceFromRun(run);
  if (!hasSamples(evidence)) throw new NoDataError('the measurement recorded no acquires', 'run longer (--duration)');
  return settingsFromEvidence(evidence, plan.advisor, 'the measurement', (n) => writeErr(`Measured: ${n} recommended change${n === 1 ? '' : 's'}.`));
}
