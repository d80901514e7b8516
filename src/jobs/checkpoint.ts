import { z } from 'zod';
import { compareUserIds } from './selection.js';

// Where a run stands, as its ledger row keeps it (agg_runs.checkpoint.progress) for --resume. Runs walk
// their users in one stable order (JS string order of ids) and start them in that order, so what is
// settled is everything up to a point, less the few users still running there: a bounded record,
// whatever the number of users. Failures are a count and the first FAILED_SAMPLE_SIZE ids in run
// order; a resumed run retries those, and when more failed, every user after the last one listed (the
// others are among them). The document stays far below Convex's 1 MiB and 8,192-element limits.

/** Failed users a checkpoint names; the rest are counted. */
export const FAILED_SAMPLE_SIZE = 100;

/** Unsettled users a checkpoint names below `through`; past this, `through` moves back (those beyond are redone). */
export const PENDING_MAX = 1000;

export interface Checkpoint {
  readonly version: 2;
  /** Every user up to here in run order has settled (succeeded or failed), except `pending`; null: none yet. */
  readonly through: string | null;
  /** Users at or before `through` that had not settled: those running when the checkpoint was taken. */
  readonly pending: string[];
  /** Users whose latest attempt failed. */
  readonly failedCount: number;
  /** The first of them in run order, at most FAILED_SAMPLE_SIZE: a resumed run retries them. */
  readonly failedSample: string[];
  /** Set when more failed than the sample names: the others lie after this user, and a resumed run redoes every user after it. */
  readonly redoAfter: string | null;
}

/** The checkpoint of runs from before the bounded format: every failed and every early-settled user listed. */
export interface LegacyCheckpoint {
  /** Every user up to here in run order has settled. */
  readonly cursor: string | null;
  /** Users settled beyond the cursor. */
  readonly ahead: string[];
  /** Users whose latest attempt failed. */
  readonly failed: string[];
}

export type StoredCheckpoint = Checkpoint | LegacyCheckpoint;

export const EMPTY_CHECKPOINT: Checkpoint = { version: 2, through: null, pending: [], failedCount: 0, failedSample: [], redoAfter: null };

const userIds = z.array(z.string());

const checkpointSchema = z.object({
  version: z.literal(2),
  through: z.string().nullable(),
  pending: userIds,
  failedCount: z.number().int().nonnegative(),
  failedSample: userIds.max(FAILED_SAMPLE_SIZE),
  redoAfter: z.string().nullable(),
});

const legacyCheckpointSchema = z.object({ cursor: z.string().nullable(), ahead: userIds, failed: userIds });

export class CheckpointFormatError extends Error {}

/** Reads a run's stored progress: this format or the one before it; nothing stored yet reads as empty. */
export function parseCheckpoint(value: unknown): StoredCheckpoint {
  if (value === undefined || value === null) return EMPTY_CHECKPOINT;
  const current = checkpointSchema.safeParse(value);
  if (current.success) return current.data;
  const legacy = legacyCheckpointSchema.safeParse(value);
  if (legacy.success) return legacy.data;
  const issue = current.error.issues[0];
  throw new CheckpointFormatError(`its checkpoint is not one this version of agg can read (${issue ? `${issue.path.join('.') || 'checkpoint'}: ${issue.message}` : 'unknown shape'})`);
}

function isLegacy(checkpoint: StoredCheckpoint): checkpoint is LegacyCheckpoint {
  return !('version' in checkpoint);
}

const atOrBefore = (userId: string, bound: string | null): boolean => bound !== null && compareUserIds(userId, bound) <= 0;

/** What a resumed run does: its users in run order, and where its tracker starts. */
export interface ResumePlan {
  readonly users: string[];
  /** Of those, how many the earlier run had settled (its counts included them): failed ones retried, and the redone. */
  readonly redone: number;
  readonly base: TrackerBase;
}

/** Where a tracker starts: settled up to `through` (except its own users below it), these users failed. */
export interface TrackerBase {
  readonly through: string | null;
  readonly failed: readonly string[];
}

/**
 * The users a run resumed from `checkpoint` still has to do, of `users` (in run order): those not
 * settled, the failed ones it names, and, when it could not name them all, every user after the last
 * one named (succeeded ones among them are redone: the work is idempotent).
 */
