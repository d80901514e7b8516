import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import { AGGREGATION_TYPES } from '../core/aggregations/definition.js';
import { filtersSchema } from '../core/filters.js';
import { type JsonValue, canonicalJson, isPlainJson } from '../core/json.js';
import { ARCHIVE_TABLES, type ArchiveRow, type ArchiveRowOf, type ArchiveTable } from '../store/maintenance.js';
import { storedRecordSchema } from '../store/record-codec.js';
import { CHANGE_TYPES, aggregationDigestSchema, runRecordSchema } from '../store/types.js';

// The archive format, version 1: per archive a directory of gzip-compressed JSON Lines chunks (one
// table per chunk, one row per line in canonical JSON) and a manifest.json that lists every chunk
// with its SHA-256, row count and key range. Everything read back is checked against these schemas.

export const ARCHIVE_FORMAT = 'agg-archive/1';
export const MANIFEST_FILE = 'manifest.json';
export const RETAINED_FILE = 'retained.jsonl.gz';

const jsonValue = z.custom<JsonValue>((value) => isPlainJson(value), 'expected plain JSON');
const isoInstant = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, 'expected an ISO instant');

const ROW_SCHEMAS: { readonly [T in ArchiveTable]: z.ZodType<ArchiveRowOf[T]> } = {
  watch_records: storedRecordSchema.extend({ userId: z.string().min(1), recordId: z.string().min(1), watchedAt: isoInstant.nullable() }).strict(),
  precomputed_aggregations: aggregationDigestSchema.extend({ filters: filtersSchema, data: jsonValue }).strict() as unknown as z.ZodType<ArchiveRowOf['precomputed_aggregations']>,
  data_change_log: z
    .object({
      changeId: z.string().min(1),
      userId: z.string(),
      changeType: z.enum(CHANGE_TYPES),
      recordCount: z.number().int().nonnegative(),
      changedAt: isoInstant,
      processed: z.boolean(),
      processedAt: isoInstant.nullable(),
      revision: z.string().min(1).max(100).nullable().default(null),
    })
    .strict(),
  agg_runs: runRecordSchema.strict(),
};

/** A row's identity in its table, as an array of strings (compared element by element). */
export function rowKey(table: ArchiveTable, row: ArchiveRow): string[] {
  switch (table) {
    case 'watch_records': {
      const r = row as ArchiveRowOf['watch_records'];
      return [r.userId, r.recordId];
    }
    case 'precomputed_aggregations': {
      const r = row as ArchiveRowOf['precomputed_aggregations'];
      return [r.userId, r.aggregationType, r.filterHash];
    }
    case 'data_change_log':
      return [(row as ArchiveRowOf['data_change_log']).changeId];
    case 'agg_runs':
      return [(row as ArchiveRowOf['agg_runs']).runId];
  }
}

export function keyText(key: readonly string[]): string {
  return JSON.stringify(key);
}

export function compareKeys(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i]! < b[i]!) return -1;
    if (a[i]! > b[i]!) return 1;
  }
  return a.length - b.length;
}

/** The line a row is archived as: canonical JSON (keys sorted), so the same row is always the same bytes. */
export function rowLine(row: ArchiveRow): string {
  return canonicalJson(row);
}

export function sha256OfBytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function encodeChunk(lines: readonly string[]): Uint8Array {
  return gzipSync(Buffer.from(lines.map((line) => `${line}\n`).join(''), 'utf8'), { level: 6 });
}

const keySchema = z.array(z.string()).min(1);

