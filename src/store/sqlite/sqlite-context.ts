import type Database from 'better-sqlite3';

/** What the embedded store's modules work with: its database, and its one way to run an operation on it. */
export interface SqliteContext {
  readonly db: Database.Database;
  /** One operation (one statement or one transaction) under the store's retry policy and file checks (see SqliteStore.run). */
  run<T>(operation: () => T): Promise<T>;
}
