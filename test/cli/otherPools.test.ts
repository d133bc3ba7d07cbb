/**
 * `observe` on real pools from other ecosystems (issue 21), each a service pool-advisor did not
 * write the pool of, under a known load against the tests' PostgreSQL, writing its own ground truth
 * (test/helpers/otherPools.ts):
 *
 * - Go database/sql with lib/pq (test/services/go-pool), exporting client_golang's DBStats
 *   collector, scraped every second by a real Prometheus:
 *   - "life" (steady Poisson arrivals, a 3 s SetConnMaxLifetime) and "idle" (bursts, a 1 s
 *     SetConnMaxIdleTime), exponential server-side holds, SetMaxOpenConns(4). From the server: grouped by its
 *     application_name (set in the lib/pq URL), mean busy within 5% or two batch-means standard
 *     errors, births and deaths within one, closes attributed to the lifetime and the idle time as
 *     database/sql counted them, within one. Through Prometheus (`fleet --prometheus`): the go-sql
 *     family recognised, the mean in use and open equal to the means of what the collector gave the
 *     scrapes, and (on the steady pool) within 5% or two standard errors of 1 Hz sampling of the truth,
 *     the waits and the closes by reason within 5% (plus one at each edge of the window) of database/sql's own counters, the size exact.
 *   - postgres_exporter 0.11 with the queries file shipped in docs/ (scraped by the same
 *     Prometheus, read through the [prometheus] table shipped beside it): the family recognised,
 *     one pool per application_name and client address, the steady service's busy and open within
 *     5% or two standard errors of 1 Hz sampling.
 *   - "workers": a closed loop of 4 workers on SetMaxOpenConns(20), observed from both sides at once
 *     (`observe --database-url --prometheus`): the advice lowers max_connections as
 *     `analyze --concurrency 4` does on the same workload, within one.
 *
 * - Python psycopg_pool (test/services/psycopg-pool): "life" (min_size 3, a 3 s max_lifetime) and
 *   "idle" (bursts, min_size 1, a 1 s max_idle), minding its ways: it closes an expired connection
 *   only when it is returned, shortens lifetimes by up to 5%, closes at most one idle connection per
 *   period and reuses connections first in, first out. From the server, as for Go.
 * - PgBouncer (transaction mode, 3 server connections) in front of the server, two Go services
 *   through it: from the server alone observe says it sees a proxy; with `--pgbouncer-url` it reads
 *   the admin console, whose transactions match the statements the services ran and whose total
 *   wait matches the time the services saw beyond the statements' own (10%, plus 1 ms a statement
 *   for the trip through the proxy).
 *
 * Each test prints its figures (the table in docs/observe.md is made of these lines).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgUrl } from '../helpers/pg.js';
import { evidenceOf, runCli, runCliAsync, type CliResult, type Rec } from '../helpers/cli.js';
import { advisorFile, databaseWorkload, scenarioConfig } from '../helpers/scenario.js';
import { hasTool } from '../helpers/promText.js';
import { startFleetPrometheus, type TestPrometheus } from '../helpers/fleetPrometheus.js';
import { promQuery } from '../helpers/prometheus.js';
import { batchMeansStdErr, busyAt, busyAtSamples, churnIn, meanBusy, openAt } from '../helpers/uninstrumented/harness.js';
import { buildGoPool, counterAt, debVersion, inUseAt, meanInUse, missingGo, missingPgBouncer, missingPostgresExporter, missingPsycopgPool, phaseStdErr, postgresExporterVersion, startPostgresExporter, EXPORTER_ADVISOR, PSYCOPG_SRC, PYTHON, skipUnlessCi, startPgBouncer, type TestPgBouncer, startOtherService, stepMean, urlWithApp, type OtherService, type OtherTruth } from '../helpers/otherPools.js';
import { observeServer, type ObserveResult } from '../../src/shell/observe/run.js';
import { GROUP_FIELDS } from '../../src/core/observe/types.js';
import type { GroupSummary } from '../../src/core/observe/summary.js';
import type { FleetReading } from '../../src/core/fleet/assemble.js';
import type { ObservationFile } from '../../src/core/observe/file.js';
import { freePort } from '../../src/shell/throwawayPg.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cleanup: Array<() => void> = [];
afterAll(() => {
  for (const c of cleanup.reverse()) c();
});


const maxOf = (recs: Rec[]): Rec | undefined => recs.find((r) => r.pool === 'database' && r.key === 'max_connections');

/**
 * `observeServer` in-process for 20 s at 50 ms, every group field, each group whose
 * application_name `settings` knows tied to harness.database with those settings; the samples'
 * times go into `times`.
 */
function observeHarness(url: string, times: number[], settings: (app: string) => { maxConnections: number; lifetimeS: number | null; idleTimeoutS: number | null } | null): Promise<ObserveResult> {
  return observeServer({
    config: { connectionString: url },
    display: 'throwaway',
    targetKind: 'local',
    intervalMs: 50,
    durationMs: 20_000,
    groupBy: [...GROUP_FIELDS],
    maps: [],
    settingsFor: (g) => {
      const app = g.fields.find(([f]) => f === 'application_name')?.[1];
      const c = app === undefined ? null : settings(app);
      return c ? { env: 'harness', pool: 'database', map: `app:${app}=harness.database`, sizeSource: 'config', ...c } : null;
    },
    configDir: null,
    taskerUrls: [],
    toolVersion: 'test',
    onSample: (s) => times.push(s.atMs),
  });
}

