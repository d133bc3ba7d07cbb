/**
 * Finding and reading the advisor config: `--advisor-config FILE`, else `./pool-advisor.toml`
 * when it exists, else the one that ships in the package's config/.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { UsageError } from '../core/errors.js';
import { parseAdvisorConfig } from '../core/advisor/parse.js';
import type { AdvisorConfig } from '../core/advisor/types.js';
import { PACKAGE_ROOT, readTextFile } from './configDir.js';

/** The advisor config that ships with the package. */
export const SHIPPED_ADVISOR_CONFIG = join(PACKAGE_ROOT, 'config', 'pool-advisor.toml');

/** Resolve the advisor config path: the flag, ./pool-advisor.toml, or the shipped one. */
export function resolveAdvisorConfig(flag: string | undefined, cwd = process.cwd()): string {
  if (flag !== undefined) return flag;
  const local = join(cwd, 'pool-advisor.toml');
  if (existsSync(local)) return relative(cwd, local);
  return SHIPPED_ADVISOR_CONFIG;
}

/** Read and parse the advisor config (exit 2 on any problem, with file and line). */
export function loadAdvisorConfig(path?: string): AdvisorConfig {
  const file = resolveAdvisorConfig(path);
  const display = file === SHIPPED_ADVISOR_CONFIG ? relative(process.cwd(), file) || file : file;
  const cfg = parseAdvisorConfig(readTextFile(file, display), display);
  // A workload's `sql_file` is read here, relative to the advisor config, so the run needs no file access.
  const workloads = [...Object.values(cfg.environments).flatMap((e) => Object.values(e.workloads)), ...Object.values(cfg.defaultWorkloads ?? {})];
  for (const w of workloads) {
    if (w?.hold.kind === 'sql' && w.hold.source !== undefined && w.hold.sql === '') {
      const path = isAbsolute(w.hold.source) ? w.hold.source : join(dirname(file), w.hold.source);
      const sql = readTextFile(path, w.hold.source).trim();
      if (sql === '') throw new UsageError(`${display}: sql_file '${w.hold.source}' is empty`, 'put the SQL a request runs while it holds its connection in that file');
      w.hold.sql = sql;
    }
  }
  return cfg;
}
