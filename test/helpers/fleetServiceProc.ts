/** Start test/helpers/fleetService.mjs (a plain pg.Pool service under load, serving /metrics) and wait for its port. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SERVICE = join(dirname(fileURLToPath(import.meta.url)), 'fleetService.mjs');

/** A running service: its process, its /metrics port, and the file its ground truth goes to on exit. */
export interface FleetServiceProc {
  proc: ChildProcess;
  port: number;
  truthFile: string;
}

/** Start one service with `cfg` (see fleetService.mjs); `cleanup` gets a kill for the end of the test file. */
export function startFleetService(cfg: Record<string, unknown>, cleanup: Array<() => void>, label = 'service'): Promise<FleetServiceProc> {
  const truthFile = join(mkdtempSync(join(tmpdir(), 'pa-fleet-')), 'truth.json');
  const proc = spawn(process.execPath, [SERVICE, JSON.stringify({ ...cfg, truth: truthFile })], { stdio: ['ignore', 'pipe', 'pipe'] });
  cleanup.push(() => proc.exitCode === null && proc.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ proc, port: (JSON.parse(line) as { port: number }).port, truthFile });
    });
    proc.on('exit', (code) => reject(new Error(`${label} exited ${code}: ${err}`)));
  });
}
