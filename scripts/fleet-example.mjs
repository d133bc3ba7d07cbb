// The worked example of docs/fleet.md: a small synthetic fleet (3 replicas x 2 pools of
// pool-advisor's /metrics, 10 minutes at one sample per 15 s, the same generator as the bench)
// written into a real Prometheus with promtool, then `pool-advisor fleet --show-queries` over it.
// Prints the command, the queries it sent, and its output. Needs `npm run build`, prometheus, promtool.
//
//   node scripts/fleet-example.mjs
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFleetPrometheus } from '../bench/fleet.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'pool-advisor.js');
const adv = join(mkdtempSync(join(tmpdir(), 'pa-fleet-example-')), 'pool-advisor.toml');
writeFileSync(adv, '[prometheus]\nenvironment = "production"\n\n[environments.production.topology]\nserver_max_connections = 100\nsuperuser_reserved_connections = 3\nother_connections = 10\n');

const fp = await startFleetPrometheus({ replicas: 3, pools: 2, minutes: 10, intervalS: 15 });
try {
  const args = ['fleet', '--prometheus', fp.base, '--start', String(fp.startS), '--end', String(fp.endS), '--advisor-config', adv, '--show-queries'];
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', COLUMNS: '200' } });
  console.log(`$ cat pool-advisor.toml\n${execFileSync('cat', [adv], { encoding: 'utf8' })}`);
  console.log(`$ pool-advisor ${args.map((a) => (a === fp.base ? 'http://prometheus:9090' : a === adv ? 'pool-advisor.toml' : a)).join(' ')}`);
  console.log(`(exit ${r.status})\n--- stderr ---\n${r.stderr.split(fp.base).join('http://prometheus:9090')}--- stdout ---\n${r.stdout.split(fp.base).join('http://prometheus:9090')}`);
} finally {
  fp.stop();
}
