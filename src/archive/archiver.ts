import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { FindingsError, InfrastructureError, InterruptedError, UsageError } from '../errors.js';
import type { AggregationType } from '../core/aggregations/definition.js';
import { type JsonValue, utf8Length } from '../core/json.js';
import { formatIsoInstant } from '../core/time/iso.js';
import type { ArchiveManifestRow, ArchiveRow, ArchiveTable, ManifestStatus } from '../store/maintenance.js';
import type { Page, PageRequest } from '../store/types.js';
import type { Store } from '../store/store.js';
import { LeaseHeldError, LeaseHolder, describeTakeover } from '../jobs/lease.js';
import type { ArchiveDestination } from './destination.js';
import {
  ARCHIVE_FORMAT,
  type ChunkEntry,
  MANIFEST_FILE,
  type Manifest,
  RETAINED_FILE,
  type Selection,
  compareKeys,
  decodeChunk,
  decodeRetained,
  encodeChunk,
  encodeRetained,
  keyText,
  manifestSchema,
  manifestText,
  rowKey,
  rowLine,
  selectionSchema,
  sha256OfBytes,
} from './format.js';

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

/** Chunks per archive: keeps the manifest row (two keys per chunk) under Convex's 1 MiB document limit, even with long user ids. */
export const MAX_CHUNKS_PER_ARCHIVE = 500;
/** Uncompressed bytes per chunk before it is closed early (aggregations can be large). */
const MAX_CHUNK_BYTES = 32 * 1024 * 1024;
/** Rows per deleting or restoring call from this side (the adapter splits further within Convex's limits). */
const ROWS_PER_CALL = 500;
export const LEASE_NAME = 'archive';

/** The archive_manifests row's `manifest` field. */
const deletionSchema = z
  .object({
    at: z.string(),
    deleted: z.number().int().nonnegative(),
    alreadyGone: z.number().int().nonnegative(),
    retained: z.number().int().nonnegative(),
    retainedSha256: z.string().nullable(),
    bytesFreed: z.number().nonnegative(),
  })
  .strict();
const restoreRecordSchema = z
  .object({ at: z.string(), inserted: z.number(), identical: z.number(), conflicting: z.number(), skippedRetained: z.number() })
  .strict();
export const rowManifestSchema = z
  .object({
    selection: selectionSchema,
    file: manifestSchema.optional(),
    manifestSha256: z.string().optional(),
    deletion: deletionSchema.optional(),
    restores: z.array(restoreRecordSchema).optional(),
  })
  .strict();
export type RowManifest = z.infer<typeof rowManifestSchema>;
export type Deletion = z.infer<typeof deletionSchema>;
export type RestoreRecord = z.infer<typeof restoreRecordSchema>;

export function parseRowManifest(row: ArchiveManifestRow): RowManifest {
  const parsed = rowManifestSchema.safeParse(row.manifest);
  if (!parsed.success) {
    throw new InfrastructureError(`the archive_manifests row of ${row.manifestId} is not in the shape this agg writes (${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message})`);
  }
  return parsed.data;
}

export interface ArchiveSelectionPlan {
  readonly asOf: string;
  readonly tables: readonly ArchiveTable[];
  readonly watchedBefore?: string;
  readonly expiredBefore?: Readonly<Partial<Record<AggregationType, string>>>;
  readonly changesBefore?: string;
  readonly runsBefore?: string;
}

export function selectionOf(plan: ArchiveSelectionPlan): Selection {
  const tables: Selection['tables'] = {};
  if (plan.tables.includes('watch_records') && plan.watchedBefore) tables.watch_records = { watchedBefore: plan.watchedBefore };
  if (plan.tables.includes('precomputed_aggregations') && plan.expiredBefore) tables.precomputed_aggregations = { expiredBefore: { ...plan.expiredBefore } };
  if (plan.tables.includes('data_change_log') && plan.changesBefore) tables.data_change_log = { processedAndChangedBefore: plan.changesBefore };
  if (plan.tables.includes('agg_runs') && plan.runsBefore) tables.agg_runs = { finishedBefore: plan.runsBefore };
  return { asOf: plan.asOf, tables };
}

export interface ArchiveEnvironment {
  readonly store: Store;
  readonly now: () => number;
  readonly signal?: AbortSignal;
  /** Opens the destination a manifest row names (null: this agg cannot). */
  readonly open: (location: string) => ArchiveDestination | null;
  readonly onProgress?: (phase: string, done: number) => void;
  /** Told when the lease of a dead archive run was taken over (one line). */
  readonly onTakeover?: (line: string) => void;
}

