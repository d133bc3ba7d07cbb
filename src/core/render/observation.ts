/** The terminal report of an observation: only formats what the file already holds. */
import { fmtNum, fmtPct, fmtUs } from '../units.js';
import { compactTable } from './table.js';
import type { ObservationFile } from '../observe/file.js';
import type { GroupSummary, Spread } from '../observe/summary.js';
import type { LoadProfile, MeanWithError } from '../evidence/types.js';

function fmtS(s: number): string {
  return fmtUs(s * 1e6);
}

function fmtSpread(x: Spread | null): string {
  if (!x) return '-';
  return x.count === 1 ? fmtS(x.median) : `${fmtS(x.median)} (${fmtS(x.min)}-${fmtS(x.max)})`;
}

function busyCell(g: GroupSummary): string {
  const m = fmtNum(Math.round(g.meanBusy * 100) / 100, 2);
  return g.meanBusyStdErr === null ? m : `${m} ± ${fmtNum(Math.round(g.meanBusyStdErr * 100) / 100, 2)}`;
}

function mapCell(g: GroupSummary): string {
  if (!g.settings) return '-';
  const s = g.settings;
  return `${s.env}.${s.pool}${s.maxConnections !== null ? ` (max ${s.maxConnections}${s.sizeSource === 'tasker' ? ', Tasker' : ''})` : ''}`;
}

function closesCell(g: GroupSummary): string {
  if (g.deaths === 0) return '0';
  if (!g.closes) return `${g.deaths} (unmapped)`;
  return `${g.closes.lifetime} lifetime, ${g.closes.idle} idle, ${g.closes.unattributed} other`;
}

