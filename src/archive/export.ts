import { randomBytes } from 'node:crypto';
import { InfrastructureError } from '../errors.js';
import { type JsonValue, utf8Length } from '../core/json.js';
import { formatIsoInstant } from '../core/time/iso.js';
import type { ArchiveManifestRow, ArchiveTable } from '../store/maintenance.js';
import type { ArchiveDestination } from './destination.js';
import { type ArchiveEnvironment, checkLease, checkSignal, reportProgress } from './environment.js';
import { eligibleRows } from './eligible.js';
import {
  ARCHIVE_FORMAT,
  type ChunkEntry,
  MANIFEST_FILE,
  type Manifest,
  type Selection,
  compareKeys,
  encodeChunk,
  manifestText,
  rowKey,
  rowLine,
  sha256OfBytes,
} from './format.js';
import { putRow } from './manifest-row.js';
import { checkChunks } from './verify.js';

// Steps 1-3 of the protocol (archiver.ts): a manifest row `exporting`, chunks and manifest.json
// written and read back, the row `verified`.

/** Chunks per archive: keeps the manifest row (two keys per chunk) under Convex's 1 MiB document limit, even with long user ids. */
export const MAX_CHUNKS_PER_ARCHIVE = 500;
/** Uncompressed bytes per chunk before it is closed early (aggregations can be large). */
const MAX_CHUNK_BYTES = 32 * 1024 * 1024;

function newManifestId(now: number): string {
  return `arc-${formatIsoInstant(now).replace(/[-:]/g, '').replace('.', '')}-${randomBytes(3).toString('hex')}`;
}

/**
 * Exports one archive's worth of eligible rows (at most MAX_CHUNKS_PER_ARCHIVE chunks), then verifies
 * it. Returns null when nothing is eligible; `more` when rows were left for another archive.
 */
export async function exportArchive(...args: Parameters<typeof exportUnverified>): ReturnType<typeof exportUnverified> {
  try {
    return await exportUnverified(...args);
  } catch (error) {
    // Nothing was deleted: clean up what we can now (a rerun discards whatever is left anyway).
    const [env, destination] = args;
    for (const row of await env.store.maintenance.listArchiveManifests().catch(() => [])) {
      if (row.status !== 'exporting' || row.destination !== destination.location) continue;
      await destination.remove(row.manifestId).catch(() => undefined);
      await env.store.maintenance.deleteArchiveManifest(row.manifestId, 'exporting').catch(() => undefined);
    }
    throw error;
  }
}

async function exportUnverified(
  env: ArchiveEnvironment,
  destination: ArchiveDestination,
  selection: Selection,
  tables: readonly ArchiveTable[],
  rowsPerChunk: number,
  maxChunks: number,
): Promise<{ row: ArchiveManifestRow; manifest: Manifest; more: boolean } | null> {
  const { store } = env;
  const createdAt = formatIsoInstant(env.context.now());
  const manifestId = newManifestId(env.context.now());
  const started: ArchiveManifestRow = {
    manifestId,
    createdAt,
    destination: destination.location,
    tables: [...tables],
    rowCount: 0,
    bytes: 0,
    status: 'exporting',
    verifiedAt: null,
    manifest: { selection } as unknown as JsonValue,
  };
  await putRow(store, started, null);

  const chunks: ChunkEntry[] = [];
  let more = false;
  let exported = 0;
  let lines: string[] = [];
  let keys: { min: string[]; max: string[] } | null = null;
  let size = 0;
  const flush = async (table: ArchiveTable): Promise<void> => {
    if (lines.length === 0) return;
    const bytes = encodeChunk(lines);
    const entry: ChunkEntry = {
      file: `chunk-${String(chunks.length + 1).padStart(5, '0')}.jsonl.gz`,
      table,
      rows: lines.length,
      bytes: bytes.length,
      uncompressedBytes: size,
      sha256: sha256OfBytes(bytes),
      minKey: keys!.min,
      maxKey: keys!.max,
    };
    await destination.put(manifestId, entry.file, bytes);
    chunks.push(entry);
    exported += lines.length;
    lines = [];
    keys = null;
    size = 0;
    reportProgress(env, 'exported', exported);
    checkLease(env);
    checkSignal(env, `archive ${manifestId} was being exported (nothing was deleted; the partial export is discarded)`);
  };
  tableLoop: for (const table of tables) {
    for await (const rows of eligibleRows(store, selection, table)) {
      for (const row of rows) {
        if (chunks.length >= maxChunks) {
          more = true;
          break tableLoop;
        }
        const line = rowLine(row);
        const key = rowKey(table, row);
        lines.push(line);
        size += utf8Length(line) + 1;
        keys = keys === null ? { min: key, max: key } : { min: compareKeys(key, keys.min) < 0 ? key : keys.min, max: compareKeys(key, keys.max) > 0 ? key : keys.max };
        if (lines.length >= rowsPerChunk || size >= MAX_CHUNK_BYTES) await flush(table);
      }
    }
    await flush(table);
  }
  if (chunks.length === 0) {
    await destination.remove(manifestId);
    await store.maintenance.deleteArchiveManifest(manifestId, 'exporting');
    return null;
  }

  const byTable = tables
    .map((table) => {
      const own = chunks.filter((c) => c.table === table);
      if (own.length === 0) return null;
      const min = own.map((c) => c.minKey).reduce((a, b) => (compareKeys(a, b) <= 0 ? a : b));
      const max = own.map((c) => c.maxKey).reduce((a, b) => (compareKeys(a, b) >= 0 ? a : b));
      return { table, rows: own.reduce((sum, c) => sum + c.rows, 0), chunks: own.length, minKey: min, maxKey: max };
    })
    .filter((t): t is NonNullable<typeof t> => t !== null);
  const manifest: Manifest = {
    format: ARCHIVE_FORMAT,
    manifestId,
    createdAt,
    destination: destination.location,
    selection,
    tables: byTable,
    chunks,
    rowCount: exported,
    bytes: chunks.reduce((sum, c) => sum + c.bytes, 0),
  };
  const text = Buffer.from(manifestText(manifest), 'utf8');
  await destination.put(manifestId, MANIFEST_FILE, text);

  // Read everything back before the row may say `verified`.
  const back = await destination.get(manifestId, MANIFEST_FILE);
  if (back === null || sha256OfBytes(back) !== sha256OfBytes(text)) throw new InfrastructureError(`archive ${manifestId}: ${MANIFEST_FILE} did not read back as written; nothing was deleted`);
  const problems = (await checkChunks(destination, manifest)).filter((c) => c.problem !== null);
  if (problems.length > 0) throw new InfrastructureError(`archive ${manifestId}: ${problems[0]!.problem} right after writing it; the destination is not reliable; nothing was deleted`);

  const verified: ArchiveManifestRow = {
    ...started,
    tables: byTable.map((t) => t.table),
    rowCount: manifest.rowCount,
    bytes: manifest.bytes,
    status: 'verified',
    verifiedAt: formatIsoInstant(env.context.now()),
    manifest: { selection, file: manifest, manifestSha256: sha256OfBytes(text) } as unknown as JsonValue,
  };
  await putRow(store, verified, 'exporting');
  return { row: verified, manifest, more };
}
