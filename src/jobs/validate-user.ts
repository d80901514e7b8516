import type { AggregationType } from '../core/aggregations/definition.js';
import { iterateAggregations } from '../core/compute.js';
import { yieldIfBusy } from '../runtime/yield.js';
import { type Dataset, prepareDataset } from '../core/dataset.js';
import type { Filters } from '../core/filters.js';
import type { JsonValue } from '../core/json.js';
import { REGISTRY } from '../core/registry.js';
import type { StoredAggregation, ValidationStatus } from '../store/types.js';
import type { Store } from '../store/store.js';
import { type DiffEntry, diffJson } from './json-diff.js';
import { readConsistentRecords } from './consistent-records.js';
import { aggregationKeyString, userFilterSets } from './user-data.js';
import { paginate } from '../store/paginate.js';

export interface ValidateSpec {
  readonly types: readonly AggregationType[];
  readonly grid: readonly Filters[];
  /** Relative tolerance for numbers. */
  readonly tolerance: number;
  readonly maxDiffs: number;
  /** The instant rows are judged expired against. */
  readonly now: string;
}

export interface Finding {
  readonly userId: string;
  readonly aggregationType: AggregationType;
  readonly filterHash: string;
  /** Null for a stored row whose filter set is no longer known (an orphan). */
  readonly filters: Filters | null;
  readonly status: ValidationStatus;
  readonly diffs: DiffEntry[];
  /** Differences found in all (diffs lists at most --max-diffs of them). */
  readonly diffCount: number;
  /** What is stored, when something is (for repair: delete only if still this data). */
  readonly dataHash: string | null;
  readonly computedAt: string | null;
  readonly expiresAt: string | null;
}

export interface UserValidationResult {
  readonly userId: string;
  readonly findings: Finding[];
  readonly counts: Record<ValidationStatus, number>;
  readonly records: number;
  /** The zone most of the user's stored rows were computed in (repair keeps it); null when none. */
  readonly timeZone: string | null;
  /** The records revision the rows were judged against (a repair marks changes only if it still holds). */
  readonly revision: string | null;
}

const emptyCounts = (): Record<ValidationStatus, number> => ({ match: 0, drift: 0, stale: 0, missing: 0, orphan: 0, outdated: 0, expired: 0 });

/**
 * Classifies every stored aggregation of one user in scope, and every expected one that is absent.
 * Precedence: orphan (user gone, or filter set unknown), outdated (older algorithm version), stale
 * (computed from another revision of the records than the current one; for rows from before agg kept
 * revisions, a change-log entry no backfill has processed is newer; and every row while the records
 * change under the read),
 * then a recomputation with the stored asOf and timeZone: drift when the data differs beyond the
 * tolerance, else expired (past expiresAt) or match. Stored data is read and compared, not just its hash: what the app serves is the data.
 */
export async function validateUser(store: Store, userId: string, spec: ValidateSpec): Promise<UserValidationResult> {
  const inScope = new Set<string>(spec.types);
  const [changes, filterSets] = await Promise.all([store.listChanges(userId), userFilterSets(store, userId, spec.grid)]);
  const stored: StoredAggregation[] = [];
  for await (const row of paginate((page) => store.pageUserAggregations(userId, page))) if (inScope.has(row.aggregationType)) stored.push(row);
  const expected = new Map(filterSets.map((set) => [set.filterHash, set.filters]));
  // Only pending changes make a row stale: a backfill that processed a change has rewritten the user's
  // rows or recomputed them and found them equal (then it keeps their computedAt); such rows are
  // compared like any other.
  const latestChange = changes.reduce<string | null>((latest, change) => (!change.processed && (latest === null || change.changedAt > latest) ? change.changedAt : latest), null);
  const snapshot = await readConsistentRecords(store, userId);
  const { user, records } = snapshot;
  const isStale = (row: StoredAggregation): boolean => {
    if (!snapshot.consistent) return true;
    if (row.recordsRevision != null) return row.recordsRevision !== snapshot.revision;
    return latestChange !== null && latestChange > row.computedAt;
  };
  const datasets = new Map<string, Dataset>();
  const datasetFor = (asOf: string, timeZone: string): Dataset => {
    const key = `${asOf}|${timeZone}`;
    let dataset = datasets.get(key);
    if (!dataset) datasets.set(key, (dataset = prepareDataset(records, { asOf, timeZone })));
    return dataset;
  };

  const findings: Finding[] = [];
  const counts = emptyCounts();
  const record = (finding: Omit<Finding, 'userId' | 'diffs' | 'diffCount'> & { diffs?: DiffEntry[]; diffCount?: number }): void => {
    counts[finding.status]++;
    findings.push({ userId, diffs: [], diffCount: 0, ...finding });
  };
  const seen = new Set<string>();
  for (const row of stored) {
    await yieldIfBusy();
    seen.add(aggregationKeyString(row));
    const base = { aggregationType: row.aggregationType, filterHash: row.filterHash, dataHash: row.dataHash, computedAt: row.computedAt, expiresAt: row.expiresAt };
    const filters = expected.get(row.filterHash) ?? null;
    if (!user || filters === null) {
      record({ ...base, filters: row.filters, status: 'orphan' });
    } else if (row.version !== REGISTRY[row.aggregationType].version) {
      record({ ...base, filters, status: 'outdated' });
    } else if (isStale(row)) {
      record({ ...base, filters, status: 'stale' });
    } else {
      const [fresh] = [...iterateAggregations(datasetFor(row.asOf, row.timeZone), [row.aggregationType], [filters])];
      const diff = diffJson(row.data, fresh!.data as JsonValue, { tolerance: spec.tolerance, maxDiffs: spec.maxDiffs });
      if (diff.total > 0) record({ ...base, filters, status: 'drift', diffs: diff.entries, diffCount: diff.total });
      else record({ ...base, filters, status: row.expiresAt < spec.now ? 'expired' : 'match' });
    }
  }
  if (user) {
    for (const { filters, filterHash } of filterSets) {
      for (const type of spec.types) {
        if (!seen.has(`${type}|${filterHash}`)) record({ aggregationType: type, filterHash, filters, status: 'missing', dataHash: null, computedAt: null, expiresAt: null });
      }
    }
  }
  const zones = new Map<string, number>();
  for (const row of stored) zones.set(row.timeZone, (zones.get(row.timeZone) ?? 0) + 1);
  const timeZone = [...zones].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0] ?? null;
  return { userId, findings, counts, records: records.length, timeZone, revision: snapshot.consistent ? snapshot.revision : null };
}
