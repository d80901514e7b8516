import { z } from 'zod';
import { InfrastructureError } from '../errors.js';
import type { ArchiveManifestRow, ManifestStatus } from '../store/maintenance.js';
import type { Store } from '../store/store.js';
import { manifestSchema, selectionSchema } from './format.js';

// The store's archive_manifests row: the shape of its `manifest` field, and the guarded write that advances it.

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

export async function putRow(store: Store, row: ArchiveManifestRow, expected: ManifestStatus | null): Promise<void> {
  const outcome = await store.maintenance.putArchiveManifest(row, expected);
  if (!outcome.applied) {
    throw new InfrastructureError(`archive ${row.manifestId} changed under this run (now ${outcome.current ?? 'gone'}, expected ${expected ?? 'new'}); is another agg archive running? Nothing more was changed`);
  }
}
