/**
 * The conformance suite (issue 31): pools and exporters nobody here wrote, each a separate process
 * writing its own truth, observed together in one shared window (one `observe --database-url
 * --prometheus` with a `--map` each, and one in-process sampler for the sampler's instants):
 *
 * - HikariCP 2.7.9 over pgJDBC (Debian's jars, /usr/share/java), a fixed pool of 20 (minimumIdle
 *   left at its default, maximumPoolSize) named pgJDBC's default way (ApplicationName as a property:
 *   a SET after connecting, so each new backend shows no name for a moment), with a 40 s maxLifetime
 *   (HikariCP resets one under 30 s), so it churns all window long;
 * - psycopg_pool with min_size = max_size = 20 (autocommit connections: no implicit transaction);
 * - Go database/sql with SetMaxIdleConns = SetMaxOpenConns = 20, no idle time, warmed to its size;
 * - a Node service recording OpenTelemetry's semantic-convention pool instruments itself through the
 *   OTel API (unit s), served by the official @opentelemetry/exporter-prometheus (no unit suffix) and
 *   scraped every second by a real Prometheus; and the same with the time instruments named with
 *   `_seconds`, as the Collector's exporter writes them.
 *
 * Each is held to its own truth: mean busy within 2 standard errors at the sampler's instants and 3
 * against the time average; closes by reason within one; no proxy sign on a pool that only churns;
 * the OpenTelemetry services' acquire rate within 2% of their own count over the window (2 minutes of
 * 1 s scrapes); advice: an oversized fixed pool lowered to no more than its need plus the sampling
 * allowance and no less than its own truth of most checked out, min = max kept; a healthy pool keeps
 * its size. Every figure is printed (docs/observe.md's table is made of these lines).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgUrl } from '../helpers/pg.js';
import { runCliAsync, type CliResult, type Rec } from '../helpers/cli.js';
import { advisorFile } from '../helpers/scenario.js';
import { makeConfigDir } from '../helpers/configFixture.js';
import { hasTool } from '../helpers/promText.js';
import { startFleetPrometheus, type TestPrometheus } from '../helpers/fleetPrometheus.js';
import { batchMeansStdErr, busyAt, churnIn, meanBusy } from '../helpers/uninstrumented/harness.js';
import { buildGoPool, debVersion, missingGo, missingPsycopgPool, PSYCOPG_SRC, PYTHON, skipUnlessCi, startOtherService, urlWithApp, type OtherService, type OtherTruth } from '../helpers/otherPools.js';
import { observeServer, type ObserveResult } from '../../src/shell/observe/run.js';
import { GROUP_FIELDS } from '../../src/core/observe/types.js';
import { smallestNoWait } from '../../src/core/analysis/occupancyModel.js';
import type { EvidenceFile } from '../../src/core/evidence/types.js';
import { freePort } from '../../src/shell/throwawayPg.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cleanup: Array<() => void> = [];
afterAll(() => {
  for (const c of cleanup.reverse()) c();
});

const SERVICES = join(dirname(fileURLToPath(import.meta.url)), '..', 'services');
const HIKARI_SRC = join(SERVICES, 'hikari-pool', 'Service.java');
const OTEL_SRC = join(SERVICES, 'otel-pool', 'service.mjs');
const JARS = ['HikariCP.jar', 'postgresql.jar', 'slf4j-api.jar', 'slf4j-nop.jar'].map((j) => join('/usr/share/java', j));

/** The shared window: two minutes of 1 s scrapes (the rates are held to 2% over it). */
const WINDOW_S = 120;

function missingJvm(): string | null {
  if (spawnSync('java', ['-version'], { stdio: 'ignore' }).error) return 'no java (apt-get install default-jdk-headless)';
  for (const j of JARS) if (spawnSync('test', ['-f', j]).status !== 0) return `no ${j} (apt-get install libhikaricp-java libpostgresql-jdbc-java libslf4j-java)`;
  return null;
}

const skip = skipUnlessCi('the conformance suite', missingJvm() ?? missingGo() ?? missingPsycopgPool() ?? (hasTool('prometheus') ? null : 'no prometheus'));

/** Most checkouts in progress at once over [from, to] (the service's own view). */
function mostCheckedOut(t: OtherTruth, from: number, to: number): number {
  const ev: Array<[number, number]> = [];
  for (const [a, b] of t.holds) if (b > from && a < to) ev.push([Math.max(a, from), 1], [Math.min(b, to), -1]);
  ev.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let n = 0;
  let most = 0;
  for (const [, d] of ev) most = Math.max(most, (n += d));
  return most;
}

