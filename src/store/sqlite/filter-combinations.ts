import type { Filters } from '../../core/filters.js';
import { canonicalFilters, filterHash } from '../../core/filters.js';
import type { FilterCombination } from '../types.js';
import { type Row, combinationOf } from './rows.js';
import type { SqliteContext } from './sqlite-context.js';

// The filter combinations the app has used, in the embedded store.

export async function listFilterCombinations(store: SqliteContext, userId: string): Promise<FilterCombination[]> {
  return store.run(() =>
    (store.db.prepare(`SELECT * FROM filter_combinations WHERE user_id = ? ORDER BY filter_hash`).all(userId) as Row[]).map(combinationOf),
  );
}

export async function recordFilterUse(store: SqliteContext, userId: string, filters: Filters, at: string): Promise<void> {
  const canonical = canonicalFilters(filters);
  await store.run(() =>
    store.db
      .prepare(
        `INSERT INTO filter_combinations (user_id, filter_hash, filters, last_used, usage_count) VALUES (?, ?, ?, ?, 1)
         ON CONFLICT (user_id, filter_hash) DO UPDATE SET usage_count = usage_count + 1, last_used = MAX(last_used, excluded.last_used)`,
      )
      .run(userId, filterHash(canonical), JSON.stringify(canonical), at),
  );
}
