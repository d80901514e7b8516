import { stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { Store } from '../store/store.js';
import { type ArchiveDestination, LocalDirectoryDestination } from './destination.js';
import { MANIFEST_FILE } from './format.js';
import { type LoadedArchive, loadArchive } from './verify.js';

// The MANIFEST argument of agg archive --verify and --restore, found and loaded.

/** MANIFEST is a manifest.json path, an archive directory, or an archive id from --list. */
export async function locate(store: Store, argument: string, cwd: string): Promise<LoadedArchive> {
  const path = resolve(cwd, argument);
  const info = await stat(path).catch(() => null);
  if (info !== null) {
    const dir = info.isDirectory() ? path : dirname(path);
    if (!info.isDirectory() && basename(path) !== MANIFEST_FILE) throw new UsageError(`${argument}: expected an archive's ${MANIFEST_FILE}, its directory, or an archive id`);
    const manifestId = basename(dir);
    const destination: ArchiveDestination = new LocalDirectoryDestination(dirname(dir));
    const row = await store.maintenance.getArchiveManifest(manifestId);
    // Without a manifest and unknown to the store, the directory is no archive (a damaged one has either).
    if (row === null && info.isDirectory() && (await stat(join(dir, MANIFEST_FILE)).catch(() => null)) === null) {
      throw new UsageError(`${argument}: not an archive (no ${MANIFEST_FILE} in it, and this store has no archive ${manifestId}); see agg archive --list`);
    }
    return loadArchive(destination, manifestId, row);
  }
  if (/^arc-[0-9A-Za-z-]+$/.test(argument)) {
    const row = await store.maintenance.getArchiveManifest(argument);
    if (row === null) throw new UsageError(`no archive ${argument} in this store (see agg archive --list), and no such path`);
    const destination = LocalDirectoryDestination.fromLocation(row.destination);
    if (destination === null) throw new UsageError(`archive ${argument} lives at ${row.destination}, which this agg cannot open`);
    return loadArchive(destination, argument, row);
  }
  throw new UsageError(`${argument}: no such file or directory (expected a ${MANIFEST_FILE} path, an archive directory, or an archive id from agg archive --list)`);
}
