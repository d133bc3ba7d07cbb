/**
 * What `generate` will write, worked out entirely in memory: which files change, their new
 * text, and proof that the merged config of every environment becomes exactly the old one plus
 * the asked values. The shell writes the plan only after this succeeds, and checks the same
 * thing again on disk afterwards ({@link checkMerged}).
 */
import { UsageError } from '../errors.js';
import { dict, own } from '../dict.js';
import { buildModel, envOrder, type ConfigModel, type ConfigSources, type Origin, type SourceFile, type Table } from '../config/model.js';
import { POOLS, POOL_NAMES, type PoolName } from '../config/pools.js';
import { formatIssue, validateModel, type Issue } from '../config/validate.js';
import { cloneTree, describeDifference, firstDifference, setPath } from '../toml/compare.js';
import { editToml, type EditAction, type TomlEdit } from '../toml/edit.js';
import type { Setting } from './settings.js';

/** One value a file plan changes. */
export interface PlannedChange {
  env: string;
  pool: PoolName;
  /** The pool's table, dotted: `common.database.pool`. */
  table: string;
  key: string;
  /** The effective value before (from whichever file set it), or undefined when unset. */
  from: unknown;
  to: number;
  /** `updated` (the key's value text replaced), `inserted` (a line added to its table), `appended` (the table added). */
  action: Exclude<EditAction, 'unchanged'>;
  /** 1-based line of the key in the new text. */
  line: number;
}

/** One file to write. */
export interface FilePlan {
  env: string;
  context: string;
  /** Path relative to the config dir: `environments/test/common.toml`. */
  rel: string;
  display: string;
  /** The current text, or undefined when the file does not exist yet. */
  before?: string;
  after: string;
  /** Whether the environment's directory does not exist yet. */
  createsEnv: boolean;
  changes: PlannedChange[];
}

/** A setting whose effective value already is the asked one. */
export interface UnchangedSetting {
  setting: Setting;
  /** Where the value comes from now. */
  origin?: Origin;
}

/** Everything `generate` will do. */
export interface GeneratePlan {
  files: FilePlan[];
  unchanged: UnchangedSetting[];
  /** The config as it is (with empty environments for the ones the plan creates). */
  before: ConfigModel;
  /** The config as the plan leaves it, built from the new texts. */
  after: ConfigModel;
  /** Warnings of the resulting config about the pools and environments written (e.g. inert pgmq keys). */
  warnings: string[];
}

const CONTEXT_ORDER = ['common', 'orchestration', 'worker'];

/** The short header comment of a file `generate` creates, in Tasker's style. */
export function newFileHeader(env: string, context: string, eol = '\n'): string {
  const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
  return `# ${cap(env)} Environment - ${cap(context)} Configuration Overrides${eol}# Pool settings written by pool-advisor generate; comments and layout added by hand are kept.${eol}`;
}

/**
 * Keep the settings of the `--env` environments. An `--env` name that is neither an existing
 * environment nor named by a setting is refused (a typo would otherwise do nothing, silently).
 */
export function selectEnvs(settings: readonly Setting[], envs: readonly string[] | undefined, existing: readonly string[]): { settings: Setting[]; skipped: Setting[] } {
  if (!envs || envs.length === 0) return { settings: [...settings], skipped: [] };
  for (const e of envs) {
    if (!existing.includes(e) && !settings.some((s) => s.env === e)) {
      throw new UsageError(`--env '${e}': no such environment and no setting for it; choose one of: ${[...new Set([...existing, ...settings.map((s) => s.env)])].join(', ')}`);
    }
  }
  return { settings: settings.filter((s) => envs.includes(s.env)), skipped: settings.filter((s) => !envs.includes(s.env)) };
}

function issueId(i: Issue): string {
  return `${i.severity}|${i.code}|${i.pool ?? ''}|${i.key ?? ''}|${[...i.envs].sort().join(',')}`;
}

/** The merged document each environment should have: the old one plus the settings. */
function expectedMerged(before: ConfigModel, settings: readonly Setting[]): Map<string, Table> {
  const out = new Map<string, Table>();
  for (const e of before.environments) {
    const t = cloneTree(e.merged);
    for (const s of settings) if (s.env === e.name) setPath(t, [...POOLS[s.pool].table, s.key], s.value);
    out.set(e.name, t);
  }
  return out;
}

/**
 * Compare a config (re-read after writing, or built from planned texts) with the expected one:
 * the same environments, each merged document equal to the old one plus the settings.
 * Returns a one-line description of the first difference, or undefined when they match.
 */
export function checkMerged(before: ConfigModel, after: ConfigModel, settings: readonly Setting[]): string | undefined {
  const expected = expectedMerged(before, settings);
  const names = after.environments.map((e) => e.name);
  for (const name of expected.keys()) if (!names.includes(name)) return `environment '${name}' is missing`;
  for (const e of after.environments) {
    const want = expected.get(e.name);
    if (!want) return `environment '${e.name}' appeared`;
    const d = firstDifference(want, e.merged);
    if (d) return `${e.name}: ${describeDifference(d)}`;
  }
  return undefined;
}

