import type Database from 'better-sqlite3';

// Content-addressed result data in the embedded store: the canonical JSON of a result lives once per
// (user, dataHash) in aggregation_contents, and every header of that user with that dataHash refers to
// it. Callers run these inside the transaction that writes or deletes the header, so a content row
// exists exactly while some header of its user references it.

/**
 * Puts the content unless the user already holds it (same hash: same text). `rewrite` (a forced
 * upsert) writes the text again, which changes nothing for the other headers that share it.
 */
export function putContent(db: Database.Database, userId: string, dataHash: string, json: string, rewrite = false): void {
  statementsOf(db)[rewrite ? 'replace' : 'insert'].run(userId, dataHash, json);
}

/**
 * Deletes the content when no header of the user references its dataHash any more (an indexed probe:
 * precomputed_aggregations_by_user_data_hash). Call after the header was deleted or replaced.
 */
export function releaseContent(db: Database.Database, userId: string, dataHash: string): void {
  statementsOf(db).release.run(userId, dataHash, userId, dataHash);
}

interface ContentStatements {
  readonly insert: Database.Statement;
  readonly replace: Database.Statement;
  readonly release: Database.Statement;
}

// Called once per result written or deleted: each database prepares these once, not once per call.
const prepared = new WeakMap<Database.Database, ContentStatements>();

function statementsOf(db: Database.Database): ContentStatements {
  let statements = prepared.get(db);
  if (statements === undefined) {
    statements = {
      insert: db.prepare(`INSERT OR IGNORE INTO aggregation_contents (user_id, data_hash, data) VALUES (?, ?, ?)`),
      replace: db.prepare(`INSERT OR REPLACE INTO aggregation_contents (user_id, data_hash, data) VALUES (?, ?, ?)`),
      release: db.prepare(
        `DELETE FROM aggregation_contents WHERE user_id = ? AND data_hash = ?
           AND NOT EXISTS (SELECT 1 FROM precomputed_aggregations WHERE user_id = ? AND data_hash = ?)`,
      ),
    };
    prepared.set(db, statements);
  }
  return statements;
}

/** The header columns joined with its content's text (`data`, null when the content is missing). */
export const HEADER_WITH_DATA = `SELECT a.*, c.data AS data FROM precomputed_aggregations a
  LEFT JOIN aggregation_contents c ON c.user_id = a.user_id AND c.data_hash = a.data_hash`;
