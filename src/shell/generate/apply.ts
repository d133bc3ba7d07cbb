/**
 * Writing a generate plan into the config dir: each planned file resolved inside it (symlinks that
 * lead out refused, the bytes on disk still those the plan was made from), written atomically,
 * the config dir re-read and merged to verify, and every file and directory restored when
 * anything after the first write goes wrong.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmdirSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { checkMerged, type FilePlan, type GeneratePlan } from '../../core/generate/plan.js';
import type { Setting } from '../../core/generate/settings.js';
import { writeFileAtomic } from '../atomicWrite.js';
import { loadConfig } from '../configDir.js';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function inside(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** A file to write, resolved on disk, with what it held when it was read. */
interface Target {
  plan: FilePlan;
  /** Real path to write (a symlink inside the config dir is followed). */
  path: string;
  display: string;
  /** The env dir to create first, when it does not exist. */
  createDir?: string;
  original: Buffer | null;
  stat?: Stats;
  bom: boolean;
}

function realOrUndefined(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

/**
 * Resolve a planned file to a real path inside the config dir, refusing symlinks that lead out,
 * and read what it holds now (which must still be what the plan was made from).
 */
function resolveTarget(rootReal: string, f: FilePlan): Target {
  const escape = (what: string, real: string): UsageError =>
    new UsageError(`${what} resolves to ${real}, outside the config dir ${rootReal}; generate never writes outside it`, 'replace the symlink with a directory or file inside the config dir');
  const envRoot = join(rootReal, 'environments');
  const envRootReal = realpathSync(envRoot);
  if (!inside(rootReal, envRootReal)) throw escape(envRoot, envRootReal);
  const envDir = join(envRoot, basename(dirname(f.rel)));
  let dirReal: string;
  let createDir: string | undefined;
  if (existsSync(envDir)) {
    dirReal = realpathSync(envDir);
    if (!inside(rootReal, dirReal)) throw escape(envDir, dirReal);
    if (!statSync(dirReal).isDirectory()) throw new UsageError(`${envDir}: is not a directory`, 'remove or rename it');
    const twin = readdirSync(envRoot).find((n) => n !== basename(envDir) && realOrUndefined(join(envRoot, n)) === dirReal);
    if (twin !== undefined) {
      throw new UsageError(
        `${envDir} and ${join(envRoot, twin)} are the same directory (a symlink): writing '${basename(envDir)}' would change '${twin}' too; nothing was written`,
        `make environments/${basename(envDir)} a directory of its own to give it its own values, or set '${twin}' instead`,
      );
    }
  } else {
    let link = false;
    try {
      link = lstatSync(envDir).isSymbolicLink();
    } catch {
      // Does not exist at all: it will be created.
    }
    if (link) throw new UsageError(`${envDir}: is a symlink to a missing directory`, 'remove the symlink or create its target');
    dirReal = envDir;
    createDir = envDir;
  }
  let path = join(dirReal, basename(f.rel));
  let isLink = false;
  try {
    isLink = lstatSync(path).isSymbolicLink();
  } catch {
    // Missing: checked against the plan below.
  }
  if (isLink) {
    let real: string;
    try {
      real = realpathSync(path);
    } catch {
      throw new UsageError(`${f.display}: is a symlink to a missing file`, 'remove the symlink or create its target');
    }
    if (!inside(rootReal, real)) throw escape(f.display, real);
    path = real;
  }
  const changed = new UsageError(`${f.display}: changed on disk since pool-advisor read it; nothing was written`, 'run generate again (it reads the files afresh)');
  if (f.before === undefined) {
    if (existsSync(path)) throw changed;
    return { plan: f, path, display: f.display, ...(createDir ? { createDir } : {}), original: null, bom: false };
  }
  const stat = statSync(path);
  const original = readFileSync(path);
  const bom = original.subarray(0, 3).equals(BOM);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(original);
  } catch {
    throw changed;
  }
  if (text !== f.before) throw changed;
  return { plan: f, path, display: f.display, original, stat, bom };
}

/** Test hooks for {@link applyPlan}: failure points between the temp write and the rename. */
export interface ApplyHooks {
  beforeRename?: (target: string, tempPath: string) => void;
}

/** Put back what was there before: the original bytes, no new files, no new directories. */
function restore(written: Target[], createdDirs: string[]): string[] {
  const problems: string[] = [];
  for (const t of [...written].reverse()) {
    try {
      if (t.original === null) unlinkSync(t.path);
      else writeFileAtomic(t.path, t.original, { mode: t.stat!.mode & 0o7777, display: t.display, ownInput: true });
    } catch (e) {
      problems.push(`${t.display}: ${(e as Error).message}`);
    }
  }
  for (const d of [...createdDirs].reverse()) {
    try {
      rmdirSync(d);
    } catch (e) {
      problems.push(`${d}: ${(e as Error).message}`);
    }
  }
  return problems;
}

/**
 * Write a plan into the config dir `dirArg`, then re-read and merge the config dir from disk (with
 * the same process environment the plan was made with, for `${VAR}`); when
 * the merged result is not exactly the old one plus the settings, or any write fails, restore
 * every file and directory and throw a {@link UsageError}.
 */
export function applyPlan(
  dirArg: string,
  plan: GeneratePlan,
  settings: readonly Setting[],
  env: Readonly<Record<string, string | undefined>> = process.env,
  hooks: ApplyHooks = {},
): void {
  const rootReal = realpathSync(dirArg);
  const targets = plan.files.map((f) => resolveTarget(rootReal, f));
  const written: Target[] = [];
  const createdDirs: string[] = [];
  const fail = (message: string, hint?: string): never => {
    const problems = restore(written, createdDirs);
    const restored = problems.length === 0 ? 'every file was restored' : `restoring failed for: ${problems.join('; ')}`;
    throw new UsageError(`${message}; ${restored}`, hint);
  };
  for (const t of targets) {
    try {
      if (t.createDir && !existsSync(t.createDir)) {
        try {
          mkdirSync(t.createDir);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          throw new UsageError(`${t.createDir}: cannot create the environment directory: ${code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (code ?? (e as Error).message)}`, 'check the environments/ directory is writable');
        }
        createdDirs.push(t.createDir);
      }
      const data = t.bom ? Buffer.concat([BOM, Buffer.from(t.plan.after, 'utf8')]) : t.plan.after;
      writeFileAtomic(t.path, data, {
        display: t.display,
        // The config files generate read are its own targets.
        ownInput: true,
        ...(t.stat ? { mode: t.stat.mode & 0o7777 } : {}),
        expect: t.original === null ? { content: null } : { content: t.original, mtimeMs: t.stat!.mtimeMs, size: t.stat!.size },
        ...(hooks.beforeRename ? { beforeRename: (temp: string) => hooks.beforeRename!(t.path, temp) } : {}),
      });
      written.push(t);
    } catch (e) {
      if (written.length === 0 && createdDirs.length === 0) throw e;
      fail(`${(e as Error).message}${written.length > 0 ? ` (after writing ${written.map((w) => w.display).join(', ')})` : ''}`, 'run generate again');
    }
  }
  let mismatch: string | undefined;
  try {
    mismatch = checkMerged(plan.before, loadConfig(dirArg, env), settings);
  } catch (e) {
    mismatch = (e as Error).message;
  }
  if (mismatch) fail(`verification failed: after writing, the config dir does not merge to the asked values: ${mismatch}`, 'please report this as a pool-advisor bug, with the files');
}

