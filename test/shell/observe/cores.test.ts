/** The server's core count for the load by wait class: the flag, node_exporter's query, this machine, or unknown and said. */
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { coresQuery, parseServerCores, resolveServerCores } from '../../../src/shell/observe/cores.js';
import { UsageError } from '../../../src/core/errors.js';

describe('--server-cores and the core count', () => {
  it('takes a whole number from 1 to 4096; anything else is one usage line', () => {
    expect(parseServerCores('8')).toBe(8);
    for (const bad of ['0', '-1', '2.5', 'eight', '5000', '']) {
      expect(() => parseServerCores(bad)).toThrow(UsageError);
      expect(() => parseServerCores(bad)).toThrow(/--server-cores '.*': expected a whole number of cores from 1 to 4096/);
    }
  });

  it('counts the idle series of the instance, its quotes escaped', () => {
    expect(coresQuery('db-1:9100')).toBe('count(node_cpu_seconds_total{instance="db-1:9100",mode="idle"})');
    expect(coresQuery('a"b')).toBe('count(node_cpu_seconds_total{instance="a\\"b",mode="idle"})');
  });

  it('the flag wins; a local target is this machine; a remote one without a source is unknown, and says how to tell', async () => {
    expect(await resolveServerCores({ flag: 3, targetKind: 'remote' })).toEqual({ count: 3, source: '--server-cores' });
    expect((await resolveServerCores({ targetKind: 'local' })).count).toBe(availableParallelism());
    const r = await resolveServerCores({ targetKind: 'remote' });
    expect(r.count).toBeNull();
    expect(r.source).toMatch(/--server-cores.*database_instance/);
  });
});
