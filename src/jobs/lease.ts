import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { UnavailableError } from '../errors.js';
import { formatDuration } from '../text/quantities.js';
import { formatIsoInstant } from '../core/time/iso.js';
import type { Lease } from '../store/types.js';
import type { Store } from '../store/store.js';

export const LEASE_TTL_MS = 120_000;
export const RENEW_EVERY_MS = 30_000;

/** The process that holds (or asks for) a lease. */
export interface ProcessIdentity {
  readonly host: string;
  readonly pid: number;
}

/** How liveness is checked: who we are, whether a process id exists on this machine, and which holders this process has. */
export interface LivenessProbe {
  readonly self: ProcessIdentity;
  readonly exists: (pid: number) => boolean;
  /** Whether this process holds the lease as `holder` now (a row with our pid but another holder is a dead predecessor's whose pid we reuse). */
  readonly holdsHere: (holder: string) => boolean;
}

/** The holders this process has and has not released yet. */
const HELD_HERE = new Set<string>();

/**
 * Whether a process with this id exists on this machine: ESRCH means it is gone; EPERM means it exists
 * (another user's). Anything else, or an id that is no process id, counts as alive: never a false "dead".
 */
export function processExists(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

export function systemProbe(): LivenessProbe {
  return { self: { host: hostname(), pid: process.pid }, exists: processExists, holdsHere: (holder) => HELD_HERE.has(holder) };
}

/** Host names many machines share: a pid there says nothing about this machine's processes. */
const SHARED_HOST_NAMES = new Set(['', 'localhost', 'localhost.localdomain']);

export type HolderState = { readonly dead: false } | { readonly dead: true; readonly reason: string };

/**
 * Whether a lease's holder is certainly dead: its lease expired, or it ran on this host and its process
 * is gone. A holder on another host (or in a row without host and pid) lives until its lease expires.
 */
export function holderState(lease: Lease, nowMs: number, probe: LivenessProbe = systemProbe()): HolderState {
  if (Date.parse(lease.expiresAt) <= nowMs) return { dead: true, reason: `its lease expired at ${lease.expiresAt}` };
  if (lease.host !== null && lease.pid !== null && lease.host === probe.self.host && !SHARED_HOST_NAMES.has(lease.host)) {
    if (lease.pid === probe.self.pid) {
      if (!probe.holdsHere(lease.holder)) return { dead: true, reason: `process ${lease.pid} on ${lease.host} is gone (its pid is this process's now)` };
    } else if (!probe.exists(lease.pid)) {
      return { dead: true, reason: `process ${lease.pid} on ${lease.host} is gone` };
    }
  }
  return { dead: false };
}

/** "pid 4242 on ci-7": where a lease's holder runs. */
export function describeProcess(lease: Lease): string {
  return lease.host !== null && lease.pid !== null ? `pid ${lease.pid} on ${lease.host}` : `holder ${lease.holder}, host and pid unknown`;
}

/** "run bf-… (pid 4242 on ci-7)": who holds a lease, for one-line messages. */
export function describeHolder(lease: Lease): string {
  if (lease.runId !== null) return `run ${lease.runId} (${describeProcess(lease)})`;
  return lease.host !== null && lease.pid !== null ? describeProcess(lease) : `holder ${lease.holder} (host and pid unknown)`;
}

/** "last heartbeat …, lease expires …" */
export function describeLeaseTimes(lease: Lease, nowMs: number): string {
  const heartbeat = lease.renewedAt === null ? 'unknown' : `${lease.renewedAt} (${formatDuration(Math.max(0, nowMs - Date.parse(lease.renewedAt)))} ago)`;
  return `last heartbeat ${heartbeat}, lease expires ${lease.expiresAt}`;
}

/** "took over the lease backfill:all from run bf-…: process 4242 on ci-7 is gone" */
export function describeTakeover(leaseName: string, tookOver: { from: Lease; reason: string }): string {
  return `took over the lease ${leaseName}${tookOver.from.runId === null ? '' : ` from run ${tookOver.from.runId}`}: ${tookOver.reason}`;
}

/**
 * A run still marked running in the ledger whose holder died: marked interrupted (its last sign of life
 * as its end), so that it stops being reported as running. It stays resumable. Best effort.
 */
async function interruptDeadRun(store: Store, runId: string): Promise<void> {
  const run = await store.getRun(runId);
  if (run?.status === 'running') await store.putRun({ ...run, status: 'interrupted', finishedAt: run.heartbeatAt });
}

export interface LeaseHolderRequest {
  readonly name: string;
  /** The run the lease is held for (null: a lease row written by an older agg, whose archive held it with none). */
  readonly runId: string | null;
  readonly now: () => number;
  /** Take the lease from a live holder too (--force-lease). */
  readonly force: boolean;
  /** Called when a renewal finds the lease taken over. */
  readonly onLost?: (by: Lease) => void;
  readonly probe?: LivenessProbe;
}

export type LeaseAcquisition =
  | {
      readonly lease: LeaseHolder;
      /** A dead holder's lease taken over (expired, or its process gone), with why it counts as dead. */
      readonly tookOver: { readonly from: Lease; readonly reason: string } | null;
    }
  | { readonly heldBy: Lease };

/** A command found its lease held by a live holder: nothing was done (exit 75, or 0 with --skip-if-running). */
export class LeaseHeldError extends UnavailableError {
  constructor(
    readonly leaseName: string,
    readonly heldBy: Lease,
  ) {
    super(`${describeHolder(heldBy)} holds the lease ${leaseName}; nothing done`);
  }
}

/**
 * One lease per command and target, so two cron runs never overlap. The holder renews it every
 * RENEW_EVERY_MS while it works and records its host and pid; a holder that dies stops renewing, and
 * its lease may be taken at once on the same host (its process is gone) or elsewhere after LEASE_TTL_MS.
 */
export class LeaseHolder {
  private timer: ReturnType<typeof setInterval> | null = null;
  private renewedAt: number;
  private lostTo: Lease | null = null;
  private released: Promise<void> | null = null;

  private constructor(
    private readonly store: Store,
    private readonly request: LeaseHolderRequest,
    readonly holder: string,
    private readonly self: ProcessIdentity,
  ) {
    this.renewedAt = request.now();
  }

  /**
   * Takes the lease, or returns who holds it. A holder found dead is replaced at once, and only that
   * holder (the store checks it is still the one holding the lease).
   */
  static async acquire(store: Store, request: LeaseHolderRequest): Promise<LeaseAcquisition> {
    const probe = request.probe ?? systemProbe();
    // Unique per process: a second process resuming the same run must wait for (or force) the lease.
    const holder = `${request.runId ?? request.name}@${randomBytes(4).toString('hex')}`;
    const ask = (condition: { force?: boolean; takeOverFrom?: string }) =>
      store.acquireLease({ name: request.name, holder, runId: request.runId, now: formatIsoInstant(request.now()), ttlMs: LEASE_TTL_MS, host: probe.self.host, pid: probe.self.pid, ...condition });
    let outcome = await ask({ force: request.force });
    if (!outcome.acquired) {
      if (!holderState(outcome.heldBy, request.now(), probe).dead) return { heldBy: outcome.heldBy };
      outcome = await ask({ takeOverFrom: outcome.heldBy.holder });
      if (!outcome.acquired) return { heldBy: outcome.heldBy };
    }
    const lease = new LeaseHolder(store, request, holder, probe.self);
    HELD_HERE.add(holder);
    lease.timer = setInterval(() => void lease.renew().catch(() => undefined), RENEW_EVERY_MS);
    lease.timer.unref?.();
    let tookOver: { from: Lease; reason: string } | null = null;
    if (outcome.replaced !== null) {
      const state = holderState(outcome.replaced, request.now(), probe);
      if (state.dead) {
        tookOver = { from: outcome.replaced, reason: state.reason };
        const deadRun = outcome.replaced.runId;
        if (deadRun !== null && deadRun !== request.runId) await interruptDeadRun(store, deadRun).catch(() => undefined);
      }
    }
    return { lease, tookOver };
  }

  /** Renews now; false (and onLost) when another holder has taken the lease. A missed renewal is not fatal: the lease lasts four periods. */
  private async renew(): Promise<boolean> {
    if (this.lostTo !== null) return false;
    const at = this.request.now();
    const outcome = await this.store.acquireLease({ name: this.name, holder: this.holder, runId: this.request.runId, now: formatIsoInstant(at), ttlMs: LEASE_TTL_MS, host: this.self.host, pid: this.self.pid });
    if (outcome.acquired) {
      this.renewedAt = at;
      return true;
    }
    // Lost for good: never take it back from whoever has it now.
    this.lostTo = outcome.heldBy;
    HELD_HERE.delete(this.holder);
    this.stop();
    this.request.onLost?.(outcome.heldBy);
    return false;
  }

  /**
   * For work that checks in between steps (archive): renews when a renewal is due, and refuses to go
   * on once another holder has the lease.
   */
  async renewIfDue(): Promise<void> {
    if (this.lostTo === null && this.request.now() - this.renewedAt >= RENEW_EVERY_MS) await this.renew();
    if (this.lostTo !== null) {
      // Unavailable (exit 75), as a lease held at the start: nothing is wrong with the store.
      throw new UnavailableError(`${describeHolder(this.lostTo)} took over the lease ${this.name}; stopped (run the same command again to finish)`);
    }
  }

  /** Gives the lease back; calling it again does nothing more. */
  release(): Promise<void> {
    this.stop();
    HELD_HERE.delete(this.holder);
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

  get name(): string {
    return this.request.name;
  }

  get id(): string | null {
    return this.request.runId;
  }

  get clock(): () => number {
    return this.request.now;
  }
}
