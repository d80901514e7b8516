import { describe, expect, it } from 'vitest';
import { newestWatchedAt } from '../../src/core/newest-watch.js';

describe('newestWatchedAt (the default asOf)', () => {
  it('is the newest dated watch, in canonical form, whatever the order', () => {
    const records = [
      { id: 'a', watchedAt: '2025-03-01T10:00:00Z' },
      { id: 'b', watchedAt: '2025-03-02T11:30:00.250+02:00' },
      { id: 'c', watchedAt: null },
      { id: 'd' } as { id: string; watchedAt?: null },
    ];
    expect(newestWatchedAt(records as never)).toBe('2025-03-02T09:30:00.250Z');
    expect(newestWatchedAt([...records].reverse() as never)).toBe('2025-03-02T09:30:00.250Z');
  });

  it('leaves ads out: a newer ad does not move it, and ads alone give none', () => {
    const watch = { id: 'w', watchedAt: '2025-03-01T10:00:00.000Z' };
    const ad = { id: 'ad', watchedAt: '2025-04-01T00:00:00.000Z', isAd: true };
    expect(newestWatchedAt([watch, ad])).toBe(watch.watchedAt);
    expect(newestWatchedAt([ad])).toBeNull();
    expect(newestWatchedAt([{ id: 'u', watchedAt: null }])).toBeNull();
    expect(newestWatchedAt([])).toBeNull();
  });
});
