/**
 * What `check` found, its exit code, and what its output formats (src/core/check/formats/, one
 * file each) share. Pure: no I/O.
 */
import { ExitCode } from '../errors.js';
import { formatIssue, type Issue } from '../config/validate.js';
import { formatThreshold, type Threshold } from '../thresholds/parse.js';
import type { ThresholdResult } from '../thresholds/evaluate.js';
import { budgetArithmetic, layerLine, type BudgetResult, type StaticResult } from './static.js';
import { FORMAT_VERSION } from '../saved.js';

/** Version of `check --format json`'s shape. */
export const CHECK_SCHEMA_VERSION = FORMAT_VERSION.checkJson;

/** Everything `check` found, ready to render. */
export interface CheckReport {
  /** The saved run the thresholds were evaluated on (absent with `--static`). */
  run?: { path: string; createdAt: string; target: string; partial: boolean; environments: string[] };
  /** Every threshold, parsed (evaluated or not). */
  thresholds: Threshold[];
  /** Results per environment and pool; empty when the thresholds were not evaluated. */
  results: ThresholdResult[];
  /** Whether the thresholds were evaluated (false with `--static`, or when the static checks stopped a run). */
  evaluated: boolean;
  /** Why they were not (default: `--static` needs no run). */
  notEvaluatedReason?: string;
  /** The static checks, or why they were skipped. */
  static?: StaticResult;
  staticSkipped?: string;
  /** The run holds no samples at all in the selected environments. */
  noSamples: boolean;
}

/** Counts and the exit code of a report. */
export interface CheckOutcome {
  exitCode: 0 | 1 | 4;
  held: number;
  breached: number;
  noData: number;
  errors: number;
  warnings: number;
  budgetsOver: number;
}

/**
 * The exit code: 1 for a config error (lint or an over-subscribed budget); else 4 when
 * thresholds were to be evaluated on a run with no samples at all (they would mean nothing);
 * else 1 for a breached threshold or one without data; else 0.
 */
export function checkOutcome(r: CheckReport): CheckOutcome {
  const held = r.results.filter((x) => x.status === 'held').length;
  const breached = r.results.filter((x) => x.status === 'breached').length;
  const noData = r.results.filter((x) => x.status === 'no-data').length;
  const issues = r.static?.issues ?? [];
  const errors = issues.filter((i) => i.severity === 'error').length;
  const warnings = issues.length - errors;
  const budgetsOver = (r.static?.budgets ?? []).filter((b) => b.status === 'over').length;
  let exitCode: CheckOutcome['exitCode'] = ExitCode.Ok;
  if (errors > 0) exitCode = ExitCode.CheckFailed;
  else if (r.evaluated && r.thresholds.length > 0 && r.noSamples) exitCode = ExitCode.NoData;
  // A figure the evidence's source cannot see is not enough data to answer (exit 4), not a breach.
  else if (breached === 0 && noData > 0 && r.results.every((x) => x.status !== 'no-data' || x.unseen)) exitCode = ExitCode.NoData;
  else if (breached > 0 || noData > 0) exitCode = ExitCode.CheckFailed;
  return { exitCode, held, breached, noData, errors, warnings, budgetsOver };
}

/** Options of the text renderer. */
export interface TextOptions {
  color: boolean;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function notEvaluated(r: CheckReport): string {
  return r.notEvaluatedReason ?? '--static needs no run';
}

export function groupByEnv(results: readonly ThresholdResult[]): Map<string, ThresholdResult[]> {
  const m = new Map<string, ThresholdResult[]>();
  for (const r of results) {
    const list = m.get(r.env) ?? [];
    list.push(r);
    m.set(r.env, list);
  }
  return m;
}

export function budgetLine(b: BudgetResult): string {
  if (b.status === 'skipped') return `${b.env}: not checked: ${b.reason}`;
  const src = b.serverSource === 'run' ? ' (server max from the saved run)' : b.serverSource === 'observed' ? ' (server max as the server says)' : '';
  const plain = !b.layers.some((l) => l.layer === 'pgbouncer') && b.services.every((s) => s.peakReplicas === s.replicas);
  if (plain && b.serverMaxConnections !== undefined) return `${b.env}: ${budgetArithmetic(b)} ${b.status === 'ok' ? '<=' : '>'} server max_connections ${b.serverMaxConnections}${src}`;
  return [`${b.env}:${src}`, ...b.layers.map((l) => `    ${l.status === 'over' || l.status === 'over-at-peak' ? 'OVER ' : ''}${layerLine(l)}`)].join('\n');
}
