import { describe, expect, it } from 'vitest';
import { statementBounds, type ObservationParts } from '../../../src/core/observe/evidence.js';
import type { RoleCrossCheck } from '../../../src/core/observe/crossCheck.js';
import type { ObservedGroup } from '../../../src/core/observe/types.js';

/** A group with the grouping fields given (the rest of the group is not read). */
const group = (fields: ObservedGroup['fields']): ObservedGroup => ({ fields }) as ObservedGroup;
const role = (o: Partial<RoleCrossCheck> = {}): RoleCrossCheck => ({ role: 'svc', statementsMeanBusy: 0.4, sampledMeanBusy: 0.5, calls: 800, windowMs: 20_000, countsComplete: true, ...o });
const parts = (groups: ObservedGroup[], roles: RoleCrossCheck[] | null): ObservationParts => ({ observation: { groups }, roles }) as unknown as ObservationParts;

describe('statement bounds of a group (pg_stat_statements per role)', () => {
  const svc = group([['application_name', 'orders'], ['usename', 'svc']]);

  it('a role only this group used: its calls bound the acquires, its mean statement time the hold', () => {
    // 0.4 busy in statements over 20 s = 8,000 ms of statements in 800 calls: 10 ms each.
    expect(statementBounds(svc, parts([svc, group([['application_name', 'billing'], ['usename', 'other']])], [role()]))).toEqual({ role: 'svc', calls: 800, meanUs: 10_000, windowMs: 20_000 });
  });

  it('none when another group (another pool or a replica) used the role: the counts are shared', () => {
    const replica = group([['application_name', 'orders'], ['usename', 'svc'], ['client_addr', '127.0.0.3']]);
    expect(statementBounds(svc, parts([svc, replica], [role()]))).toBeNull();
  });

  it('none when the observation was not grouped by role: the role of the group is unknown', () => {
    const noRole = group([['application_name', 'orders']]);
    expect(statementBounds(noRole, parts([noRole], [role()]))).toBeNull();
  });

  it('none when an entry was evicted in the window, when no statement ran, or without pg_stat_statements', () => {
    expect(statementBounds(svc, parts([svc], [role({ countsComplete: false })]))).toBeNull();
    // Observations saved before the eviction check say nothing: not whole either.
    expect(statementBounds(svc, parts([svc], [role({ countsComplete: undefined })]))).toBeNull();
    expect(statementBounds(svc, parts([svc], [role({ calls: 0 })]))).toBeNull();
    expect(statementBounds(svc, parts([svc], null))).toBeNull();
  });

  it('none when the counters were reset inside the window: a negative or day-long mean statement is no bound (issue 29)', () => {
    expect(statementBounds(svc, parts([svc], [role({ statementsMeanBusy: -0.4 })]))).toBeNull();
    expect(statementBounds(svc, parts([svc], [role({ statementsMeanBusy: 5e6, calls: 1 })]))).toBeNull();
  });
});
