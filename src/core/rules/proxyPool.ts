/**
 * proxy-pool: a proxy's own pool of server connections (PgBouncer's, per database), judged as the
 * queue it is, from what its console counted over the window: transactions per second (the
 * arrivals), the clients' total wait for a server connection (the measured mean wait), and the
 * transactions' time. PgBouncer counts a transaction's time from the client's first statement, its
 * wait for a server connection included (measured: 57.9 ms a transaction for 30.6 ms on the server
 * and 27.3 ms waited), so the hold of a server connection is the mean transaction time less the
 * mean wait. Erlang C at the pool's size gives the mean wait, set beside the measured
 * one, and the P99; the smallest size whose P99 meets the target is the size for the proxy's
 * `pool_size`.
 *
 * Never a Tasker key: behind a proxy in transaction or statement mode, the services' pools hold
 * connections to the proxy, which cost the server nothing, and the pool that makes clients wait is
 * the proxy's. In session mode a server connection is held for the client's whole session, so the
 * transaction time is not the hold and the proxy's pool is sized by the services' pools: no size.
 * Pure.
 */
import type { ProxyPoolEvidence } from '../evidence/types.js';
import { predict, smallestMeeting, type ModelInput } from '../model/queue.js';
import { formatNum, formatRate, formatUs } from '../units.js';
import { ev } from './support.js';
import type { Finding } from './types.js';
import { WORKING_POOL_MIN } from './consistency.js';

/** Fewest transactions in the window for a size. */
export const PROXY_MIN_XACTS = 100;
/** The measured mean wait and the model's disagree when one is more than this times the other (both over 1 ms). */
const MODEL_DISAGREES = 2;

