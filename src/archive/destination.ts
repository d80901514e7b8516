import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { type AggError, UsageError, fsFailure } from '../errors.js';
import { writeFileAtomically } from '../runtime/write-file-atomically.js';

/**
 * Where archives live. An archive is a named set of objects (chunks and a manifest) under its id.
 * The local directory is the default; Convex file storage or an object store can implement the same
 * four operations. `put` must be atomic: an object is either absent or complete.
 */
export interface ArchiveDestination {
  /** Recorded in manifests, and enough to find the archive again (e.g. "local:/srv/agg/archive"). */
  readonly location: string;
  put(archiveId: string, name: string, bytes: Uint8Array): Promise<void>;
  /** The object's bytes, or null when it does not exist. */
  get(archiveId: string, name: string): Promise<Uint8Array | null>;
  /** Removes an archive and everything in it; removing one that does not exist is not an error. */
  remove(archiveId: string): Promise<void>;
  /** Where an archive's objects can be seen by a person (a directory path, a URL). */
  describe(archiveId: string): string;
}

const LOCAL = 'local:';

function failure(path: string, action: string, error: unknown): AggError {
  const code = (error as NodeJS.ErrnoException).code;
  // Under an archive directory, a file where a directory should be is what ENOTDIR and EEXIST mean.
  if (code === 'ENOTDIR' || code === 'EEXIST') return new UsageError(`${path}: cannot ${action}: a file is in the way of the archive directory`);
  return fsFailure(path, action, error, code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? '(choose another --out)' : '');
}

const CHOOSE_ANOTHER = '(choose another --out)';

/**
 * Creates `dir` and its missing parents one level at a time, returning the levels it created, outermost
 * first. A recursive mkdir spins forever where a directory exists but refuses children with ENOENT
 * (/proc, /sys as root), so each level is created alone and such a refusal is named.
 */
async function createLevels(dir: string, what: string): Promise<string[]> {
  const missing: string[] = [];
  let level = dir;
  for (;;) {
    const found = await stat(level).then(
      (s) => s,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
        throw failure(dir, `create ${what}`, error);
      },
    );
    if (found !== null) {
      if (found.isDirectory()) break;
      const why = level === dir ? 'a file is in the way' : `${level} is a file, not a directory`;
      throw new UsageError(`${dir}: cannot create ${what}: ${why} ${CHOOSE_ANOTHER}`);
    }
    missing.unshift(level);
    const parent = dirname(level);
    if (parent === level) break;
    level = parent;
  }
  const created: string[] = [];
  for (const path of missing) {
    try {
      await mkdir(path);
      created.push(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && (await stat(path).then((s) => s.isDirectory(), () => false))) continue;
      await removeLevels(created);
      // The parent exists (found or just created), so ENOENT means it takes no new directories.
      if (code === 'ENOENT') throw new UsageError(`${dir}: cannot create ${what}: ${dirname(path)} does not allow new directories ${CHOOSE_ANOTHER}`);
      throw failure(dir, `create ${what}`, error);
    }
  }
  return created;
}

/** Removes directories createLevels made (innermost first), when they are still empty. */
async function removeLevels(created: readonly string[]): Promise<void> {
  for (const path of [...created].reverse()) await rmdir(path).catch(() => undefined);
}

/** A directory on this machine: one subdirectory per archive, objects written through a temporary file and a rename. */
export class LocalDirectoryDestination implements ArchiveDestination {
  readonly location: string;

  constructor(readonly root: string) {
    this.location = `${LOCAL}${root}`;
  }

  static at(dir: string, cwd: string): LocalDirectoryDestination {
    return new LocalDirectoryDestination(resolve(cwd, dir));
  }

  /** The destination a manifest row names, when this agg can open it. */
  static fromLocation(location: string): LocalDirectoryDestination | null {
    if (!location.startsWith(LOCAL)) return null;
    const root = location.slice(LOCAL.length);
    return isAbsolute(root) ? new LocalDirectoryDestination(root) : null;
  }

  /**
   * Fails with one line naming the directory unless archives can be written there: creates it (one
   * level at a time), writes and removes a probe file, and removes again what it created, so that a
   * bad --out is refused before any work and a good one is left as it was.
   */
  async check(): Promise<void> {
    const created = await createLevels(this.root, 'the archive directory');
    const probe = join(this.root, `.agg-write-check-${randomBytes(6).toString('hex')}`);
    try {
      await writeFile(probe, '', { flag: 'wx' });
      await rm(probe, { force: true });
    } catch (error) {
      throw failure(this.root, 'write', error);
    } finally {
      await removeLevels(created);
    }
  }

  describe(archiveId: string): string {
    return join(this.root, archiveId);
  }

  async put(archiveId: string, name: string, bytes: Uint8Array): Promise<void> {
    const dir = join(this.root, archiveId);
    const path = join(dir, name);
    await createLevels(dir, 'the archive directory');
    await writeFileAtomically(path, bytes, { describeFailure: (error) => failure(path, 'write', error) });
  }

  async get(archiveId: string, name: string): Promise<Uint8Array | null> {
    const path = join(this.root, archiveId, name);
    try {
      return await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw failure(path, 'read', error);
    }
  }

  async remove(archiveId: string): Promise<void> {
    const dir = join(this.root, archiveId);
    try {
      await rm(dir, { recursive: true, force: true });
    } catch (error) {
      throw failure(dir, 'remove', error);
    }
  }

  /** Archive ids present in the directory (for tests and for finding strays). */
  async list(): Promise<string[]> {
    try {
      return (await readdir(this.root, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw failure(this.root, 'list', error);
    }
  }
}
