import { orphanReason } from '../../core/expected-aggregations.js';
import { utf8Length } from '../../core/json.js';
import type { ChunkSetKey, FinishedRunKey, OrphanChunkSet } from '../maintenance.js';
import type { AggregationKey, ChangeEntry, DeleteOutcome, FilterCombination, Page, PageRequest, RunRecord } from '../types.js';
import { releaseContent } from './contents.js';
import { type Row, afterKey, changeOf, combinationOf, decodeCursor, page, runOf } from './rows.js';
import type { SqliteContext } from './sqlite-context.js';

// What `agg cleanup` deletes from the embedded store: each deletion re-checks its condition in its own
// transaction.

export async function pageStaleFilterCombinations(store: SqliteContext, before: string, request: PageRequest): Promise<Page<FilterCombination>> {
  return store.run(() => {
    const limit = request.limit ?? 2000;
    const key = afterKey(['last_used', 'user_id', 'filter_hash'], request.cursor === null ? null : decodeCursor(request.cursor, 3));
    const rows = store.db
      .prepare(`SELECT * FROM filter_combinations WHERE last_used < ?${key.and} ORDER BY last_used, user_id, filter_hash LIMIT ?`)
      .all(before, ...key.values, limit + 1) as Row[];
    return page(rows, limit, (row) => [row.last_used, row.user_id, row.filter_hash] as string[], combinationOf);
  });
}

export async function deleteStaleFilterCombinations(store: SqliteContext, keys: readonly { userId: string; filterHash: string }[], before: string): Promise<DeleteOutcome> {
  return store.run(() =>
    store.db.transaction(() => {
      const select = store.db.prepare(`SELECT * FROM filter_combinations WHERE user_id = ? AND filter_hash = ?`);
      const remove = store.db.prepare(`DELETE FROM filter_combinations WHERE user_id = ? AND filter_hash = ?`);
      let deleted = 0;
      let missing = 0;
      let bytesFreed = 0;
      for (const key of keys) {
        const row = select.get(key.userId, key.filterHash) as Row | undefined;
        if (!row) {
          missing++;
          continue;
        }
        if (!((row.last_used as string) < before)) continue;
        remove.run(key.userId, key.filterHash);
        deleted++;
        bytesFreed += utf8Length(JSON.stringify(combinationOf(row)));
      }
      return { deleted, missing, bytesFreed };
    }).immediate(),
  );
}

export async function deleteOrphanAggregations(store: SqliteContext, keys: readonly AggregationKey[]): Promise<DeleteOutcome> {
  return store.run(() =>
    store.db.transaction(() => {
      const select = store.db.prepare(`SELECT bytes, data_hash FROM precomputed_aggregations WHERE user_id = ? AND aggregation_type = ? AND filter_hash = ?`);
      const remove = store.db.prepare(`DELETE FROM precomputed_aggregations WHERE user_id = ? AND aggregation_type = ? AND filter_hash = ?`);
      const user = store.db.prepare(`SELECT 1 FROM user_stats WHERE user_id = ?`);
      const used = store.db.prepare(`SELECT 1 FROM filter_combinations WHERE user_id = ? AND filter_hash = ?`);
      let deleted = 0;
      let missing = 0;
      let bytesFreed = 0;
      for (const key of keys) {
        const row = select.get(key.userId, key.aggregationType, key.filterHash) as Row | undefined;
        if (!row) {
          missing++;
          continue;
        }
        const userExists = user.get(key.userId) !== undefined;
        const combinationHashes = new Set(userExists && used.get(key.userId, key.filterHash) !== undefined ? [key.filterHash] : []);
        if (orphanReason({ userExists, filterHash: key.filterHash, combinationHashes }) === null) continue;
        remove.run(key.userId, key.aggregationType, key.filterHash);
        releaseContent(store.db, key.userId, row.data_hash as string);
        deleted++;
        bytesFreed += row.bytes as number;
      }
      return { deleted, missing, bytesFreed };
    }).immediate(),
  );
}

