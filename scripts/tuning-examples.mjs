// Regenerates the worked examples of docs/tuning.md (between the `examples:begin` and
// `examples:end` markers) and the report screenshot docs/report.png, by running the tool: each
// example is a real `pool-advisor analyze` against a throwaway PostgreSQL, and every number in
// the section comes from its output. Takes about two minutes.
//
// Usage: npm run build && node scripts/tuning-examples.mjs [--duration 20s]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startThrowaway } from '../dist/shell/throwawayPg.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'pool-advisor.js');
const DOC = join(ROOT, 'docs', 'tuning.md');
const SHOT = join(ROOT, 'docs', 'report.png');
const BEGIN = '<!-- examples:begin -->';
const END = '<!-- examples:end -->';
const args = process.argv.slice(2);
const DURATION = args.includes('--duration') ? args[args.indexOf('--duration') + 1] : '20s';

const POOL = (max, min) => `max_connections = ${max}
min_connections = ${min}
acquire_timeout_seconds = 10
idle_timeout_seconds = 300
max_lifetime_seconds = 1800
slow_acquire_threshold_ms = 100
`;

/** A Tasker config dir with one environment, `example`, in `dir/config/tasker`; PGMQ shares the database pool and has no table of its own. */
function writeConfig(dir, max, min) {
  const base = join(dir, 'config', 'tasker', 'base');
  mkdirSync(base, { recursive: true });
  mkdirSync(join(dir, 'config', 'tasker', 'environments', 'example'), { recursive: true });
  writeFileSync(
    join(base, 'common.toml'),
    `[common.database]\nurl = "postgresql://localhost/tasker"\n\n[common.database.pool]\n${POOL(max, min)}\n[common.pgmq_database]\nurl = ""\n`,
  );
  writeFileSync(join(dir, 'config', 'tasker', 'environments', 'example', 'common.toml'), '# the example environment: everything from base/\n');
}

/** An advisor config driving one database workload. */
function writeAdvisor(dir, workload) {
  writeFileSync(join(dir, 'pool-advisor.toml'), `[defaults]\nduration = "${DURATION}"\nwarmup = "2s"\nseed = 7\ntarget_p99_wait = "10ms"\n\n[environments.example.workloads.database]\n${workload}\n`);
}

