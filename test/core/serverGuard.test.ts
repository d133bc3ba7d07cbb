/**
 * Which setting keeps the tool's work from outliving it on a server, by the server's version
 * (issue 30; docs/reliability.md, "Nothing is left on a server"). Only PostgreSQL 15 runs here, so
 * the choice for servers before 14 is held by this pure test; the real server's side is in
 * test/reliability/network.test.ts ("the setting the tool applies is in effect").
 */
import { describe, expect, it } from 'vitest';
import { CHECK_INTERVAL_SINCE, serverGuard } from '../../src/core/limits.js';
import { serverGuardOptions, serverGuardSql } from '../../src/shell/deadline.js';

describe('serverGuard: the setting by server version', () => {
  it('PostgreSQL 14 and later: client_connection_check_interval of 1 s, whatever the fallback', () => {
    for (const v of [140000, 140011, 150004, 160002, 170000]) expect(serverGuard(v, 90_000)).toEqual({ name: 'client_connection_check_interval', value: 1000 });
    expect(CHECK_INTERVAL_SINCE).toBe(140000);
  });

  it('before 14 (13.14, 12.0, 9.6.24): statement_timeout of the fallback, rounded', () => {
    for (const v of [130014, 120000, 90624, 139999]) expect(serverGuard(v, 61_234.6)).toEqual({ name: 'statement_timeout', value: 61_235 });
  });

  it('the fallback is a value the server accepts: at least 1 ms, at most INT_MAX ms; an unreadable version is treated as old', () => {
    expect(serverGuard(130000, 0)).toEqual({ name: 'statement_timeout', value: 1 });
    expect(serverGuard(130000, -5)).toEqual({ name: 'statement_timeout', value: 1 });
    expect(serverGuard(130000, 1e15).value).toBe(2_147_483_647);
    expect(serverGuard(130000, Infinity).value).toBe(2_147_483_647);
    expect(serverGuard(NaN, 5000)).toEqual({ name: 'statement_timeout', value: 5000 });
  });

  it("the startup option of a pool's connections and the first statement of the others say the same", () => {
    expect(serverGuardOptions(150004, 70_000)).toBe('-c client_connection_check_interval=1000');
    expect(serverGuardOptions(130014, 70_000)).toBe('-c statement_timeout=70000');
    const sql = serverGuardSql(70_000);
    expect(sql).toContain(`>= ${CHECK_INTERVAL_SINCE}`);
    expect(sql).toContain("set_config('client_connection_check_interval', '1000', false)");
    expect(sql).toContain("set_config('statement_timeout', '70000', false)");
  });
});
