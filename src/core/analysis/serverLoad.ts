/**
 * Whether the server or the pool limits throughput, judged from the server's observed load by wait
 * class (average active sessions; docs/observe.md, "Server load"; docs/rules.md,
 * "database-saturation"). Pure.
 *
 * - The server is the limit when its sessions on a CPU reach `serverCpuShare` of its cores (only
 *   when the core count is known), or when one of Lock, IO, LWLock, BufferPin carries more than
 *   `serverClassShare` of its own active time (Timeout and Client, the application's time, left
 *   out) and averages at least `serverMinLoad` sessions.
 * - CPU, IO, LWLock and BufferPin limit every pool on the server; Lock only the pools whose own
 *   sessions wait on locks (at least LOCK_POOL_SHARE of their active time).
 * - The pool is the limit when the server is mostly idle (its own load under `serverMinLoad`
 *   sessions and, when the cores are known, under half of them on a CPU) while the pool's
 *   connections are busy (utilisation at least SERVER_BOUND_UTILISATION) or callers waited.
 */
import type { RuleSettings } from '../advisor/types.js';
import type { LoadClass, LoadProfile, ServerLoadEvidence } from '../evidence/types.js';

/** Lock limits a pool when its own sessions wait on locks at least this share of their active time. */
export const LOCK_POOL_SHARE = 0.2;

/** Mostly idle: the server's CPU sessions under this share of its cores (and its own load under serverMinLoad). */
export const IDLE_CPU_SHARE = 0.5;

/** The classes that are the server's own limit, besides CPU. */
const BOTTLENECK_CLASSES: readonly LoadClass[] = ['Lock', 'IO', 'LWLock', 'BufferPin'];

/** The application's time: not the server's. */
const APPLICATION_CLASSES: readonly LoadClass[] = ['Timeout', 'Client'];

/** The judgement of one pool on the observed load. */
export interface ServerLoadJudgement {
  cores: number | null;
  coresSource: string;
  samples: number;
  intervalMs: number;
  server: LoadProfile;
  pool: LoadProfile;
  /** The server's own active sessions (Timeout and Client left out). */
  serverOwn: number;
  cpu: number;
  cpuStdErr: number | null;
  /** The largest of Lock, IO, LWLock, BufferPin, and its share of the server's own time. */
  dominant: { class: LoadClass; mean: number; stdErr: number | null; share: number } | null;
  /** Who limits: the server (and by what), the pool, or neither can be said. */
  limit: 'server' | 'pool' | null;
  limitClass: LoadClass | null;
  /** The server's limit applies to this pool (so its max_connections is not raised). */
  limitsThisPool: boolean;
  /** Share of this pool's active time waiting on locks. */
  poolLockShare: number;
  /** Why it could not say more (e.g. cores unknown). */
  notes: string[];
}

/** The mean of a class in a profile (0 when not seen). */
export function classMean(p: LoadProfile, c: LoadClass): number {
  return p.byClass.find((x) => x.class === c)?.mean ?? 0;
}

function classErr(p: LoadProfile, c: LoadClass): number | null {
  return p.byClass.find((x) => x.class === c)?.stdErr ?? null;
}

/** Judge one pool's observed load; `utilisation` is its mean busy / max, `waited` whether callers waited. */
export function judgeServerLoad(l: ServerLoadEvidence, utilisation: number, waited: boolean, rules: Pick<RuleSettings, 'serverCpuShare' | 'serverClassShare' | 'serverMinLoad'>, busyShare = 0.8): ServerLoadJudgement {
  const notes: string[] = [];
  const serverOwn = Math.max(0, l.server.aas.mean - APPLICATION_CLASSES.reduce((s, c) => s + classMean(l.server, c), 0));
  const cpu = classMean(l.server, 'CPU');
  let dominant: ServerLoadJudgement['dominant'] = null;
  for (const c of BOTTLENECK_CLASSES) {
    const mean = classMean(l.server, c);
    if (mean > 0 && (!dominant || mean > dominant.mean)) dominant = { class: c, mean, stdErr: classErr(l.server, c), share: serverOwn > 0 ? mean / serverOwn : 0 };
  }
  let limitClass: LoadClass | null = null;
  if (l.cores !== null && cpu >= rules.serverCpuShare * l.cores) limitClass = 'CPU';
  else if (dominant && dominant.share > rules.serverClassShare && dominant.mean >= rules.serverMinLoad) limitClass = dominant.class;
  if (l.cores === null) notes.push(`the server's core count is unknown (${l.coresSource}), so whether its ${cpu.toFixed(2)} sessions on a CPU saturate it cannot be judged: pass --server-cores N, or name its node_exporter instance in [prometheus] (docs/observe.md)`);
  const poolActive = l.pool.aas.mean;
  const poolLockShare = poolActive > 0 ? classMean(l.pool, 'Lock') / poolActive : 0;
  const idle = serverOwn < rules.serverMinLoad && (l.cores === null || cpu < IDLE_CPU_SHARE * l.cores);
  const poolBusy = utilisation >= busyShare || waited;
  const limit = limitClass !== null ? 'server' : idle && poolBusy ? 'pool' : null;
  const limitsThisPool = limitClass !== null && (limitClass !== 'Lock' || poolLockShare >= LOCK_POOL_SHARE);
  return {
    cores: l.cores,
    coresSource: l.coresSource,
    samples: l.samples,
    intervalMs: l.intervalMs,
    server: l.server,
    pool: l.pool,
    serverOwn,
    cpu,
    cpuStdErr: classErr(l.server, 'CPU'),
    dominant,
    limit,
    limitClass,
    limitsThisPool,
    poolLockShare,
    notes,
  };
}
