import { AGGREGATION_TYPES } from '../core/aggregations/definition.js';
import { VALIDATION_STATUSES } from '../store/types.js';
import type { RunRecord } from '../store/types.js';

// A run's counts as machine output shows them (agg runs --json, agg runs show --json): named and
// nested, never the ledger's internal keys ("status:match", "type:kpi:match", "guardrail:served").

export interface ReadableCounts {
  readonly [key: string]: unknown;
  readonly users?: { readonly total: number; readonly done: number; readonly failed: number };
  /** validate: results by status, and by type and status where any did not match. */
  readonly results?: { readonly byStatus: Record<string, number>; readonly byType: Record<string, Record<string, number>> };
  /** validate --rollback-on-drift: served users validated, and those with drift. */
  readonly guardrail?: { readonly servedUsers: number; readonly usersWithDrift: number };
}

const USER_KEYS = new Set(['usersTotal', 'usersDone', 'usersFailed']);

export function readableCounts(run: Pick<RunRecord, 'counts'>): ReadableCounts {
  const counts = run.counts;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(counts)) {
    if (USER_KEYS.has(key) || key.includes(':')) continue;
    out[key] = value;
  }
  if ([...USER_KEYS].some((key) => key in counts)) out.users = { total: counts.usersTotal ?? 0, done: counts.usersDone ?? 0, failed: counts.usersFailed ?? 0 };
  if (VALIDATION_STATUSES.some((status) => `status:${status}` in counts)) {
    const byStatus = Object.fromEntries(VALIDATION_STATUSES.map((status) => [status, counts[`status:${status}`] ?? 0]));
    const byType: Record<string, Record<string, number>> = {};
    for (const type of AGGREGATION_TYPES) {
      const row = Object.fromEntries(VALIDATION_STATUSES.map((status) => [status, counts[`type:${type}:${status}`] ?? 0]));
      if (VALIDATION_STATUSES.some((status) => status !== 'match' && row[status]! > 0)) byType[type] = row;
    }
    out.results = { byStatus, byType };
  }
  if ('guardrail:served' in counts || 'guardrail:drift' in counts) out.guardrail = { servedUsers: counts['guardrail:served'] ?? 0, usersWithDrift: counts['guardrail:drift'] ?? 0 };
  return out as ReadableCounts;
}
