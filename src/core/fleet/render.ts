/**
 * The fleet as read from Prometheus, for a terminal: the families found and what each cannot show,
 * one row per pool per replica, one row per pool across the fleet, and the connection budget.
 * A figure a family does not carry prints as `n/a`, never as 0.
 */
import { compactTable } from '../render/table.js';
import { fmtNum, fmtUs } from '../render/units.js';
import type { FleetBudget, FleetReading } from './assemble.js';

const na = 'n/a';
const secs = (s: number | null | undefined) => (s === undefined || s === null ? na : fmtUs(s * 1e6));
const num = (x: number | undefined, d = 1) => (x === undefined ? na : fmtNum(x, d));

/** The schemaVersion of `fleet --json`. */
export const FLEET_SCHEMA_VERSION = 1;

/** The JSON form of a reading (stable field names, `schemaVersion` first). */
export function fleetJson(reading: FleetReading, source: string, budgets: readonly FleetBudget[]): string {
  return JSON.stringify({ schemaVersion: FLEET_SCHEMA_VERSION, source, ...reading, budgets }, (_k, v: unknown) => (v === Infinity ? null : v), 2);
}

/** Render a reading as text. */
export function renderFleet(reading: FleetReading, source: string, budgets: readonly FleetBudget[], opts: { color: boolean }): string {
  const w = reading.window;
  const lines: string[] = [];
  lines.push(`Prometheus ${source}: ${new Date(w.startMs).toISOString()} to ${new Date(w.endMs).toISOString()} (${fmtNum((w.endMs - w.startMs) / 1000, 0)} s), ${reading.queries} queries`);
  for (const f of reading.families) {
    lines.push(`family ${f.id}: ${f.title}`);
    if (f.notCarried.length > 0) lines.push(`  cannot show: ${f.notCarried.join('; ')}`);
    if (f.absent.length > 0) lines.push(`  not on this server: ${f.absent.join(', ')}`);
  }
  const t = compactTable(['family', 'env', 'pool', 'replica', 'acquires/s', 'in use (Little)', 'in use (gauge)', 'wait P50', 'wait P99', 'wait mean', 'waited/s', 'hold mean', 'timeouts', 'max', 'open'], opts.color, ['left', 'left', 'left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right']);
  for (const r of reading.replicas) {
    t.push([
      r.family,
      r.env || '-',
      r.mapped ? r.pool : `${r.pool} (unmapped)`,
      r.replica || '-',
      num(r.arrivalRate, 2),
      r.use ? fmtNum(r.use.meanInUse, 3) : na,
      num(r.inUseMean, 2),
      secs(r.wait?.p50S),
      secs(r.wait?.p99S),
      secs(r.wait ? r.wait.meanS : r.waited?.meanS),
      num(r.waited?.perSecond, 2),
      secs(r.use?.meanS),
      num(r.timeouts, 0),
      num(r.max, 0),
      num(r.openMean, 1),
    ]);
  }
  lines.push('', 'Per pool, per replica:', t.toString());
  const p = compactTable(['family', 'env', 'pool', 'replicas', 'acquires/s', 'in use (Little)', 'wait P99 (fleet)', 'max (sum)'], opts.color, ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'right']);
  for (const x of reading.pools) p.push([x.family, x.env || '-', x.mapped ? x.pool : `${x.pool} (unmapped)`, String(x.replicas), num(x.arrivalRate, 2), num(x.meanInUse, 3), secs(x.fleetP99S), num(x.maxTotal, 0)]);
  lines.push('', 'Per pool, across the fleet (each replica is its own queue; the sums are for capacity, not for the queue model):', p.toString());
  for (const b of budgets) {
    lines.push(
      '',
      `Connection budget${b.env ? ` (${b.env})` : ''}: the replicas seen may open ${b.poolMaxTotal} connections${b.unknownSize ? ` (+ ${b.unknownSize} pool(s) whose size the metrics do not show)` : ''}; ` +
        `the server allows ${b.available} (max_connections ${b.serverMaxConnections} - ${b.superuserReserved} reserved - ${b.otherConnections} other): ${b.fits ? 'fits' : `over by ${b.poolMaxTotal - b.available}`}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
