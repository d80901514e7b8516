import type { AggregationType } from '../core/aggregations/definition.js';
import { utf8Length } from '../core/json.js';
import type { ArchiveRow, ArchiveTable } from '../store/maintenance.js';
import type { Page, PageRequest } from '../store/types.js';
import type { Store } from '../store/store.js';
import { type Selection, rowLine } from './format.js';
import { pagesOf } from '../store/paginate.js';

// Which rows an archive run takes: the selection (a cutoff per table) and the rows it makes eligible.

export interface ArchiveSelectionPlan {
  readonly asOf: string;
  readonly tables: readonly ArchiveTable[];
  readonly watchedBefore?: string;
  readonly expiredBefore?: Readonly<Partial<Record<AggregationType, string>>>;
  readonly changesBefore?: string;
  readonly runsBefore?: string;
}

export function selectionOf(plan: ArchiveSelectionPlan): Selection {
  const tables: Selection['tables'] = {};
  if (plan.tables.includes('watch_records') && plan.watchedBefore) tables.watch_records = { watchedBefore: plan.watchedBefore };
  if (plan.tables.includes('precomputed_aggregations') && plan.expiredBefore) tables.precomputed_aggregations = { expiredBefore: { ...plan.expiredBefore } };
  if (plan.tables.includes('data_change_log') && plan.changesBefore) tables.data_change_log = { processedAndChangedBefore: plan.changesBefore };
  if (plan.tables.includes('agg_runs') && plan.runsBefore) tables.agg_runs = { finishedBefore: plan.runsBefore };
  return { asOf: plan.asOf, tables };
}

// Eligible rows

const pages = <T>(next: (request: PageRequest) => Promise<Page<T>>): AsyncGenerator<T[]> => pagesOf(next);

/** Rows of `table` the selection makes eligible, page by page. */
export async function* eligibleRows(store: Store, selection: Selection, table: ArchiveTable): AsyncGenerator<ArchiveRow[]> {
  const maintenance = store.maintenance;
  switch (table) {
    case 'watch_records': {
      const before = selection.tables.watch_records?.watchedBefore;
      if (!before) return;
      for await (const users of pages((request) => store.listUsers(request))) {
        for (const user of users) {
          if (user.firstWatchedAt === null || !(user.firstWatchedAt < before)) continue;
          yield* pages((request) => maintenance.pageArchivableRecords(user.userId, before, request));
        }
      }
      return;
    }
    case 'precomputed_aggregations': {
      const cutoffs = selection.tables.precomputed_aggregations?.expiredBefore;
      if (!cutoffs) return;
      const latest = Object.values(cutoffs).reduce<string | null>((max, cutoff) => (cutoff !== undefined && (max === null || cutoff > max) ? cutoff : max), null);
      if (latest === null) return;
      for await (const digests of pages((request) => store.pageExpired(latest, request))) {
        const rows: ArchiveRow[] = [];
        for (const digest of digests) {
          const cutoff = cutoffs[digest.aggregationType];
          if (cutoff === undefined || !(digest.expiresAt < cutoff)) continue;
          const row = await store.readAggregation(digest);
          // Refreshed or deleted since the page was read: no longer eligible.
          if (row !== null && row.expiresAt < cutoff) rows.push(row);
        }
        if (rows.length > 0) yield rows;
      }
      return;
    }
    case 'data_change_log': {
      const before = selection.tables.data_change_log?.processedAndChangedBefore;
      if (before) yield* pages((request) => maintenance.pageProcessedChanges(before, request));
      return;
    }
    case 'agg_runs': {
      const before = selection.tables.agg_runs?.finishedBefore;
      if (before) yield* pages((request) => maintenance.pageFinishedRuns(before, request));
      return;
    }
  }
}

/** Counts what an archive run would take, table by table (for --dry-run and the --yes warning). */
export async function countEligible(store: Store, selection: Selection, tables: readonly ArchiveTable[]): Promise<Record<string, { rows: number; bytes: number; users: number }>> {
  const out: Record<string, { rows: number; bytes: number; users: number }> = {};
  for (const table of tables) {
    const users = new Set<string>();
    const total = { rows: 0, bytes: 0, users: 0 };
    for await (const rows of eligibleRows(store, selection, table)) {
      total.rows += rows.length;
      for (const row of rows) {
        total.bytes += utf8Length(rowLine(row)) + 1;
        if ('userId' in row) users.add(row.userId);
      }
    }
    total.users = users.size;
    out[table] = total;
  }
  return out;
}
