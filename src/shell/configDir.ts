/**
 * Reading a Tasker config dir from disk. Everything past reading the bytes is the pure
 * config model's job.
 */
import { closeSync, constants, existsSync, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../core/errors.js';
import { dict } from '../core/dict.js';
import { buildModel, type ConfigModel, type ConfigSources, type SourceFile } from '../core/config/model.js';
import { noteInput } from './inputs.js';

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

function errno(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOENT') return 'no such file';
  if (code === 'ELOOP') return 'a symlink loop';
  if (code === 'ENAMETOOLONG') return 'name too long';
  return code ?? (e as Error).message;
}

/**
 * Read at most `limit` bytes of a regular file, refusing anything else before reading: a
 * directory, a device (`/dev/zero` would never end), a FIFO (would wait for a writer forever), a
 * socket. The file is opened non-blocking and checked through its descriptor, so what is read is
 * what was checked; the limit is enforced by counting bytes read, not by trusting the size.
 */
export function readBoundedFile(path: string, display: string, limit: number, what: string, hint: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EISDIR') throw new UsageError(`${display}: is a directory, expected ${what}`, hint);
    throw new UsageError(`${display}: cannot read: ${errno(e)}`, (e as NodeJS.ErrnoException).code === 'EACCES' ? 'check the file permissions' : hint);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new UsageError(`${display}: is a directory, expected ${what}`, hint);
    if (!st.isFile()) throw new UsageError(`${display}: is not a regular file (${st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isSocket() ? 'a socket' : 'special'}), expected ${what}`, hint);
    // An input from here on: no output of this process may land on it.
    noteInput(display, st);
    const chunks: Buffer[] = [];
    let total = 0;
    const buf = Buffer.allocUnsafe(64 * 1024);
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        throw new UsageError(`${display}: cannot read: ${errno(e)}`, hint);
      }
      if (n === 0) break;
      total += n;
      if (total > limit) throw new UsageError(`${display}: larger than the ${limit}-byte limit for ${what}`, 'check this is the right file');
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/** Read one file as UTF-8 text, with one-line errors for every way that can fail. */
export function readTextFile(path: string, display: string): string {
  const buf = readBoundedFile(path, display, MAX_FILE_BYTES, 'a TOML file', 'check the path exists and is a TOML file');
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
    throw new UsageError(`${displayDir}: cannot list: ${errno(e)}`, 'check the directory permissions');
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
  const envDisplay = join(dirArg, 'environments');
  if (existsSync(envRoot)) {
    let names: string[];
    try {
      if (!statSync(envRoot).isDirectory()) throw new UsageError(`${envDisplay}: is not a directory; ${EXPECTED}`, 'remove or rename it, and put each environment in environments/<env>/');
      names = readdirSync(envRoot).sort();
    } catch (e) {
      if (e instanceof UsageError) throw e;
      throw new UsageError(`${envDisplay}: cannot list: ${errno(e)}`, 'check the directory permissions');
    }
    for (const name of names) {
      const p = join(envRoot, name);
      let st;
      try {
        st = statSync(p);
      } catch (e) {
        throw new UsageError(`${join(envDisplay, name)}: cannot read: ${errno(e)}`, 'remove the broken link, or point it at a directory');
      }
      if (!st.isDirectory()) continue;
      environments[name] = tomlFiles(p, join(envDisplay, name), `environments/${name}`);
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
