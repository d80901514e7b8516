import { AGGREGATION_TYPES } from '../core/aggregations/definition.js';
import { VALIDATION_STATUSES, type ValidationStatus } from '../store/types.js';
import type { RunRecord } from '../store/types.js';

// A run's counts as machine output shows them (agg runs --json, agg runs show --json, agg status
// --json): named and nested, never the ledger's internal keys ("status:match", "type:kpi:match",
// "guardrail:served", "deleted:expired"). Their shape is `runCounts` in src/cli/json-schemas/runs.ts.

/** Ledger keys that are figures of their own, shown under the same name. */
export const PLAIN_COUNT_KEYS = [
  'records',
  'inserted',
  'updated',
  'storedNotInFile',
  'written',
  'created',
  'changed',
  'rewritten',
  'unchanged',
  'refreshed',
  'bytes',
  'renewalDue',
  'renewed',
  'renewalRecomputed',
  'renewalForAge',
  'renewalResultsForAge',
  'renewalStaleGrids',
  'usersClean',
  'repaired',
  'matched',
  'deleted',
  'kept',
  'storeCalls',
  'archived',
  'archives',
  'chunks',
  'resumed',
  'discarded',
  'identical',
  'conflicting',
  'skippedRetained',
] as const;

type PlainKey = (typeof PLAIN_COUNT_KEYS)[number];

export type ReadableCounts = { -readonly [K in PlainKey]?: number } & {
  users?: { total: number; done: number; failed: number };
  /** backfill: results computed; validate: results by status, and by type and status where any did not match. */
  results?: number | { byStatus: Record<ValidationStatus, number>; byType: Record<string, Record<ValidationStatus, number>> };
  /** cleanup: rows deleted per category; delete-user: per table. */
  deletedBy?: Record<string, number>;
  /** validate --rollback-on-drift: served users validated, and those with drift. */
  guardrail?: { servedUsers: number; usersWithDrift: number };
  /** Keys this agg does not know (a row written by another version), as they are. */
  other?: Record<string, number>;
};

const USER_KEYS = new Set(['usersTotal', 'usersDone', 'usersFailed']);
const PLAIN = new Set<string>(PLAIN_COUNT_KEYS);

export function readableCounts(run: Pick<RunRecord, 'counts'>): ReadableCounts {
  const counts = run.counts;
  const out: ReadableCounts = {};
  const other: Record<string, number> = {};
  const deletedBy: Record<string, number> = {};
  // In name order: stores keep the keys of a document in different orders.
  for (const key of Object.keys(counts).sort()) {
    const value = counts[key]!;
    if (PLAIN.has(key)) out[key as PlainKey] = value;
    else if (key === 'results' && !VALIDATION_STATUSES.some((status) => `status:${status}` in counts)) out.results = value;
    else if (key.startsWith('deleted:')) deletedBy[key.slice('deleted:'.length)] = value;
    else if (!USER_KEYS.has(key) && !/^(status|type|guardrail):/.test(key)) other[key] = value;
  }
  if ([...USER_KEYS].some((key) => key in counts)) out.users = { total: counts.usersTotal ?? 0, done: counts.usersDone ?? 0, failed: counts.usersFailed ?? 0 };
  if (VALIDATION_STATUSES.some((status) => `status:${status}` in counts)) {
    const byStatus = Object.fromEntries(VALIDATION_STATUSES.map((status) => [status, counts[`status:${status}`] ?? 0])) as Record<ValidationStatus, number>;
    const byType: Record<string, Record<ValidationStatus, number>> = {};
    for (const type of AGGREGATION_TYPES) {
      const row = Object.fromEntries(VALIDATION_STATUSES.map((status) => [status, counts[`type:${type}:${status}`] ?? 0])) as Record<ValidationStatus, number>;
      if (VALIDATION_STATUSES.some((status) => status !== 'match' && row[status] > 0)) byType[type] = row;
    }
    out.results = { byStatus, byType };
    // A ledger key "results" beside validate's statuses is not one this agg writes.
    if ('results' in counts) other.results = counts.results!;
  }
  if ('guardrail:served' in counts || 'guardrail:drift' in counts) out.guardrail = { servedUsers: counts['guardrail:served'] ?? 0, usersWithDrift: counts['guardrail:drift'] ?? 0 };
  // status:… and type:… keys of statuses or types this agg does not know are kept as they are.
  for (const key of Object.keys(counts)) {
    const status = /^status:(.+)$/.exec(key)?.[1];
    const typed = /^type:([^:]+):([^:]+)$/.exec(key);
    if (status !== undefined && !(VALIDATION_STATUSES as readonly string[]).includes(status)) other[key] = counts[key]!;
    else if (key.startsWith('type:') && (typed === null || !(AGGREGATION_TYPES as readonly string[]).includes(typed[1]!) || !(VALIDATION_STATUSES as readonly string[]).includes(typed[2]!))) other[key] = counts[key]!;
    else if (key.startsWith('guardrail:') && key !== 'guardrail:served' && key !== 'guardrail:drift') other[key] = counts[key]!;
  }
  if (Object.keys(deletedBy).length > 0) out.deletedBy = deletedBy;
  if (Object.keys(other).length > 0) out.other = Object.fromEntries(Object.entries(other).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return out;
}