class Interrupted extends InterruptedError {
  constructor(what: string, signal: AbortSignal) {
    super(`interrupted: ${what}; run the same command again to finish`, signal.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
  }
}

function checkSignal(env: ArchiveEnvironment, what: string): void {
  if (env.signal?.aborted) throw new Interrupted(what, env.signal);
}

// The lease: one archive or restore at a time per store.

/**
 * Takes the archive lease (the same LeaseHolder every leased command uses: renewed while the run works,
 * taken over at once from a dead run on this host); a live holder is a LeaseHeldError (exit 75).
 */
async function takeLease(env: ArchiveEnvironment): Promise<LeaseHolder> {
  const acquired = await LeaseHolder.acquire(env.store, { name: LEASE_NAME, runId: null, now: env.now, force: false });
  if ('heldBy' in acquired) throw new LeaseHeldError(LEASE_NAME, acquired.heldBy);
  if (acquired.tookOver) env.onTakeover?.(describeTakeover(LEASE_NAME, acquired.tookOver));
  return acquired.lease;
}

// Eligible rows

async function* pages<T>(next: (request: PageRequest) => Promise<Page<T>>): AsyncGenerator<T[]> {
  let cursor: string | null = null;
  for (;;) {
    const page: Page<T> = await next({ cursor });
    if (page.items.length > 0) yield page.items;
    if (page.isDone) return;
    cursor = page.cursor;
  }
}

/** Rows of `table` the selection makes eligible, page by page. */
export async function* eligibleRows(store: Store, selection: Selection, table: ArchiveTable): AsyncGenerator<ArchiveRow[]> {
  const maintenance = store.maintenance;
  switch (table) {
    case 'watch_records': {
      const before = selection.tables.watch_records?.watchedBefore;
      if (!before) return;
      for await (const users of pages((request) => store.listUsers(request))) {
        for (const user of users) {
          if (user.firstWatchedAt === null || !(user.firstWatchedAt < before)) continue;
          yield* pages((request) => maintenance.pageArchivableRecords(user.userId, before, request));
        }
      }
      return;
    }
    case 'precomputed_aggregations': {
      const cutoffs = selection.tables.precomputed_aggregations?.expiredBefore;
      if (!cutoffs) return;
      const latest = Object.values(cutoffs).reduce<string | null>((max, cutoff) => (cutoff !== undefined && (max === null || cutoff > max) ? cutoff : max), null);
      if (latest === null) return;
      for await (const digests of pages((request) => store.pageExpired(latest, request))) {
        const rows: ArchiveRow[] = [];
        for (const digest of digests) {
          const cutoff = cutoffs[digest.aggregationType];
          if (cutoff === undefined || !(digest.expiresAt < cutoff)) continue;
          const row = await store.readAggregation(digest);
          // Refreshed or deleted since the page was read: no longer eligible.
          if (row !== null && row.expiresAt < cutoff) rows.push(row);
        }
        if (rows.length > 0) yield rows;
      }
      return;
    }
    case 'data_change_log': {
      const before = selection.tables.data_change_log?.processedAndChangedBefore;
      if (before) yield* pages((request) => maintenance.pageProcessedChanges(before, request));
      return;
    }
    case 'agg_runs': {
      const before = selection.tables.agg_runs?.finishedBefore;
      if (before) yield* pages((request) => maintenance.pageFinishedRuns(before, request));
      return;
    }
  }
}

/** Counts what an archive run would take, table by table (for --dry-run and the --yes warning). */
export async function countEligible(store: Store, selection: Selection, tables: readonly ArchiveTable[]): Promise<Record<string, { rows: number; bytes: number; users: number }>> {
  const out: Record<string, { rows: number; bytes: number; users: number }> = {};
  for (const table of tables) {
    const users = new Set<string>();
    const total = { rows: 0, bytes: 0, users: 0 };
    for await (const rows of eligibleRows(store, selection, table)) {
      total.rows += rows.length;
      for (const row of rows) {
        total.bytes += utf8Length(rowLine(row)) + 1;
        if ('userId' in row) users.add(row.userId);
      }
    }
    total.users = users.size;
    out[table] = total;
  }
  return out;
}

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

async function readRows(destination: ArchiveDestination, manifestId: string, entry: ChunkEntry): Promise<ArchiveRow[]> {
  const decoded = decodeChunk(entry, await destination.get(manifestId, entry.file));
  if ('problem' in decoded) {
    throw new InfrastructureError(`archive ${manifestId}: ${decoded.problem}; stopped before changing anything that depends on it (agg archive --verify ${manifestId} for the full check)`);
  }
  return decoded.rows;
}

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

function newManifestId(now: number): string {
  return `arc-${formatIsoInstant(now).replace(/[-:]/g, '').replace('.', '')}-${randomBytes(3).toString('hex')}`;
}

async function putRow(store: Store, row: ArchiveManifestRow, expected: ManifestStatus | null): Promise<void> {
  const outcome = await store.maintenance.putArchiveManifest(row, expected);
  if (!outcome.applied) {
    throw new InfrastructureError(`archive ${row.manifestId} changed under this run (now ${outcome.current ?? 'gone'}, expected ${expected ?? 'new'}); is another agg archive running? Nothing more was changed`);
  }
}

/**
 * Exports one archive's worth of eligible rows (at most MAX_CHUNKS_PER_ARCHIVE chunks), then verifies
 * it. Returns null when nothing is eligible; `more` when rows were left for another archive.
 */
async function exportArchive(...args: Parameters<typeof exportUnverified>): ReturnType<typeof exportUnverified> {
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
  lease: LeaseHolder,
  selection: Selection,
  tables: readonly ArchiveTable[],
  rowsPerChunk: number,
  maxChunks: number,
): Promise<{ row: ArchiveManifestRow; manifest: Manifest; more: boolean } | null> {
  const { store } = env;
  const createdAt = formatIsoInstant(env.now());
  const manifestId = newManifestId(env.now());
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
    env.onProgress?.('exported', exported);
    await lease.renewIfDue();
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
    verifiedAt: formatIsoInstant(env.now()),
    manifest: { selection, file: manifest, manifestSha256: sha256OfBytes(text) } as unknown as JsonValue,
  };
  await putRow(store, verified, 'exporting');
  return { row: verified, manifest, more };
}

