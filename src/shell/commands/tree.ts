/**
 * The command tree: every command's name, description, arguments and flags, with the module that
 * runs it. A command's module (and the dependencies only it needs: pg, prom-client, the
 * renderers) is imported when that command runs, never when the CLI starts, so `--help`,
 * `config lint` and the `--from` commands load no more than they use (bench/run.mjs measures it).
 */
import { Option, type Command } from 'commander';
import { POOL_NAMES } from '../../core/config/pools.js';
import { FAMILY_NAMES } from '../../core/alerts/families.js';
import { CHECK_FORMAT_NAMES } from '../../core/check/formats/names.js';

/** An action whose module is loaded only when the command runs. */
function lazy<A extends unknown[]>(load: () => Promise<(...args: A) => unknown>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    await (await load())(...args);
  };
}

function collect(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), v];
}

/** The deadline and the cap of every read from a server or the network (docs/reliability.md, "Network and servers"). */
const READ_TIMEOUT_HELP = 'deadline for the whole answer of each read from a server: connecting, a query, an HTTP answer (default 30s; a read past it is cut and its socket closed)';
const READ_LIMIT_HELP = 'largest answer accepted from one read, e.g. 64MiB, counted as it arrives (default 64MiB, which fits a Prometheus answer of 32,000 series)';

/** Add analyze's flags to a command (so `check` can take the same ones). */
export function addAnalyzeOptions(cmd: Command): Command {
  return cmd
    .option('--config-dir <dir>', 'Tasker config dir (default: ./config/tasker when it exists, else the shipped example)')
    .option('--advisor-config <file>', 'advisor config: workloads, targets, rules, topology (default: ./pool-advisor.toml, else the shipped one)')
    .option('--env <env...>', 'environments to run (default: all, one after another)')
    .option('--pool <pool...>', `pools whose workload to drive: ${POOL_NAMES.slice(0, 2).join(', ')} (default: both)`)
    .option('--rate <n>', 'open workload: acquires per second (overrides the advisor config)')
    .option('--concurrency <n>', 'closed workload: number of callers that each wait (overrides the arrival model)')
    .option('--hold <dist>', 'hold time: 20ms (constant), exp:20ms, lognormal:5ms,80ms. A hold longer than the measuring window (the constant, the mean, the P99) is refused before connecting; one drawn longer from a tail is cut at the window\'s end (the server ends it within a second)')
    .option('--duration <d>', 'the longest measured time per environment, e.g. 30s (default 30s); each environment stops as soon as its answer is settled (the same advice and verdicts at both ends of the uncertainty of what it measured), at 10s at the earliest')
    .option('--fixed-duration', 'measure for the whole --duration, without stopping when the answer is settled (the behaviour before the stopping rule)')
    .option('--warmup <d>', 'warm-up before measuring, excluded from the figures (default 2s)')
    .option('--seed <n>', 'seed for reproducible arrivals and hold times')
    .option('--set <ENV.POOL.KEY=VALUE>', "try a setting for this run only (repeatable); outside Tasker's ranges allowed with a warning", collect)
    .option('--database-url <url>', 'database to drive (default: DATABASE_URL, else PG* variables, else a throwaway PostgreSQL)')
    .option('--pgmq-database-url <url>', "PGMQ's database when its pool is separate (default: PGMQ_DATABASE_URL, else the main target)")
    .option('--yes', 'allow a target that is not on this machine')
    .option('--out <file>', 'save the run (RunFile JSON) for recommend/check/compare --from')
    .option('--json', 'print the whole result as JSON on stdout instead of the tables (status lines, warnings and errors stay on stderr)')
    .option('--no-progress', 'no progress line, even on a terminal')
    .option('--slow-log', "also write each acquire over its pool's slow_acquire_threshold_ms to stderr as one JSON line (for a log collector; at most 5 a second per pool, the dropped ones counted); without it slow acquires are only counted, in the summary")
    .option('--metrics-port <n>', 'serve /metrics (Prometheus) and /health (JSON) of the pools being measured on this port; 0 picks a free one (printed)')
    .option('--metrics-host <addr>', 'address for --metrics-port (default 127.0.0.1)')
    .option('--read-timeout <d>', `${READ_TIMEOUT_HELP}: here connecting to and probing each target, the main and PGMQ's`)
    .option('--read-limit <size>', READ_LIMIT_HELP);
}