export const chunkEntrySchema = z
  .object({
    file: z.string().regex(/^chunk-\d{5}\.jsonl\.gz$/),
    table: z.enum(ARCHIVE_TABLES),
    rows: z.number().int().positive(),
    bytes: z.number().int().positive(),
    uncompressedBytes: z.number().int().positive(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    minKey: keySchema,
    maxKey: keySchema,
  })
  .strict();
export type ChunkEntry = z.infer<typeof chunkEntrySchema>;

/** What was selected: the instant, and per table the cutoff each row was compared with. */
export const selectionSchema = z
  .object({
    asOf: isoInstant,
    tables: z
      .object({
        watch_records: z.object({ watchedBefore: isoInstant }).strict().optional(),
        precomputed_aggregations: z.object({ expiredBefore: z.partialRecord(z.enum(AGGREGATION_TYPES), isoInstant) }).strict().optional(),
        data_change_log: z.object({ processedAndChangedBefore: isoInstant }).strict().optional(),
        agg_runs: z.object({ finishedBefore: isoInstant }).strict().optional(),
      })
      .strict(),
  })
  .strict();
export type Selection = z.infer<typeof selectionSchema>;

export const manifestSchema = z
  .object({
    format: z.literal(ARCHIVE_FORMAT),
    manifestId: z.string().regex(/^arc-[0-9A-Za-z-]+$/),
    createdAt: isoInstant,
    destination: z.string().min(1),
    selection: selectionSchema,
    tables: z.array(z.object({ table: z.enum(ARCHIVE_TABLES), rows: z.number().int().nonnegative(), chunks: z.number().int().nonnegative(), minKey: keySchema, maxKey: keySchema }).strict()),
    chunks: z.array(chunkEntrySchema),
    rowCount: z.number().int().nonnegative(),
    bytes: z.number().int().nonnegative(),
  })
  .strict();
export type Manifest = z.infer<typeof manifestSchema>;

export function manifestText(manifest: Manifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** Why a chunk's bytes are not what its manifest entry says, or null when they are; `rows` when null. */
export function decodeChunk(entry: ChunkEntry, bytes: Uint8Array | null): { problem: string } | { rows: ArchiveRow[] } {
  if (bytes === null) return { problem: `${entry.file} is missing` };
  if (bytes.length !== entry.bytes) return { problem: `${entry.file} has ${bytes.length} bytes, the manifest says ${entry.bytes}` };
  const sha = sha256OfBytes(bytes);
  if (sha !== entry.sha256) return { problem: `${entry.file} fails its checksum (SHA-256 ${sha.slice(0, 12)}…, the manifest says ${entry.sha256.slice(0, 12)}…)` };
  let text: string;
  try {
    text = gunzipSync(bytes).toString('utf8');
  } catch (error) {
    return { problem: `${entry.file} is not valid gzip (${(error as Error).message})` };
  }
  const lines = text.split('\n');
  if (lines.pop() !== '') return { problem: `${entry.file} does not end with a newline` };
  const schema = ROW_SCHEMAS[entry.table] as z.ZodType<ArchiveRow>;
  const rows: ArchiveRow[] = [];
  let min: string[] | null = null;
  let max: string[] | null = null;
  for (let i = 0; i < lines.length; i++) {
    let value: unknown;
    try {
      value = JSON.parse(lines[i]!);
    } catch {
      return { problem: `${entry.file} line ${i + 1} is not JSON` };
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) return { problem: `${entry.file} line ${i + 1} is not a ${entry.table} row (${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message})` };
    const row = parsed.data;
    if (entry.table === 'precomputed_aggregations') {
      const aggregation = row as ArchiveRowOf['precomputed_aggregations'];
      if (createHash('sha256').update(canonicalJson(aggregation.data), 'utf8').digest('hex') !== aggregation.dataHash) {
        return { problem: `${entry.file} line ${i + 1}: the data does not match its dataHash` };
      }
    }
    const key = rowKey(entry.table, row);
    if (min === null || compareKeys(key, min) < 0) min = key;
    if (max === null || compareKeys(key, max) > 0) max = key;
    rows.push(row);
  }
  if (rows.length !== entry.rows) return { problem: `${entry.file} holds ${rows.length} rows, the manifest says ${entry.rows}` };
  if (keyText(min!) !== keyText(entry.minKey) || keyText(max!) !== keyText(entry.maxKey)) return { problem: `${entry.file} key range differs from the manifest` };
  return { rows };
}

/** Keys of rows that changed between export and deletion: they stayed in the store, the archive's copy is stale. */
export function encodeRetained(keys: readonly { table: ArchiveTable; key: string[] }[]): Uint8Array {
  return encodeChunk(keys.map((k) => canonicalJson(k)));
}

const retainedSchema = z.object({ table: z.enum(ARCHIVE_TABLES), key: keySchema }).strict();

export function decodeRetained(bytes: Uint8Array): { table: ArchiveTable; key: string[] }[] {
  const text = gunzipSync(bytes).toString('utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => retainedSchema.parse(JSON.parse(line)));
}
