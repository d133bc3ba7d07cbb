/** The deadline and size cap of every read (`--read-timeout`, `--read-limit`): parsing and the default's fit. */
import { describe, expect, it } from 'vitest';
import { parseReadLimits, READ_DEFAULTS } from '../../src/core/flags.js';
import { UsageError } from '../../src/core/errors.js';

describe('parseReadLimits', () => {
  it('defaults to 30 s and 64 MiB', () => {
    expect(parseReadLimits({})).toEqual({ timeoutMs: 30_000, maxBytes: 64 * 1024 * 1024 });
  });
  it('reads durations and sizes with units', () => {
    expect(parseReadLimits({ readTimeout: '1s', readLimit: '1MiB' })).toEqual({ timeoutMs: 1000, maxBytes: 1024 * 1024 });
    expect(parseReadLimits({ readTimeout: '250ms', readLimit: '2kb' }).maxBytes).toBe(2000);
    expect(parseReadLimits({ readLimit: '4096' }).maxBytes).toBe(4096);
  });
  it('refuses what is not a duration or size, or out of bounds (exit 2)', () => {
    for (const f of [{ readTimeout: 'soon' }, { readTimeout: '1ms' }, { readTimeout: '0' }, { readLimit: 'lots' }, { readLimit: '10' }, { readLimit: '5GiB' }, { readLimit: '-1MiB' }, { readLimit: '1e9' }]) {
      expect(() => parseReadLimits(f), JSON.stringify(f)).toThrow(UsageError);
    }
  });
  it("the default cap fits a Prometheus answer of 32,000 series with bench/fleet.mjs's labels, raw (not even aggregated)", () => {
    const result = Array.from({ length: 32_000 }, (_, i) => ({
      metric: { __name__: 'db_client_connection_wait_time_seconds_bucket', job: 'svc', instance: `10.0.${i >> 8}.${i & 255}:9187`, pod: `svc-${i}`, pool_name: 'database', le: '0.005' },
      value: [1795986000.123, '12345.678'],
    }));
    const bytes = Buffer.byteLength(JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }));
    expect(bytes).toBeLessThan(READ_DEFAULTS.maxBytes / 4);
  });
});
