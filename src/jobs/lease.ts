import { randomBytes } from 'node:crypto';
import { formatIsoInstant } from '../core/time/iso.js';
import type { Lease, Store } from '../store/types.js';

export const LEASE_TTL_MS = 120_000;
const RENEW_EVERY_MS = 30_000;

/**
 * One lease per command and target, so two cron runs never overlap. The holder renews it while it
 * works; a holder that dies stops renewing and the lease expires after LEASE_TTL_MS.
 */
export class LeaseHolder {
  private timer: ReturnType<typeof setInterval> | null = null;

  private constructor(
    private readonly store: Store,
    readonly name: string,
    readonly holder: string,
    private readonly runId: string,
    private readonly now: () => number,
  ) {}

  /** Takes the lease, or returns who holds it. `force` takes it from a live holder too. */
  static async acquire(
    store: Store,
    request: { name: string; runId: string; now: () => number; force: boolean; onLost: (by: Lease | null) => void },
  ): Promise<{ lease: LeaseHolder } | { heldBy: Lease }> {
    // Unique per process: a second process resuming the same run must wait for (or force) the lease.
    const holder = `${request.runId}@${randomBytes(4).toString('hex')}`;
    const outcome = await store.acquireLease({ name: request.name, holder, runId: request.runId, now: formatIsoInstant(request.now()), ttlMs: LEASE_TTL_MS, force: request.force });
    if (!outcome.acquired) return { heldBy: outcome.heldBy };
    const lease = new LeaseHolder(store, request.name, holder, request.runId, request.now);
    lease.timer = setInterval(() => {
      store
        .acquireLease({ name: request.name, holder, runId: request.runId, now: formatIsoInstant(request.now()), ttlMs: LEASE_TTL_MS })
        .then((renewed) => {
          if (!renewed.acquired) request.onLost(renewed.heldBy);
        })
        .catch(() => {
          // A missed renewal is not fatal: the lease lasts four renewal periods.
        });
    }, RENEW_EVERY_MS);
    lease.timer.unref?.();
    return { lease };
  }

  private released: Promise<void> | null = null;

  /** Gives the lease back; calling it again does nothing more. */
  release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.released ??= this.store.releaseLease(this.name, this.holder).then(
      () => undefined,
      () => undefined,
    );
    return this.released;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  get id(): string {
    return this.runId;
  }

  get clock(): () => number {
    return this.now;
  }
}
