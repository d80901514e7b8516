import { InfrastructureError } from '../errors.js';
import type { ArchiveManifestRow, ArchiveRow, ArchiveTable } from '../store/maintenance.js';
import type { ArchiveDestination } from './destination.js';
import { ARCHIVE_FORMAT, type ChunkEntry, MANIFEST_FILE, type Manifest, decodeChunk, manifestSchema, sha256OfBytes } from './format.js';
import { parseRowManifest } from './manifest-row.js';

// Checking an archive's files against its manifest: right after export, before deleting, for --verify
// and before a restore.

// Checking an archive

export interface ChunkCheck {
  readonly file: string;
  readonly table: ArchiveTable;
  readonly rows: number;
  readonly problem: string | null;
}

/** Reads every chunk back and checks it against the manifest; never stops at the first problem. */
export async function checkChunks(destination: ArchiveDestination, manifest: Manifest, onRows?: (entry: ChunkEntry, rows: ArchiveRow[]) => void): Promise<ChunkCheck[]> {
  const checks: ChunkCheck[] = [];
  for (const entry of manifest.chunks) {
    const decoded = decodeChunk(entry, await destination.get(manifest.manifestId, entry.file));
    if ('problem' in decoded) checks.push({ file: entry.file, table: entry.table, rows: entry.rows, problem: decoded.problem });
    else {
      checks.push({ file: entry.file, table: entry.table, rows: entry.rows, problem: null });
      onRows?.(entry, decoded.rows);
    }
  }
  return checks;
}

export async function readRows(destination: ArchiveDestination, manifestId: string, entry: ChunkEntry): Promise<ArchiveRow[]> {
  const decoded = decodeChunk(entry, await destination.get(manifestId, entry.file));
  if ('problem' in decoded) {
    throw new InfrastructureError(`archive ${manifestId}: ${decoded.problem}; stopped before changing anything that depends on it (agg archive --verify ${manifestId} for the full check)`);
  }
  return decoded.rows;
}

// Reading an archive back: --verify and --restore

export interface LoadedArchive {
  readonly manifestId: string;
  readonly destination: ArchiveDestination;
  /** From manifest.json when it is readable and valid, else from the store's row. */
  readonly manifest: Manifest | null;
  readonly row: ArchiveManifestRow | null;
  /** Problems with manifest.json itself (missing, invalid, or not the one the row recorded). */
  readonly manifestProblems: string[];
}

export async function loadArchive(destination: ArchiveDestination, manifestId: string, row: ArchiveManifestRow | null): Promise<LoadedArchive> {
  const problems: string[] = [];
  const bytes = await destination.get(manifestId, MANIFEST_FILE);
  let fromFile: Manifest | null = null;
  if (bytes === null) problems.push(`${MANIFEST_FILE} is missing`);
  else {
    let parsed: unknown;
    let unreadable: string | null = null;
    try {
      parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
    } catch (error) {
      unreadable = (error as Error).message.replace(/[\u0000-\u001f]+/g, ' ');
    }
    const checked = manifestSchema.safeParse(parsed);
    if (unreadable !== null) problems.push(`${MANIFEST_FILE} is not valid JSON (${unreadable})`);
    else if (!checked.success) problems.push(`${MANIFEST_FILE} is not a valid ${ARCHIVE_FORMAT} manifest (${checked.error.issues[0]!.path.join('.') || 'document'}: ${checked.error.issues[0]!.message})`);
    else if (checked.data.manifestId !== manifestId) problems.push(`${MANIFEST_FILE} belongs to archive ${checked.data.manifestId}, not ${manifestId}`);
    else fromFile = checked.data;
    const recorded = row ? parseRowManifest(row).manifestSha256 : undefined;
    if (fromFile && recorded !== undefined && sha256OfBytes(bytes) !== recorded) problems.push(`${MANIFEST_FILE} is not the one recorded in the store when the archive was verified`);
  }
  const fromRow = row ? (parseRowManifest(row).file ?? null) : null;
  return { manifestId, destination, manifest: problems.length === 0 ? fromFile : (fromRow ?? fromFile), row, manifestProblems: problems };
}