function plainSources(src: ConfigSources): ConfigSources {
  const strip = (f: SourceFile): SourceFile => ({ rel: f.rel, display: f.display, text: f.text });
  return {
    dir: src.dir,
    base: src.base.map(strip),
    environments: dict(Object.entries(src.environments).map(([k, files]) => [k, files.map(strip)])),
  };
}

/**
 * Plan the writes for `settings` over the files of a config dir. Pure: takes the files' text and
 * the process environment (for `${VAR}` substitution), returns the new texts. Throws a
 * {@link UsageError} when an edit cannot be made surgically, when the result would fail
 * validation (min above max...), or when the merged result would differ anywhere but the asked values.
 */
export function planGenerate(src: ConfigSources, settings: readonly Setting[], env: Readonly<Record<string, string | undefined>>): GeneratePlan {
  // Effective values come from a model where every named environment exists (a new one is base alone).
  const probeSrc = plainSources(src);
  for (const s of settings) probeSrc.environments[s.env] ??= [];
  const probe = buildModel(probeSrc, env);
  const envOf = (name: string) => probe.environments.find((e) => e.name === name)!;

  const unchanged: UnchangedSetting[] = [];
  const byFile = new Map<string, { env: string; context: string; settings: Setting[] }>();
  for (const s of settings) {
    const current = envOf(s.env).pools[s.pool].raw[s.key];
    if (current?.value === s.value) {
      unchanged.push({ setting: s, ...(current.origin ? { origin: current.origin } : {}) });
      continue;
    }
    const context = POOLS[s.pool].context;
    // The key goes where the environment sets it now: a second file of the environment that also
    // sets it (and wins, being later in merge order) is the one to change, not the context file.
    const setIn = current?.origin?.rel;
    const id = setIn !== undefined && setIn.startsWith(`environments/${s.env}/`) ? setIn : `environments/${s.env}/${context}.toml`;
    const group = byFile.get(id) ?? { env: s.env, context, settings: [] };
    group.settings.push(s);
    byFile.set(id, group);
  }

  // The environments this plan creates exist, empty, in `before`, so the two models compare env by env.
  const beforeSrc = plainSources(src);
  for (const g of byFile.values()) beforeSrc.environments[g.env] ??= [];
  const before = buildModel(beforeSrc, env);

  const keyRank = (s: Setting): number => POOL_NAMES.indexOf(s.pool) * 100 + POOLS[s.pool].keys.findIndex((k) => k.key === s.key);
  const files: FilePlan[] = [];
  const afterSources = plainSources(beforeSrc);
  for (const [rel, g] of byFile) {
    const envFiles = afterSources.environments[g.env]!;
    const existing = envFiles.find((f) => f.rel === rel);
    const beforeText = existing?.text;
    const display = existing?.display ?? `${src.dir.replace(/[\\/]+$/, '')}/${rel}`;
    const ordered = [...g.settings].sort((a, b) => keyRank(a) - keyRank(b));
    const edits: TomlEdit[] = ordered.map((s) => ({ table: POOLS[s.pool].table, key: s.key, value: s.value }));
    const result = editToml(beforeText ?? newFileHeader(g.env, g.context), edits, display);
    const changes: PlannedChange[] = [];
    result.applied.forEach((a, i) => {
      if (a.action === 'unchanged') return;
      const s = ordered[i]!;
      changes.push({ env: s.env, pool: s.pool, table: POOLS[s.pool].table.join('.'), key: s.key, from: envOf(s.env).pools[s.pool].raw[s.key]?.value, to: s.value, action: a.action, line: a.line });
    });
    if (result.text === beforeText) continue;
    if (existing) existing.text = result.text;
    else envFiles.push({ rel, display, text: result.text });
    files.push({
      env: g.env,
      context: g.context,
      rel,
      display,
      ...(beforeText !== undefined ? { before: beforeText } : {}),
      after: result.text,
      createsEnv: own(src.environments, g.env) === undefined,
      changes,
    });
  }
  // Keep each environment's files in the loader's order (sorted by name), so merge order is unchanged.
  for (const list of Object.values(afterSources.environments)) list.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  files.sort((a, b) => envOrder(a.env, b.env) || CONTEXT_ORDER.indexOf(a.context) - CONTEXT_ORDER.indexOf(b.context));

  const after = buildModel(afterSources, env);
  const beforeIssues = new Set(validateModel(before).map(issueId));
  const afterIssues = validateModel(after);
  const newError = afterIssues.find((i) => i.severity === 'error' && !beforeIssues.has(issueId(i)));
  if (newError) throw new UsageError(`the new values would make the config invalid: ${formatIssue(newError)}`, 'change the values so they agree, e.g. set min and max together');
  const mismatch = checkMerged(before, after, settings);
  if (mismatch) throw new UsageError(`the edited files would not merge to the asked values (nothing was written): ${mismatch}`, 'edit the file by hand, and please report this as a pool-advisor bug');
  const written = settings.filter((s) => !unchanged.some((u) => u.setting === s));
  const warnings = afterIssues
    .filter((i) => i.severity === 'warning' && i.pool !== undefined && written.some((s) => s.pool === i.pool && i.envs.includes(s.env)))
    .map(formatIssue);
  return { files, unchanged, before, after, warnings };
}