export function planResume(users: readonly string[], checkpoint: StoredCheckpoint): ResumePlan {
  if (isLegacy(checkpoint)) {
    const ahead = new Set(checkpoint.ahead);
    const failed = new Set(checkpoint.failed);
    const settled = (userId: string) => atOrBefore(userId, checkpoint.cursor) || ahead.has(userId);
    const remaining = users.filter((userId) => failed.has(userId) || !settled(userId));
    const through = [checkpoint.cursor, ...checkpoint.ahead].reduce<string | null>((max, id) => (id !== null && (max === null || compareUserIds(id, max) > 0) ? id : max), null);
    const present = new Set(remaining);
    return { users: remaining, redone: remaining.filter(settled).length, base: { through, failed: checkpoint.failed.filter((id) => present.has(id)) } };
  }
  const pending = new Set(checkpoint.pending);
  const sample = new Set(checkpoint.failedSample);
  const settled = (userId: string) => atOrBefore(userId, checkpoint.through) && !pending.has(userId);
  const redo = (userId: string) => checkpoint.redoAfter !== null && compareUserIds(userId, checkpoint.redoAfter) > 0;
  const remaining = users.filter((userId) => sample.has(userId) || redo(userId) || !settled(userId));
  // Past redoAfter everything is redone, so the resumed run knows nothing settled there.
  const through = checkpoint.redoAfter !== null && (checkpoint.through === null || compareUserIds(checkpoint.redoAfter, checkpoint.through) < 0) ? checkpoint.redoAfter : checkpoint.through;
  const present = new Set(remaining);
  return { users: remaining, redone: remaining.filter(settled).length, base: { through, failed: checkpoint.failedSample.filter((id) => present.has(id)) } };
}

/**
 * Tracks settled users while several run at once. `order` is the run's users in run order (for a
 * resumed run, the ones it still has to do); `through` only moves forward, over the highest user
 * settled, and `pending` holds the users below it not settled yet, which, since users start in
 * order, are the ones running (and, at first, the resumed run's own users below the base's `through`).
 */
export class CheckpointTracker {
  private readonly index = new Map<string, number>();
  private through: string | null;
  /** The last position in `order` at or before `through`. */
  private throughIndex: number;
  private readonly pending = new Set<string>();
  private readonly failed = new Set<string>();
  /** The smallest failed users, sorted, at most FAILED_SAMPLE_SIZE. */
  private sample: string[] = [];

  constructor(
    private readonly order: readonly string[],
    base: TrackerBase = { through: null, failed: [] },
  ) {
    order.forEach((userId, i) => this.index.set(userId, i));
    this.through = base.through;
    this.throughIndex = -1;
    while (this.throughIndex + 1 < order.length && atOrBefore(order[this.throughIndex + 1]!, base.through)) {
      this.throughIndex++;
      this.pending.add(order[this.throughIndex]!);
    }
    for (const userId of base.failed) this.addFailure(userId);
  }

  settle(userId: string, ok: boolean): void {
    if (ok) this.removeFailure(userId);
    else this.addFailure(userId);
    const i = this.index.get(userId);
    if (i === undefined) return;
    if (i <= this.throughIndex) {
      this.pending.delete(userId);
      return;
    }
    // Users between the old mark and this one have started (users start in order) but not settled.
    for (let j = this.throughIndex + 1; j < i; j++) this.pending.add(this.order[j]!);
    this.throughIndex = i;
    if (this.through === null || compareUserIds(userId, this.through) > 0) this.through = userId;
  }

  /** Users whose latest attempt failed, as far as this tracker knows. */
  get failedCount(): number {
    return this.failed.size;
  }

  snapshot(): Checkpoint {
    const failedSample = [...this.sample];
    const redoAfter = this.failed.size > failedSample.length ? failedSample[failedSample.length - 1] ?? null : null;
    // Failed users are named in the sample, or lie after redoAfter: either way they are redone.
    let pending = [...this.pending].filter((userId) => !this.failed.has(userId)).sort(compareUserIds);
    let through = this.through;
    if (pending.length > PENDING_MAX) {
      // Move the mark back to just before the first user not named: everything after it is redone.
      const first = this.index.get(pending[PENDING_MAX]!)!;
      through = first > 0 ? this.order[first - 1]! : null;
      pending = through === null ? [] : pending.slice(0, PENDING_MAX);
    }
    return { version: 2, through, pending, failedCount: this.failed.size, failedSample, redoAfter };
  }

  private addFailure(userId: string): void {
    if (this.failed.has(userId)) return;
    this.failed.add(userId);
    const last = this.sample[this.sample.length - 1];
    if (this.sample.length < FAILED_SAMPLE_SIZE || (last !== undefined && compareUserIds(userId, last) < 0)) {
      this.sample.splice(sortedIndex(this.sample, userId), 0, userId);
      if (this.sample.length > FAILED_SAMPLE_SIZE) this.sample.pop();
    }
  }

  private removeFailure(userId: string): void {
    if (!this.failed.delete(userId)) return;
    const at = this.sample.indexOf(userId);
    if (at < 0) return;
    this.sample.splice(at, 1);
    if (this.failed.size > this.sample.length) {
      // The next failed user in run order takes the freed place.
      const last = this.sample[this.sample.length - 1];
      let next: string | null = null;
      for (const id of this.failed) {
        if ((last === undefined || compareUserIds(id, last) > 0) && (next === null || compareUserIds(id, next) < 0)) next = id;
      }
      if (next !== null) this.sample.push(next);
    }
  }
}

function sortedIndex(sorted: readonly string[], userId: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareUserIds(sorted[mid]!, userId) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
