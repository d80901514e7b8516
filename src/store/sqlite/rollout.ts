import type { FlagChange, FlagChangeOutcome, OverrideMode, RolloutEvent, RolloutFlag, RolloutOverride } from '../types.js';
import { type Row, eventOf, flagOf } from './rows.js';
import type { SqliteContext } from './sqlite-context.js';

// Rollout flags, their overrides and their audit log in the embedded store.

export async function getFlag(store: SqliteContext, flag: string): Promise<RolloutFlag | null> {
  return store.run(() => {
    const row = store.db.prepare(`SELECT * FROM rollout_flags WHERE flag = ?`).get(flag) as Row | undefined;
    return row ? flagOf(row) : null;
  });
}

export async function listFlags(store: SqliteContext): Promise<RolloutFlag[]> {
  return store.run(() => (store.db.prepare(`SELECT * FROM rollout_flags ORDER BY flag`).all() as Row[]).map(flagOf));
}

export async function listOverrides(store: SqliteContext, flag: string): Promise<RolloutOverride[]> {
  return store.run(() =>
    (store.db.prepare(`SELECT * FROM rollout_overrides WHERE flag = ? ORDER BY user_id`).all(flag) as Row[]).map((row) => ({
      flag: row.flag as string,
      userId: row.user_id as string,
      mode: row.mode as OverrideMode,
    })),
  );
}

export async function applyFlagChange(store: SqliteContext, change: FlagChange): Promise<FlagChangeOutcome> {
  return store.run(() =>
    store.db.transaction((): FlagChangeOutcome => {
      if (store.db.prepare(`SELECT 1 FROM rollout_events WHERE event_id = ?`).get(change.event.eventId)) return { applied: true };
      const current = store.db.prepare(`SELECT updated_at FROM rollout_flags WHERE flag = ?`).get(change.flag.flag) as Row | undefined;
      if (((current?.updated_at as string | undefined) ?? null) !== change.expectedUpdatedAt) return { applied: false, reason: 'conflict' };
      const { flag } = change;
      store.db
        .prepare(
          `INSERT OR REPLACE INTO rollout_flags (flag, basis_points, salt, rolled_back, min_records, require_fresh_grid, updated_at, updated_by)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(flag.flag, flag.basisPoints, flag.salt, flag.rolledBack ? 1 : 0, flag.minRecords, flag.requireFreshGrid ? 1 : 0, flag.updatedAt, flag.updatedBy);
      const clear = store.db.prepare(`DELETE FROM rollout_overrides WHERE flag = ? AND user_id = ?`);
      for (const userId of change.clearOverrides) clear.run(flag.flag, userId);
      const set = store.db.prepare(`INSERT OR REPLACE INTO rollout_overrides (flag, user_id, mode) VALUES (?, ?, ?)`);
      for (const override of change.setOverrides) set.run(override.flag, override.userId, override.mode);
      const { event } = change;
      store.db
        .prepare(
          `INSERT INTO rollout_events (event_id, flag, at, actor, action, from_basis_points, to_basis_points, reason, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(event.eventId, event.flag, event.at, event.actor, event.action, event.fromBasisPoints, event.toBasisPoints, event.reason, JSON.stringify(event.details));
      return { applied: true };
    }).immediate(),
  );
}

export async function listFlagEvents(store: SqliteContext, flag: string, limit: number): Promise<RolloutEvent[]> {
  return store.run(() =>
    (store.db.prepare(`SELECT * FROM rollout_events WHERE flag = ? ORDER BY at DESC, event_id DESC LIMIT ?`).all(flag, limit) as Row[]).map(eventOf),
  );
}