/**
 * Deletes an archive's rows from the store, chunk by chunk, each only where the store still holds the
 * archived copy; then marks the archive complete. Safe to repeat: rows already gone count as such.
 */
async function deleteRows(env: ArchiveEnvironment, destination: ArchiveDestination, lease: LeaseHolder, row: ArchiveManifestRow, manifest: Manifest): Promise<Deletion> {
  const { store } = env;
  // Every chunk is checked again first: the files may have changed since the row said `verified`.
  const problems = (await checkChunks(destination, manifest)).filter((c) => c.problem !== null);
  if (problems.length > 0) {
    throw new InfrastructureError(
      `archive ${manifest.manifestId} cannot be completed: ${problems[0]!.problem}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}; no row was deleted in this run, and rows of this archive not yet deleted are still in the store; restore the chunk files, then run again`,
    );
  }
  const at = formatIsoInstant(env.now());
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
      env.onProgress?.('deleted', totals.deleted + totals.alreadyGone + retained.length);
      await lease.renewIfDue();
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

export async function finishLeftovers(env: ArchiveEnvironment, lease: LeaseHolder): Promise<Leftovers> {
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
      const deletion = await deleteRows(env, destination, lease, row, manifest);
      resumed.push(outcomeOf(row, manifest, deletion, destination, true));
    }
  }
  return { resumed, discarded };
}

/** Archives everything the selection makes eligible, as one or more archives, after finishing leftovers. */
export async function runArchive(
  env: ArchiveEnvironment,
  destination: ArchiveDestination,
  selection: Selection,
  tables: readonly ArchiveTable[],
  rowsPerChunk: number,
  maxChunks = MAX_CHUNKS_PER_ARCHIVE,
): Promise<{ leftovers: Leftovers; archives: ArchiveOutcome[] }> {
  const lease = await takeLease(env);
  try {
    const leftovers = await finishLeftovers(env, lease);
    const archives: ArchiveOutcome[] = [];
    while (tables.length > 0) {
      const exported = await exportArchive(env, destination, lease, selection, tables, rowsPerChunk, maxChunks);
      if (exported === null) break;
      const deletion = await deleteRows(env, destination, lease, exported.row, exported.manifest);
      archives.push(outcomeOf(exported.row, exported.manifest, deletion, destination, false));
      if (!exported.more) break;
    }
    return { leftovers, archives };
  } finally {
    await lease.release().catch(() => undefined);
  }
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

export interface RestoreTotals {
  inserted: number;
  identical: number;
  conflicting: number;
  skippedRetained: number;
}

export async function restoreArchive(env: ArchiveEnvironment, archive: LoadedArchive, options: { dryRun: boolean }): Promise<{ totals: RestoreTotals; byTable: Record<string, RestoreTotals> }> {
  const { store } = env;
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

  const lease = options.dryRun ? null : await takeLease(env);
  try {
    const at = formatIsoInstant(env.now());
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
        env.onProgress?.(options.dryRun ? 'checked' : 'restored', totals.inserted + totals.identical + totals.conflicting);
        await lease?.renewIfDue();
      }
    }
    if (!options.dryRun && row && !(row.status === 'restored' && totals.inserted === 0)) {
      const previous = parseRowManifest(row);
      const record: RestoreRecord = { at, ...totals };
      await putRow(store, { ...row, status: 'restored', manifest: { ...previous, restores: [...(previous.restores ?? []), record] } as unknown as JsonValue }, row.status);
    }
    return { totals, byTable };
  } finally {
    await lease?.release().catch(() => undefined);
  }
}
