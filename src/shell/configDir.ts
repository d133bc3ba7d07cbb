/**
 * Reading a Tasker config dir from disk. Everything past reading the bytes is the pure
 * config model's job.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../core/errors.js';
import { dict } from '../core/dict.js';
import { buildModel, type ConfigModel, type ConfigSources, type SourceFile } from '../core/config/model.js';

/** The project's root (where package.json is), for the shipped example config. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The example Tasker config that ships with pool-advisor. */
export const EXAMPLE_CONFIG_DIR = join(PACKAGE_ROOT, 'config', 'tasker');

/** Files larger than this are refused: no Tasker config file comes near it. */
const MAX_FILE_BYTES = 4 * 1024 * 1024;

const EXPECTED = 'expected a Tasker config dir holding base/*.toml and environments/<env>/*.toml';

/** The config dir to use: the flag, else ./config/tasker when it exists, else the shipped example. */
export function resolveConfigDir(flag: string | undefined, cwd = process.cwd()): string {
  if (flag !== undefined) return flag;
  const local = join(cwd, 'config', 'tasker');
  if (existsSync(local)) return relative(cwd, local) || '.';
  return EXAMPLE_CONFIG_DIR;
}

/** Read one file as UTF-8 text, with one-line errors for every way that can fail. */
export function readTextFile(path: string, display: string): string {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new UsageError(`${display}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'check the path exists');
  }
  if (st.isDirectory()) throw new UsageError(`${display}: is a directory, expected a TOML file`, 'remove or rename the directory');
  if (st.size > MAX_FILE_BYTES) {
    throw new UsageError(`${display}: file is ${st.size} bytes, larger than the ${MAX_FILE_BYTES}-byte limit for a config file`, 'check this is the right file');
  }
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${display}: cannot read: ${code === 'EACCES' ? 'permission denied' : (code ?? (e as Error).message)}`, 'check the file permissions');
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    throw new UsageError(`${display}: is not valid UTF-8`, 'TOML files must be UTF-8; re-save the file as UTF-8');
  }
}

function tomlFiles(dir: string, displayDir: string, relDir: string): SourceFile[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.toml')).sort();
  } catch (e) {
    throw new UsageError(`${displayDir}: cannot list: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'check the directory permissions');
  }
  return names.map((n) => ({ rel: `${relDir}/${n}`, display: join(displayDir, n), text: readTextFile(join(dir, n), join(displayDir, n)) }));
}

/** Read every TOML file of a config dir into {@link ConfigSources}. */
export function readConfigSources(dirArg: string): ConfigSources {
  const dir = resolve(dirArg);
  if (!existsSync(dir)) throw new UsageError(`config dir '${dirArg}' does not exist; ${EXPECTED}`, 'pass --config-dir with the path to config/tasker');
  if (!statSync(dir).isDirectory()) throw new UsageError(`config dir '${dirArg}' is not a directory; ${EXPECTED}`, 'pass --config-dir with the path to config/tasker');
  const baseDir = join(dir, 'base');
  if (!existsSync(baseDir) || !statSync(baseDir).isDirectory()) {
    throw new UsageError(`config dir '${dirArg}' has no base/ directory; ${EXPECTED}`, 'pass --config-dir with the path to config/tasker');
  }
  const base = tomlFiles(baseDir, join(dirArg, 'base'), 'base');
  if (base.length === 0) throw new UsageError(`${join(dirArg, 'base')} holds no .toml files; ${EXPECTED}`, 'add base/common.toml or pass another --config-dir');
  const environments = dict<SourceFile[]>();
  const envRoot = join(dir, 'environments');
  if (existsSync(envRoot)) {
    for (const name of readdirSync(envRoot).sort()) {
      const p = join(envRoot, name);
      if (!statSync(p).isDirectory()) continue;
      environments[name] = tomlFiles(p, join(dirArg, 'environments', name), `environments/${name}`);
    }
  }
  if (Object.keys(environments).length === 0) {
    throw new UsageError(`config dir '${dirArg}' has no environments/<env>/ directories; ${EXPECTED}`, 'add environments/development/common.toml (it may be empty)');
  }
  return { dir: dirArg, base, environments };
}

/** Read and build the config model of a dir (not yet validated). */
export function loadConfig(dirArg: string, env: Readonly<Record<string, string | undefined>> = process.env): ConfigModel {
  return buildModel(readConfigSources(dirArg), env);
}
