import type Database from 'better-sqlite3';
import { StoreError } from '../errors.js';
import { MIGRATIONS } from './migrations.js';
import { damagedStoreError, storeName } from './sqlite-errors.js';

// The embedded store's schema on open: brought up to this agg's version, and checked to be whole.

/** The schema version this agg writes (PRAGMA user_version counts the migrations applied). */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Stores up to this size are checked page by page (PRAGMA quick_check, about 1 GB/s) on every open. */
export const QUICK_CHECK_MAX_BYTES = 256 * 1024 * 1024;

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Applies the migrations the store lacks, each in a write transaction begun IMMEDIATE that re-reads the
 * version first: two processes opening an old store at once migrate it once.
 */
export function migrate(db: Database.Database, path: string | null): void {
  const found = schemaVersion(db);
  if (found > SCHEMA_VERSION) {
    throw new StoreError(`${storeName(path)} has schema version ${found}, newer than this agg (${SCHEMA_VERSION}); upgrade agg`, 'permanent');
  }
  if (found === SCHEMA_VERSION) return;
  db.transaction(() => {
    for (let step = schemaVersion(db); step < SCHEMA_VERSION; step++) {
      db.exec(MIGRATIONS[step]!);
      db.pragma(`user_version = ${step + 1}`);
    }
  }).immediate();
}

/** The tables the migrations create (and do not drop again), in order. */
function expectedTables(): string[] {
  const tables: string[] = [];
  for (const step of MIGRATIONS) {
    for (const match of step.matchAll(/\b(CREATE|DROP)\s+TABLE\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?(\w+)/gi)) {
      const name = match[2]!;
      if (match[1]!.toUpperCase() === 'CREATE') tables.push(name);
      else if (tables.includes(name)) tables.splice(tables.indexOf(name), 1);
    }
  }
  return tables;
}

const EXPECTED_TABLES = expectedTables();

/** Refuses a store with a table missing (dropped by hand, a bad restore): its writes would fail later. */
export function checkTables(db: Database.Database, path: string | null): void {
  const present = new Set((db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>).map((row) => row.name));
  const missing = EXPECTED_TABLES.filter((table) => !present.has(table));
  if (missing.length > 0) throw damagedStoreError(path, `${missing.length === 1 ? 'its table' : 'its tables'} ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing`);
}

/** SQLite's own check of every page and b-tree (not of indexes against tables: that is integrity_check). */
export function quickCheck(db: Database.Database, path: string | null): void {
  const rows = db.pragma('quick_check(10)') as Array<{ quick_check: string }>;
  // Problems come one a row, or several to a row under a "*** in database main ***" heading.
  const problems = rows
    .flatMap((row) => row.quick_check.split('\n'))
    .map((text) => text.trim())
    .filter((text) => text !== '' && text !== 'ok' && !text.startsWith('*** '));
  if (problems.length === 0) return;
  const first = problems[0]!.length > 120 ? `${problems[0]!.slice(0, 117)}...` : problems[0]!;
  throw damagedStoreError(path, `PRAGMA quick_check: ${first}${problems.length > 1 ? `, and more` : ''}`);
}
