/**
 * The settings `generate` writes from recommendations: those of saved evidence (a run of
 * `analyze --out` or an observation, advised as `recommend` does) or of JSON with a top-level
 * `recommendations` array (`recommend --json`), and the config dir it may write.
 */
import { NoDataError, UsageError } from '../../core/errors.js';
import { parseEvidenceFile } from '../../core/evidence/read.js';
import { hasSamples } from '../../core/evidence/samples.js';
import { settingsFromEvidence, settingsFromRun, type RunSettings } from '../../core/generate/settings.js';
import { loadAdvisorConfig } from '../advisorConfig.js';
import { EXAMPLE_CONFIG_DIR, resolveConfigDir } from '../configDir.js';
import { readEvidenceText } from '../runFile.js';
import type { EvidenceFile } from '../../core/evidence/types.js';

/**
 * The settings of `--from FILE`: either saved evidence (a run of `analyze --out` or an
 * observation; its recommendations are worked out as `recommend` does, with the advisor config),
 * or JSON with a top-level `recommendations` array, such as `recommend --json` prints. Entries are
 * read by {@link settingsFromRun}.
 */
export function readRunSettings(path: string, advisorFlag: string | undefined): RunSettings & { evidence?: EvidenceFile } {
  const text = readEvidenceText(path);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${path}: not JSON (${(e as Error).message})`, "pass the file written by 'pool-advisor analyze --out FILE'");
  }
  if (Array.isArray((data as { recommendations?: unknown } | null)?.recommendations)) return settingsFromRun(data, path);
  const evidence = parseEvidenceFile(text, path);
  if (evidence.kind === 'observation' && evidence.environments.every((e) => e.pools.length === 0)) {
    const labels = evidence.environments.flatMap((e) => e.unmapped.map((u) => `'${u.label}'${u.replica ? ` (${u.replica})` : ''}`));
    throw new UsageError(
      `${path}: the observation maps to no Tasker pool${labels.length ? ` (it saw ${labels.slice(0, 5).join(', ')}${labels.length > 5 ? ', ...' : ''})` : ''}, so there is no Tasker key to write`,
      "observe again with --map 'SELECTOR=ENV.POOL' (or map the series in the advisor config's [prometheus] table); 'recommend --from' shows the sizes in generic terms",
    );
  }
  if (!hasSamples(evidence)) throw new NoDataError(`${path}: the run recorded no acquires, so it has no recommendations`, 'run analyze longer (--duration) or with a higher --rate, and save it again');
  return { ...settingsFromEvidence(evidence, loadAdvisorConfig(advisorFlag), path), evidence };
}

/** The config dir to write: never the example that ships inside the package. */
export function writableConfigDir(flag: string | undefined): string {
  const dir = resolveConfigDir(flag);
  if (flag === undefined && dir === EXAMPLE_CONFIG_DIR) {
    throw new UsageError('no config dir to write: there is no ./config/tasker here', 'pass --config-dir with the path to your config/tasker');
  }
  return dir;
}

