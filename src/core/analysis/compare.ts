/**
 * Before and after: two saved runs, matched by environment and pool, their figures side by side
 * with the change (`pool-advisor compare before.json after.json`). Tuning is a loop - measure,
 * change, measure again - and this is the "again". Pure: two run files in, plain data out.
 */
import type { PoolSettings } from '../config/pools.js';
import type { EvidenceFile, PoolEvidence } from '../evidence/types.js';
import { poolFigures, type PoolFigures } from './figures.js';
import { describeWorkload } from './analyze.js';
import { waitSpectrum, type WaitSpectrum } from './charts.js';
import { FORMAT_VERSION } from '../saved.js';

/** Version of the compare JSON shape. */
export const COMPARE_SCHEMA_VERSION = FORMAT_VERSION.compareJson;

/** A change smaller than this share of the before value reads as "same". */
export const SAME_WITHIN = 0.05;

/** The unit of a compared figure, so renderers print it in the unit that reads best. */
export type CompareUnit = 'us' | 'share' | 'count' | 'connections' | 'per_s' | 'per_min';

/** One figure before and after. */
export interface MetricChange {
  /** Stable machine name, e.g. `waitP99`. */
  name: string;
  label: string;
  unit: CompareUnit;
  before: number | null;
  after: number | null;
  /** after − before (null when either side is missing). */
  delta: number | null;
  /** delta / before (null when before is 0 or missing). */
  relative: number | null;
  /** Which way is better for this figure; null when neither is (e.g. the acquire rate). */
  lowerIsBetter: boolean | null;
  /** better / worse / same, by {@link SAME_WITHIN}; null when the figure has no better side or a side is missing. */
  verdict: 'better' | 'worse' | 'same' | null;
}

/** A pool setting that differs between the two runs. */
export interface SettingChange {
  key: keyof PoolSettings;
  before: number;
  after: number;
}

/** One pool compared. */
export interface PoolComparison {
  env: string;
  pool: string;
  /** Which runs have the pool. */
  presentIn: 'both' | 'before' | 'after';
  metrics: MetricChange[];
  settings: SettingChange[];
  /** The acquire-wait spectra for the report's chart, where the run has them (not in the JSON). */
  spectra: { before: WaitSpectrum | null; after: WaitSpectrum | null };
}

/** One environment compared. */
export interface EnvironmentComparison {
  env: string;
  presentIn: 'both' | 'before' | 'after';
  /** The workloads of each run, when they differ (the comparison is then not like for like). */
  workloadsDiffer: { before: string[]; after: string[] } | null;
  pools: PoolComparison[];
}

/** What the comparison says about each run. */
export interface RunSide {
  file: string;
  /** A measured run or an observation (what the header calls it). */
  kind: 'run' | 'observation';
  createdAt: string;
  target: string;
  partial: boolean;
  toolVersion: string;
}

/** The whole comparison (the `--json` shape is render/compare.ts compareData's). */
export interface RunComparison {
  schemaVersion: typeof COMPARE_SCHEMA_VERSION;
  before: RunSide;
  after: RunSide;
  environments: EnvironmentComparison[];
}

interface MetricDef {
  name: string;
  label: string;
  unit: CompareUnit;
  lowerIsBetter: boolean | null;
  /** The figure, or null when the evidence has no such part. */
  of: (f: PoolFigures, p: PoolEvidence) => number | null;
}

/** The figures compared, in the order shown. */
export const COMPARED: readonly MetricDef[] = [
  { name: 'acquires', label: 'acquires', unit: 'count', lowerIsBetter: null, of: (f) => f.acquires },
  { name: 'acquireRate', label: 'acquires/s', unit: 'per_s', lowerIsBetter: null, of: (f, p) => (f.acquires === null ? null : p.source.durationMs > 0 ? (f.acquires * 1000) / p.source.durationMs : 0) },
  { name: 'waitP50', label: 'P50 wait', unit: 'us', lowerIsBetter: true, of: (f) => f.wait?.p50 ?? null },
  { name: 'waitP95', label: 'P95 wait', unit: 'us', lowerIsBetter: true, of: (f) => f.wait?.p95 ?? null },
  { name: 'waitP99', label: 'P99 wait', unit: 'us', lowerIsBetter: true, of: (f) => f.wait?.p99 ?? null },
  { name: 'waitP999', label: 'P99.9 wait', unit: 'us', lowerIsBetter: true, of: (f) => f.wait?.p999 ?? null },
  { name: 'waitMax', label: 'max wait', unit: 'us', lowerIsBetter: true, of: (f) => f.wait?.max ?? null },
  { name: 'waitedShare', label: 'acquires that waited', unit: 'share', lowerIsBetter: true, of: (f) => f.waitedShare },
  { name: 'timeouts', label: 'timeouts', unit: 'count', lowerIsBetter: true, of: (f) => f.timeouts },
  { name: 'errors', label: 'errors', unit: 'count', lowerIsBetter: true, of: (f) => f.errors },
  { name: 'inUseMean', label: 'in use, mean', unit: 'connections', lowerIsBetter: null, of: (f) => f.inUseMean },
  { name: 'inUsePeak', label: 'in use, peak', unit: 'connections', lowerIsBetter: null, of: (f) => f.inUsePeak },
  { name: 'utilisation', label: 'utilisation', unit: 'share', lowerIsBetter: null, of: (f) => f.utilization },
  { name: 'createdPerMin', label: 'opened/min', unit: 'per_min', lowerIsBetter: true, of: (f) => f.createdPerMin },
  { name: 'expiredPerMin', label: 'expired/min', unit: 'per_min', lowerIsBetter: true, of: (f) => f.expiredPerMin },
  { name: 'idleClosedPerMin', label: 'idle-closed/min', unit: 'per_min', lowerIsBetter: true, of: (f) => f.idleClosedPerMin },
];