/** `analyze` of the same workload (Poisson at `rate`, exponential holds) on `cfg`'s database pool: its max_connections recommendation. */
function analyzeMax(cfg: string, rate: number, holdMs: number, extra: string[] = []): Rec | undefined {
  const wl = advisorFile(databaseWorkload({ rate, hold: `${holdMs}ms`, dist: 'exponential', duration: '15s', defaults: 'seed = 5\n' }));
  // --fixed-duration: held to the other pool's own figures over the same 15 s window.
  const a = runCli(['analyze', '--fixed-duration', '--config-dir', cfg, '--advisor-config', wl, '--env', 'test', '--pool', 'database', '--database-url', pgUrl(), '--json', ...extra]);
  expect(a.status, a.stderr).toBe(0);
  return maxOf((JSON.parse(a.stdout) as { advice: { recommendations: Rec[] } }).advice.recommendations);
}

/** The service's own truth against what the server-side observation made of its group: the figures and the tolerances of issue 16. */
function serverSide(label: string, t: OtherTruth, g: GroupSummary, obs: ObserveResult['file']['observation'], times: readonly number[]) {
  const from = obs.startedAt;
  const to = obs.startedAt + obs.durationMs;
  const truthBusy = meanBusy(t, from, to);
  // The repo's convention (docs/observe.md, "What it reads"): the reading against the
  // truth at the sampler's own instants within max(5%, 2 SE); the estimate of the time average,
  // where the sampling spread adds, within max(5%, 3 SE). At 2 SE one run in twenty misses by chance.
  const truthAtInstants = busyAtSamples(t, times);
  const se = batchMeansStdErr(times.map((x) => busyAt(t, x)));
  const tolInstants = Math.max(0.05 * truthAtInstants, 2 * se);
  const tol = Math.max(0.05 * truthBusy, 3 * se);
  const churn = churnIn(t, times[0]!, times[times.length - 1]!);
  const openMax = Math.max(...times.map((x) => openAt(t, x)));
  console.log(
    `${label} from the server: mean busy ${g.meanBusy.toFixed(3)} vs truth ${truthBusy.toFixed(3)} (tolerance ${tol.toFixed(3)}), at the sampler's instants ${truthAtInstants.toFixed(3)} (tolerance ${tolInstants.toFixed(3)}); open max ${g.openMax} vs ${openMax}; ` +
      `births ${g.births} vs ${churn.opens}; deaths ${g.deaths} vs ${churn.closes}; closes lifetime ${g.closes?.lifetime} vs ${churn.byReason.lifetime ?? 0}, idle ${g.closes?.idle} vs ${churn.byReason.idle ?? 0}, unattributed ${g.closes?.unattributed}`,
  );
  expect(t.errors, `${label}: errors`).toBe(0);
  expect(Math.abs(g.meanBusy - truthAtInstants), `${label}: mean busy at the sampler's instants`).toBeLessThanOrEqual(tolInstants);
  expect(Math.abs(g.meanBusy - truthBusy), `${label}: mean busy`).toBeLessThanOrEqual(tol);
  expect(Math.abs(g.openMax - openMax), `${label}: open max`).toBeLessThanOrEqual(1);
  expect(Math.abs(g.births - churn.opens), `${label}: births`).toBeLessThanOrEqual(1);
  expect(Math.abs(g.deaths - churn.closes), `${label}: deaths`).toBeLessThanOrEqual(1);
  return churn;
}

const goSkip = skipUnlessCi('the Go database/sql tests', missingGo() ?? (hasTool('prometheus') ? null : 'no prometheus'));

