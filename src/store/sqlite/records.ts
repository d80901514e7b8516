import type { InputRecord } from '../../core/record.js';
import { type StoredRecord, fromStoredRecord, toStoredRecord } from '../record-codec.js';
import type {
  ChangeStamp,
  GridFreshnessFloor,
  GridFreshnessOutcome,
  Page,
  PageRequest,
  RecordWrite,
  RecordWriteOutcome,
  UserDeletionStep,
  UserSummary,
} from '../types.js';
import { recordChange } from './records-change.js';
import { type Row, afterKey, decodeCursor, page, userOf } from './rows.js';
import type { SqliteContext } from './sqlite-context.js';

// Users and their records in the embedded store.

/** The tables holding a user's data, in deletion order (results before the stats that serve them). */
const USER_TABLES = [
  { table: 'watch_records', key: 'user_id, record_id' },
  { table: 'precomputed_aggregations', key: 'user_id, aggregation_type, filter_hash' },
  // After the headers: a content row that a header (written meanwhile) still references stays.
  {
    table: 'aggregation_contents',
    key: 'user_id, data_hash',
    where: 'NOT EXISTS (SELECT 1 FROM precomputed_aggregations h WHERE h.user_id = aggregation_contents.user_id AND h.data_hash = aggregation_contents.data_hash)',
  },
  {
    table: 'aggregation_content_parts',
    key: 'user_id, data_hash, part',
    where: 'NOT EXISTS (SELECT 1 FROM aggregation_contents c WHERE c.user_id = aggregation_content_parts.user_id AND c.data_hash = aggregation_content_parts.data_hash)',
  },
  { table: 'filter_combinations', key: 'user_id, filter_hash' },
  { table: 'data_change_log', key: 'change_id' },
  { table: 'rollout_overrides', key: 'flag, user_id' },
  { table: 'user_validations', key: 'user_id' },
  { table: 'user_stats', key: 'user_id' },
] as const;
const USER_DELETE_STEP = 2000;

export async function listUsers(store: SqliteContext, request: PageRequest): Promise<Page<UserSummary>> {
  return store.run(() => {
    const limit = request.limit ?? 1000;
    const key = afterKey(['user_id'], request.cursor === null ? null : decodeCursor(request.cursor, 1));
    const rows = store.db
      .prepare(`SELECT * FROM user_stats WHERE TRUE${key.and} ORDER BY user_id LIMIT ?`)
      .all(...key.values, limit + 1) as Row[];
    return page(rows, limit, (row) => [row.user_id as string], userOf);
  });
}

export async function getUser(store: SqliteContext, userId: string): Promise<UserSummary | null> {
  return store.run(() => {
    const row = store.db.prepare(`SELECT * FROM user_stats WHERE user_id = ?`).get(userId) as Row | undefined;
    return row ? userOf(row) : null;
  });
}

export async function raiseGridFreshness(store: SqliteContext, floors: readonly GridFreshnessFloor[], now: string): Promise<GridFreshnessOutcome> {
  if (floors.length === 0) return { raised: 0, refused: [] };
  return store.run(() =>
    store.db.transaction(() => {
      const select = store.db.prepare(`SELECT grid_fresh_until FROM user_stats WHERE user_id = ?`);
      const raise = store.db.prepare(`UPDATE user_stats SET grid_fresh_until = ? WHERE user_id = ?`);
      let raised = 0;
      const refused: string[] = [];
      for (const floor of floors) {
        const current = ((select.get(floor.userId) as Row | undefined)?.grid_fresh_until as string | null | undefined) ?? null;
        if (current === null || current < now) refused.push(floor.userId);
        else if (current < floor.atLeast) raised += raise.run(floor.atLeast, floor.userId).changes;
      }
      return { raised, refused };
    }).immediate(),
  );
}

export async function setGridFreshness(store: SqliteContext, userId: string, freshUntil: string | null): Promise<void> {
  await store.run(() => store.db.prepare(`UPDATE user_stats SET grid_fresh_until = ? WHERE user_id = ?`).run(freshUntil, userId));
}

export async function putRecords(store: SqliteContext, write: RecordWrite): Promise<RecordWriteOutcome> {
  return store.run(() =>
    store.db.transaction(() => {
      const select = store.db.prepare(`SELECT body FROM watch_records WHERE user_id = ? AND record_id = ?`);
      const upsert = store.db.prepare(
        `INSERT INTO watch_records (user_id, record_id, watched_at, body) VALUES (?, ?, ?, ?)
         ON CONFLICT (user_id, record_id) DO UPDATE SET watched_at = excluded.watched_at, body = excluded.body`,
      );
      let inserted = 0;
      let updated = 0;
      let unchanged = 0;
      for (const record of write.records) {
        const stored = toStoredRecord(record);
        const body = JSON.stringify(stored);
        const existing = select.get(write.userId, stored.recordId) as Row | undefined;
        if (existing && existing.body === body) {
          unchanged++;
          continue;
        }
        upsert.run(write.userId, stored.recordId, stored.watchedAt, body);
        if (existing) updated++;
        else inserted++;
      }
      if (inserted + updated > 0) {
        recordChange(store.db, write.userId, inserted, write.change, inserted + updated);
      }
      return { inserted, updated, unchanged };
    }).immediate(),
  );
}

export async function pageRecords(store: SqliteContext, userId: string, request: PageRequest): Promise<Page<InputRecord>> {
  return store.run(() => {
    const limit = request.limit ?? 2000;
    const key = afterKey(['record_id'], request.cursor === null ? null : decodeCursor(request.cursor, 1));
    const rows = store.db
      .prepare(`SELECT record_id, body FROM watch_records WHERE user_id = ?${key.and} ORDER BY record_id LIMIT ?`)
      .all(userId, ...key.values, limit + 1) as Row[];
    return page(rows, limit, (row) => [row.record_id as string], (row) => fromStoredRecord(JSON.parse(row.body as string) as StoredRecord));
  });
}

export async function deleteRecords(store: SqliteContext, userId: string, recordIds: readonly string[], change: ChangeStamp): Promise<number> {
  return store.run(() =>
    store.db.transaction(() => {
      const remove = store.db.prepare(`DELETE FROM watch_records WHERE user_id = ? AND record_id = ?`);
      let deleted = 0;
      for (const recordId of recordIds) deleted += remove.run(userId, recordId).changes;
      if (deleted > 0) {
        recordChange(store.db, userId, -deleted, change, deleted);
      }
      return deleted;
    }).immediate(),
  );
}

export async function deleteUserStep(store: SqliteContext, userId: string): Promise<UserDeletionStep> {
  return store.run(() =>
    store.db.transaction((): UserDeletionStep => {
      for (const entry of USER_TABLES) {
        const { table, key } = entry;
        const where = 'where' in entry ? ` AND ${entry.where}` : '';
        // A bounded step: at most USER_DELETE_STEP rows, by primary key (the tables have no rowid).
        const deleted = store.db
          .prepare(`DELETE FROM ${table} WHERE (${key}) IN (SELECT ${key} FROM ${table} WHERE user_id = ?${where} LIMIT ${USER_DELETE_STEP})`)
          .run(userId).changes;
        if (deleted > 0) return { deleted, done: false, table };
      }
      return { deleted: 0, done: true, table: null };
    }).immediate(),
  );
}
