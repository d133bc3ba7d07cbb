// Instrumented vs bare pg.Pool throughput, side by side in one run (alternating rounds), on a
// throwaway PostgreSQL. `SELECT 1`, max 8, 16 concurrent loops of connect/query/release.
// Usage: node bench/pool-overhead.mjs [--rounds N] [--seconds S] [--smoke]
import pg from 'pg';
import { startThrowaway } from '../dist/shell/throwawayPg.js';
import { instrumentPool } from '../dist/shell/pool/instrumentedPool.js';

const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const arg = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const ROUNDS = arg('--rounds', smoke ? 2 : 12);
const SECONDS = arg('--seconds', smoke ? 0.5 : 3);
const LOOPS = 16;
const MAX = 8;

async function drive(pool, seconds) {
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      const c = await pool.connect();
      await c.query('SELECT 1');
      c.release();
      n++;
    }
  };
  await Promise.all(Array.from({ length: LOOPS }, loop));
  return n / seconds;
}

async function round(url, instrumented) {
  const pool = new pg.Pool({ connectionString: url, max: MAX });
  const ip = instrumented ? instrumentPool(pool, { name: 'database' }) : undefined;
  await drive(pool, Math.min(0.3, SECONDS)); // warm: open the connections
  ip?.resetWindow();
  const qps = await drive(pool, SECONDS);
  const acquires = ip?.snapshot().counters.acquires;
  if (ip) await ip.close();
  else await pool.end();
  return { qps, acquires };
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export async function benchPoolOverhead(url) {
  const ratios = [];
  const bare = [];
  const inst = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which goes first so drift on a noisy machine hits both alike.
    const first = r % 2 === 0;
    const a = await round(url, !first);
    const b = await round(url, first);
    const [bq, iq] = first ? [b.qps, a.qps] : [a.qps, b.qps];
    bare.push(bq);
    inst.push(iq);
    ratios.push(iq / bq);
  }
  return {
    rounds: ROUNDS,
    seconds: SECONDS,
    bareMedian: median(bare),
    instrumentedMedian: median(inst),
    ratioMedian: median(ratios),
    ratioMin: Math.min(...ratios),
    ratioMax: Math.max(...ratios),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const cluster = await startThrowaway({ maxConnections: 100 });
  try {
    const r = await benchPoolOverhead(cluster.url);
    console.log(`instrumented vs bare pg.Pool: SELECT 1, max ${MAX}, ${LOOPS} loops, ${r.rounds} alternating rounds of ${r.seconds}s`);
    console.log(`  bare          median ${r.bareMedian.toFixed(0)} q/s`);
    console.log(`  instrumented  median ${r.instrumentedMedian.toFixed(0)} q/s`);
    console.log(`  ratio instrumented/bare: median ${r.ratioMedian.toFixed(3)} (spread ${r.ratioMin.toFixed(3)} .. ${r.ratioMax.toFixed(3)}); target >= 0.98`);
  } finally {
    await cluster.stop();
  }
}