const SETTING_ORDER: ReadonlyArray<keyof PoolSettings> = ['max_connections', 'min_connections', 'acquire_timeout_seconds', 'idle_timeout_seconds', 'max_lifetime_seconds', 'slow_acquire_threshold_ms'];

/** Compare one figure. */
export function metricChange(def: Pick<MetricDef, 'name' | 'label' | 'unit' | 'lowerIsBetter'>, before: number | null, after: number | null): MetricChange {
  const delta = before !== null && after !== null ? after - before : null;
  const relative = delta !== null && before !== null && before !== 0 ? delta / before : null;
  let verdict: MetricChange['verdict'] = null;
  if (delta !== null && def.lowerIsBetter !== null) {
    // From zero, any change counts; otherwise a change within SAME_WITHIN of the before value is noise.
    const same = delta === 0 || (relative !== null && Math.abs(relative) < SAME_WITHIN);
    verdict = same ? 'same' : (delta < 0) === def.lowerIsBetter ? 'better' : 'worse';
  }
  return { name: def.name, label: def.label, unit: def.unit, before, after, delta, relative, lowerIsBetter: def.lowerIsBetter, verdict };
}

function comparePool(env: string, pool: string, b: PoolEvidence | undefined, a: PoolEvidence | undefined): PoolComparison {
  const fb = b ? poolFigures(b) : undefined;
  const fa = a ? poolFigures(a) : undefined;
  const metrics = COMPARED.map((d) => metricChange(d, fb && b ? d.of(fb, b) : null, fa && a ? d.of(fa, a) : null));
  const settings: SettingChange[] = [];
  if (a && b) for (const k of SETTING_ORDER) if (b.settings[k] !== a.settings[k]) settings.push({ key: k, before: b.settings[k], after: a.settings[k] });
  return { env, pool, presentIn: a && b ? 'both' : b ? 'before' : 'after', metrics, settings, spectra: { before: waitSpectrum(b?.wait?.all), after: waitSpectrum(a?.wait?.all) } };
}

/** A pool's name in the comparison: the pool, and its replica when the evidence is per replica. */
function poolLabel(p: PoolEvidence): string {
  return p.replica ? `${p.pool} (${p.replica})` : p.pool;
}

/** Names in the order first seen in `first`, then those only in `second`. */
function union<T>(first: readonly T[], second: readonly T[]): T[] {
  return [...first, ...second.filter((x) => !first.includes(x))];
}

function sideOf(run: EvidenceFile, file: string): RunSide {
  return { file, kind: run.kind, createdAt: run.createdAt, target: run.target, partial: run.partial, toolVersion: run.tool.version };
}

/** Compare two runs: every environment and pool of either, matched by name. */
export function compareRuns(before: EvidenceFile, after: EvidenceFile, files: { before: string; after: string }): RunComparison {
  const envs = union(
    before.environments.map((e) => e.env),
    after.environments.map((e) => e.env),
  );
  return {
    schemaVersion: COMPARE_SCHEMA_VERSION,
    before: sideOf(before, files.before),
    after: sideOf(after, files.after),
    environments: envs.map((name) => {
      const eb = before.environments.find((e) => e.env === name);
      const ea = after.environments.find((e) => e.env === name);
      const pools = union(eb?.pools.map(poolLabel) ?? [], ea?.pools.map(poolLabel) ?? []);
      // Workloads differ when their arrivals, holds, ramps or bursts do; a longer or shorter run is still like for like.
      const shape = (e: typeof eb): string => JSON.stringify(e?.workloads.map((w) => ({ ...w.workload, warmupS: 0, durationS: 0 })) ?? []);
      const differ = eb && ea && shape(eb) !== shape(ea) ? { before: eb.workloads.map((w) => describeWorkload(w.workload)), after: ea.workloads.map((w) => describeWorkload(w.workload)) } : null;
      return {
        env: name,
        presentIn: eb && ea ? 'both' : eb ? 'before' : 'after',
        workloadsDiffer: differ,
        pools: pools.map((pool) =>
          comparePool(
            name,
            pool,
            eb?.pools.find((p) => poolLabel(p) === pool),
            ea?.pools.find((p) => poolLabel(p) === pool),
          ),
        ),
      };
    }),
  };
}

/** Whether any pool is in both runs (otherwise there is nothing to compare). */
export function hasCommonPool(c: RunComparison): boolean {
  return c.environments.some((e) => e.pools.some((p) => p.presentIn === 'both'));
}

