import { InfrastructureError } from '../errors.js';
import type { ArchiveManifestRow, ArchiveTable } from '../store/maintenance.js';
import type { ArchiveDestination } from './destination.js';
import { deleteRows } from './delete.js';
import type { ArchiveEnvironment } from './environment.js';
import { MAX_CHUNKS_PER_ARCHIVE, exportArchive } from './export.js';
import type { Manifest, Selection } from './format.js';
import { type Deletion, parseRowManifest } from './manifest-row.js';

// `agg archive`: export eligible rows as verified chunks, then delete them from the store, so that a
// crash at any point followed by a rerun leaves every row in the store or in a verified archive,
// never lost and never archived twice. The protocol, one archive at a time, under a lease:
//
//   1. a manifest row is created with status `exporting` before any chunk is written;
//   2. chunks are written (each atomically), then manifest.json; every chunk is read back and checked;
//   3. only then does the row become `verified` (with the full manifest and its SHA-256);
//   4. rows are deleted chunk by chunk, each deleting call checking the row is unchanged since export;
//   5. the row becomes `deleted` (the archive is complete), with the keys of rows that changed
//      meanwhile (kept in the store; a restore skips their stale copies).
//
// A rerun first finishes what a crashed run left: an `exporting` archive has deleted nothing, so it
// is discarded (files and row); a `verified` one is checked again and its deletion completed before
// anything new is exported. So a row is never in two archives, and never gone from the store before
// its archive was read back intact.
//
// The steps live apart: eligible.ts (which rows), export.ts (1-3), delete.ts (4-5), verify.ts
// (reading an archive back), restore.ts (putting it back), manifest-row.ts (the store's row),
// environment.ts (the stop checks; the lease is runOperation's).

export { selectionOf } from './eligible.js';

// One archive

export interface ArchiveOutcome {
  readonly manifestId: string;
  readonly location: string;
  readonly rows: number;
  readonly chunks: number;
  readonly bytes: number;
  readonly tables: Record<string, number>;
  readonly deletion: Deletion;
  /** Finished for a run that crashed or was interrupted. */
  readonly resumed: boolean;
}

function outcomeOf(row: ArchiveManifestRow, manifest: Manifest, deletion: Deletion, destination: ArchiveDestination, resumed: boolean): ArchiveOutcome {
  return {
    manifestId: manifest.manifestId,
    location: destination.describe(manifest.manifestId),
    rows: manifest.rowCount,
    chunks: manifest.chunks.length,
    bytes: manifest.bytes,
    tables: Object.fromEntries(manifest.tables.map((t) => [t.table, t.rows])),
    deletion,
    resumed,
  };
}

// Finishing what a crashed run left

export interface Leftovers {
  readonly resumed: ArchiveOutcome[];
  readonly discarded: { manifestId: string; location: string }[];
}

export async function finishLeftovers(env: ArchiveEnvironment): Promise<Leftovers> {
  const { store } = env;
  const resumed: ArchiveOutcome[] = [];
  const discarded: { manifestId: string; location: string }[] = [];
  for (const row of await store.maintenance.listArchiveManifests()) {
    if (row.status === 'exporting') {
      // Nothing of it was deleted: its files (if any) and its row go; the rows are still in the store.
      const destination = env.open(row.destination);
      if (destination) await destination.remove(row.manifestId);
      await store.maintenance.deleteArchiveManifest(row.manifestId, 'exporting');
      discarded.push({ manifestId: row.manifestId, location: destination?.describe(row.manifestId) ?? row.destination });
    } else if (row.status === 'verified') {
      const destination = env.open(row.destination);
      if (!destination) throw new InfrastructureError(`archive ${row.manifestId} is half done (its rows are being deleted) at ${row.destination}, which this agg cannot open; finish it from a machine that can`);
      const manifest = parseRowManifest(row).file;
      if (!manifest) throw new InfrastructureError(`archive ${row.manifestId} is marked verified but its row holds no manifest`);
      const deletion = await deleteRows(env, destination, row, manifest);
      resumed.push(outcomeOf(row, manifest, deletion, destination, true));
    }
  }
  return { resumed, discarded };
}

/**
 * Archives everything the selection makes eligible, as one or more archives, after finishing leftovers.
 * The caller holds the archive lease (runOperation, as `agg archive` does) and passes its loss in `env`.
 */
export async function runArchive(
  env: ArchiveEnvironment,
  destination: ArchiveDestination,
  selection: Selection,
  tables: readonly ArchiveTable[],
  rowsPerChunk: number,
  maxChunks = MAX_CHUNKS_PER_ARCHIVE,
): Promise<{ leftovers: Leftovers; archives: ArchiveOutcome[] }> {
  const leftovers = await finishLeftovers(env);
  const archives: ArchiveOutcome[] = [];
  while (tables.length > 0) {
    const exported = await exportArchive(env, destination, selection, tables, rowsPerChunk, maxChunks);
    if (exported === null) break;
    const deletion = await deleteRows(env, destination, exported.row, exported.manifest);
    archives.push(outcomeOf(exported.row, exported.manifest, deletion, destination, false));
    if (!exported.more) break;
  }
  return { leftovers, archives };
}

/** The ledger row's counts of an archive run: rows archived (and finished for a crashed run), archives, chunks, bytes. */
export function archiveLedgerCounts(result: { leftovers: Leftovers; archives: readonly ArchiveOutcome[] }): Record<string, number> {
  const all = [...result.leftovers.resumed, ...result.archives];
  const sum = (of: (outcome: ArchiveOutcome) => number) => all.reduce((total, outcome) => total + of(outcome), 0);
  return { archived: sum((o) => o.rows), archives: all.length, chunks: sum((o) => o.chunks), bytes: sum((o) => o.bytes), resumed: result.leftovers.resumed.length, discarded: result.leftovers.discarded.length };
}
