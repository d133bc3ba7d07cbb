// Open-mode accuracy of the load generator: achieved rate vs target and the schedule lag P99,
// at several target rates, against a throwaway PostgreSQL. Each request holds a connection for
// `SELECT 1`. Usage: node bench/open-loop.mjs [--rates 1000,5000,20000] [--seconds S] [--smoke]
import { startThrowaway } from '../dist/shell/throwawayPg.js';
import { createInstrumentedPool } from '../dist/shell/pool/instrumentedPool.js';
import { Generator } from '../dist/shell/load/generator.js';
import { decode, summarize } from '../dist/core/run/histogram.js';

const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const RATES = opt('--rates', smoke ? '1000' : '1000,5000,20000').split(',').map(Number);
const SECONDS = Number(opt('--seconds', smoke ? '1' : '10'));

export async function benchOpenLoop(url, rates = RATES, seconds = SECONDS) {
  const rows = [];
  for (const rate of rates) {
    const settings = { max_connections: 16, min_connections: 16, acquire_timeout_seconds: 10, idle_timeout_seconds: 300, max_lifetime_seconds: 1800, slow_acquire_threshold_ms: 1000 };
    const ip = createInstrumentedPool(settings, { connectionString: url, application_name: 'pool-advisor-bench' }, { name: 'database', emulateSqlx: true });
    await ip.start();
    const spec = { pool: 'database', arrival: { mode: 'open', process: 'poisson', rate }, hold: { kind: 'sleep', dist: 'constant', ms: 0 }, warmupS: 1, rampS: 0, durationS: seconds };
    const gen = new Generator({ spec, seed: 1, pool: ip.pool });
    gen.start();
    await new Promise((r) => setTimeout(r, 1000));
    gen.resetWindow();
    ip.resetWindow();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    gen.stop();
    await gen.drain(5000);
    const s = gen.stats();
    const wait = summarize(decode(ip.snapshot().histograms.wait));
    await ip.close();
    rows.push({
      target: rate,
      achieved: s.achievedRate,
      ratio: s.achievedRate / rate,
      // Poisson arrivals scatter around the target; the generator's own accuracy is what it sent of what was due.
      sentOfDue: s.requests > 0 ? (s.completed + s.failed) / s.requests : 0,
      lagP99Us: summarize(decode(s.lag)).p99,
      scheduleP99Us: summarize(decode(s.scheduleLatency)).p99,
      waitP99Us: wait.p99,
      completed: s.completed,
      failed: s.failed,
      behind: s.behind,
    });
  }
  return rows;
}

export function formatOpenLoop(rows) {
  const lines = ['target/s  achieved/s  achieved/target  sent/due  lag P99   schedule P99  acquire-wait P99  failed'];
  for (const r of rows) {
    lines.push(
      `${String(r.target).padStart(8)}  ${r.achieved.toFixed(0).padStart(10)}  ${r.ratio.toFixed(4).padStart(15)}  ${r.sentOfDue.toFixed(4).padStart(8)}  ${(r.lagP99Us / 1000).toFixed(2).padStart(6)} ms  ${(r.scheduleP99Us / 1000).toFixed(2).padStart(9)} ms  ${(r.waitP99Us / 1000).toFixed(3).padStart(13)} ms  ${String(r.failed).padStart(6)}${r.behind ? '  (generator behind)' : ''}`,
    );
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const cluster = await startThrowaway({ maxConnections: 100 });
  try {
    console.log(`open-loop accuracy: Poisson arrivals, SELECT 1 per request, 16 connections, ${SECONDS}s per rate`);
    console.log(formatOpenLoop(await benchOpenLoop(cluster.url)));
  } finally {
    await cluster.stop();
  }
}
