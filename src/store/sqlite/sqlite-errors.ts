import { StoreError } from '../errors.js';

// What a failure of the embedded store means, from better-sqlite3's error codes (extended codes
// included: SQLITE_BUSY_SNAPSHOT is a busy store, SQLITE_CORRUPT_INDEX a damaged one).

const RESTORE_HINT = 'restore it from a backup (archived rows come back with agg archive --restore)';

/** How messages name the store: `the embedded store /path/agg.db`, or the in-memory one. */
export function storeName(path: string | null): string {
  return path === null ? 'the in-memory embedded store' : `the embedded store ${path}`;
}

/** The file is damaged (corrupt pages, a missing table): nothing can be trusted, so every call stops. */
export function damagedStoreError(path: string | null, what: string): StoreError {
  return new StoreError(`${storeName(path)} is damaged (${what}); ${RESTORE_HINT}`, 'permanent');
}

/** The file at the store's path is no longer the one agg opened: whatever agg wrote now would be lost. */
export function lostStoreError(path: string): StoreError {
  return new StoreError(`${storeName(path)} was deleted or replaced while agg was using it; nothing more was written`, 'permanent');
}

/** A store agg refuses to open: the file is there, but it is no SQLite database (never initialized over). */
export function notAStoreError(path: string, what: string): StoreError {
  return new StoreError(
    `${storeName(path)} is ${what}, not an SQLite database; agg will not start a new store over it: ${RESTORE_HINT}, or move it away to start afresh`,
    'permanent',
  );
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/** The first line of an error's message, shortened: messages quote SQLite, which can be long. */
function detail(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const line = message.split('\n')[0]!;
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

/**
 * The StoreError a better-sqlite3 failure stands for, or null when it is none of the store's business
 * (a bug in agg's SQL, a TypeError): those pass on as they are.
 */
export function sqliteStoreError(error: unknown, path: string | null): StoreError | null {
  if (error instanceof StoreError) return error;
  const code = codeOf(error);
  const message = detail(error);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') || /^database (table )?is locked/.test(message)) {
    // Another process holds the write lock for longer than the busy timeout: worth waiting for.
    return new StoreError(`${storeName(path)} is busy: another agg process is writing to it (${code || message})`, 'transient');
  }
  if (code === 'SQLITE_READONLY_DBMOVED' && path !== null) return lostStoreError(path);
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB' || /database disk image is malformed|file is not a database/.test(message)) {
    return damagedStoreError(path, message);
  }
  const table = /no such table: (?:main\.)?(\w+)/.exec(message);
  if (table) return damagedStoreError(path, `its table ${table[1]!} is missing`);
  if (/^SQLITE_(READONLY|CANTOPEN|FULL|IOERR|PERM|AUTH|NOLFS|PROTOCOL)/.test(code)) {
    return new StoreError(`${storeName(path)} cannot be written (${code}: ${message})`, 'permanent');
  }
  return null;
}
