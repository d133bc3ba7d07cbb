/**
 * connection-budget: the budget of every layer (src/core/budget/model.ts: the pods at steady
 * state and at the rollout peak × their pools, PgBouncer's client and server sides, the server's
 * max_connections less its reserved slots, the admin headroom and other clients) -> an error
 * naming the layer that overflows, with the numbers and a fair split (each pool scaled by the
 * same factor). It changes no key: which service gives up connections is the team's call. On an
 * observation it also sets what the server saw really open against what it gives.
 *
 * Config: [environments.<env>.topology] in the advisor config.
 */
import { ev } from './support.js';
import { fairSplit, openShare, serverAllows } from '../budget/model.js';
import type { EnvironmentRule, Finding } from './types.js';
import { saw } from '../analysis/analyze.js';
import { formatShare } from '../units.js';

export const connectionBudget: EnvironmentRule = {
  id: 'connection-budget',
  scope: 'environment',
  evaluate(ctx) {
    const seen = seenOpen(ctx);
    const eb = ctx.budget;
    const o = eb?.budget.overflow;
    if (!eb || !o || !o.used || o.allowed === null) return seen;
    const { budget, input } = eb;
    const split = fairSplit(o, input);
    const peak = o.status === 'over-at-peak';
    const pods = (s: (typeof budget.services)[number]): number => (peak ? s.peakPods : s.steadyPods);
    const parts = input.services.flatMap((s, i) => s.pools.filter((p) => !p.inert && p.size !== null).map((p) => `${s.name} ${pods(budget.services[i]!)} x ${p.pool} ${p.size}`)).join(' + ');
    const assumed = eb.assumed ? ' (no topology in the advisor config: one replica of one service assumed)' : '';
    const demand = peak ? o.used.peak : o.used.steady;
    const at = peak ? ' at the rollout peak (replicas, autoscaler maximum and surge in the topology)' : '';
    const s = budget.server;
    let message: string;
    if (o.layer === 'server' && s && !budget.pgbouncer) {
      const extra = `${s.reservedConnections > 0 ? ` - ${s.reservedConnections} reserved_connections` : ''}${s.adminHeadroom > 0 ? ` - ${s.adminHeadroom} admin headroom` : ''}`;
      const from = s.source === 'observed' ? ', as the server says' : '';
      message = `the pools ask for ${demand} connections${at} (${parts}) but the server gives ${o.allowed} (max_connections ${s.maxConnections}${from} - ${s.superuserReserved} reserved${extra} - ${s.otherConnections} other)${assumed}`;
    } else {
      message = `the ${o.layer} layer overflows${at}: ${demand} connections asked (${o.layer === 'server' ? o.detail : parts}) of ${o.allowed} allowed (${o.detail})${assumed}`;
    }
    const evidence = [ev('demand', 'connections the pools may open', demand, 'connections'), ev('available', o.layer === 'server' ? 'connections the server gives' : `connections the ${o.layer} layer gives`, o.allowed, 'connections')];
    if (s) {
      evidence.push(ev('serverMax', 'server max_connections', s.maxConnections, 'connections'), ev('reserved', 'superuser_reserved_connections', s.superuserReserved, 'connections'), ev('other', 'other clients', s.otherConnections, 'connections'));
      if (s.reservedConnections > 0) evidence.push(ev('reservedConnections', 'reserved_connections', s.reservedConnections, 'connections'));
      if (s.adminHeadroom > 0) evidence.push(ev('adminHeadroom', 'admin headroom', s.adminHeadroom, 'connections'));
    }
    return [
      {
        env: ctx.env.env,
        pool: null,
        kind: 'connection-budget',
        severity: 'error',
        message: `${message}; a fair split: ${split.map((x) => `${x.pool} ${x.current} -> ${x.fair}`).join(', ')}`,
        evidence,
        split,
        layer: o.layer,
      },
      ...seen,
    ];
  },
};

/** Share of what the server gives above which what is really open is a warning. */
export const OPEN_WARN_SHARE = 0.9;

/**
 * What the server saw open (an observation): the most open at once of every group it saw, mapped
 * or not, summed (a sum of maxima is an upper bound of what was open together), against what the
 * budget model's server layer gives (observed settings first).
 */
function seenOpen(ctx: Parameters<EnvironmentRule['evaluate']>[0]): Finding[] {
  const observed = ctx.env.pools.filter((p) => p.coverage?.source.kind === 'server-sampling' && saw(p, 'occupancy'));
  const b = ctx.budget?.budget;
  if (observed.length === 0 || !b?.server) return [];
  const open = observed.reduce((s, p) => s + p.total.max, 0) + ctx.env.unmapped.reduce((s, u) => s + (u.figures?.openMax ?? 0), 0);
  const { available, share } = { available: serverAllows(b.server), share: openShare(open, b)!.share };
  return [
    {
      env: ctx.env.env,
      pool: null,
      kind: 'connection-budget',
      severity: share > OPEN_WARN_SHARE ? 'warning' : 'info',
      message: `the server saw at most ${open} connections open across the ${observed.length} pool${observed.length === 1 ? '' : 's'} and ${ctx.env.unmapped.length} unmapped group${ctx.env.unmapped.length === 1 ? '' : 's'} it could see (each group's most at once, summed), ${formatShare(share)} of the ${available} it gives`,
      evidence: [ev('open', 'most connections seen open, summed over groups', open, 'connections'), ev('available', 'connections the server gives', available, 'connections')],
    },
  ];
}