export async function pageProcessedChanges(store: SqliteContext, before: string, request: PageRequest): Promise<Page<ChangeEntry>> {
  return store.run(() => {
    const limit = request.limit ?? 4000;
    const key = afterKey(['changed_at', 'change_id'], request.cursor === null ? null : decodeCursor(request.cursor, 2));
    const rows = store.db
      .prepare(`SELECT * FROM data_change_log WHERE processed = 1 AND changed_at < ?${key.and} ORDER BY changed_at, change_id LIMIT ?`)
      .all(before, ...key.values, limit + 1) as Row[];
    return page(rows, limit, (row) => [row.changed_at, row.change_id] as string[], changeOf);
  });
}

export async function deleteProcessedChanges(store: SqliteContext, changeIds: readonly string[], before: string): Promise<DeleteOutcome> {
  return store.run(() =>
    store.db.transaction(() => {
      const select = store.db.prepare(`SELECT * FROM data_change_log WHERE change_id = ?`);
      const remove = store.db.prepare(`DELETE FROM data_change_log WHERE change_id = ?`);
      let deleted = 0;
      let missing = 0;
      let bytesFreed = 0;
      for (const changeId of changeIds) {
        const row = select.get(changeId) as Row | undefined;
        if (!row) {
          missing++;
          continue;
        }
        if (row.processed !== 1 || !((row.changed_at as string) < before)) continue;
        remove.run(changeId);
        deleted++;
        bytesFreed += utf8Length(JSON.stringify(changeOf(row)));
      }
      return { deleted, missing, bytesFreed };
    }).immediate(),
  );
}

export async function pageFinishedRuns(store: SqliteContext, before: string, request: PageRequest): Promise<Page<RunRecord>> {
  return store.run(() => {
    const limit = request.limit ?? 1000;
    const key = afterKey(['finished_at', 'run_id'], request.cursor === null ? null : decodeCursor(request.cursor, 2));
    const rows = store.db
      .prepare(`SELECT * FROM agg_runs WHERE finished_at IS NOT NULL AND finished_at < ?${key.and} ORDER BY finished_at, run_id LIMIT ?`)
      .all(before, ...key.values, limit + 1) as Row[];
    return page(rows, limit, (row) => [row.finished_at, row.run_id] as string[], runOf);
  });
}

export async function deleteFinishedRuns(store: SqliteContext, runs: readonly FinishedRunKey[], before: string): Promise<DeleteOutcome> {
  return store.run(() =>
    store.db.transaction(() => {
      const select = store.db.prepare(`SELECT * FROM agg_runs WHERE run_id = ?`);
      const remove = store.db.prepare(`DELETE FROM agg_runs WHERE run_id = ?`);
      let deleted = 0;
      let missing = 0;
      let bytesFreed = 0;
      for (const { runId } of runs) {
        const row = select.get(runId) as Row | undefined;
        if (!row) {
          missing++;
          continue;
        }
        if (row.finished_at === null || !((row.finished_at as string) < before)) continue;
        remove.run(runId);
        deleted++;
        bytesFreed += utf8Length(JSON.stringify(runOf(row)));
      }
      return { deleted, missing, bytesFreed };
    }).immediate(),
  );
}

// The embedded store writes and releases a result's content in the header's own transaction, and keeps
// no chunk documents: there is nothing to orphan.
export async function pageOrphanChunkSets(store: SqliteContext, _minAgeMs: number, _request: PageRequest): Promise<Page<OrphanChunkSet>> {
  return store.run(() => ({ items: [], cursor: null, isDone: true }));
}

export async function deleteOrphanChunkSets(store: SqliteContext, _sets: readonly ChunkSetKey[], _minAgeMs: number): Promise<DeleteOutcome> {
  return store.run(() => ({ deleted: 0, missing: 0, bytesFreed: 0 }));
}