const REPORT_FLAG = ['--report <file>', 'also write a self-contained HTML report (charts, recommendations, TOML overrides)'] as const;

/** Register every command, in the order `--help` lists them. */
export function registerCommands(program: Command): void {
  const analyze = program
    .command('analyze')
    .description('Drive a real, instrumented pool with each environment\'s workload; print acquire-wait percentiles, churn, occupancy and the settings to change');
  addAnalyzeOptions(analyze)
    .option(...REPORT_FLAG)
    .option('--workload-from <file>', 'replay the traffic of a saved observation (observe --out; or a run): per pool its acquire rate and hold, instead of the advisor config\'s workloads (docs/observe.md)')
    .option('--recommended', "with --workload-from: measure at the settings the observation's own advice recommends (compare the run with one at the current settings)")
    .option('--replica <label>', "with --workload-from: replay this replica of each pool (its label in the observation: a client address or an instance) instead of the busiest")
    .action(lazy(async () => (await import('./analyze.js')).analyzeCommand));

  const config = program.command('config').description('Show or lint the pool settings of a Tasker config dir');
  config
    .command('show')
    .description('Print the effective pool settings per environment and pool, where each value comes from, and the warnings')
    .option('--config-dir <dir>', 'Tasker config dir (default: ./config/tasker when it exists, else the shipped example)')
    .option('--env <env...>', 'only these environments')
    .option('--json', 'print the settings as JSON on stdout')
    .action(lazy(async () => (await import('./config.js')).configShow));
  config
    .command('lint')
    .description('List every problem in a Tasker config dir; exit 0 when clean (warnings allowed), 1 on errors')
    .option('--config-dir <dir>', 'Tasker config dir (default: ./config/tasker when it exists, else the shipped example)')
    .option('--json', 'print the issues as JSON on stdout')
    .action(lazy(async () => (await import('./config.js')).configLint));

  const check = program
    .command('check')
    .description('CI gate: thresholds on a run (measured now, or saved with --from) and static checks of the config; exit 0 when all hold, 1 on a breach or a config error')
    .option('--from <run.json>', 'evaluate the thresholds on a run saved with `analyze --out` (no database needed)')
    .option('--static', 'only the static checks: config lint and the connection budget (no run, no database)')
    .option('--threshold <expr>', "a threshold, 'POOL.METRIC: EXPR' (repeatable; added to the advisor config's)", (v: string, acc: string[] | undefined) => [...(acc ?? []), v])
    .addOption(new Option('--format <format>', 'output format').choices(CHECK_FORMAT_NAMES).default(CHECK_FORMAT_NAMES[0]));
  addAnalyzeOptions(check).action(lazy(async () => (await import('./check.js')).runCheck));

  program
    .command('recommend')
    .description('Analyse a saved run (analyze --out) and print the recommendations and TOML overrides, with no database')
    .requiredOption('--from <file>', 'the run file to analyse')
    .option('--advisor-config <file>', 'advisor config: targets, rules, topology (default: ./pool-advisor.toml, else the shipped one)')
    .option('--env <env...>', 'only these environments of the run')
    .option('--json', 'print the analysis, recommendations and overrides as JSON on stdout')
    .option(...REPORT_FLAG)
    .action(lazy(async () => (await import('./recommend.js')).recommendCommand));

  program
    .command('compare')
    .description('Put two saved runs (analyze --out) side by side: per environment and pool, every figure before and after with its change, and the settings that differ')
    .argument('<before>', 'the run file measured first')
    .argument('<after>', 'the run file measured after the change')
    .option('--env <env...>', 'only these environments')
    .option('--json', 'print the comparison as JSON on stdout')
    .option('--report <file>', 'also write the comparison as a self-contained HTML report')
    .action(lazy(async () => (await import('./compare.js')).compareCommand));

  program
    .command('generate')
    .description('Write pool settings into environments/<env>/<context>.toml, changing only the values asked for (comments and layout are kept)')
    .option('--config-dir <dir>', 'Tasker config dir to write (default: ./config/tasker)')
    .option('--set <ENV.POOL.KEY=VALUE>', 'a value to write, e.g. test.database.max_connections=40 (repeatable; POOL: database, pgmq, orchestration_web, worker_web)', collect)
    .option('--from <run.json>', "write the recommendations of a saved run (analyze --out), or the 'recommendations' of recommend --json")
    .option('--advisor-config <file>', 'advisor config: targets and rules for --from, the topology for the connection budget (default: ./pool-advisor.toml, else the shipped one)')
    .option('--env <env...>', 'only these environments')
    .option('--dry-run', 'print a unified diff of the changes and write nothing')
    .option('--json', 'print what changed as JSON on stdout')
    .option('--allow-over-budget', "write sizes even when they overflow a layer of the connection budget (the advisor config's topology); without it generate refuses, exit 1")
    .option('--measure', "measure now (analyze with the advisor config's workloads, on a throwaway PostgreSQL unless --database-url) and write its recommendations")
    .option('--database-url <url>', 'with --measure: the database to drive (default: DATABASE_URL, else PG* variables, else a throwaway PostgreSQL)')
    .option('--pgmq-database-url <url>', "with --measure: PGMQ's database when its pool is separate")
    .option('--duration <d>', 'with --measure: measured time per environment (default 30s)')
    .option('--seed <n>', 'with --measure: seed for reproducible arrivals')
    .option('--yes', 'with --measure: allow a target that is not on this machine')
    .action(lazy(async () => {
      const { runGenerate } = await import('./generate.js');
      return (opts: Parameters<typeof runGenerate>[0]) => runGenerate(opts);
    }));

  program
    .command('alerts')
    .description("Write Prometheus alerting and recording rules from the advisor config's [check] thresholds (Tasker's alert table when it has none), in the metric names of a family; what a family cannot express is listed with the reason")
    .option('--family <name>', `the metrics the service exports: ${FAMILY_NAMES.join(', ')}, or the name of a [[prometheus.families]] entry of the advisor config`, 'otel')
    .option('--out <file>', 'write the rules file here (atomically) instead of stdout; the summary goes to stdout')
    .option('--advisor-config <file>', 'advisor config whose [check] thresholds to translate (default: ./pool-advisor.toml, else the shipped one)')
    .option('--threshold <expr>', "a threshold, 'POOL.METRIC: EXPR' (repeatable; added to the advisor config's)", collect)
    .option('--pool-name <pool=name>', "the pool label's value for one of pool-advisor's pools, when the service names its pools otherwise (repeatable), e.g. database=HikariPool-1", collect)
    .option('--env <env>', "with --family tasker: divide utilisation by this environment's max_connections (Tasker's metrics have no maximum)")
    .option('--config-dir <dir>', 'with --env: the Tasker config dir (default: ./config/tasker, else the shipped example)')
    .option('--window <duration>', "the range every rate and average is taken over (default: 5m for thresholds; Tasker's table's own for the default set)")
    .option('--for <duration>', "how long a condition must hold before its alert fires, for every alert (default: 5m for latency, ratio and gauge thresholds, 0s for counters; Tasker's table's own for the default set)")
    .action(lazy(async () => (await import('./alerts.js')).runAlerts));

  program
    .command('observe')
    .description("Advice for a running service nobody instrumented: sample what the PostgreSQL server sees of its connections (open, busy, churn, close reasons per pool per replica) and/or read its pool metrics from Prometheus, then judge them with the same rules as a measured run")
    .option('--database-url <url>', 'server to observe, as a role with pg_read_all_stats (default: DATABASE_URL, else PG* variables)')
    .option('--duration <d>', 'how long to observe, e.g. 10m (default 10m)')
    .option('--interval <d>', 'time between samples, jittered by ±20% (default 200ms)')
    .option('--until-settled [min]', "stop before --duration once the advice is settled (the same rule as analyze's, on the mean busy), looking every 5 s after this minimum (default 2m; at most --duration)")
    .option('--group-by <fields>', 'fields that tell pools apart: application_name, datname, usename, client_addr (repeatable or comma-separated; default: all four)', collect)
    .option('--map <SELECTOR=ENV.POOL>', "tie a group to a Tasker pool so its settings apply, e.g. 'app:orders=production.database' (repeatable)", collect)
    .option('--config-dir <dir>', 'Tasker config dir whose settings apply to mapped pools (--map, [prometheus]); default: ./config/tasker when it exists, else the shipped example')
    .option('--tasker-url <url>', "read Tasker's /health/detailed at the start and the end for the pools' sizes (repeatable)", collect)
    .option('--pgbouncer-url <url>', "behind PgBouncer: read its admin console (postgresql://user@host:6432/pgbouncer; a user in admin_users or stats_users) for the clients waiting for a server connection (SHOW POOLS every second, SHOW STATS at the start and the end, SHOW DATABASES once) and advice on its pool_size")
    .option('--server-cores <n>', "the database host's CPU count, for judging its load by wait class (default: node_exporter's, when [prometheus] database_instance names it and --prometheus is given; else this machine's for a local target; else unknown)")
    .option('--prometheus <url>', "also (or instead) read the service's pool metrics from this Prometheus (or Thanos, Mimir, VictoriaMetrics) HTTP API base URL; with --database-url the window is the sampling window")
    .option('--since <duration>', 'with --prometheus alone: the window, this long, ending now (or at --end); default 1h')
    .option('--start <time>', 'with --prometheus alone: the window start, RFC 3339 or seconds since the epoch')
    .option('--end <time>', 'with --prometheus alone: the window end, RFC 3339 or seconds since the epoch')
    .option('--prometheus-token-env <var>', 'send a bearer token read from this environment variable')
    .option('--prometheus-user <user>', 'basic auth user for Prometheus')
    .option('--prometheus-password-env <var>', 'basic auth password, read from this environment variable')
    .option('--prometheus-ca <file>', "PEM file of the CA that signed Prometheus's certificate")
    .option('--show-queries', 'also print every Prometheus query it sent on stderr')
    .option('--advisor-config <file>', 'advisor config: targets, rules, the [prometheus] mapping (default: ./pool-advisor.toml, else the shipped one)')
    .option('--out <file>', 'save the observation as evidence (JSON, kind "observation") for recommend, check, compare and generate --from')
    .option('--report <file>', 'also write a self-contained HTML report of the figures and the advice')
    .option('--json', 'print the observation and its advice as JSON on stdout instead of the tables (status lines, warnings and errors stay on stderr)')
    .option('--no-progress', 'no progress line, even on a terminal')
    .option('--read-timeout <d>', `${READ_TIMEOUT_HELP}: here each sample of pg_stat_activity (one slower than --interval is kept and counted late; one past this ends the window, marked partial), each PgBouncer console command, each read of Tasker's /health/detailed and each Prometheus query`)
    .option('--read-limit <size>', READ_LIMIT_HELP)
    .action(lazy(async () => (await import('./observe.js')).observeCommand));

  program
    .command('fleet')
    .description("Read a fleet's pool metrics from Prometheus over a window: per pool, per replica (rates, mean in use, waits, sizes) and the connection budget")
    .requiredOption('--prometheus <url>', 'the Prometheus (or Thanos, Mimir, VictoriaMetrics) HTTP API base URL, e.g. http://prometheus:9090')
    .option('--since <duration>', 'the window: this long, ending now (or at --end); default 1h')
    .option('--start <time>', 'the window start: RFC 3339 or seconds since the epoch (with --end, else it ends now)')
    .option('--end <time>', 'the window end: RFC 3339 or seconds since the epoch')
    .option('--advisor-config <file>', 'advisor config: the [prometheus] mapping and the topology for the budget (default: ./pool-advisor.toml, else the shipped one)')
    .option('--prometheus-token-env <var>', 'send a bearer token read from this environment variable')
    .option('--prometheus-user <user>', 'basic auth user')
    .option('--prometheus-password-env <var>', 'basic auth password, read from this environment variable')
    .option('--prometheus-ca <file>', "PEM file of the CA that signed the server's certificate")
    .option('--database-url <url>', "read the server's max_connections and superuser_reserved_connections from it for the budget (instead of the advisor config's topology)")
    .option('--json', 'print the figures as JSON on stdout')
    .option('--show-queries', 'also print every query it sent (PromQL, evaluated at the window end) on stderr')
    .option('--read-timeout <d>', `${READ_TIMEOUT_HELP}: here each Prometheus query, and with --database-url connecting to the server and reading its limits`)
    .option('--read-limit <size>', READ_LIMIT_HELP)
    .action(lazy(async () => (await import('./fleet.js')).fleetCommand));
}
