import { FindingsError, UsageError } from '../errors.js';
import type { JsonValue } from '../core/json.js';
import { formatIsoInstant } from '../core/time/iso.js';
import { type ArchiveEnvironment, ROWS_PER_CALL, checkLease, checkSignal, reportProgress } from './environment.js';
import type { Manifest } from './format.js';
import { RETAINED_FILE, decodeRetained, keyText, rowKey, sha256OfBytes } from './format.js';
import { type RestoreRecord, parseRowManifest, putRow } from './manifest-row.js';
import { type LoadedArchive, checkChunks, readRows } from './verify.js';

// `agg archive --restore`: an archive's rows put back where their key is free (idempotent).

export interface RestoreTotals {
  inserted: number;
  identical: number;
  conflicting: number;
  skippedRetained: number;
}

/** An archive found complete and intact, with the keys of the rows whose archived copies are stale. */
export interface RestorableArchive {
  readonly archive: LoadedArchive;
  readonly manifest: Manifest;
  readonly retained: ReadonlySet<string>;
}

/** Checks an archive can be restored (complete, every chunk intact), before any lease is taken or row written. */
export async function prepareRestore(archive: LoadedArchive): Promise<RestorableArchive> {
  const { manifest, row } = archive;
  if (!manifest) throw new FindingsError(`archive ${archive.manifestId} has no readable manifest (${archive.manifestProblems.join('; ')})`);
  if (row && (row.status === 'exporting' || row.status === 'verified')) {
    throw new UsageError(`archive ${archive.manifestId} is not complete (status ${row.status}); run agg archive to finish it first`);
  }
  const checks = await checkChunks(archive.destination, manifest);
  const problems = [...archive.manifestProblems, ...checks.filter((c) => c.problem !== null).map((c) => c.problem!)];
  if (problems.length > 0) throw new FindingsError(`archive ${archive.manifestId} fails verification, nothing was restored: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more; see agg archive --verify)` : ''}`);

  const retained = new Set<string>();
  const deletion = row ? parseRowManifest(row).deletion : undefined;
  if (deletion?.retainedSha256) {
    const bytes = await archive.destination.get(archive.manifestId, RETAINED_FILE);
    if (bytes === null || sha256OfBytes(bytes) !== deletion.retainedSha256) {
      throw new FindingsError(`archive ${archive.manifestId}: ${RETAINED_FILE} is missing or damaged; it names rows whose archived copies are stale, so nothing was restored`);
    }
    for (const { table, key } of decodeRetained(bytes)) retained.add(`${table}\u0000${keyText(key)}`);
  }
  return { archive, manifest, retained };
}

/** Puts a prepared archive's rows back; the caller holds the archive lease (none in a dry run). */
export async function restoreArchive(env: ArchiveEnvironment, prepared: RestorableArchive, options: { dryRun: boolean }): Promise<{ totals: RestoreTotals; byTable: Record<string, RestoreTotals> }> {
  const { store } = env;
  const { archive, manifest, retained } = prepared;
  const { row } = archive;
  const at = formatIsoInstant(env.context.now());
  const totals: RestoreTotals = { inserted: 0, identical: 0, conflicting: 0, skippedRetained: 0 };
  const byTable: Record<string, RestoreTotals> = {};
  for (const entry of manifest.chunks) {
    const all = await readRows(archive.destination, archive.manifestId, entry);
    const rows = all.filter((r) => !retained.has(`${entry.table}\u0000${keyText(rowKey(entry.table, r))}`));
    const table = (byTable[entry.table] ??= { inserted: 0, identical: 0, conflicting: 0, skippedRetained: 0 });
    table.skippedRetained += all.length - rows.length;
    totals.skippedRetained += all.length - rows.length;
    for (let i = 0; i < rows.length; i += ROWS_PER_CALL) {
      checkSignal(env, `archive ${archive.manifestId} was being restored (restoring is idempotent)`);
      const outcome = await store.maintenance.restoreArchivedRows(entry.table, rows.slice(i, i + ROWS_PER_CALL) as never[], { manifestId: archive.manifestId, at }, { dryRun: options.dryRun });
      for (const target of [table, totals]) {
        target.inserted += outcome.inserted;
        target.identical += outcome.identical;
        target.conflicting += outcome.conflicting;
      }
      reportProgress(env, options.dryRun ? 'checked' : 'restored', totals.inserted + totals.identical + totals.conflicting);
      checkLease(env);
    }
  }
  if (!options.dryRun && row && !(row.status === 'restored' && totals.inserted === 0)) {
    const previous = parseRowManifest(row);
    const record: RestoreRecord = { at, ...totals };
    await putRow(store, { ...row, status: 'restored', manifest: { ...previous, restores: [...(previous.restores ?? []), record] } as unknown as JsonValue }, row.status);
  }
  return { totals, byTable };
}
