import { describe, expect, it } from 'vitest';
import {
  CheckpointFormatError,
  CheckpointTracker,
  EMPTY_CHECKPOINT,
  FAILED_SAMPLE_SIZE,
  PENDING_MAX,
  type Checkpoint,
  type StoredCheckpoint,
  parseCheckpoint,
  planResume,
} from '../../src/jobs/checkpoint.js';
import { FailureSample } from '../../src/jobs/failure-sample.js';
import { Random } from '../../fixtures/random.js';

const ids = (n: number, prefix = 'user') => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(5, '0')}`);

/** Settles `users` in a shuffled order, failing those in `failing`; returns the tracker. */
function settleShuffled(order: readonly string[], users: readonly string[], failing: ReadonlySet<string>, random: Random, base?: ConstructorParameters<typeof CheckpointTracker>[1]): CheckpointTracker {
  const tracker = new CheckpointTracker(order, base);
  for (const userId of [...users].sort(() => random.next() - 0.5)) tracker.settle(userId, !failing.has(userId));
  return tracker;
}

describe('CheckpointTracker', () => {
  it('marks how far the run got and names only the users still running below the mark', () => {
    const tracker = new CheckpointTracker(['a', 'b', 'c', 'd', 'e']);
    tracker.settle('b', true);
    expect(tracker.snapshot()).toEqual({ version: 2, through: 'b', pending: ['a'], failedCount: 0, failedSample: [], redoAfter: null });
    tracker.settle('a', true);
    tracker.settle('d', false);
    expect(tracker.snapshot()).toEqual({ version: 2, through: 'd', pending: ['c'], failedCount: 1, failedSample: ['d'], redoAfter: null });
    tracker.settle('c', true);
    expect(tracker.snapshot()).toEqual({ version: 2, through: 'd', pending: [], failedCount: 1, failedSample: ['d'], redoAfter: null });
  });

  it('resumes with exactly the unsettled and failed users, whatever the completion order', () => {
    const users = ids(200);
    for (let seed = 0; seed < 50; seed++) {
      const random = new Random(seed);
      // Users start in order, a few at a time: what settles is a prefix plus some of the next few.
      const started = users.slice(0, random.int(users.length));
      const running = new Set(started.slice(started.length - random.int(8)));
      const settled = started.filter((userId) => !running.has(userId));
      const failing = new Set(settled.filter(() => random.chance(0.1)));
      const snapshot = settleShuffled(users, settled, failing, random).snapshot();
      expect(snapshot.pending.length).toBeLessThanOrEqual(running.size);
      const expected = users.filter((userId) => !settled.includes(userId) || failing.has(userId));
      expect(planResume(users, snapshot).users).toEqual(expected);
    }
  });

  it('keeps a count of failed users and at most the first 100 ids, and a resume still retries every one', () => {
    const users = ids(1000);
    const random = new Random('failures');
    const failing = new Set(users.filter(() => random.chance(0.15)));
    expect(failing.size).toBeGreaterThan(FAILED_SAMPLE_SIZE);
    const tracker = settleShuffled(users, users, failing, random);
    const snapshot = tracker.snapshot();
    const failedInOrder = users.filter((userId) => failing.has(userId));
    expect(snapshot.failedCount).toBe(failing.size);
    expect(snapshot.failedSample).toEqual(failedInOrder.slice(0, FAILED_SAMPLE_SIZE));
    expect(snapshot.redoAfter).toBe(failedInOrder[FAILED_SAMPLE_SIZE - 1]);
    expect(snapshot.through).toBe(users.at(-1));
    expect(snapshot.pending).toEqual([]);
    expect(JSON.stringify(snapshot).length).toBeLessThan(4096);
    // The sample is retried, and every user after its last one (the other failures are among them).
    const plan = planResume(users, snapshot);
    for (const userId of failing) expect(plan.users).toContain(userId);
    expect(plan.users).toEqual(users.filter((userId) => failing.has(userId) && userId <= snapshot.redoAfter! || userId > snapshot.redoAfter!));
    // They had all settled once: the resumed run counts them once.
    expect(plan.redone).toBe(plan.users.length);
  });

  it('resumes a resumed run: retried users leave the sample, the next failures in order take their place', () => {
    const users = ids(400);
    const failing = new Set(users.filter((_, i) => i % 3 === 0));
    const first = settleShuffled(users, users, failing, new Random(1)).snapshot();
    expect(first.failedCount).toBe(134);
    const plan = planResume(users, first);
    // Of the retried, half succeed now; the run is stopped partway through the rest.
    const stillFailing = new Set(plan.users.filter((_, i) => i % 2 === 0));
    const settled = plan.users.slice(0, 150);
    const second = settleShuffled(plan.users, settled, stillFailing, new Random(2), plan.base).snapshot();
    const expectedFailed = settled.filter((userId) => stillFailing.has(userId)).concat(first.failedSample.filter((userId) => !settled.includes(userId)));
    expect(second.failedCount).toBe(expectedFailed.length);
    expect(second.failedSample).toEqual([...expectedFailed].sort().slice(0, FAILED_SAMPLE_SIZE));
    // Nothing settled and succeeded is redone next time; everything failed or unsettled is.
    const next = planResume(users, second).users;
    const succeeded = new Set(users.filter((userId) => !plan.users.includes(userId) || (settled.includes(userId) && !stillFailing.has(userId))));
    expect(next).toEqual(users.filter((userId) => !succeeded.has(userId)));
  });

  it('names at most PENDING_MAX unsettled users, moving the mark back rather than growing', () => {
    const users = ids(3000);
    // A resumed run whose base mark lies past 2,500 of its own users, none started yet.
    const tracker = new CheckpointTracker(users, { through: users[2499]!, failed: [] });
    tracker.settle(users[0]!, true);
    const snapshot = tracker.snapshot();
    expect(snapshot.pending).toHaveLength(PENDING_MAX);
    expect(snapshot.pending[0]).toBe(users[1]);
    expect(snapshot.through).toBe(users[PENDING_MAX]);
    expect(planResume(users, snapshot).users).toEqual(users.slice(1));
  });

  it('reports the failed users of this run with their errors, the first 100 in run order', () => {
    const sample = new FailureSample();
    for (const userId of ids(150).reverse()) sample.add({ userId, error: `boom ${userId}` });
    expect(sample.count).toBe(150);
    expect(sample.failures.map((f) => f.userId)).toEqual(ids(100));
    expect(sample.failures[0]!.error).toBe('boom user-00000');
  });
});

describe('checkpoints from before the bounded format', () => {
  const legacy: StoredCheckpoint = { cursor: 'c', ahead: ['e', 'g'], failed: ['b', 'e'] };

  it('still resume: the failed, and the unsettled after the cursor but not ahead', () => {
    const users = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const plan = planResume(users, legacy);
    expect(plan.users).toEqual(['b', 'd', 'e', 'f', 'h']);
    expect(plan.redone).toBe(2);
    // The resumed run's first checkpoint is in the new format and loses nothing the old one knew.
    const tracker = new CheckpointTracker(plan.users, plan.base);
    tracker.settle('b', true);
    const snapshot = tracker.snapshot();
    expect(snapshot).toEqual({ version: 2, through: 'g', pending: ['d', 'f'], failedCount: 1, failedSample: ['e'], redoAfter: null });
    expect(planResume(users, snapshot).users).toEqual(['d', 'e', 'f', 'h']);
  });

  it('are read through the same checked boundary as the new ones', () => {
    expect(parseCheckpoint(legacy)).toEqual(legacy);
    expect(parseCheckpoint(undefined)).toEqual(EMPTY_CHECKPOINT);
    const current: Checkpoint = { version: 2, through: 'x', pending: [], failedCount: 0, failedSample: [], redoAfter: null };
    expect(parseCheckpoint(current)).toEqual(current);
    expect(() => parseCheckpoint({ cursor: 3 })).toThrow(CheckpointFormatError);
    expect(() => parseCheckpoint({ ...current, failedSample: ids(101) })).toThrow(/failedSample/);
  });
});
