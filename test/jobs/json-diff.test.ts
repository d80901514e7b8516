import { describe, expect, it } from 'vitest';
import { diffJson, numbersMatch } from '../../src/jobs/json-diff.js';

describe('diffJson', () => {
  it('lists exact paths of differences in document order, capped', () => {
    const stored = [{ channel: 'a', videoCount: 12, watchTime: 3600 }, { channel: 'b', videoCount: 1 }];
    const fresh = [{ channel: 'a', videoCount: 13, watchTime: 3600 }, { channel: 'b', videoCount: 1, extra: true }, { channel: 'c' }];
    const diff = diffJson(stored, fresh, { tolerance: 1e-9, maxDiffs: 10 });
    expect(diff.entries).toEqual([
      { path: '.length', stored: 2, fresh: 3 },
      { path: '[0].videoCount', stored: 12, fresh: 13 },
      { path: '[1].extra', stored: undefined, fresh: true },
    ]);
    expect(diffJson(stored, fresh, { tolerance: 1e-9, maxDiffs: 1 })).toEqual({ entries: [diff.entries[0]], total: 3 });
  });

  it('compares numbers within a relative tolerance', () => {
    expect(diffJson({ p: 33.33333333333333 }, { p: 33.333333333333336 }, { tolerance: 1e-9, maxDiffs: 5 }).total).toBe(0);
    expect(diffJson({ p: 33.3 }, { p: 33.4 }, { tolerance: 1e-9, maxDiffs: 5 }).total).toBe(1);
    expect(numbersMatch(0, 1e-12, 1e-9)).toBe(false);
    expect(diffJson({ 'odd key': 1 }, { 'odd key': 2 }, { tolerance: 0, maxDiffs: 5 }).entries[0]!.path).toBe('["odd key"]');
  });
});
