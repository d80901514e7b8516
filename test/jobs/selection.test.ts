import { describe, expect, it } from 'vitest';
import { describeSelection, inShard, sampleUsers, shardOf } from '../../src/jobs/selection.js';

const users = Array.from({ length: 2000 }, (_, i) => `user-${i}`);

describe('shards', () => {
  it('partition users: every user in exactly one shard, stable, and roughly even', () => {
    const sizes = new Array(8).fill(0);
    for (const userId of users) {
      const shards = [1, 2, 3, 4, 5, 6, 7, 8].filter((index) => inShard(userId, { index, count: 8 }));
      expect(shards).toEqual([shardOf(userId, 8)]);
      sizes[shardOf(userId, 8) - 1]++;
    }
    for (const size of sizes) expect(size).toBeGreaterThan(180);
    expect(inShard('anyone', null)).toBe(true);
  });
});

describe('samples', () => {
  it('pick the same users for the same seed, other users for another seed', () => {
    const a = sampleUsers(users, { kind: 'sample', count: 50, percent: null, seed: 'nightly' });
    expect(a).toHaveLength(50);
    expect(sampleUsers([...users].reverse(), { kind: 'sample', count: 50, percent: null, seed: 'nightly' })).toEqual(a);
    expect(sampleUsers(users, { kind: 'sample', count: 50, percent: null, seed: 'other' })).not.toEqual(a);
    const share = sampleUsers(users, { kind: 'sample', count: null, percent: 5, seed: 'nightly' });
    expect(share.length).toBeGreaterThan(60);
    expect(share.length).toBeLessThan(140);
  });

  it('take at least one user for a share too small to pick anyone, the same one for the same seed', () => {
    const tiny = (seed: string, from = users) => sampleUsers(from, { kind: 'sample', count: null, percent: 0.0001, seed });
    expect(tiny('nightly')).toHaveLength(1);
    expect(tiny('nightly', [...users].reverse())).toEqual(tiny('nightly'));
    // The one taken is the one of lowest rank: the first a count of 1 takes.
    expect(tiny('nightly')).toEqual(sampleUsers(users, { kind: 'sample', count: 1, percent: null, seed: 'nightly' }));
    expect(tiny('nightly', ['only'])).toEqual(['only']);
    expect(tiny('nightly', [])).toEqual([]);
  });

  it('name their target for the lease', () => {
    expect(describeSelection({ kind: 'all' }, { index: 2, count: 8 })).toBe('all#2/8');
    expect(describeSelection({ kind: 'users', users: ['b', 'a'] }, null)).toBe('users:a,b');
    expect(describeSelection({ kind: 'users', users: users.slice(0, 10) }, null)).toMatch(/^users:10:[0-9a-f]{8}$/);
  });
});
