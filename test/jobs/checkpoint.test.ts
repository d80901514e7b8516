import { describe, expect, it } from 'vitest';
import { CheckpointTracker, remainingUsers } from '../../src/jobs/checkpoint.js';
import { Random } from '../../fixtures/random.js';

describe('CheckpointTracker', () => {
  it('advances the cursor over the settled prefix and lists users settled ahead of it', () => {
    const tracker = new CheckpointTracker(['a', 'b', 'c', 'd', 'e']);
    tracker.settle('b', true);
    expect(tracker.snapshot()).toEqual({ cursor: null, ahead: ['b'], failed: [] });
    tracker.settle('a', true);
    expect(tracker.snapshot()).toEqual({ cursor: 'b', ahead: [], failed: [] });
    tracker.settle('d', false);
    tracker.settle('c', true);
    expect(tracker.snapshot()).toEqual({ cursor: 'd', ahead: [], failed: ['d'] });
  });

  it('resumes with exactly the unsettled and failed users, whatever the completion order', () => {
    const users = Array.from({ length: 200 }, (_, i) => `user-${String(i).padStart(3, '0')}`);
    for (let seed = 0; seed < 50; seed++) {
      const random = new Random(seed);
      const tracker = new CheckpointTracker(users);
      const order = [...users].sort(() => random.next() - 0.5);
      const settled = order.slice(0, random.int(users.length));
      const failed = new Set(settled.filter(() => random.chance(0.1)));
      for (const userId of settled) tracker.settle(userId, !failed.has(userId));
      const remaining = remainingUsers(users, tracker.snapshot());
      const expected = users.filter((userId) => !settled.includes(userId) || failed.has(userId));
      expect(remaining).toEqual(expected);
    }
  });
});
