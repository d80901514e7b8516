import { canonicalJson } from '../../core/json.js';
import type { ArchiveManifestRow, ManifestStatus, ManifestWriteOutcome } from '../maintenance.js';
import type { Row } from './rows.js';
import type { SqliteContext } from './sqlite-context.js';

// The embedded store's archive_manifests: one row per archive, each status change a compare-and-set.

function manifestOf(row: Row): ArchiveManifestRow {
  return {
    manifestId: row.manifest_id as string,
    createdAt: row.created_at as string,
    destination: row.destination as string,
    tables: JSON.parse(row.tables as string) as string[],
    rowCount: row.row_count as number,
    bytes: row.bytes as number,
    status: row.status as ManifestStatus,
    verifiedAt: (row.verified_at as string | null) ?? null,
    manifest: JSON.parse(row.manifest as string) as ArchiveManifestRow['manifest'],
  };
}

export async function listArchiveManifests(store: SqliteContext): Promise<ArchiveManifestRow[]> {
  return store.run(() => (store.db.prepare(`SELECT * FROM archive_manifests ORDER BY manifest_id`).all() as Row[]).map(manifestOf));
}

export async function getArchiveManifest(store: SqliteContext, manifestId: string): Promise<ArchiveManifestRow | null> {
  return store.run(() => {
    const row = store.db.prepare(`SELECT * FROM archive_manifests WHERE manifest_id = ?`).get(manifestId) as Row | undefined;
    return row ? manifestOf(row) : null;
  });
}

export async function putArchiveManifest(store: SqliteContext, row: ArchiveManifestRow, expectedStatus: ManifestStatus | null): Promise<ManifestWriteOutcome> {
  return store.run(() =>
    store.db.transaction((): ManifestWriteOutcome => {
      const existing = store.db.prepare(`SELECT * FROM archive_manifests WHERE manifest_id = ?`).get(row.manifestId) as Row | undefined;
      const current = existing ? manifestOf(existing) : null;
      if (current && canonicalJson(current) === canonicalJson(row)) return { applied: true };
      if ((current?.status ?? null) !== expectedStatus) return { applied: false, current: current?.status ?? null };
      store.db
        .prepare(
          `INSERT OR REPLACE INTO archive_manifests (manifest_id, created_at, destination, tables, row_count, bytes, status, verified_at, manifest)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(row.manifestId, row.createdAt, row.destination, JSON.stringify(row.tables), row.rowCount, row.bytes, row.status, row.verifiedAt, JSON.stringify(row.manifest));
      return { applied: true };
    }).immediate(),
  );
}

export async function deleteArchiveManifest(store: SqliteContext, manifestId: string, expectedStatus: ManifestStatus): Promise<boolean> {
  return store.run(() =>
    store.db.transaction(() => {
      const existing = store.db.prepare(`SELECT status FROM archive_manifests WHERE manifest_id = ?`).get(manifestId) as Row | undefined;
      if (!existing) return true;
      if (existing.status !== expectedStatus) return false;
      store.db.prepare(`DELETE FROM archive_manifests WHERE manifest_id = ?`).run(manifestId);
      return true;
    }).immediate(),
  );
}
