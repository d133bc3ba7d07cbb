/**
 * Finding and reading the advisor config: `--advisor-config FILE`, else `./pool-advisor.toml`
 * when it exists, else the one that ships in the package's config/.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
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
  return parseAdvisorConfig(readTextFile(file, display), display);
}