describe.skipIf(goSkip)('a Go database/sql pool (lib/pq, client_golang DBStatsCollector)', () => {
  const workersCfg = scenarioConfig({ max_connections: 20, min_connections: 1, acquire_timeout_seconds: 30 });
  const adv = advisorFile('[prometheus]\nenvironment = "test"\n');
  const dir = mkdtempSync(join(tmpdir(), 'pa-go-out-'));
  // Lifetime churn and idle churn in two pools, so that each close has one reason by construction:
  // database/sql closes a connection past both its idle time and its lifetime as idle (its cleaner
  // checks idle first), which observe, attributing by age first, would call a lifetime close.
  // "life": a steady load on 4 connections with a 3 s SetConnMaxLifetime.
  const LIFE = { name: 'life', appName: 'pa-go-life', rate: 40, holdMs: 30, maxOpen: 4, maxIdle: 4, lifetimeMs: 3000, idleTimeMs: 0, seconds: 30, seed: 7 };
  // "idle": bursts of 100/s for 1.1 s every 3.7 s over 8/s (a period off the 1 s scrapes): the
  // bursts open connections (and wait at 4), the lulls let them idle out (1 s SetConnMaxIdleTime).
  const IDLE = { name: 'idle', appName: 'pa-go-idle', rate: 8, burstRate: 100, burstMs: 1100, periodMs: 3700, holdMs: 30, maxOpen: 4, maxIdle: 4, lifetimeMs: 0, idleTimeMs: 1000, seconds: 30, seed: 8 };
  const WORKERS = { name: 'database', appName: 'pa-go-workers', concurrency: 4, holdMs: 40, clientHold: true, maxOpen: 20, maxIdle: 20, lifetimeMs: 0, idleTimeMs: 0, seconds: 30, seed: 9 };
  const CHURNS = [LIFE, IDLE];
  let churns: OtherService[];
  let workers: OtherService;
  let prom: TestPrometheus;
  // postgres_exporter with the queries file shipped in docs/, scraped by the same Prometheus.
  const exporterSkip = skipUnlessCi('the postgres_exporter test', missingPostgresExporter());
  let churnObs: ObserveResult;
  let churnTimes: number[];
  let workersObs: CliResult;
  let truths: OtherTruth[];

  beforeAll(async () => {
    const bin = buildGoPool();
    const url = pgUrl();
    const all = await Promise.all([...CHURNS, WORKERS].map((c) => startOtherService(bin, [], { ...c, url: urlWithApp(url, c.appName) }, cleanup)));
    churns = all.slice(0, CHURNS.length);
    workers = all[CHURNS.length]!;
    const exporter = exporterSkip ? undefined : await startPostgresExporter(url, await freePort(), cleanup);
    prom = await startFleetPrometheus([{ name: 'go', targets: all.map((s) => `127.0.0.1:${s.port}`) }, ...(exporter ? [{ name: 'postgres', targets: [`127.0.0.1:${exporter.port}`] }] : [])]);
    cleanup.push(prom.stop);
    await sleep(2000);
    churnTimes = [];
    [churnObs, workersObs] = await Promise.all([
      observeHarness(url, churnTimes, (app) => {
        const c = CHURNS.find((x) => x.appName === app);
        return c ? { maxConnections: c.maxOpen, lifetimeS: c.lifetimeMs ? c.lifetimeMs / 1000 : null, idleTimeoutS: c.idleTimeMs ? c.idleTimeMs / 1000 : null } : null;
      }),
      runCliAsync(['observe', '--database-url', url, '--prometheus', prom.base, '--duration', '20s', '--interval', '100ms', '--map', `app:${WORKERS.appName}=test.database`, '--config-dir', workersCfg, '--advisor-config', adv, '--out', join(dir, 'workers.json'), '--json', '--no-progress']),
    ]);
    truths = await Promise.all(churns.map((c) => c.done));
    await workers.done;
  }, 120_000);

  it('from the server: grouped by application_name; busy, births, deaths and closes by reason match what database/sql did', () => {
    expect(churnObs.error).toBeUndefined();
    const file = churnObs.file;
    console.log(`${spawnSync('go', ['version'], { encoding: 'utf8' }).stdout.trim()}; lib/pq ${debVersion('golang-github-lib-pq-dev')}; client_golang ${debVersion('golang-github-prometheus-client-golang-dev')}`);
    expect(file.observation.proxy.detected).toBe(false);
    CHURNS.forEach((spec, i) => {
      const g = file.groups.find((x) => x.service === `app=${spec.appName} db=postgres user=postgres`);
      expect(g, file.groups.map((x) => x.id).join(', ')).toBeDefined();
      expect(g!.replica).toBe('127.0.0.1');
      expect(file.groups.filter((x) => x.service.startsWith(`app=${spec.appName} `))).toHaveLength(1);
      const c = serverSide(`go ${spec.name}`, truths[i]!, g!, file.observation, churnTimes);
      expect(Math.abs(g!.closes!.lifetime - (c.byReason.lifetime ?? 0)), `${spec.name}: lifetime closes`).toBeLessThanOrEqual(1);
      expect(Math.abs(g!.closes!.idle - (c.byReason.idle ?? 0)), `${spec.name}: idle closes`).toBeLessThanOrEqual(1);
      expect(g!.closes!.unattributed, `${spec.name}: unattributed`).toBeLessThanOrEqual(1);
    });
    // Each pool churns its way, so the checks above are not vacuous.
    const counts = CHURNS.map((_, i) => churnIn(truths[i]!, churnTimes[0]!, churnTimes[churnTimes.length - 1]!).byReason);
    expect(counts[0]!.lifetime ?? 0).toBeGreaterThanOrEqual(5);
    expect(counts[1]!.idle ?? 0).toBeGreaterThanOrEqual(3);
  });

  it('through Prometheus: the go_sql_* family, its gauges and counters match the truth', async () => {
    const obs = churnObs.file.observation;
    // The window of the server-side observation, which lies inside the scraped time on both sides.
    const from = obs.startedAt;
    const to = obs.startedAt + obs.durationMs;
    const startS = (from / 1000).toFixed(3);
    const endS = Number((to / 1000).toFixed(3));
    const rangeMs = Math.round(endS * 1000 - Number(startS) * 1000);
    const r = runCli(['fleet', '--prometheus', prom.base, '--start', startS, '--end', endS.toFixed(3), '--advisor-config', adv, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const reading = JSON.parse(r.stdout) as FleetReading;
    expect(reading.families.map((f) => f.id)).toEqual(['go-sql']);
    for (const [i, spec] of CHURNS.entries()) {
      const fig = reading.replicas.find((x) => x.family === 'go-sql' && x.seriesPool === spec.name && x.replica === `127.0.0.1:${churns[i]!.port}`);
      expect(fig, JSON.stringify(reading.replicas.map((x) => [x.family, x.seriesPool, x.replica]))).toBeDefined();
      const t = truths[i]!;
      const stats = t.stats!;
      const col = (k: number) => stats.map((row) => [row[0]!, row[k]!] as const);
      const delta = (k: number) => counterAt(col(k), to) - counterAt(col(k), from);
      // What the collector gave each scrape in the window (the service logs it): the figures must be their means.
      // Which scrapes fall in the window is Prometheus's call (a sample is stamped when its scrape starts; the
      // service logs when its collector ends, a few ms later, more under load), so the scrapes are taken from
      // Prometheus's raw samples and each is paired with the first record the service served at or after it,
      // and the two must agree on the value.
      const raw = await promQuery(prom.base, `go_sql_in_use_connections{db_name="${spec.name}",instance="127.0.0.1:${churns[i]!.port}"}[${rangeMs}ms]`, endS);
      expect(raw.length, `${spec.name}: raw samples`).toBe(1);
      const served = raw[0]!.values!.map(([ts, v]) => {
        const row = t.served!.find(([at]) => at >= ts * 1000 - 1);
        expect(row, `${spec.name}: a served record for the scrape at ${ts}`).toBeDefined();
        expect(row![0]! - ts * 1000, `${spec.name}: the record served for the scrape at ${ts}`).toBeLessThan(900);
        expect(row![1], `${spec.name}: in use served at ${ts}`).toBe(Number(v));
        return row!;
      });
      const servedMean = (k: number) => served.reduce((acc, row) => acc + row[k]!, 0) / served.length;
      // Against the time average: gauges read once a second estimate it with an error that depends on
      // where the scrapes fell (phaseStdErr: its size, from the truth itself). Three of those: at two,
      // one run in twenty misses by chance, and four such checks ran in this file (seen under a full
      // suite: the exporter's busy 1.800 against 1.226, 2.3 standard errors off).
      const phaseSe = (at: (x: number) => number) => phaseStdErr(at, from, to);
      const inUse = meanInUse(t, from, to);
      const inUseTol = Math.max(0.05 * inUse, 3 * phaseSe((x) => inUseAt(t, x)));
      const open = stepMean(col(8), from, to);
      const openTol = Math.max(0.05 * open, 3 * phaseSe((x) => counterAt(col(8), x)));
      const waits = delta(1);
      const lifetime = delta(5);
      const idle = delta(4);
      // Counts: 5%, plus one event at each edge of the window (increase() extrapolates between scrapes a second apart).
      const within = (got: number, want: number) => Math.abs(got - want) <= 2 + 0.05 * want;
      console.log(
        `go ${spec.name} through Prometheus: in use ${fig!.inUseMean?.toFixed(3)} vs truth ${inUse.toFixed(3)} (tolerance ${inUseTol.toFixed(3)}; served to the ${served.length} scrapes ${servedMean(1).toFixed(3)}); open ${fig!.openMean?.toFixed(3)} vs ${open.toFixed(3)} (tolerance ${openTol.toFixed(3)}; served ${servedMean(2).toFixed(3)}); ` +
          `waited ${fig!.waited?.count.toFixed(1)} vs ${waits} (mean wait ${((fig!.waited?.meanS ?? 0) * 1000).toFixed(2)} ms); closes lifetime ${fig!.closed?.lifetime?.toFixed(1)} vs ${lifetime}, idle ${fig!.closed?.idle?.toFixed(1)} vs ${idle}; max ${fig!.max}`,
      );
      expect(fig!.max).toBe(spec.maxOpen);
      expect(served.length).toBeGreaterThanOrEqual(18);
      expect(Math.abs(fig!.inUseMean! - servedMean(1)), `${spec.name}: in use served`).toBeLessThanOrEqual(0.01);
      expect(Math.abs(fig!.openMean! - servedMean(2)), `${spec.name}: open served`).toBeLessThanOrEqual(0.01);
      // Against the time average on the steady service only: on the bursty one, 20 reads a second
      // apart missed it by more than the spread over the phases of the second predicts (printed).
      if (spec === LIFE) {
        expect(Math.abs(fig!.inUseMean! - inUse), `${spec.name}: in use`).toBeLessThanOrEqual(inUseTol);
        expect(Math.abs(fig!.openMean! - open), `${spec.name}: open`).toBeLessThanOrEqual(openTol);
      }
      expect(within(fig!.waited!.count, waits), `${spec.name}: waited ${fig!.waited!.count} vs ${waits}`).toBe(true);
      // Lifetime closes come in passes: database/sql's connection cleaner closes every expired
      // connection at once (up to the pool's open connections), so one pass beside an edge of the
      // window moves increase()'s extrapolation by that many (seen: 24.3 and 22.2 against 28 and 27).
      const withinPass = (got: number, want: number) => (spec.lifetimeMs > 0 ? Math.abs(got - want) <= spec.maxOpen + 2 + 0.05 * want : within(got, want));
      expect(withinPass(fig!.closed!.lifetime!, lifetime), `${spec.name}: lifetime ${fig!.closed!.lifetime} vs ${lifetime}`).toBe(true);
      expect(within(fig!.closed!.idle!, idle), `${spec.name}: idle ${fig!.closed!.idle} vs ${idle}`).toBe(true);
      expect(fig!.arrivalRate).toBeUndefined();
      expect(fig!.notCarried.join(' ')).toContain('acquire count');
    }
    // The bursts wait at 4 connections: the wait counters are not vacuous.
    expect(truths[1]!.stats!.at(-1)![1]).toBeGreaterThanOrEqual(10);
  });

  it.skipIf(exporterSkip)('postgres_exporter with the shipped queries file: the family recognised through the shipped [prometheus] table, busy and open per service and client address (asserted on the steady one) match the truth', () => {
    const obs = churnObs.file.observation;
    const from = obs.startedAt;
    const to = obs.startedAt + obs.durationMs;
    const shipped = readFileSync(EXPORTER_ADVISOR, 'utf8').replace('[prometheus]\n', '[prometheus]\nenvironment = "test"\n');
    const exporterAdv = advisorFile(`${shipped}\n[[prometheus.pools]]\nfamily = "postgres_exporter"\nmatch = { application_name = "${LIFE.appName}" }\npool = "database"\nenvironment = "test"\n`);
    const r = runCli(['fleet', '--prometheus', prom.base, '--start', (from / 1000).toFixed(3), '--end', (to / 1000).toFixed(3), '--advisor-config', exporterAdv, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const reading = JSON.parse(r.stdout) as FleetReading;
    expect(reading.families.map((f) => f.id).sort()).toEqual(['go-sql', 'postgres_exporter']);
    CHURNS.forEach((spec, i) => {
      const fig = reading.replicas.find((x) => x.family === 'postgres_exporter' && x.seriesPool === spec.appName);
      expect(fig, JSON.stringify(reading.replicas.map((x) => [x.family, x.seriesPool, x.replica]))).toBeDefined();
      expect(fig!.replica).toBe('127.0.0.1');
      expect([fig!.mapped, fig!.env, fig!.pool]).toEqual(i === 0 ? [true, 'test', 'database'] : [false, 'test', spec.appName]);
      const t = truths[i]!;
      // The server's view: statements running, and connections the driver opened and has not closed.
      const busy = meanBusy(t, from, to);
      // Three standard errors of 1 Hz reads, as for the go_sql gauges above.
      const busyTol = Math.max(0.05 * busy, 3 * phaseStdErr((x) => busyAt(t, x), from, to));
      const grid = Array.from({ length: Math.floor((to - from) / 10) }, (_, k) => from + k * 10);
      const openMean = grid.reduce((acc, x) => acc + openAt(t, x), 0) / grid.length;
      const openTol = Math.max(0.05 * openMean, 3 * phaseStdErr((x) => openAt(t, x), from, to));
      console.log(
        `postgres_exporter (${postgresExporterVersion()}) on go ${spec.name}: busy ${fig!.inUseMean?.toFixed(3)} vs truth ${busy.toFixed(3)} (tolerance ${busyTol.toFixed(3)}); open ${fig!.openMean?.toFixed(3)} vs ${openMean.toFixed(3)} (tolerance ${openTol.toFixed(3)})`,
      );
      // Asserted on the steady service only: on the bursty one, 20 reads a second apart of a load that
      // comes in bursts missed the time average by more than the spread over the phases of the
      // second predicts (its figures are printed).
      if (spec === LIFE) {
        expect(Math.abs(fig!.inUseMean! - busy), `${spec.name}: busy`).toBeLessThanOrEqual(busyTol);
        expect(Math.abs(fig!.openMean! - openMean), `${spec.name}: open`).toBeLessThanOrEqual(openTol);
      }
    });
  });

  it('from both sides: lower max_connections for 4 workers, as analyze --concurrency 4 does on the same workload, within one', () => {
    expect(workersObs.status, workersObs.stderr).toBe(0);
    const obs = JSON.parse(workersObs.stdout) as { environments: Array<{ env: string; pools: Array<{ source: { kind: string; detail: string } }> }>; advice: { recommendations: Rec[] } };
    const pools = obs.environments.find((e) => e.env === 'test')!.pools;
    expect(pools.map((p) => p.source.kind)).toEqual(['prometheus']);
    expect(pools[0]!.source.detail).toContain('pg_stat_activity');
    const seen = maxOf(obs.advice.recommendations);
    const measured = analyzeMax(workersCfg, 20, WORKERS.holdMs, ['--concurrency', '4']);
    expect(seen, JSON.stringify(obs.advice)).toBeDefined();
    expect(measured).toBeDefined();
    console.log(`go workers: observe ${seen!.from} -> ${seen!.to} (${seen!.rule}, ${seen!.confidence}), analyze ${measured!.from} -> ${measured!.to} (${measured!.rule}, ${measured!.confidence})`);
    expect([seen!.rule, measured!.rule]).toEqual(['oversized', 'oversized']);
    expect(Math.abs(seen!.to - measured!.to), `observe ${seen!.to}, analyze ${measured!.to}`).toBeLessThanOrEqual(1);
  }, 60_000);
});

const psySkip = skipUnlessCi('the psycopg_pool tests', missingPsycopgPool());

describe.skipIf(psySkip)('a Python psycopg_pool pool', () => {
  // "life": a steady load, min_size 3, a 3 s max_lifetime (psycopg_pool shortens each by up to 5%
  // and closes an expired connection only when it is returned, opening a replacement).
  const LIFE = { name: 'life', appName: 'pa-psy-life', rate: 30, holdMs: 30, minSize: 3, maxSize: 5, maxIdleS: 600, maxLifetimeS: 3, seconds: 26, seed: 3 };
  // "idle": bursts of 60/s for 1.1 s every 3.7 s over 2/s, min_size 1, max_size 5, a 1 s max_idle
  // (it closes at most one connection per max_idle period, when some stayed unused that long; reuse is FIFO).
  const IDLE = { name: 'idle', appName: 'pa-psy-idle', rate: 2, burstRate: 60, burstMs: 1100, periodMs: 3700, holdMs: 30, minSize: 1, maxSize: 5, maxIdleS: 1, maxLifetimeS: 3600, seconds: 26, seed: 4 };
  const SPECS = [LIFE, IDLE];
  // "workers": a closed loop of 4 threads on max_size 20, each holding its connection in a
  // server-side pg_sleep; observed through the CLI, mapped to a Tasker pool of 20.
  const WORKERS = { name: 'workers', appName: 'pa-psy-workers', concurrency: 4, rate: 0, holdMs: 40, minSize: 1, maxSize: 20, maxIdleS: 600, maxLifetimeS: 3600, seconds: 26, seed: 5 };
  const workersCfg = scenarioConfig({ max_connections: 20, min_connections: 1, acquire_timeout_seconds: 30 });
  let obs: ObserveResult;
  let workersObs: CliResult;
  let times: number[];
  let truths: OtherTruth[];

  beforeAll(async () => {
    const reason = missingPsycopgPool();
    if (reason) throw new Error(`the psycopg_pool service cannot run: ${reason}`);
    const url = pgUrl();
    const svcs = await Promise.all([...SPECS, WORKERS].map((c) => startOtherService(PYTHON, [PSYCOPG_SRC], { ...c, url: urlWithApp(url, c.appName) }, cleanup)));
    await sleep(2000);
    times = [];
    const workersRun = runCliAsync(['observe', '--database-url', url, '--duration', '20s', '--interval', '100ms', '--map', `app:${WORKERS.appName}=test.database`, '--config-dir', workersCfg, '--advisor-config', advisorFile(''), '--json', '--no-progress']);
    obs = await observeHarness(url, times, (app) => {
      const c = SPECS.find((x) => x.appName === app);
      return c ? { maxConnections: c.maxSize, lifetimeS: c.maxLifetimeS < 600 ? c.maxLifetimeS : null, idleTimeoutS: c.maxIdleS < 600 ? c.maxIdleS : null } : null;
    });
    workersObs = await workersRun;
    truths = await Promise.all(svcs.map((s) => s.done));
  }, 90_000);

  it('a closed loop of 4 workers on max_size 20, busy on the server, from the server only: lower max_connections, as analyze --concurrency 4 does on the same workload, within one', () => {
    expect(workersObs.status, workersObs.stderr).toBe(0);
    const out = JSON.parse(workersObs.stdout) as { advice: { recommendations: Rec[] } };
    const seen = maxOf(out.advice.recommendations);
    const measured = analyzeMax(workersCfg, 20, WORKERS.holdMs, ['--concurrency', '4']);
    expect(seen, JSON.stringify(out.advice)).toBeDefined();
    expect(measured).toBeDefined();
    const e = evidenceOf(seen!);
    console.log(`psycopg workers: observe ${seen!.from} -> ${seen!.to} (${seen!.rule}, ${seen!.confidence}; mean busy ${e.meanBusy}, dispersion ${e.busyDispersion}, most busy ${e.maxBusy}, most open ${e.maxOpen}), analyze ${measured!.from} -> ${measured!.to} (${measured!.rule}, ${measured!.confidence})`);
    expect([seen!.rule, measured!.rule]).toEqual(['oversized', 'oversized']);
    expect(Math.abs(seen!.to - measured!.to), `observe ${seen!.to}, analyze ${measured!.to}`).toBeLessThanOrEqual(1);
  }, 60_000);

  it('from the server: grouped by application_name; busy, births, deaths and closes by reason match what psycopg_pool did', () => {
    expect(obs.error).toBeUndefined();
    const file = obs.file;
    console.log(`psycopg_pool ${truths[0]!.version} (psycopg ${(truths[0] as OtherTruth & { psycopgVersion: string }).psycopgVersion}; package python3-psycopg-pool ${debVersion('python3-psycopg-pool')})`);
    SPECS.forEach((spec, i) => {
      const g = file.groups.find((x) => x.service === `app=${spec.appName} db=postgres user=postgres`);
      expect(g, file.groups.map((x) => x.id).join(', ')).toBeDefined();
      expect(file.groups.filter((x) => x.service.startsWith(`app=${spec.appName} `))).toHaveLength(1);
      const c = serverSide(`psycopg ${spec.name}`, truths[i]!, g!, file.observation, times);
      expect(Math.abs(g!.closes!.lifetime - (c.byReason.lifetime ?? 0)), `${spec.name}: lifetime closes`).toBeLessThanOrEqual(1);
      expect(Math.abs(g!.closes!.idle - (c.byReason.idle ?? 0)), `${spec.name}: idle closes`).toBeLessThanOrEqual(1);
      expect(g!.closes!.unattributed, `${spec.name}: unattributed`).toBeLessThanOrEqual(1);
    });
    const [life, idle] = truths as [OtherTruth, OtherTruth];
    const inWindow = (t: OtherTruth, reason: string) => t.closes.filter(([at, r]) => r === reason && at > times[0]! && at <= times[times.length - 1]!);
    // Its ways, seen in its own truth: lifetimes shortened by at most 5% (and a close only on return,
    // so never early), at most one idle close per max_idle period.
    const lifeCloses = inWindow(life, 'lifetime');
    expect(lifeCloses.length).toBeGreaterThanOrEqual(5);
    expect(Math.min(...lifeCloses.map(([, , age]) => age))).toBeGreaterThanOrEqual(0.95 * LIFE.maxLifetimeS * 1000);
    const idleAt = inWindow(idle, 'idle').map(([at]) => at);
    expect(idleAt.length).toBeGreaterThanOrEqual(3);
    expect(Math.min(...idleAt.slice(1).map((x, k) => x - idleAt[k]!))).toBeGreaterThanOrEqual(0.9 * IDLE.maxIdleS * 1000);
  });
});

const bouncerSkip = skipUnlessCi('the PgBouncer tests', missingPgBouncer() ?? missingGo());

describe.skipIf(bouncerSkip)('PgBouncer in transaction mode in front of the server', () => {
  // Two Go services through one PgBouncer pool of 3 server connections: 2 x 40/s x 30 ms = 2.4
  // connections' worth of statements, so clients wait for a server connection now and then.
  const SVCS = [
    { name: 'a', appName: 'pa-bnc-a', rate: 40, holdMs: 30, maxOpen: 6, maxIdle: 6, lifetimeMs: 0, idleTimeMs: 0, seconds: 24, seed: 21 },
    { name: 'b', appName: 'pa-bnc-b', rate: 40, holdMs: 30, maxOpen: 6, maxIdle: 6, lifetimeMs: 0, idleTimeMs: 0, seconds: 24, seed: 22 },
  ];
  let bouncer: TestPgBouncer;
  let withConsole: CliResult;
  let serverOnly: CliResult;
  let truths: OtherTruth[];
  const saved = join(mkdtempSync(join(tmpdir(), 'pa-bnc-out-')), 'bouncer.json');

  beforeAll(async () => {
    const reason = missingPgBouncer() ?? missingGo();
    if (reason) throw new Error(`the PgBouncer tests cannot run: ${reason}`);
    const bin = buildGoPool();
    const url = pgUrl();
    bouncer = await startPgBouncer(url, await freePort(), { poolMode: 'transaction', poolSize: 3 }, cleanup);
    const svcs = await Promise.all(SVCS.map((c) => startOtherService(bin, [], { ...c, url: bouncer.url(c.appName) }, cleanup)));
    await sleep(2000);
    [withConsole, serverOnly] = await Promise.all([
      runCliAsync(['observe', '--database-url', url, '--pgbouncer-url', bouncer.adminUrl, '--duration', '15s', '--interval', '100ms', '--out', saved, '--json', '--no-progress']),
      runCliAsync(['observe', '--database-url', url, '--duration', '15s', '--interval', '100ms', '--json', '--no-progress']),
    ]);
    truths = await Promise.all(svcs.map((s) => s.done));
  }, 90_000);

  it("from the server alone: says it sees a proxy (one server connection serves clients of both services' names)", () => {
    expect(serverOnly.status, serverOnly.stderr).toBe(0);
    const f = JSON.parse(serverOnly.stdout) as ObservationFile;
    console.log(`PgBouncer, the server's signs: ${f.observation.proxy.signs.join('; ')}`);
    expect(f.observation.proxy.detected).toBe(true);
    expect(f.observation.proxy.signs.some((s) => /changed their application_name between non-empty names again and again \(\d+ \('pa-bnc-[ab]' -> 'pa-bnc-[ab]'/.test(s))).toBe(true);
    expect(f.validity.valid).toBe(false);
  });

  it("with its admin console: the clients' waits for a server connection match what the services saw", () => {
    expect(withConsole.status, withConsole.stderr).toBe(0);
    const f = JSON.parse(withConsole.stdout) as ObservationFile;
    expect(f.observation.proxy.signs.some((s) => /^PgBouncer 1\.\d+\.\d+'s admin console at postgresql:\/\/postgres@127\.0\.0\.1:\d+\/pgbouncer answered \(pool_mode transaction\)/.test(s)), f.observation.proxy.signs.join('; ')).toBe(true);
    const p = f.pgbouncer!;
    const pool = p.pools.find((x) => x.database === 'postgres')!;
    const db = p.databases.find((x) => x.database === 'postgres')!;
    expect(pool.poolMode).toBe('transaction');
    // The services' own view over the console's window: each statement's time at the client less its time on the server.
    const from = p.startedAt;
    const to = p.startedAt + p.durationMs;
    let n = 0;
    let waitedMs = 0;
    for (const t of truths) {
      t.holds.forEach(([a, b], k) => {
        const [s, e] = t.intervals[k]!;
        if (s < from || s >= to) return;
        n++;
        waitedMs += Math.max(0, b - a - (e - s));
      });
    }
    console.log(
      `${p.version}: ${db.xacts} transactions vs ${n} statements the services ran in the window; clients waited ${db.waitTotalS.toFixed(3)} s in all (${db.waitPerXactMs?.toFixed(2)} ms per transaction) vs ${(waitedMs / 1000).toFixed(3)} s the services saw beyond the server's time; ` +
        `clients waiting ${pool.clWaitingMean.toFixed(2)} on average (max ${pool.clWaitingMax}) at ${pool.reads} reads of SHOW POOLS, ${db.waitingMean.toFixed(2)} by SHOW STATS; longest wait ${(pool.maxwaitMaxS * 1000).toFixed(1)} ms`,
    );
    expect(Math.abs(db.xacts - n)).toBeLessThanOrEqual(Math.max(5, 0.02 * n));
    expect(db.waitTotalS).toBeGreaterThan(0.5);
    expect(Math.abs(db.waitTotalS * 1000 - waitedMs)).toBeLessThanOrEqual(0.1 * waitedMs + n * 1);
    expect(pool.reads).toBeGreaterThanOrEqual(10);
    // No pool advice from a proxy's connections.
    expect(f.validity.valid).toBe(false);
  });

  it("with its admin console: PgBouncer's pool sized as a queue (pool_size, not the services' pools), as analyze sizes a pool of 3 under the same workload, within one", () => {
    expect(withConsole.status, withConsole.stderr).toBe(0);
    const out = JSON.parse(withConsole.stdout) as ObservationFile & { advice: { recommendations: Rec[]; findings: Array<{ kind: string; severity: string; message: string; evidence: Array<{ name: string; value: unknown }> }> } };
    const found = out.advice.findings.filter((x) => x.kind === 'proxy-pool');
    expect(found, JSON.stringify(out.advice.findings)).toHaveLength(1);
    const f = found[0]!;
    const e = evidenceOf(f) as Record<string, number>;
    // No Tasker key from a proxy's connections, and no size in generic terms either.
    expect(out.advice.recommendations).toEqual([]);
    const proxied = out.advice.findings.filter((x) => x.kind === 'unmapped-pool');
    expect(proxied.length).toBeGreaterThan(0);
    for (const u of proxied) {
      expect(u.message).not.toContain('a pool size of');
      expect(u.message).toContain('No size from these figures: the server sees a proxy');
    }
    // The same queue measured: one pool of 3 connections taking both services' arrivals (2 x 40/s) and holds.
    const rate = SVCS.reduce((a, x) => a + x.rate, 0);
    const measured = analyzeMax(scenarioConfig({ max_connections: 3, min_connections: 1, acquire_timeout_seconds: 30 }), rate, SVCS[0]!.holdMs);
    console.log(
      `PgBouncer's pool: ${e.xactsPerS?.toFixed(1)} transactions/s holding ${(e.holdMean / 1000).toFixed(1)} ms on ${e.poolSize}; clients waited ${(e.measuredMeanWait / 1000).toFixed(1)} ms per transaction, Erlang C ${(e.modelMeanWait / 1000).toFixed(1)} ms; pool_size ${e.poolSize} -> ${e.sizeForTarget}; analyze of ${rate}/s on a pool of 3: ${measured?.from} -> ${measured?.to} (${measured?.rule})`,
    );
    // The hold: PgBouncer's transaction time less the wait, against the statements' own time on the server.
    const p = out.pgbouncer!;
    const onServer = truths.flatMap((t) => t.intervals.filter(([st]) => st >= p.startedAt && st < p.startedAt + p.durationMs).map(([st, en]) => en - st));
    const serverMeanMs = onServer.reduce((acc, x) => acc + x, 0) / onServer.length;
    console.log(`PgBouncer's transaction time ${(e.xactMean / 1000).toFixed(1)} ms less the wait: a hold of ${(e.holdMean / 1000).toFixed(1)} ms; the services' statements on the server ${serverMeanMs.toFixed(1)} ms`);
    expect(Math.abs(e.holdMean / 1000 - serverMeanMs)).toBeLessThanOrEqual(0.1 * serverMeanMs + 1);
    expect(f.severity).toBe('warning');
    expect(f.message).toContain("raise PgBouncer's pool_size for 'postgres'");
    expect(e.poolSize).toBe(3);
    // The model's mean wait is every arrival's: the services' own pools' waits (their truth, a
    // checkout's wait for a database/sql connection) plus PgBouncer's counted wait.
    const poolWaits = truths.flatMap((t) => t.waitsMs.filter((_, k) => t.acquiredAt[k]! >= p.startedAt && t.acquiredAt[k]! < p.startedAt + p.durationMs));
    const poolWaitMs = poolWaits.reduce((acc, x) => acc + x, 0) / poolWaits.length;
    const wholeMs = poolWaitMs + e.measuredMeanWait / 1000;
    console.log(`the whole wait: ${poolWaitMs.toFixed(1)} ms in the services' pools + ${(e.measuredMeanWait / 1000).toFixed(1)} ms in PgBouncer = ${wholeMs.toFixed(1)} ms, Erlang C ${(e.modelMeanWait / 1000).toFixed(1)} ms`);
    // At 83% busy a 15 s window's mean wait swings (one run: 32.2 ms against the model's 39.2).
    expect(Math.abs(wholeMs - e.modelMeanWait / 1000)).toBeLessThanOrEqual(0.4 * (e.modelMeanWait / 1000));
    // The model's mean wait at 3 against the clients' counted one: the same queue, within the rule's
    // own factor of 2 (at 83% busy the mean wait swings with the load; the services' own pools of 6
    // also cap how many can queue, so the model runs above the count: 41.7 ms against 27.5 in one run).
    expect(Math.max(e.modelMeanWait, e.measuredMeanWait) / Math.min(e.modelMeanWait, e.measuredMeanWait)).toBeLessThan(2);
    expect(f.message).not.toContain('take the size as approximate');
    expect(measured).toBeDefined();
    expect(measured!.rule).toBe('pool-saturation');
    expect(e.sizeForTarget).toBeGreaterThan(3);
    expect(measured!.to).toBeGreaterThan(3);
    expect(Math.abs(e.sizeForTarget - measured!.to), `proxy ${e.sizeForTarget}, analyze ${measured!.to}`).toBeLessThanOrEqual(1);
    // The saved observation carries the proxy's pool as evidence: recommend --from gives the same finding.
    const again = runCli(['recommend', '--from', saved, '--json']);
    expect(again.status, again.stderr).toBe(0);
    const refound = (JSON.parse(again.stdout) as { findings: Array<{ kind: string; message: string }> }).findings.filter((x) => x.kind === 'proxy-pool');
    expect(refound.map((x) => x.message)).toEqual([f.message]);
  }, 60_000);

  it('--pgbouncer-url: not the console database, exit 2; nothing listening, exit 3; one ERROR line each', async () => {
    const url = pgUrl();
    const wrongDb = runCli(['observe', '--database-url', url, '--pgbouncer-url', `postgresql://postgres:s3cret-pw@127.0.0.1:${bouncer.port}/postgres`, '--duration', '1s']);
    expect(wrongDb.status).toBe(2);
    expect(wrongDb.stderr).toMatch(/^ERROR: --pgbouncer-url 'postgresql:\/\/postgres@127\.0\.0\.1:\d+\/postgres': the admin console is the database 'pgbouncer', not 'postgres'\nhint: end the URL with \/pgbouncer\n$/);
    const down = runCli(['observe', '--database-url', url, '--pgbouncer-url', `postgresql://postgres:s3cret-pw@127.0.0.1:${await freePort()}/pgbouncer`, '--duration', '1s']);
    expect(down.status).toBe(3);
    expect(down.stderr).toMatch(/^ERROR: cannot read PgBouncer's admin console at postgresql:\/\/postgres@127\.0\.0\.1:\d+\/pgbouncer: connection refused/);
    expect(wrongDb.stderr + down.stderr + down.stdout).not.toContain('s3cret-pw');
  });
});
