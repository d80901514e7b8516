import type { UserValidation } from '../types.js';
import type { Row } from './rows.js';
import type { SqliteContext } from './sqlite-context.js';

// Validation outcomes in the embedded store: one row per user, replaced by each validate run.

export async function putValidations(store: SqliteContext, rows: readonly UserValidation[]): Promise<void> {
  await store.run(() =>
    store.db.transaction(() => {
      const put = store.db.prepare(`INSERT OR REPLACE INTO user_validations (user_id, run_id, validated_at, clean, counts) VALUES (?, ?, ?, ?, ?)`);
      for (const row of rows) put.run(row.userId, row.runId, row.validatedAt, row.clean ? 1 : 0, JSON.stringify(row.counts));
    }).immediate(),
  );
}

export async function getValidations(store: SqliteContext, userIds: readonly string[]): Promise<UserValidation[]> {
  return store.run(() => {
    const get = store.db.prepare(`SELECT * FROM user_validations WHERE user_id = ?`);
    const out: UserValidation[] = [];
    for (const userId of userIds) {
      const row = get.get(userId) as Row | undefined;
      if (row) {
        out.push({
          userId: row.user_id as string,
          runId: row.run_id as string,
          validatedAt: row.validated_at as string,
          clean: row.clean === 1,
          counts: JSON.parse(row.counts as string) as UserValidation['counts'],
        });
      }
    }
    return out;
  });
}