/** Render an observation for a terminal. */
export function renderObservation(f: ObservationFile, opts: { color: boolean }): string {
  const o = f.observation;
  const lines: string[] = [];
  lines.push(
    `Observed ${f.target} (PostgreSQL ${f.server.version}) for ${fmtUs(o.durationMs * 1000)}: ${o.samples} samples of pg_stat_activity, every ${fmtUs(o.meanIntervalMs * 1000)} on average (asked ${fmtUs(f.intervalMs * 1000)}, jittered)${f.partial ? ' - PARTIAL' : ''}`,
  );
  lines.push(`Grouped by ${o.groupBy.join(', ')}.`);
  lines.push(
    `Sampling cost: ${fmtUs(f.cost.queryUsP50)} per read (P99 ${fmtUs(f.cost.queryUsP99)}, max ${fmtUs(f.cost.queryUsMax)}); ${fmtUs(f.cost.cpuUsPerSample)} of this process's CPU per sample = ${fmtPct(f.cost.cpuShareOfCore)} of one core${f.cost.late ? `; ${f.cost.late} late sample${f.cost.late === 1 ? '' : 's'} (a read longer than the interval: kept; late by ${fmtUs((f.cost.latenessMsMean ?? 0) * 1000)} on average, at most ${fmtUs((f.cost.latenessMsMax ?? 0) * 1000)})` : ''}`,
  );
  if (f.error) lines.push(`Stopped early: ${f.error}`);
  if (o.proxy.detected) {
    lines.push('');
    lines.push('BEHIND A PROXY: the server sees a proxy\'s connections, not the service\'s pools, so these figures are the proxy\'s and no pool advice follows from them.');
    for (const s of o.proxy.signs) lines.push(`  - ${s}`);
    if (!f.pgbouncer) lines.push("  Observe the proxy's own pools instead (PgBouncer: --pgbouncer-url), or the service's pool metrics.");
  }
  if (f.pgbouncer) {
    const p = f.pgbouncer;
    lines.push('');
    lines.push(`${p.version} (${p.console}), over ${fmtUs(p.durationMs * 1000)}: SHOW POOLS every second, SHOW STATS at the start and the end. Clients waiting are waiting for a server connection:`);
    if (p.error !== undefined) lines.push(`  The console's readings stop early: ${p.error}. The pools read until then are shown; no SHOW STATS delta.`);
    for (const x of p.pools) {
      lines.push(`  pool ${x.database}/${x.user} (pool_mode ${x.poolMode}): clients active ${fmtNum(Math.round(x.clActiveMean * 100) / 100, 2)} on average, waiting ${fmtNum(Math.round(x.clWaitingMean * 100) / 100, 2)} on average (at most ${x.clWaitingMax}), the longest wait seen ${fmtS(x.maxwaitMaxS)}; server connections active ${fmtNum(Math.round(x.svActiveMean * 100) / 100, 2)}, idle ${fmtNum(Math.round(x.svIdleMean * 100) / 100, 2)} (${x.reads} reads)`);
    }
    for (const d of p.databases) {
      lines.push(`  database ${d.database}: ${fmtNum(d.xacts)} transactions${d.poolSize !== undefined ? ` on a pool_size of ${d.poolSize}` : ''}; clients waited ${fmtS(d.waitTotalS)} in all for a server connection${d.waitPerXactMs !== null ? `, ${fmtS(d.waitPerXactMs / 1000)} per transaction` : ''} (${fmtNum(Math.round(d.waitingMean * 100) / 100, 2)} waiting on average)`);
    }
    lines.push("  Each database's pool is judged as a queue in the advice below (proxy-pool): its pool_size, not the services' pools.");
  }
  lines.push('');
  if (f.groups.length === 0) {
    lines.push('No client connections besides the sampler\'s own were seen.');
  } else {
    const t = compactTable(['group', 'mapped to', 'open min-max', 'mean open', 'busy mean ± SE', 'busy max', 'all busy', 'reserved', 'births', 'closes'], opts.color, ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left']);
    for (const g of f.groups) {
      t.push([
        g.id,
        mapCell(g),
        `${g.openMin}-${g.openMax}`,
        fmtNum(Math.round(g.meanOpen * 100) / 100, 2),
        busyCell(g),
        String(g.busyMax),
        g.allBusyShare === null ? '-' : fmtPct(g.allBusyShare),
        g.reserved ? `${g.reserved} LISTEN` : '0',
        String(g.births),
        closesCell(g),
      ]);
    }
    lines.push(t.toString());
    const closing = f.groups.filter((g) => g.lifetimeAtClose);
    if (closing.length) {
      lines.push('');
      lines.push('Connections closed in the window (age at close; idle time before close, for those idle when last seen):');
      for (const g of closing) lines.push(`  ${g.id}: ${g.deaths} closed, age ${fmtSpread(g.lifetimeAtClose)}; idle before close ${fmtSpread(g.idleBeforeClose)}`);
    }
    const censored = f.groups.filter((g) => g.censored);
    for (const g of censored) {
      lines.push(`  ${g.id}: every connection busy ${fmtPct(g.allBusyShare!)} of the time: demand was at least ${g.settings!.maxConnections} connections; how much more cannot be seen from the server.`);
    }
  }
  if (o.load) lines.push('', ...loadLines(f));
  if (f.statements && f.statements.top.length) {
    const st = f.statements;
    lines.push('', `Statements that carried the load (pg_stat_statements by queryid over ${fmtUs(st.windowMs * 1000)}: ${fmtNum(Math.round(st.totalActiveSessions * 100) / 100, 2)} sessions executing on average in all${st.countsComplete === false ? '; entries were evicted inside the window, so some time is missing' : ''}):`);
    for (const x of st.top) lines.push(`  ${fmtNum(Math.round(x.activeSessions * 100) / 100, 2)} sessions  ${fmtNum(x.calls)} calls${x.meanMs !== null ? `, ${fmtUs(x.meanMs * 1000)} each` : ''}  ${x.query.replace(/\s+/g, ' ')}`);
  }
  if (o.notes.length) {
    lines.push('');
    lines.push('What the server cannot tell apart:');
    for (const n of o.notes) lines.push(`  - ${n}`);
  }
  if (f.databases?.length) {
    lines.push('');
    lines.push("Cross-check with pg_stat_database (the server's counters include the sampler, and a backend flushes them about once a second only while it touches tables, else when it ends: on a short window they lag):");
    for (const d of f.databases) {
      lines.push(`  ${d.datname}: mean busy ${fmtNum(Math.round(d.serverMeanBusy * 100) / 100, 2)} by the server's counters, ${fmtNum(Math.round(d.sampledMeanBusy * 100) / 100, 2)} from the samples; sessions opened ${d.serverSessions} (server) vs ${d.sampledBirths} births seen${d.abnormal ? `; ${d.abnormal} ended abnormally` : ''}`);
    }
  }
  if (f.roles?.length) {
    lines.push('');
    lines.push('Cross-check with pg_stat_statements per role (statement time is a lower bound on busy: it leaves out the gaps inside transactions; calls are statements, not checkouts):');
    for (const r of f.roles) {
      lines.push(`  ${r.role}: ${fmtNum(Math.round(r.statementsMeanBusy * 100) / 100, 2)} busy in statements, ${fmtNum(Math.round(r.sampledMeanBusy * 100) / 100, 2)} sampled busy; ${fmtNum(Math.round(r.calls))} statements`);
    }
  }
  for (const t of f.tasker) {
    lines.push('');
    if (!t.health) {
      lines.push(`Tasker ${t.url}: ${t.error ?? 'no pool_utilization in /health/detailed'}`);
      continue;
    }
    const pools = t.health.pools.map((p) => `${p.pool}: max ${p.maxConnections ?? '?'}, active ${p.active ?? '?'}, idle ${p.idle ?? '?'}`).join('; ');
    lines.push(`Tasker ${t.url}: ${pools}; pgmq ${t.health.pgmqOwnPool ? 'has its own pool' : 'goes through the database pool'}`);
  }
  const unmapped = f.groups.filter((g) => !g.settings);
  if (unmapped.length && f.groups.length) {
    lines.push('');
    lines.push(`Unmapped groups (${unmapped.length}): tie a group to a Tasker pool with --map 'app:NAME=ENV.POOL' so its settings apply (size, lifetime, idle timeout: the share of time all busy and the close reasons need them).`);
  }
  lines.push('');
  lines.push('Not visible from the server: acquire waits and hold times (a held connection between statements shows idle, so busy is a lower bound of checked out). The service\'s own pool metrics show those.');
  if (!f.validity.valid) {
    lines.push('');
    lines.push('Not enough to advise on:');
    for (const r of f.validity.reasons) lines.push(`  - ${r}`);
  }
  return `${lines.join('\n')}\n`;
}

/** "2.31 ± 0.12" */
function aasCell(m: MeanWithError): string {
  return `${fmtNum(Math.round(m.mean * 100) / 100, 2)}${m.stdErr !== null ? ` ± ${fmtNum(Math.round(m.stdErr * 100) / 100, 2)}` : ''}`;
}

function profileLine(label: string, p: LoadProfile): string {
  const classes = p.byClass.map((c) => `${c.class} ${aasCell(c)}`).join(', ');
  const events = p.topEvents.map((e) => `${e.type}:${e.event} ${aasCell(e)}`).join(', ');
  return `  ${label}: ${aasCell(p.aas)} active${classes ? ` (${classes})` : ''}${events ? `; top waits ${events}` : ''}`;
}

/** The server's load by wait class (average active sessions ± standard error), against its cores. */
function loadLines(f: ObservationFile): string[] {
  const l = f.observation.load!;
  const c = f.serverCores;
  const cores = c ? (c.count !== null ? `${c.count} core${c.count === 1 ? '' : 's'} (${c.source})` : `cores unknown: ${c.source}`) : 'cores not recorded';
  const out = [`Server load, average active sessions by wait class (CPU = active with no wait event; ± standard error; ${cores}):`];
  out.push(profileLine('server', l.server));
  out.push(profileLine('client backends', l.clients));
  if (l.background.aas.mean > 0) out.push(profileLine('background (autovacuum, walsender, ...)', l.background));
  for (const [id, p] of Object.entries(l.groups)) if (p.aas.mean > 0) out.push(profileLine(id, p));
  out.push('  (Timeout, e.g. pg_sleep, and Client are the application\'s time, not the server\'s; a sample every interval misses waits much shorter than it.)');
  return out;
}