function run(dir, argv) {
  const env = { ...process.env, NO_COLOR: '1', CI: 'true' };
  for (const k of Object.keys(env)) if (k === 'DATABASE_URL' || k === 'PGMQ_DATABASE_URL' || k.startsWith('PG')) delete env[k];
  const r = spawnSync(process.execPath, [BIN, ...argv], { cwd: dir, env, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`pool-advisor ${argv.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return r.stdout;
}

/** The part of a report worth showing: from the environment header, without the overrides unless asked. */
function excerpt(stdout, withOverrides = false) {
  const from = stdout.indexOf('Environment: ');
  let text = stdout.slice(from);
  if (!withOverrides) text = text.slice(0, text.indexOf('\nTOML overrides'));
  return text.trimEnd();
}

const fmtMs = (us) => (us >= 100_000 ? `${Math.round(us / 1000)} ms` : us >= 1000 ? `${(us / 1000).toFixed(1)} ms` : `${Math.round(us)} µs`);
const pct = (x) => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;

/** The analysis and advice of a saved run, as recommend --json gives them. */
function advice(dir, runFile) {
  const data = JSON.parse(run(dir, ['recommend', '--from', runFile, '--json']));
  return { pool: data.environments[0].pools.find((p) => p.pool === 'database'), recs: data.recommendations };
}

const fence = (lang, text) => ['```' + lang, text, '```'].join('\n');

async function main() {
  const cluster = await startThrowaway({ maxConnections: 300, databases: ['pool_advisor'] });
  const url = cluster.urlFor('pool_advisor');
  const work = mkdtempSync(join(tmpdir(), 'pa-tuning-'));
  const out = [];
  try {
    const version = run(work, ['--version']).trim();

    // 1. Saturated: 200 acquires/s held 20 ms on average is 4 connections busy on average, on a pool of 5.
    const sat = join(work, 'saturated');
    mkdirSync(sat);
    writeConfig(sat, 5, 2);
    writeAdvisor(sat, 'arrival = "poisson"\nrate = 200\nhold = "exponential"\nhold_mean = "20ms"');
    const satOut = run(sat, ['analyze', '--env', 'example', '--database-url', url, '--out', 'before.json', '--report', 'report.html']);
    const a = advice(sat, 'before.json');
    const rec = a.recs.find((r) => r.key === 'max_connections');
    if (!rec) throw new Error(`the saturated example got no max_connections recommendation:\n${satOut}`);
    out.push(
      '### 1. A pool too small for its load',
      '',
      `Tasker's \`database\` pool at \`max_connections = 5\`, \`min_connections = 2\`, driven with 200 acquires per second (Poisson) that each hold the connection for an exponentially distributed 20 ms: the offered load is 200 x 0.020 = 4 connections busy on average, 80% of the pool.`,
      '',
      fence('sh', 'pool-advisor analyze --env example --out before.json --report report.html'),
      '',
      fence('text', excerpt(satOut, true)),
      '',
      `${pct(a.pool.waitedShare)} of acquires waited and the P99 wait was ${fmtMs(a.pool.wait.p99Us)} against a 10 ms target, at ${pct(a.pool.utilisation)} mean utilisation: the pool is not full on average, but arrivals bunch, and near full the queue is long. The wait histogram under the tables shows two populations, the acquires that got a connection at once (under a millisecond) and those that queued (milliseconds to a tenth of a second). The model (Erlang C, fitted to the measured rate of ${a.pool.arrivalRate.toFixed(1)}/s and mean hold of ${fmtMs(a.pool.hold.meanUs)}) puts the smallest pool meeting the target at ${a.pool.model.needForTarget}, and the recommendation is \`max_connections = ${rec.to}\` (${rec.confidence} confidence, the rule \`${rec.rule}\`). In the report, the what-if chart shows that curve with the measured point on it.`,
      '',
    );

    // 2. The same workload and seed with the recommendation applied, then compare.
    const fixedOut = run(sat, ['analyze', '--env', 'example', '--database-url', url, '--set', `example.database.max_connections=${rec.to}`, '--out', 'after.json']);
    const b = advice(sat, 'after.json');
    const cmpOut = run(sat, ['compare', 'before.json', 'after.json']).replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT');
    out.push(
      '### 2. Apply it, measure again, compare',
      '',
      `The same workload and seed with \`--set example.database.max_connections=${rec.to}\` (a setting for this run only; \`pool-advisor generate --from before.json\` writes it into \`environments/example/common.toml\`), then the two runs side by side:`,
      '',
      fence('sh', `pool-advisor analyze --env example --set example.database.max_connections=${rec.to} --out after.json\npool-advisor compare before.json after.json`),
      '',
      fence('text', cmpOut.trimEnd()),
      '',
      `The P99 wait went from ${fmtMs(a.pool.wait.p99Us)} to ${fmtMs(b.pool.wait.p99Us)} and the share that waited from ${pct(a.pool.waitedShare)} to ${pct(b.pool.waitedShare)}, for ${rec.to - 5} more connections on the server. ${b.recs.some((r) => r.key === 'max_connections') ? `The second run still asks for a change (${b.recs.map((r) => `${r.key} ${r.from} -> ${r.to}`).join(', ')}): the measured P99 is near the target, and a longer run settles it.` : 'The second run recommends no further change to `max_connections`.'}`,
      '',
      `The analysis of the second run, for reference:`,
      '',
      fence('text', excerpt(fixedOut)),
      '',
    );

    // 3. Lifetime churn: connections opened together expire together.
    const churn = join(work, 'churn');
    mkdirSync(churn);
    writeConfig(churn, 10, 8);
    writeAdvisor(churn, 'arrival = "poisson"\nrate = 100\nhold = "exponential"\nhold_mean = "5ms"');
    const churnOut = run(churn, ['analyze', '--env', 'example', '--database-url', url, '--set', 'example.database.max_lifetime_seconds=5', '--out', 'churn.json']);
    const c = advice(churn, 'churn.json');
    out.push(
      '### 3. Connections that expire together',
      '',
      "`min_connections = 8` opens eight connections at start-up, together; with a short `max_lifetime_seconds` (5 s here through `--set`, below Tasker's 60 s minimum, so that a short run shows what an hour shows in production) they also expire together, and sqlx replaces them together.",
      '',
      fence('sh', 'pool-advisor analyze --env example --set example.database.max_lifetime_seconds=5 --out churn.json'),
      '',
      fence('text', excerpt(churnOut)),
      '',
      `${c.pool.expiries.count} expiries (${c.pool.expiries.perMinute.toFixed(0)} a minute), up to ${c.pool.expiries.maxBurst} within one second. Each burst is visible in the report's timeline as a column of expiry marks, with the P99 wait of that interval. ${c.recs.map((r) => `\`${r.key}\` ${r.from} -> ${r.to} (${r.rule})`).join('; ')}.`,
      '',
    );

    // 4. Idle surplus: min_connections far above what the load needs.
    const idle = join(work, 'idle');
    mkdirSync(idle);
    writeConfig(idle, 25, 20);
    writeAdvisor(idle, 'arrival = "poisson"\nrate = 20\nhold = "constant"\nhold_time = "2ms"');
    const idleOut = run(idle, ['analyze', '--env', 'example', '--database-url', url, '--out', 'idle.json']);
    const d = advice(idle, 'idle.json');
    out.push(
      '### 4. Connections held open for nothing',
      '',
      '`min_connections = 20` for 20 acquires per second of 2 ms each (0.04 connections busy on average):',
      '',
      fence('sh', 'pool-advisor analyze --env example --out idle.json'),
      '',
      fence('text', excerpt(idleOut)),
      '',
      `The P95 of connections in use was ${d.pool.inUse.p95}, while ${d.pool.idle.mean.toFixed(1)} sat idle on average: each costs the server a backend process and its memory, in every replica. ${d.recs.map((r) => `\`${r.key}\` ${r.from} -> ${r.to} (${r.rule})`).join('; ')}.`,
      '',
    );

    const pgVersion = JSON.parse(readFileSync(join(sat, 'before.json'), 'utf8')).server?.version ?? 'unknown';
    const head = `_Generated by \`node scripts/tuning-examples.mjs\` with pool-advisor ${version} against a throwaway PostgreSQL ${pgVersion} on ${cpus().length} CPU cores, ${DURATION} per run after a 2 s warm-up. Rerun it to regenerate this section; on another machine the figures differ a little, the conclusions do not._`;
    const doc = readFileSync(DOC, 'utf8');
    const i = doc.indexOf(BEGIN);
    const j = doc.indexOf(END);
    if (i < 0 || j < i) throw new Error(`${DOC} has no ${BEGIN} ... ${END} markers`);
    writeFileSync(DOC, `${doc.slice(0, i + BEGIN.length)}\n\n${head}\n\n${out.join('\n').trimEnd()}\n\n${doc.slice(j)}`);
    console.log(`wrote the examples into ${DOC}`);
    await screenshot(join(sat, 'report.html'));
  } finally {
    await cluster.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** The top of the first example's report (verdict, recommendations, the first pool's charts) as docs/report.png. */
async function screenshot(html) {
  if (!existsSync('/usr/bin/chromium')) {
    console.warn('no /usr/bin/chromium: docs/report.png left as it is');
    return;
  }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1720 } });
    await page.goto(`file://${html}`);
    await page.screenshot({ path: SHOT });
    console.log(`wrote ${SHOT}`);
  } finally {
    await browser.close();
  }
}

await main();
