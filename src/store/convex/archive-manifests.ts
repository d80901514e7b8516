import type { JsonValue } from '../../core/json.js';
import type { ArchiveManifestRow, ManifestStatus, ManifestWriteOutcome } from '../maintenance.js';
import { booleanAnswer } from './answers.js';
import type { ConvexCalls } from './convex-calls.js';
import { manifestAnswer, manifestWriteAnswer } from './maintenance-answers.js';

// The deployment's archive_manifests (archive:*Manifest*): one row per archive, each status change a compare-and-set.

export async function listArchiveManifests(calls: ConvexCalls): Promise<ArchiveManifestRow[]> {
  const rows = await calls.all('archive:listManifests', {}, manifestAnswer, 200);
  return rows.map((row) => ({ ...row, manifest: (row.manifest ?? null) as JsonValue }));
}

export async function getArchiveManifest(calls: ConvexCalls, manifestId: string): Promise<ArchiveManifestRow | null> {
  const row = await calls.query('archive:getManifest', { manifestId }, manifestAnswer.nullable());
  return row && { ...row, manifest: (row.manifest ?? null) as JsonValue };
}

export function putArchiveManifest(calls: ConvexCalls, row: ArchiveManifestRow, expectedStatus: ManifestStatus | null): Promise<ManifestWriteOutcome> {
  return calls.mutation('archive:putManifest', { row: { ...row, tables: [...row.tables] }, expectedStatus }, manifestWriteAnswer);
}

export function deleteArchiveManifest(calls: ConvexCalls, manifestId: string, expectedStatus: ManifestStatus): Promise<boolean> {
  return calls.mutation('archive:deleteManifest', { manifestId, expectedStatus }, booleanAnswer);
}
