/**
 * What kind of server a run measured: a throwaway one pool-advisor started (shared cores with the
 * load generator, fsync off, small buffers), one on this machine, or another machine. Findings
 * about the server's capacity are only as good as the server measured (docs/architecture.md, "The shape"): from a
 * throwaway or local target they inform and change no key. Runs saved before the kind was
 * recorded get it inferred from the target string, and say so.
 */
import type { RunFile, TargetKind } from '../run/types.js';

/** The target of a run, with its kind and whether the kind was inferred. */
export interface TargetInfo {
  display: string;
  kind: TargetKind;
  /** True when the run file did not record the kind (an older run): inferred from the display string. */
  inferred: boolean;
  serverVersion: string | null;
}

const LOCAL = /(^|[@/=\s[(])(localhost|127\.\d+\.\d+\.\d+|::1|\/[^\s]*)(?=[:/\s\]]|$)/i;

/** The target of a run. */
export function targetOf(run: Pick<RunFile, 'target' | 'targetKind' | 'server'>): TargetInfo {
  const serverVersion = run.server?.version ?? null;
  if (run.targetKind === 'throwaway' || run.targetKind === 'local' || run.targetKind === 'remote') return { display: run.target, kind: run.targetKind, inferred: false, serverVersion };
  const kind: TargetKind = /\(throwaway\b/.test(run.target) ? 'throwaway' : LOCAL.test(run.target) ? 'local' : 'remote';
  return { display: run.target, kind, inferred: true, serverVersion };
}

/** Whether findings about the server's capacity from this target may change a key. */
export function canJudgeServer(t: TargetInfo): boolean {
  return t.kind === 'remote';
}

/** The target in words, for findings. */
export function describeTarget(t: TargetInfo): string {
  const what = t.kind === 'throwaway' ? 'a throwaway PostgreSQL started by pool-advisor (sharing cores with the load generator, fsync off, small buffers)' : t.kind === 'local' ? 'a PostgreSQL on this machine (sharing cores with the load generator)' : `the server at ${t.display}`;
  return `${what}${t.serverVersion ? `, PostgreSQL ${t.serverVersion}` : ''}${t.inferred ? '; kind inferred from the target string (the run predates recorded target kinds)' : ''}`;
}
