import Database from 'better-sqlite3';
import { type Stats, closeSync, constants, copyFileSync, linkSync, openSync, readSync, statSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { StoreError } from '../errors.js';
import { lostStoreError, notAStoreError } from './sqlite-errors.js';

// The embedded store's file on disk: what agg finds at its path before opening it, how a new one comes
// into being, and whether the file at the path is still the one agg has open.

/** The first 16 bytes of every SQLite database file. */
const SQLITE_HEADER = Buffer.from('SQLite format 3\u0000', 'latin1');

function statOrNull(path: string): Stats | null {
  return statSync(path, { throwIfNoEntry: false }) ?? null;
}

/**
 * 'missing' when nothing is at `path`, 'database' when an SQLite database is. Anything else is refused,
 * never initialized over: an empty file (truncated, or `touch`ed) or one that is not SQLite is somebody's
 * data or a damaged store, and treating it as a new empty store would hide that every command long.
 */
export function inspectStoreFile(path: string): 'missing' | 'database' {
  const stats = statOrNull(path);
  if (stats === null) return 'missing';
  if (!stats.isFile()) throw new StoreError(`cannot open the embedded store at ${path}: it is not a file`, 'permanent');
  if (stats.size === 0) throw notAStoreError(path, 'empty (0 bytes)');
  const header = Buffer.alloc(SQLITE_HEADER.length);
  const fd = openSync(path, 'r');
  let read: number;
  try {
    read = readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (read < header.length || !header.equals(SQLITE_HEADER)) throw notAStoreError(path, `a file of ${stats.size.toLocaleString('en-US')} bytes`);
  return 'database';
}

/**
 * Creates the store at `path` whole: `prepare` builds it in a file of its own beside `path`, which is
 * then linked into place only if nothing is there yet. So no process ever sees a half-made store (an
 * empty file, which is refused), and two processes creating it at once end up sharing one of the two.
 */
export function createStoreFile(path: string, prepare: (db: Database.Database) => void): void {
  const building = `${path}.creating-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const db = new Database(building);
    try {
      prepare(db);
    } finally {
      db.close();
    }
    try {
      linkSync(building, path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return;
      // File systems without hard links: an exclusive copy, still never over an existing file.
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
      try {
        copyFileSync(building, path, constants.COPYFILE_EXCL);
      } catch (copyError) {
        if ((copyError as NodeJS.ErrnoException).code !== 'EEXIST') throw copyError;
      }
    }
  } finally {
    for (const leftover of [building, `${building}-wal`, `${building}-shm`]) {
      try {
        unlinkSync(leftover);
      } catch {
        // not there
      }
    }
  }
}

interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
}

/**
 * Remembers which file agg opened at `path` (device and inode), and how large it was, and tells when the
 * path names another file, none, or a truncated one. A store deleted (`rm -rf .agg`) or replaced under a
 * running agg would otherwise take every later write into a file nobody can open again. The write-ahead
 * log is watched too once agg has used it: it holds the newest transactions until they are checkpointed.
 */
export class StoreFileGuard {
  private readonly identity: FileIdentity;
  private size: number;
  private wal: FileIdentity | null = null;
  private lost: StoreError | null = null;

  constructor(private readonly path: string) {
    const stats = statSync(path);
    this.identity = { dev: stats.dev, ino: stats.ino };
    this.size = stats.size;
  }

  /** Throws (now and on every later call) once the file at the path is not the one agg opened. */
  check(): void {
    if (this.lost) throw this.lost;
    const stats = statOrNull(this.path);
    // agg never shrinks its file (no VACUUM): a smaller one was truncated by someone else.
    if (stats === null || stats.dev !== this.identity.dev || stats.ino !== this.identity.ino || stats.size < this.size) {
      this.lost = lostStoreError(this.path);
      throw this.lost;
    }
    this.size = stats.size;
    const wal = statOrNull(`${this.path}-wal`);
    if (this.wal === null) {
      // SQLite deletes the log only when the last connection closes, and agg's stays open: from the
      // first time it is seen, the log must stay the same file.
      if (wal !== null) this.wal = { dev: wal.dev, ino: wal.ino };
    } else if (wal === null || wal.dev !== this.wal.dev || wal.ino !== this.wal.ino) {
      this.lost = lostStoreError(this.path);
      throw this.lost;
    }
  }
}