describe.skipIf(skip)('conformance: pools and exporters nobody here wrote, in one shared window', () => {
  const fixedPool = (extra = '') => `[common.database.pool]\nmax_connections = 20\nmin_connections = 20\n${extra}`;
  const cfg = makeConfigDir({
    'base/common.toml': '[common.database]\nurl = "postgresql://localhost/app"\n\n[common.database.pool]\nmax_connections = 20\nmin_connections = 20\n\n[common.pgmq_database]\nurl = ""\nenabled = true\n\n[common.pgmq_database.pool]\nmax_connections = 5\nmin_connections = 1\n',
    'environments/hik/common.toml': fixedPool('max_lifetime_seconds = 60\n'),
    'environments/psy/common.toml': fixedPool(),
    'environments/go/common.toml': fixedPool(),
    'environments/otela/common.toml': '[common.database.pool]\nmax_connections = 5\nmin_connections = 1\n',
    'environments/otelb/common.toml': '[common.database.pool]\nmax_connections = 5\nmin_connections = 1\n',
  });
  const adv = advisorFile(
    ['otel-a', 'otel-b'].map((n) => `[[prometheus.pools]]\nmatch = { db_client_connection_pool_name = "${n}" }\npool = "database"\nenvironment = "otel${n.slice(-1)}"\n`).join('\n'),
  );
  const seconds = WINDOW_S + 12;
  const HIK = { name: 'hik', appName: 'pa-conf-hikari', maxSize: 20, maxLifetimeMs: 60_000, rate: 20, holdMs: 20, seconds, seed: 11 };
  const PSY = { name: 'psy', appName: 'pa-conf-psycopg', rate: 15, holdMs: 30, minSize: 20, maxSize: 20, maxIdleS: 600, maxLifetimeS: 3600, autocommit: true, seconds, seed: 12 };
  const GO = { name: 'go', appName: 'pa-conf-go', rate: 20, holdMs: 20, maxOpen: 20, maxIdle: 20, lifetimeMs: 0, idleTimeMs: 0, warm: 20, seconds, seed: 13 };
  const OTA = { name: 'otel-a', appName: 'pa-conf-otel-a', max: 5, rate: 20, holdMs: 20, suffix: '', seconds, seed: 14 };
  const OTB = { name: 'otel-b', appName: 'pa-conf-otel-b', max: 5, rate: 20, holdMs: 20, suffix: '_seconds', seconds, seed: 15 };
  const ENV_OF: Record<string, string> = { [HIK.appName]: 'hik', [PSY.appName]: 'psy', [GO.appName]: 'go', [OTA.appName]: 'otela', [OTB.appName]: 'otelb' };
  const SIZE: Record<string, { maxConnections: number; lifetimeS: number | null; idleTimeoutS: number | null }> = {
    [HIK.appName]: { maxConnections: 20, lifetimeS: 60, idleTimeoutS: null },
    [PSY.appName]: { maxConnections: 20, lifetimeS: null, idleTimeoutS: null },
    [GO.appName]: { maxConnections: 20, lifetimeS: null, idleTimeoutS: null },
    [OTA.appName]: { maxConnections: 5, lifetimeS: null, idleTimeoutS: 10 },
    [OTB.appName]: { maxConnections: 5, lifetimeS: null, idleTimeoutS: 10 },
  };
  const apps = Object.keys(ENV_OF);
  let obs: ObserveResult;
  let times: number[];
  let cli: CliResult;
  let truth: Record<string, OtherTruth>;
  let prom: TestPrometheus;
  let setupS = 0;

  beforeAll(async () => {
    const reason = missingJvm() ?? missingGo() ?? missingPsycopgPool();
    if (reason) throw new Error(`the conformance services cannot run: ${reason}`);
    const began = Date.now();
    const url = pgUrl();
    const u = new URL(url);
    const bin = buildGoPool();
    const [pa, pb] = [await freePort(), await freePort()];
    const svcs: OtherService[] = await Promise.all([
      startOtherService('java', ['-cp', JARS.join(':'), HIKARI_SRC], { ...HIK, host: u.hostname, port: Number(u.port), database: u.pathname.slice(1) || 'postgres', user: decodeURIComponent(u.username) || 'postgres', ...(u.password ? { password: decodeURIComponent(u.password) } : {}) }, cleanup),
      startOtherService(PYTHON, [PSYCOPG_SRC], { ...PSY, url: urlWithApp(url, PSY.appName) }, cleanup),
      startOtherService(bin, [], { ...GO, url: urlWithApp(url, GO.appName) }, cleanup),
      startOtherService(process.execPath, [OTEL_SRC], { ...OTA, url: urlWithApp(url, OTA.appName), port: pa }, cleanup),
      startOtherService(process.execPath, [OTEL_SRC], { ...OTB, url: urlWithApp(url, OTB.appName), port: pb }, cleanup),
    ]);
    prom = await startFleetPrometheus([{ name: 'otel', targets: [`127.0.0.1:${pa}`, `127.0.0.1:${pb}`] }]);
    cleanup.push(prom.stop);
    await sleep(1000);
    setupS = (Date.now() - began) / 1000;
    times = [];
    const maps = apps.flatMap((a) => ['--map', `app:${a}=${ENV_OF[a]}.database`]);
    [obs, cli] = await Promise.all([
      observeServer({
        config: { connectionString: url },
        display: 'throwaway',
        targetKind: 'local',
        intervalMs: 100,
        durationMs: WINDOW_S * 1000,
        groupBy: [...GROUP_FIELDS],
        maps: [],
        settingsFor: (g) => {
          const app = g.fields.find(([f]) => f === 'application_name')?.[1] ?? '';
          const s = SIZE[app];
          return s ? { env: ENV_OF[app]!, pool: 'database', map: `app:${app}=${ENV_OF[app]}.database`, sizeSource: 'config', ...s } : null;
        },
        configDir: null,
        taskerUrls: [],
        toolVersion: 'test',
        onSample: (s) => times.push(s.atMs),
      }),
      runCliAsync(['observe', '--database-url', url, '--prometheus', prom.base, '--config-dir', cfg, '--advisor-config', adv, ...maps, '--duration', `${WINDOW_S}s`, '--interval', '200ms', '--out', join(mkdtempSync(join(tmpdir(), 'pa-conf-')), 'obs.json'), '--json', '--no-progress']),
    ]);
    const all = await Promise.all(svcs.map((s) => s.done));
    truth = Object.fromEntries([HIK, PSY, GO, OTA, OTB].map((c, i) => [c.appName, all[i]!]));
    console.log(`conformance: setup ${setupS.toFixed(1)} s, window ${WINDOW_S} s, whole ${((Date.now() - began) / 1000).toFixed(1)} s`);
  }, (WINDOW_S + 150) * 1000);

  const group = (app: string) => obs.file.groups.find((g) => g.service === `app=${app} db=postgres user=postgres`);

  it('from the server: each service one group, mean busy within 2 standard errors at the sampler\'s instants and 3 of the time average; births, deaths and closes by reason within one; no proxy sign', () => {
    expect(obs.error).toBeUndefined();
    expect(obs.file.observation.proxy).toEqual({ detected: false, signs: [] });
    console.log(`HikariCP ${debVersion('libhikaricp-java')} with pgJDBC ${debVersion('libpostgresql-jdbc-java')}; psycopg_pool ${truth[PSY.appName]!.version}; ${spawnSync('go', ['version'], { encoding: 'utf8' }).stdout.trim()}; OpenTelemetry JS SDK metrics 2.12.0, exporter-prometheus 0.223.0`);
    const from = obs.file.observation.startedAt;
    const to = from + obs.file.observation.durationMs;
    for (const app of apps) {
      const t = truth[app]!;
      const g = group(app);
      expect(g, `${app} in ${obs.file.groups.map((x) => x.id).join(', ')}`).toBeDefined();
      expect(obs.file.groups.filter((x) => x.service.startsWith(`app=${app} `))).toHaveLength(1);
      const atInstants = times.map((x) => busyAt(t, x));
      const instantMean = atInstants.reduce((a, x) => a + x, 0) / atInstants.length;
      const se = batchMeansStdErr(atInstants);
      const timeAvg = meanBusy(t, from, to);
      const churn = churnIn(t, times[0]!, times[times.length - 1]!);
      console.log(
        `${app}: mean busy ${g!.meanBusy.toFixed(3)} vs ${instantMean.toFixed(3)} at the sampler's instants (2 SE ${(2 * se).toFixed(3)}) and ${timeAvg.toFixed(3)} on average (3 SE ${(3 * se).toFixed(3)}); ` +
          `open ${g!.openMin}-${g!.openMax}; births ${g!.births} vs ${churn.opens}, deaths ${g!.deaths} vs ${churn.closes}; closes lifetime ${g!.closes?.lifetime ?? '-'} vs ${churn.byReason.lifetime ?? 0}, idle ${g!.closes?.idle ?? '-'} vs ${churn.byReason.idle ?? 0}, unattributed ${g!.closes?.unattributed ?? '-'}`,
      );
      expect(t.errors, `${app}: errors`).toBe(0);
      expect(Math.abs(g!.meanBusy - instantMean), `${app}: at the instants`).toBeLessThanOrEqual(Math.max(2 * se, 0.005));
      expect(Math.abs(g!.meanBusy - timeAvg), `${app}: time average`).toBeLessThanOrEqual(Math.max(3 * se, 0.005));
      expect(Math.abs(g!.births - churn.opens), `${app}: births`).toBeLessThanOrEqual(1);
      expect(Math.abs(g!.deaths - churn.closes), `${app}: deaths`).toBeLessThanOrEqual(1);
      if (g!.closes) {
        expect(Math.abs(g!.closes.lifetime - (churn.byReason.lifetime ?? 0)), `${app}: lifetime closes`).toBeLessThanOrEqual(1);
        expect(Math.abs(g!.closes.idle - (churn.byReason.idle ?? 0)), `${app}: idle closes`).toBeLessThanOrEqual(1);
      }
    }
    // HikariCP churned by its lifetime all window, each new backend first without a name.
    expect(group(HIK.appName)!.closes!.lifetime).toBeGreaterThanOrEqual(20);
  });

  it('through Prometheus: both OpenTelemetry exposures read (no suffix, _seconds), the acquire rate within 2% of the services\' own count over the window', () => {
    expect(cli.status, cli.stderr).toBe(0);
    const out = JSON.parse(cli.stdout) as EvidenceFile & { advice: { recommendations: Rec[]; findings: Array<{ env: string; kind: string; message: string }> } };
    for (const [app, env] of [[OTA.appName, 'otela'], [OTB.appName, 'otelb']] as const) {
      const p = out.environments.find((e) => e.env === env)?.pools.find((x) => x.source.kind === 'prometheus');
      expect(p, `${env}: ${JSON.stringify(out.environments.map((e) => [e.env, e.pools.map((x) => x.source.detail)]))}`).toBeDefined();
      const t = truth[app]!;
      const from = p!.source.startedAt;
      const to = from + p!.source.durationMs;
      const counted = t.acquiredAt.filter((x) => x >= from && x < to).length;
      const rate = counted / ((to - from) / 1000);
      const holdS = t.holds.filter(([a]) => a >= from && a < to).reduce((s, [a, b]) => s + (b - a), 0) / 1000 / counted;
      console.log(`${env} (${app}): acquires/s ${p!.arrival!.rate.toFixed(3)} vs ${rate.toFixed(3)} over ${((to - from) / 1000).toFixed(1)} s; mean hold ${p!.hold?.form === 'mean' ? (p!.hold.meanUs / 1000).toFixed(2) : '?'} ms vs ${(holdS * 1000).toFixed(2)} ms; source ${p!.source.detail}`);
      expect(to - from).toBeGreaterThanOrEqual(WINDOW_S * 1000 - 1000);
      expect(Math.abs(p!.arrival!.rate - rate) / rate, `${env}: rate`).toBeLessThanOrEqual(0.02);
    }
  });

  it('advice: each oversized fixed pool lowered to no more than its need plus the sampling allowance and no less than its most checked out, min = max kept; the healthy ones keep their size', () => {
    const out = JSON.parse(cli.stdout) as { advice: { recommendations: Rec[]; findings: Array<{ env: string; kind: string; message: string }> } };
    const recs = out.advice.recommendations as Array<Rec & { env: string }>;
    const from = obs.file.observation.startedAt;
    const to = from + obs.file.observation.durationMs;
    for (const app of [HIK.appName, PSY.appName, GO.appName]) {
      const env = ENV_OF[app]!;
      const t = truth[app]!;
      const most = mostCheckedOut(t, from, to);
      const meanIn = t.holds.reduce((s, [a, b]) => s + Math.max(0, Math.min(b, to) - Math.max(a, from)), 0) / (to - from);
      const need = Math.max(smallestNoWait(meanIn) ?? 0, most);
      const max = recs.find((r) => r.env === env && r.key === 'max_connections');
      const min = recs.find((r) => r.env === env && r.key === 'min_connections');
      console.log(`${env} (${app}): max_connections ${max?.from} -> ${max?.to} (${max?.rule}, ${max?.confidence}), min_connections ${min?.from} -> ${min?.to}; truth: most checked out ${most}, mean checked out ${meanIn.toFixed(3)}, Erlang C's size for it ${smallestNoWait(meanIn)}`);
      expect(max, `${env}: ${JSON.stringify(recs.filter((r) => r.env === env))}`).toBeDefined();
      expect(max!.from).toBe(20);
      expect(max!.to, `${env}: not below the most checked out`).toBeGreaterThanOrEqual(most);
      // The sampling allowance: the peak estimate between samples may stand up to 2 over the truth's own.
      expect(max!.to, `${env}: not above the need plus the sampling allowance`).toBeLessThanOrEqual(need + 2);
      expect(min?.to, `${env}: min = max kept`).toBe(max!.to);
    }
    for (const env of ['otela', 'otelb']) {
      const r = recs.filter((x) => x.env === env && x.key === 'max_connections');
      console.log(`${env}: ${r.length ? r.map((x) => `${x.key} ${x.from} -> ${x.to} (${x.rule})`).join('; ') : 'no change'}; findings ${out.advice.findings.filter((f) => f.env === env).map((f) => f.kind).join(', ')}`);
      expect(r, `${env}: healthy keeps its size`).toEqual([]);
    }
  });
});
