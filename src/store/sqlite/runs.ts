import type { RunRecord } from '../types.js';
import { RUN_COLUMNS, type Row, runOf, runValues } from './rows.js';
import type { SqliteContext } from './sqlite-context.js';

// The run ledger (agg_runs) in the embedded store.

export async function putRun(store: SqliteContext, run: RunRecord): Promise<void> {
  await store.run(() => store.db.prepare(`INSERT OR REPLACE INTO agg_runs (${RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(...runValues(run)),
  );
}

export async function getRun(store: SqliteContext, runId: string): Promise<RunRecord | null> {
  return store.run(() => {
    const row = store.db.prepare(`SELECT * FROM agg_runs WHERE run_id = ?`).get(runId) as Row | undefined;
    return row ? runOf(row) : null;
  });
}

export async function listRuns(store: SqliteContext, limit: number, command?: string): Promise<RunRecord[]> {
  return store.run(() =>
    (
      (command === undefined
        ? store.db.prepare(`SELECT * FROM agg_runs ORDER BY started_at DESC, run_id DESC LIMIT ?`).all(limit)
        : store.db.prepare(`SELECT * FROM agg_runs WHERE command = ? ORDER BY started_at DESC, run_id DESC LIMIT ?`).all(command, limit)) as Row[]
    ).map(runOf),
  );
}
