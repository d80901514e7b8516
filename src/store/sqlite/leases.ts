import type { Lease, LeaseOutcome, LeaseRequest } from '../types.js';
import { type Row, leaseOf } from './rows.js';
import type { SqliteContext } from './sqlite-context.js';

// Leases (agg_leases) in the embedded store: one holder per name, taken in one IMMEDIATE transaction.

export async function acquireLease(store: SqliteContext, request: LeaseRequest): Promise<LeaseOutcome> {
  return store.run(() =>
    store.db.transaction((): LeaseOutcome => {
      const row = store.db.prepare(`SELECT * FROM agg_leases WHERE name = ?`).get(request.name) as Row | undefined;
      const existing = row ? leaseOf(row) : null;
      const other = existing !== null && existing.holder !== request.holder;
      if (other && existing.expiresAt > request.now && request.force !== true && existing.holder !== request.takeOverFrom) {
        return { acquired: false, heldBy: existing };
      }
      const lease: Lease = {
        name: request.name,
        holder: request.holder,
        runId: request.runId,
        acquiredAt: existing !== null && !other ? existing.acquiredAt : request.now,
        expiresAt: new Date(Date.parse(request.now) + request.ttlMs).toISOString(),
        renewedAt: request.now,
        host: request.host ?? null,
        pid: request.pid ?? null,
      };
      store.db
        .prepare(`INSERT OR REPLACE INTO agg_leases (name, holder, run_id, acquired_at, expires_at, renewed_at, host, pid) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(lease.name, lease.holder, lease.runId, lease.acquiredAt, lease.expiresAt, lease.renewedAt, lease.host, lease.pid);
      return { acquired: true, lease, replaced: other ? existing : null };
    }).immediate(),
  );
}

export async function listLeases(store: SqliteContext): Promise<Lease[]> {
  return store.run(() => (store.db.prepare(`SELECT * FROM agg_leases ORDER BY name`).all() as Row[]).map(leaseOf));
}

export async function releaseLease(store: SqliteContext, name: string, holder: string): Promise<boolean> {
  return store.run(() => store.db.prepare(`DELETE FROM agg_leases WHERE name = ? AND holder = ?`).run(name, holder).changes > 0);
}
