import type Database from 'better-sqlite3';
import { nextRecordsRevision } from '../../core/records-revision.js';
import type { ChangeStamp } from '../types.js';
import type { Row } from './rows.js';

// A records change of the embedded store, wherever records come or go (import, edit, delete, archive,
// restore): user_stats kept exact under a new records revision, and the change-log entry that carries it.

/** Keeps user_stats exact and makes a new records revision, which it returns (for the change-log entry). */
function touchStats(db: Database.Database, userId: string, countDelta: number, change: { changeId: string; at: string }): string {
  const at = change.at;
  const current = db.prepare(`SELECT record_count, records_revision FROM user_stats WHERE user_id = ?`).get(userId) as Row | undefined;
  const revision = nextRecordsRevision((current?.records_revision as string | null | undefined) ?? null, change);
  const recordCount = ((current?.record_count as number | undefined) ?? 0) + countDelta;
  if (recordCount <= 0) {
    db.prepare(`DELETE FROM user_stats WHERE user_id = ?`).run(userId);
    return revision;
  }
  const bounds = db
    .prepare(`SELECT MIN(watched_at) AS first, MAX(watched_at) AS last FROM watch_records WHERE user_id = ? AND watched_at IS NOT NULL`)
    .get(userId) as Row;
  db
    .prepare(
      `INSERT INTO user_stats (user_id, record_count, first_watched_at, last_watched_at, last_change_at, records_revision) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET record_count = excluded.record_count, first_watched_at = excluded.first_watched_at,
         last_watched_at = excluded.last_watched_at, last_change_at = excluded.last_change_at, records_revision = excluded.records_revision`,
    )
    .run(userId, recordCount, bounds.first ?? null, bounds.last ?? null, at, revision);
  return revision;
}

function extendChange(db: Database.Database, userId: string, change: ChangeStamp, recordCount: number, revision: string): void {
  db
    .prepare(
      `INSERT INTO data_change_log (change_id, user_id, change_type, record_count, changed_at, processed, processed_at, revision)
       VALUES (?, ?, ?, ?, ?, 0, NULL, ?)
       ON CONFLICT (change_id) DO UPDATE SET record_count = record_count + excluded.record_count,
         changed_at = excluded.changed_at, processed = 0, processed_at = NULL, revision = excluded.revision`,
    )
    .run(change.changeId, userId, change.changeType, recordCount, change.at, revision);
}

/** A records change: the new revision in user_stats and in the change-log entry, in the caller's transaction. */
export function recordChange(db: Database.Database, userId: string, countDelta: number, change: ChangeStamp, recordCount: number): void {
  extendChange(db, userId, change, recordCount, touchStats(db, userId, countDelta, change));
}
