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
import type { EnvironmentRule } from './types.js';

export const connectionBudget: EnvironmentRule = {
  id: 'connection-budget',
  scope: 'environment',
  evaluate(ctx) {
    const b = ctx.budget;
    if (!b || b.demand <= b.available) return [];
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
    ];
  },
};