/** The findings for one proxy pool; `targetMs` is the P99 wait target, `oversizedFactor` as for `oversized`. */
export function proxyPoolFindings(env: string, p: ProxyPoolEvidence, targetMs: number, oversizedFactor: number): Finding[] {
  const name = `${p.proxy}'s pool for database '${p.database}'`;
  const info = (message: string, evidence: Finding['evidence'] = []): Finding[] => [{ env, pool: null, kind: 'proxy-pool', severity: 'info', message: `${name}: ${message}`, evidence }];
  const windowS = p.windowMs / 1000;
  const rate = p.xacts / windowS;
  const measuredUs = p.xacts > 0 ? p.waitTotalUs / p.xacts : 0;
  const holdUs = p.xactMeanUs === null ? null : p.xactMeanUs - measuredUs;
  const seen = `${formatNum(p.xacts, 0)} transactions in ${formatNum(windowS, 1)} s (${formatRate(rate)}/s)${holdUs !== null && holdUs > 0 ? ` holding a server connection ${formatUs(holdUs)} each` : ''}, clients waited ${formatUs(measuredUs)} per transaction for one`;
  const counted = [
    ev('xactsPerS', 'transactions per second (SHOW STATS)', rate, 'per_s'),
    ev('xactMean', "mean transaction time, the client's wait for a server connection included (SHOW STATS)", p.xactMeanUs, 'us'),
    ev('holdMean', 'mean time a transaction held a server connection (the transaction time less the wait)', holdUs, 'us'),
    ev('measuredMeanWait', "clients' mean wait for a server connection per transaction (SHOW STATS total_wait_time)", measuredUs, 'us'),
    ev('waitingMean', 'clients waiting, mean over the SHOW POOLS reads', p.waitingMean, 'count'),
  ];
  if (p.poolMode === 'session') return info(`${seen}; in session mode a server connection is held for a client's whole session, so the services' own pools size this one: no size from the transactions`, counted);
  if (p.users === 0) return info(`${seen}; SHOW POOLS had no row for it, so its pool mode is not known: no size`, counted);
  if (p.users > 1) return info(`${seen}; its ${p.users} pools (one per user) share these counts (SHOW STATS is per database), so no pool's queue can be told apart: no size`, counted);
  if (p.size === null || holdUs === null || !(holdUs > 0)) return info(`${seen}; ${p.size === null ? 'its pool_size was not read (SHOW DATABASES)' : 'no transaction time beyond the wait'}: no size`, counted);
  if (p.xacts < PROXY_MIN_XACTS) return info(`${seen}; fewer than ${PROXY_MIN_XACTS} transactions: too few to size its pool`, counted);
  const input: ModelInput = { arrivals: { kind: 'open', lambda: rate, ca2: 1 }, meanHoldS: holdUs / 1e6, cs2: 1 };
  const now = predict(input, p.size);
  const need = smallestMeeting(input, targetMs / 1000);
  const size = need === undefined ? null : Math.max(need, WORKING_POOL_MIN);
  const modelUs = now.stable ? now.meanWaitS * 1e6 : null;
  const p99Us = now.stable ? now.p99WaitS * 1e6 : null;
  const evidence = [
    ...counted,
    ev('offeredLoad', 'offered load (transactions per second x mean hold)', now.offeredLoad, 'connections'),
    ev('poolSize', 'server connections per pool (SHOW DATABASES pool_size)', p.size, 'connections'),
    ev('modelMeanWait', `mean wait at ${p.size} (Erlang C)`, modelUs, 'us'),
    ev('modelP99Wait', `P99 wait at ${p.size} (Erlang C)`, p99Us, 'us'),
    ev('sizeForTarget', `smallest pool_size with a P99 wait within ${formatNum(targetMs, 0)} ms (Erlang C)`, size, 'connections'),
  ];
  const model = modelUs === null ? `Erlang C puts the load of ${formatNum(now.offeredLoad, 2)} connections at or past its ${p.size}` : `Erlang C at ${p.size} gives a mean wait of ${formatUs(modelUs)} and a P99 of ${formatUs(p99Us!)}`;
  const disagree = modelUs !== null ? disagreement(p, modelUs, measuredUs) : '';
  const reserve = p.reservePool ? ` Its reserve_pool of ${p.reservePool} adds connections only after clients waited reserve_pool_timeout, so it is left out.` : '';
  const where = `PgBouncer's pool_size for '${p.database}' (pool_size= in its [databases] line, else default_pool_size)`;
  if (p99Us === null || p99Us > targetMs * 1000) {
    return [
      {
        env,
        pool: null,
        kind: 'proxy-pool',
        severity: 'warning',
        message: `${name}: ${seen}; ${model}, over the ${formatNum(targetMs, 0)} ms target. ${size === null ? 'No pool size up to the model\'s range meets it: the database, not the proxy, has to serve more' : `${size} server connections meet it: raise ${where} from ${p.size} to ${size}`}, not the services' own pools (their connections to the proxy are not what clients wait for).${disagree}${reserve}`,
        evidence,
      },
    ];
  }
  if (size !== null && p.size > oversizedFactor * size) {
    return info(`${seen}; ${model}, within the ${formatNum(targetMs, 0)} ms target, and ${size} would meet it too: ${where} could come down from ${p.size} to ${size}, freeing database connections.${disagree}`, evidence);
  }
  return info(`${seen}; ${model}, within the ${formatNum(targetMs, 0)} ms target.${disagree}`, evidence);
}

/**
 * Why the model's mean wait and the counted one differ by more than {@link MODEL_DISAGREES}x (both
 * over 1 ms), or '' when they do not. The model counts the wait of every arrival; PgBouncer only the
 * wait of clients connected to it, and with few client connections (the services' own pools) at
 * most that many less the size can wait inside it: when the clients waiting reached that ceiling,
 * the rest of the queue was in the services' pools, unseen by PgBouncer.
 */
function disagreement(p: ProxyPoolEvidence, modelUs: number, measuredUs: number): string {
  const hi = Math.max(modelUs, measuredUs);
  if (!(hi > 1000) || !(hi > MODEL_DISAGREES * Math.min(modelUs, measuredUs))) return '';
  const lead = ` The model's mean wait and the counted one differ by more than ${MODEL_DISAGREES}x`;
  // The queue inside PgBouncer reached its ceiling (every connected client busy or waiting) at a read.
  if (modelUs > measuredUs && p.clientsMax !== undefined && p.size !== null && p.waitingMax >= p.clientsMax - p.size) {
    return `${lead}: at most ${p.clientsMax} clients were connected, so at most ${Math.max(0, p.clientsMax - p.size)} could wait inside PgBouncer (and ${p.waitingMax} did at once), and the rest of the queue waited in the services' own pools, which PgBouncer does not count and the model does; the size is for the whole wait.`;
  }
  return `${lead} (arrivals or transaction times far from Poisson and exponential): take the size as approximate.`;
}
