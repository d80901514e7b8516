import type Database from 'better-sqlite3';

// Content-addressed result data in the embedded store: the canonical JSON of a result lives once per
// (user, dataHash) in aggregation_contents, and every header of that user with that dataHash refers to
// it. Callers run these inside the transaction that writes or deletes the header, so a content row
// exists exactly while some header of its user references it.
//
// A long text is stored in parts: its first PART_CHARS in aggregation_contents, the rest in
// aggregation_content_parts. Binding one 6 MB string costs SQLite and better-sqlite3 three copies of it
// in malloc, which glibc keeps after they are freed (12 MiB of a heavy user's 200 MiB backfill); parts
// keep every bound value small.

/** UTF-16 code units per part (at most 1.5 MiB of UTF-8). */
export const PART_CHARS = 512 * 1024;

/** The text cut into parts of at most PART_CHARS, never between the two halves of a surrogate pair. */
export function splitIntoParts(text: string): string[] {
  const parts: string[] = [];
  let start = 0;
  while (text.length - start > PART_CHARS) {
    let end = start + PART_CHARS;
    const last = text.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end--;
    parts.push(text.slice(start, end));
    start = end;
  }
  parts.push(text.slice(start));
  return parts;
}

/**
 * Puts the content unless the user already holds it (same hash: same text). `rewrite` (a forced
 * upsert) writes the text again, which changes nothing for the other headers that share it.
 */
export function putContent(db: Database.Database, userId: string, dataHash: string, json: string, rewrite = false): void {
  const statements = statementsOf(db);
  const [head, ...rest] = splitIntoParts(json);
  if (rewrite) statements.deleteParts.run(userId, dataHash);
  // An existing content of this hash (not rewritten) has its parts already.
  const written = statements[rewrite ? 'replace' : 'insert'].run(userId, dataHash, head).changes > 0;
  if (written) rest.forEach((part, i) => statements.insertPart.run(userId, dataHash, i + 1, part));
}

/**
 * Deletes the content when no header of the user references its dataHash any more (an indexed probe:
 * precomputed_aggregations_by_user_data_hash). Call after the header was deleted or replaced.
 */
export function releaseContent(db: Database.Database, userId: string, dataHash: string): void {
  const statements = statementsOf(db);
  if (statements.release.run(userId, dataHash, userId, dataHash).changes > 0) statements.deleteParts.run(userId, dataHash);
}

interface ContentStatements {
  readonly insert: Database.Statement;
  readonly replace: Database.Statement;
  readonly release: Database.Statement;
  readonly insertPart: Database.Statement;
  readonly deleteParts: Database.Statement;
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
      insertPart: db.prepare(`INSERT INTO aggregation_content_parts (user_id, data_hash, part, data) VALUES (?, ?, ?, ?)`),
      deleteParts: db.prepare(`DELETE FROM aggregation_content_parts WHERE user_id = ? AND data_hash = ?`),
    };
    prepared.set(db, statements);
  }
  return statements;
}

/** The header columns joined with its content's text (`data`, null when the content is missing). */
export const HEADER_WITH_DATA = `SELECT a.*, c.data || coalesce((SELECT group_concat(p.data, '' ORDER BY p.part) FROM aggregation_content_parts p
    WHERE p.user_id = c.user_id AND p.data_hash = c.data_hash), '') AS data FROM precomputed_aggregations a
  LEFT JOIN aggregation_contents c ON c.user_id = a.user_id AND c.data_hash = a.data_hash`;
