import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
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

  describe(archiveId: string): string {
    return join(this.root, archiveId);
  }

  async put(archiveId: string, name: string, bytes: Uint8Array): Promise<void> {
    const dir = join(this.root, archiveId);
    const path = join(dir, name);
    try {
      await mkdir(dir, { recursive: true });
    } catch (error) {
      throw failure(dir, 'create the archive directory', error);
    }
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
