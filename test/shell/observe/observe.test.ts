/**
 * observe against services nobody instrumented: child processes with plain pg.Pools (two replicas
 * of one service from 127.0.0.2 and 127.0.0.3, a second service in transactions with an idle
 * timeout, one with a LISTEN connection, one with a short lifetime), each writing its own ground
 * truth. The reconstruction must match it.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { pgUrl } from '../../helpers/pg.js';
import { startThrowaway } from '../../../src/shell/throwawayPg.js';
import { observeServer } from '../../../src/shell/observe/run.js';
import { GROUP_FIELDS } from '../../../src/core/observe/types.js';
import type { GroupSettings } from '../../../src/core/observe/summary.js';
import { batchMeansStdErr, busyAt, busyAtSamples, churnIn, meanBusy, openAt, startServices, type ServiceSpec } from '../../helpers/uninstrumented/harness.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const RUN_MS = 12_000;
const SPECS: ServiceSpec[] = [
  { name: 'orders-a', appName: 'orders', localAddress: '127.0.0.2', max: 6, rate: 80, holdMs: 20, idleTimeoutMs: 30_000, durationMs: RUN_MS },
  { name: 'orders-b', appName: 'orders', localAddress: '127.0.0.3', max: 6, rate: 80, holdMs: 20, idleTimeoutMs: 30_000, durationMs: RUN_MS },
  { name: 'billing', appName: 'billing', localAddress: '127.0.0.2', database: 'pool_advisor_test', max: 4, rate: 30, holdMs: 25, tx: true, idleTimeoutMs: 600, durationMs: RUN_MS },
  { name: 'notifier', appName: 'notifier', localAddress: '127.0.0.3', max: 3, rate: 20, holdMs: 15, listen: true, idleTimeoutMs: 30_000, durationMs: RUN_MS },
  { name: 'shortlife', appName: 'shortlife', localAddress: '127.0.0.2', max: 3, rate: 40, holdMs: 15, lifetimeS: 2, durationMs: RUN_MS },
];

function settingsOf(s: ServiceSpec): GroupSettings {
  return {
    env: 'harness',
    pool: 'database',
    map: `app:${s.appName}=harness.database`,
    maxConnections: s.max,
    sizeSource: 'config',
    lifetimeS: s.lifetimeS ?? null,
    idleTimeoutS: s.idleTimeoutMs ? s.idleTimeoutMs / 1000 : null,
  };
}

describe('observe: services nobody instrumented', () => {
  it('reconstructs each pool of each replica: busy, open, churn, close reasons, grouping, the listener', async () => {
    const url = pgUrl();
    const svc = startServices(url, SPECS);
    try {
      await svc.ready;
      await sleep(1000);
      const times: number[] = [];
      const { file, error } = await observeServer({
        config: { connectionString: url },
        display: 'throwaway',
        targetKind: 'local',
        intervalMs: 50,
        durationMs: 8000,
        groupBy: [...GROUP_FIELDS],
        maps: [],
        settingsFor: (g) => {
          const s = SPECS.find((x) => g.fields.some(([f, v]) => f === 'application_name' && v === x.appName) && g.replica === x.localAddress);
          return s ? settingsOf(s) : null;
        },
        configDir: null,
        taskerUrls: [],
        toolVersion: 'test',
        onSample: (s) => times.push(s.atMs),
      });
      expect(error).toBeUndefined();
      const truths = await svc.done;
      const obs = file.observation;
      expect(obs.samples).toBeGreaterThan(100);
      expect(obs.proxy.detected).toBe(false);
      const harnessGroups = obs.groups.filter((g) => g.replica === '127.0.0.2' || g.replica === '127.0.0.3');
      expect(harnessGroups.map((g) => g.id).sort()).toEqual(
        [
          'app=billing db=pool_advisor_test user=postgres @127.0.0.2',
          'app=notifier db=postgres user=postgres @127.0.0.3',
          'app=orders db=postgres user=postgres @127.0.0.2',
          'app=orders db=postgres user=postgres @127.0.0.3',
          'app=shortlife db=postgres user=postgres @127.0.0.2',
        ].sort(),
      );
      const from = obs.startedAt;
      const to = obs.startedAt + obs.durationMs;
      const first = times[0]!;
      const last = times[times.length - 1]!;
      for (const t of truths) {
        const spec = SPECS.find((s) => s.name === t.name)!;
        const g = file.groups.find((x) => x.replica === spec.localAddress && x.service.startsWith(`app=${spec.appName} `))!;
        const o = obs.groups.find((x) => x.id === g.id)!;
        expect(t.errors, t.name).toBe(0);
        const truthBusy = meanBusy(t, from, to);
        const atSamples = times.map((x) => busyAt(t, x));
        const se = batchMeansStdErr(atSamples);
        const tol = Math.max(0.05 * truthBusy, 2 * se);
        const sampledTruth = busyAtSamples(t, times);
        expect(Math.abs(g.meanBusy - sampledTruth), `${t.name}: mean busy ${g.meanBusy} vs ${sampledTruth} at the samples (tolerance ${tol})`).toBeLessThanOrEqual(tol);
        // Against the time average, the samples' own spread adds: three standard errors (at two, one
        // run in twenty misses by chance, and five groups are checked: seen once under a loaded suite,
        // shortlife 0.535 vs 0.650, 2.04 standard errors off).
        const tolAverage = Math.max(0.05 * truthBusy, 3 * se);
        expect(Math.abs(g.meanBusy - truthBusy), `${t.name}: mean busy ${g.meanBusy} vs ${truthBusy} (tolerance ${tolAverage})`).toBeLessThanOrEqual(tolAverage);
        expect(g.openMax, `${t.name}: open max`).toBe(Math.max(...times.map((x) => openAt(t, x))));
        const churn = churnIn(t, first, last);
        expect(Math.abs(g.births - churn.opens), `${t.name}: births ${g.births} vs ${churn.opens}`).toBeLessThanOrEqual(1);
        expect(Math.abs(g.deaths - churn.closes), `${t.name}: deaths ${g.deaths} vs ${churn.closes}`).toBeLessThanOrEqual(1);
        expect(Math.abs(g.closes!.lifetime - (churn.byReason.lifetime ?? 0)), `${t.name}: lifetime closes`).toBeLessThanOrEqual(1);
        expect(Math.abs(g.closes!.idle - (churn.byReason.idle ?? 0)), `${t.name}: idle closes`).toBeLessThanOrEqual(1);
        expect(g.closes!.unattributed, `${t.name}: unattributed closes`).toBeLessThanOrEqual(1);
        expect(g.reserved, `${t.name}: reserved`).toBe(spec.listen ? 1 : 0);
        expect(o.meanBusyStdErr).not.toBeNull();
      }
      // The workload makes churn where it should, so the checks above are not vacuous.
      const by = (name: string) => file.groups.find((g) => g.service.startsWith(`app=${name} `))!;
      expect(by('shortlife').closes!.lifetime).toBeGreaterThanOrEqual(3);
      expect(by('billing').closes!.idle).toBeGreaterThanOrEqual(1);
      expect(obs.notes.some((n) => n.startsWith('app=notifier') && n.includes('LISTEN'))).toBe(true);
      expect(file.cost.samples).toBe(obs.samples);
      expect(file.databases?.length).toBeGreaterThan(0);
    } finally {
      svc.kill();
    }
  }, 60_000);

  it('pg_stat_statements per role, when loaded: statement time matches the busy time of a service without transactions', async () => {
    const cluster = await startThrowaway({ settings: { shared_preload_libraries: "'pg_stat_statements'" } });
    try {
      const c = new pg.Client({ connectionString: cluster.url });
      await c.connect();
      await c.query('CREATE EXTENSION pg_stat_statements');
      await c.query('CREATE ROLE svc LOGIN');
      await c.end();
      const svc = startServices(cluster.url.replace('postgres@', 'svc@'), [{ name: 'svc', appName: 'svc', max: 4, rate: 60, holdMs: 20, idleTimeoutMs: 30_000, durationMs: 7000 }]);
      try {
        await svc.ready;
        await sleep(500);
        const { file, error } = await observeServer({ config: { connectionString: cluster.url }, display: 'throwaway', targetKind: 'local', intervalMs: 100, durationMs: 4000, groupBy: [...GROUP_FIELDS], maps: [], configDir: null, taskerUrls: [], toolVersion: 'test' });
        expect(error).toBeUndefined();
        const [truth] = await svc.done;
        const role = file.roles?.find((r) => r.role === 'svc');
        expect(role, JSON.stringify(file.roles)).toBeDefined();
        const obs = file.observation;
        const truthBusy = meanBusy(truth!, obs.startedAt, obs.startedAt + obs.durationMs);
        expect(Math.abs(role!.statementsMeanBusy - truthBusy), `${role!.statementsMeanBusy} vs ${truthBusy}`).toBeLessThanOrEqual(0.1 * truthBusy);
        expect(role!.calls).toBeGreaterThan(150);
        expect(role!.sampledMeanBusy).toBe(file.groups.find((g) => g.service === 'app=svc db=postgres user=svc')!.meanBusy);
      } finally {
        svc.kill();
      }
    } finally {
      await cluster.stop();
    }
  }, 60_000);
});
