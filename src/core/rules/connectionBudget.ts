/**
 * connection-budget: services x replicas x each pool's max_connections against the server's
 * max_connections minus superuser_reserved_connections minus other clients (the topology in the
 * advisor config; the server's figure from the run when the topology gives none, assuming one
 * replica of one service) -> an error with the numbers and a fair split (each pool scaled by
 * the same factor). It changes no key: which service gives up connections is the team's call.
 *
 * Config: [environments.<env>.topology] in the advisor config.
 */
import { ev } from './support.js';
import { fairSplit } from './budget.js';
import type { EnvironmentRule, Finding } from './types.js';
import { saw } from '../analysis/analyze.js';
import { formatShare } from '../units.js';

export const connectionBudget: EnvironmentRule = {
  id: 'connection-budget',
  scope: 'environment',
  evaluate(ctx) {
    const b = ctx.budget;
    const seen = reallyOpen(ctx);
    if (!b || b.demand <= b.available) return seen;
    const split = fairSplit(b);
    const parts = b.lines.map((l) => `${l.service} ${l.replicas} x ${l.pool} ${l.max}`).join(' + ');
    const assumed = b.source === 'assumed-single-service' ? ' (no topology in the advisor config: one replica of one service assumed)' : '';
    return [
      {
        env: ctx.env.env,
        pool: null,
        kind: 'connection-budget',
        severity: 'error',
        message: `the pools ask for ${b.demand} connections (${parts}) but the server gives ${b.available} (max_connections ${b.serverMaxConnections} - ${b.superuserReserved} reserved - ${b.otherConnections} other)${assumed}; a fair split: ${split.map((s) => `${s.pool} ${s.current} -> ${s.fair}`).join(', ')}`,
        evidence: [
          ev('demand', 'connections the pools may open', b.demand, 'connections'),
          ev('available', 'connections the server gives', b.available, 'connections'),
          ev('serverMax', 'server max_connections', b.serverMaxConnections, 'connections'),
          ev('reserved', 'superuser_reserved_connections', b.superuserReserved, 'connections'),
          ev('other', 'other clients', b.otherConnections, 'connections'),
        ],
        split,
      },
      ...seen,
    ];
  },
};

/** Share of what the server gives above which what is really open is a warning. */
export const OPEN_WARN_SHARE = 0.9;

/**
 * What the server saw really open (an observation): the most open at once of every group it saw,
 * mapped or not, summed, against what the server gives. A sum of maxima is an upper bound of what
 * was open together.
 */
function reallyOpen(ctx: Parameters<EnvironmentRule['evaluate']>[0]): Finding[] {
  const observed = ctx.env.pools.filter((p) => p.coverage?.source.kind === 'server-sampling' && saw(p, 'occupancy'));
  if (observed.length === 0 || !ctx.budget) return [];
  const open = observed.reduce((s, p) => s + p.total.max, 0) + ctx.env.unmapped.reduce((s, u) => s + (u.figures?.openMax ?? 0), 0);
  const available = ctx.budget.available;
  const share = available > 0 ? open / available : Infinity;
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
