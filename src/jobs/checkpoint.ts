import { compareUserIds } from './selection.js';

/** Where a run stands: every user up to `cursor` (in run order) is settled, plus `ahead`; `failed` ones get another try on resume. */
export interface Checkpoint {
  readonly cursor: string | null;
  readonly ahead: string[];
  readonly failed: string[];
}

export const EMPTY_CHECKPOINT: Checkpoint = { cursor: null, ahead: [], failed: [] };

/** The users a resumed run still has to do: those past the cursor and not done ahead, plus the failed. */
export function remainingUsers(users: readonly string[], checkpoint: Checkpoint): string[] {
  const ahead = new Set(checkpoint.ahead);
  const failed = new Set(checkpoint.failed);
  return users.filter((userId) => failed.has(userId) || (!ahead.has(userId) && (checkpoint.cursor === null || compareUserIds(userId, checkpoint.cursor) > 0)));
}

/**
 * Tracks settled users while several run at once: the cursor advances over the contiguous prefix of
 * settled users in run order; users settled beyond it are listed, so nothing is redone on resume.
 */
export class CheckpointTracker {
  private readonly settled = new Set<string>();
  private readonly failed = new Set<string>();
  private position = 0;
  private cursor: string | null;

  constructor(
    private readonly order: readonly string[],
    base: Checkpoint = EMPTY_CHECKPOINT,
  ) {
    this.cursor = base.cursor;
    for (const userId of base.failed) this.failed.add(userId);
  }

  settle(userId: string, ok: boolean): void {
    this.settled.add(userId);
    if (ok) this.failed.delete(userId);
    else this.failed.add(userId);
    while (this.position < this.order.length && this.settled.has(this.order[this.position]!)) {
      const done = this.order[this.position]!;
      if (this.cursor === null || compareUserIds(done, this.cursor) > 0) this.cursor = done;
      this.settled.delete(done);
      this.position++;
    }
  }

  snapshot(): Checkpoint {
    return { cursor: this.cursor, ahead: [...this.settled].sort(compareUserIds), failed: [...this.failed].sort(compareUserIds) };
  }
}
