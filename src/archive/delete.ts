import { InfrastructureError } from '../errors.js';
import type { JsonValue } from '../core/json.js';
import { formatIsoInstant } from '../core/time/iso.js';
import type { ArchiveManifestRow, ArchiveTable } from '../store/maintenance.js';
import type { ArchiveDestination } from './destination.js';
import { type ArchiveEnvironment, ROWS_PER_CALL, checkLease, checkSignal, reportProgress } from './environment.js';
import { type Manifest, RETAINED_FILE, encodeRetained, rowKey, sha256OfBytes } from './format.js';
import { type Deletion, parseRowManifest, putRow } from './manifest-row.js';
import { checkChunks, readRows } from './verify.js';

// Steps 4-5 of the protocol (archiver.ts): the archived rows deleted from the store, the row `deleted`.

/**
 * Deletes an archive's rows from the store, chunk by chunk, each only where the store still holds the
 * archived copy; then marks the archive complete. Safe to repeat: rows already gone count as such.
 */
export async function deleteRows(env: ArchiveEnvironment, destination: ArchiveDestination, row: ArchiveManifestRow, manifest: Manifest): Promise<Deletion> {
  const { store } = env;
  // Every chunk is checked again first: the files may have changed since the row said `verified`.
  const problems = (await checkChunks(destination, manifest)).filter((c) => c.problem !== null);
  if (problems.length > 0) {
    throw new InfrastructureError(
      `archive ${manifest.manifestId} cannot be completed: ${problems[0]!.problem}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}; no row was deleted in this run, and rows of this archive not yet deleted are still in the store; restore the chunk files, then run again`,
    );
  }
  const at = formatIsoInstant(env.context.now());
  const change = { manifestId: manifest.manifestId, at };
  const totals = { deleted: 0, alreadyGone: 0, bytesFreed: 0 };
  const retained: { table: ArchiveTable; key: string[] }[] = [];
  for (const entry of manifest.chunks) {
    const rows = await readRows(destination, manifest.manifestId, entry);
    for (let i = 0; i < rows.length; i += ROWS_PER_CALL) {
      checkSignal(env, `archive ${manifest.manifestId} was deleting rows (every row is in the store or in the verified archive)`);
      const batch = rows.slice(i, i + ROWS_PER_CALL);
      const outcome = await store.maintenance.deleteArchivedRows(entry.table, batch as never[], change);
      totals.deleted += outcome.deleted;
      totals.alreadyGone += outcome.missing;
      totals.bytesFreed += outcome.bytesFreed;
      for (const index of outcome.changedRows) retained.push({ table: entry.table, key: rowKey(entry.table, batch[index]!) });
      reportProgress(env, 'deleted', totals.deleted + totals.alreadyGone + retained.length);
      checkLease(env);
    }
  }
  let retainedSha256: string | null = null;
  if (retained.length > 0) {
    const bytes = encodeRetained(retained);
    await destination.put(manifest.manifestId, RETAINED_FILE, bytes);
    retainedSha256 = sha256OfBytes(bytes);
  }
  const deletion: Deletion = { at, deleted: totals.deleted, alreadyGone: totals.alreadyGone, retained: retained.length, retainedSha256, bytesFreed: totals.bytesFreed };
  const previous = parseRowManifest(row);
  await putRow(store, { ...row, status: 'deleted', manifest: { ...previous, deletion } as unknown as JsonValue }, 'verified');
  return deletion;
}
