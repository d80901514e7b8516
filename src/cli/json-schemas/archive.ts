import { z } from 'zod';
import { selectionSchema } from '../../archive/format.js';
import { ARCHIVE_TABLES, MANIFEST_STATUSES } from '../../store/maintenance.js';
import { bytes, count, instant, jsonDocument, millis } from './common.js';

// `agg archive` has one JSON shape per mode: archiving, --dry-run, --list, --verify, --restore.

const table = z.enum(ARCHIVE_TABLES);

const deletion = z.strictObject({
  at: instant,
  deleted: count,
  alreadyGone: count.describe('rows already gone when their deleting call looked'),
  retained: count.describe('rows kept because they changed since the export'),
  retainedSha256: z.string().nullable(),
  bytesFreed: bytes,
});

const archiveOutcome = z.strictObject({
  manifestId: z.string(),
  location: z.string(),
  rows: count,
  chunks: count,
  bytes: bytes.describe('compressed bytes of all chunks'),
  tables: z.record(z.string(), count).describe('rows per table'),
  deletion,
  resumed: z.boolean().describe('finished for a run that crashed or was interrupted'),
});

const restoreTotals = z.strictObject({ inserted: count, identical: count, conflicting: count, skippedRetained: count });

export const archiveDocument = jsonDocument('agg.archive/v1', '`agg archive --json`: what was archived, and what an earlier, unfinished run left that this one finished or discarded.', {
  dryRun: z.literal(false),
  selection: selectionSchema,
  leftovers: z.strictObject({
    resumed: z.array(archiveOutcome),
    discarded: z.array(z.strictObject({ manifestId: z.string(), location: z.string() })),
  }),
  archives: z.array(archiveOutcome),
  ms: millis,
});

export const archivePlanDocument = jsonDocument('agg.archive.plan/v1', '`agg archive --dry-run --json`: what would be archived, table by table; nothing is written.', {
  dryRun: z.literal(true),
  destination: z.string(),
  selection: selectionSchema,
  eligible: z.record(z.string(), z.strictObject({ rows: count, bytes: bytes.describe('uncompressed'), users: count })),
  unfinished: z.array(z.strictObject({ manifestId: z.string(), status: z.enum(MANIFEST_STATUSES) })).describe('archives a real run would finish or discard first'),
});

export const archiveListDocument = jsonDocument('agg.archive.list/v1', '`agg archive --list --json`: every archive the store knows.', {
  archives: z.array(
    z.strictObject({
      manifestId: z.string(),
      createdAt: instant,
      status: z.enum(MANIFEST_STATUSES),
      tables: z.array(z.string()),
      rows: count,
      bytes,
      verifiedAt: instant.nullable(),
      destination: z.string(),
      deletion: deletion.nullable(),
      restores: z.array(z.strictObject({ at: instant, inserted: count, identical: count, conflicting: count, skippedRetained: count })),
    }),
  ),
});

export const archiveVerifyDocument = jsonDocument('agg.archive.verify/v1', '`agg archive --verify MANIFEST --json`: every chunk read back and checked.', {
  manifestId: z.string(),
  ok: z.boolean(),
  problems: z.array(z.string()),
  rows: count,
  chunks: z.array(z.strictObject({ file: z.string(), table, rows: count, problem: z.string().nullable() })),
  verifiedAt: instant.nullable().describe('when found intact; null when not'),
});

export const archiveRestoreDocument = jsonDocument('agg.archive.restore/v1', '`agg archive --restore MANIFEST --json`: rows put back (or, with --dry-run, that would be).', {
  manifestId: z.string(),
  dryRun: z.boolean(),
  totals: restoreTotals,
  byTable: z.record(z.string(), restoreTotals),
  ms: millis,
});
