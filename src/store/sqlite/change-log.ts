import type { ChangeEntry, ChangeVersion, PendingUser } from '../types.js';
import { type Row, afterKey, changeOf } from './rows.js';
import type { SqliteContext } from './sqlite-context.js';

// The embedded store's change log, as incremental backfill reads and marks it.

export async function* pendingUsers(store: SqliteContext): AsyncIterable<PendingUser> {
  let after: string | null = null;
  for (;;) {
    const key = afterKey(['user_id'], after === null ? null : [after]);
    const users = await store.run(
      () =>
        store.db
          .prepare(`SELECT DISTINCT user_id FROM data_change_log WHERE processed = 0${key.and} ORDER BY user_id LIMIT 500`)
          .all(...key.values) as Row[],
    );
    if (users.length === 0) return;
    for (const { user_id: userId } of users) {
      const rows = await store.run(
        () => store.db.prepare(`SELECT change_id, changed_at, revision FROM data_change_log WHERE processed = 0 AND user_id = ? ORDER BY changed_at, change_id`).all(userId) as Row[],
      );
      if (rows.length === 0) continue;
      yield {
        userId: userId as string,
        changes: rows.map((row) => ({ changeId: row.change_id as string, changedAt: row.changed_at as string, revision: (row.revision as string | null) ?? null })),
        oldestChangedAt: rows[0]!.changed_at as string,
      };
    }
    after = users[users.length - 1]!.user_id as string;
  }
}

export async function listChanges(store: SqliteContext, userId: string): Promise<ChangeEntry[]> {
  return store.run(() =>
    (store.db.prepare(`SELECT * FROM data_change_log WHERE user_id = ? ORDER BY changed_at, change_id`).all(userId) as Row[]).map(changeOf),
  );
}

export async function markChangesProcessed(store: SqliteContext, userId: string, changes: readonly ChangeVersion[], at: string): Promise<number> {
  return store.run(() =>
    store.db.transaction(() => {
      const mark = store.db.prepare(
        `UPDATE data_change_log SET processed = 1, processed_at = ?
         WHERE change_id = ? AND user_id = ? AND processed = 0 AND changed_at = ? AND (? IS NULL OR revision IS ?)`,
      );
      let marked = 0;
      for (const change of changes) marked += mark.run(at, change.changeId, userId, change.changedAt, change.revision ?? null, change.revision ?? null).changes;
      return marked;
    }).immediate(),
  );
}
