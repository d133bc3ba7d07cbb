/**
 * The fleet as read from Prometheus, for a terminal: the families found and what each cannot show,
 * one row per pool per replica, one row per pool across the fleet, and the connection budget.
 * A figure a family does not carry prints as `n/a`, never as 0.
 */
import { compactTable } from './table.js';
import { fmtNum, fmtUs } from '../units.js';
import type { FleetReading, ReplicaFigures } from '../fleet/assemble.js';
import type { FleetBudget } from '../budget/fleet.js';
import { layerLine } from '../check/static.js';
import { FORMAT_VERSION } from '../saved.js';

const na = 'n/a';
const secs = (s: number | null | undefined) => (s === undefined || s === null ? na : fmtUs(s * 1e6));
const num = (x: number | undefined, d = 1) => (x === undefined ? na : fmtNum(x, d));

/** The schemaVersion of `fleet --json`. */
export const FLEET_SCHEMA_VERSION = FORMAT_VERSION.fleetJson;

/** The JSON form of a reading (stable field names, `schemaVersion` first). */
export function fleetJson(reading: FleetReading, source: string, budgets: readonly FleetBudget[]): string {
  return JSON.stringify({ schemaVersion: FLEET_SCHEMA_VERSION, source, ...reading, budgets }, (_k, v: unknown) => (v === Infinity ? null : v), 2);
}

/** Render a reading as text. */
export function renderFleet(reading: FleetReading, source: string, budgets: readonly FleetBudget[], opts: { color: boolean }): string {
  const w = reading.window;
  const lines: string[] = [];
  lines.push(`Prometheus ${source}: ${new Date(w.startMs).toISOString()} to ${new Date(w.endMs).toISOString()} (${fmtNum((w.endMs - w.startMs) / 1000, 0)} s), ${reading.queries} queries; per pool, per replica:`);
  // One table per family, with the columns that family can fill: a figure it cannot show is named
  // on its "cannot show" line, and one a replica lacks prints as n/a.
  const columns: Array<{ head: string; cell: (r: ReplicaFigures) => string; has: (r: ReplicaFigures) => boolean }> = [
    { head: 'acquires/s', cell: (r) => num(r.arrivalRate, 2), has: (r) => r.arrivalRate !== undefined },
    { head: 'in use (Little)', cell: (r) => (r.use ? fmtNum(r.use.meanInUse, 3) : na), has: (r) => r.use !== undefined },
    { head: 'in use (gauge)', cell: (r) => num(r.inUseMean, 2), has: (r) => r.inUseMean !== undefined },
    { head: 'wait P50', cell: (r) => secs(r.wait?.p50S), has: (r) => r.wait?.p50S !== undefined },
    { head: 'wait P99', cell: (r) => secs(r.wait?.p99S), has: (r) => r.wait?.p99S !== undefined },
    { head: 'wait mean', cell: (r) => secs(r.wait?.meanS), has: (r) => r.wait !== undefined },
    { head: 'waited/s', cell: (r) => num(r.waited?.perSecond, 2), has: (r) => r.waited !== undefined },
    { head: 'waited mean', cell: (r) => secs(r.waited?.meanS), has: (r) => r.waited !== undefined },
    { head: 'hold mean', cell: (r) => secs(r.use?.meanS), has: (r) => r.use !== undefined },
    { head: 'timeouts', cell: (r) => num(r.timeouts, 0), has: (r) => r.timeouts !== undefined },
    { head: 'closed (life/idle)', cell: (r) => (r.closed ? `${fmtNum(r.closed.lifetime ?? 0, 0)}/${fmtNum(r.closed.idle ?? 0, 0)}` : na), has: (r) => r.closed !== undefined },
    { head: 'max', cell: (r) => num(r.max, 0), has: (r) => r.max !== undefined },
    { head: 'open', cell: (r) => num(r.openMean, 1), has: (r) => r.openMean !== undefined },
  ];
  for (const f of reading.families) {
    lines.push('', `family ${f.id}: ${f.title}`);
    if (f.notCarried.length > 0) lines.push(`  cannot show: ${f.notCarried.join('; ')}`);
    if (f.absent.length > 0) lines.push(`  not on this server: ${f.absent.join('; ')}`);
    for (const u of f.units ?? []) lines.push(`  unit: ${u}`);
    const rows = reading.replicas.filter((r) => r.family === f.id);
    if (rows.length === 0) {
      lines.push('  no pool had samples in the window');
      continue;
    }
    const cols = columns.filter((c) => rows.some(c.has));
    const t = compactTable(['env', 'pool', 'replica', ...cols.map((c) => c.head)], opts.color, ['left', 'left', 'left', ...cols.map(() => 'right' as const)]);
    for (const r of rows) t.push([r.env || '-', r.mapped ? r.pool : `${r.pool} (unmapped)`, r.replica || '-', ...cols.map((c) => c.cell(r))]);
    lines.push(t.toString());
    for (const r of rows) {
      if (!r.partial) continue;
      lines.push(`  ${r.pool} ${r.replica || '-'}: its series covered ${fmtNum(r.windowS, 0)} s of the window (${fmtNum(r.partial.share * 100, 0)}%, ${new Date(r.partial.fromMs).toISOString()} to ${new Date(r.partial.toMs).toISOString()}): its rates and means are over that span`);
    }
  }
  const p = compactTable(['family', 'env', 'pool', 'replicas', 'acquires/s', 'in use (Little)', 'wait P99 (fleet)', 'max (sum)'], opts.color, ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'right']);
  for (const x of reading.pools) p.push([x.family, x.env || '-', x.mapped ? x.pool : `${x.pool} (unmapped)`, String(x.replicas), num(x.arrivalRate, 2), num(x.meanInUse, 3), secs(x.fleetP99S), num(x.maxTotal, 0)]);
  lines.push('', 'Per pool, across the fleet (each replica is its own queue; the sums are for capacity, not for the queue model):', p.toString());
  for (const b of budgets) {
    lines.push(
      '',
      `Connection budget${b.env ? ` (${b.env})` : ''}: the replicas seen may open ${b.poolMaxTotal} connections${b.unknownSize ? ` (+ ${b.unknownSize} pool(s) whose size the metrics do not show)` : ''}; ` +
        `the server allows ${b.available} (max_connections ${b.serverMaxConnections} - ${b.superuserReserved} reserved - ${b.otherConnections} other; from ${b.serverSource === 'pg_settings' ? 'the server' : 'the topology'}): ${b.fits ? 'fits' : b.overflow ? `the ${b.overflow.layer} layer overflows ${b.overflow.status === 'over' ? 'at steady state' : 'at the rollout peak'} (${b.overflow.status === 'over' ? b.overflow.used!.steady : b.overflow.used!.peak} of ${b.overflow.allowed})` : 'over'}`,
    );
    // Each layer when there is more than the server to see (PgBouncer, or a rollout peak above steady state).
    if (b.layers.length > 2 || b.layers.some((l) => l.used && l.used.peak !== l.used.steady)) for (const l of b.layers) lines.push(`  ${layerLine(l)}`);
  }
  return `${lines.join('\n')}\n`;
}
