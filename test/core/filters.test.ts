import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FILTERS, DEFAULT_GRID, TIMEFRAMES, canonicalFilters, filterHash } from '../../src/core/filters.js';

const sha = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

describe('canonicalFilters', () => {
  it('fills defaults and de-duplicates and sorts the lists in UTF-16 order', () => {
    expect(canonicalFilters({})).toEqual({ timeframe: 'All', product: 'All', topics: [], channels: [] });
    expect(canonicalFilters({ topics: ['b', 'Zed', 'a', 'b', 'Äpfel'], channels: ['x', 'X', 'x'] })).toEqual({
      timeframe: 'All',
      product: 'All',
      topics: ['Zed', 'a', 'b', 'Äpfel'],
      channels: ['X', 'x'],
    });
  });

  it('rejects unknown timeframes and products and empty names', () => {
    expect(() => canonicalFilters({ timeframe: 'LastWeek' as never })).toThrow();
    expect(() => canonicalFilters({ product: 'YouTube Kids' as never })).toThrow();
    expect(() => canonicalFilters({ topics: [''] })).toThrow();
    expect(() => canonicalFilters({ channels: [''] })).toThrow();
  });
});

describe('filterHash', () => {
  it('is the hex SHA-256 of the canonical JSON with sorted keys (spec §3.11)', () => {
    expect(filterHash(DEFAULT_FILTERS)).toBe(sha('{"channels":[],"product":"All","timeframe":"All","topics":[]}'));
    expect(filterHash(canonicalFilters({ timeframe: 'MTD', product: 'YouTube Music', topics: ['Music', 'Gaming'], channels: ['Ä', 'a'] }))).toBe(
      sha('{"channels":["a","Ä"],"product":"YouTube Music","timeframe":"MTD","topics":["Gaming","Music"]}'),
    );
  });

  it('ignores the order and repetition of topics and channels', () => {
    const a = canonicalFilters({ timeframe: 'YTD', topics: ['Music', 'Gaming', 'Music'], channels: ['B', 'A'] });
    const b = canonicalFilters({ channels: ['A', 'B', 'A'], topics: ['Gaming', 'Music'], timeframe: 'YTD' });
    expect(filterHash(a)).toBe(filterHash(b));
    expect(filterHash(a)).not.toBe(filterHash(canonicalFilters({ timeframe: 'YTD', topics: ['Music'], channels: ['A', 'B'] })));
    // Topics and channels are different lists: the same name in the other list is another filter set.
    expect(filterHash(canonicalFilters({ topics: ['X'] }))).not.toBe(filterHash(canonicalFilters({ channels: ['X'] })));
  });
});

describe('DEFAULT_GRID', () => {
  it('is 6 timeframes × 3 products with no topics or channels, all hashes distinct', () => {
    expect(DEFAULT_GRID).toHaveLength(18);
    for (const product of ['All', 'YouTube', 'YouTube Music'] as const) {
      for (const timeframe of TIMEFRAMES) {
        expect(DEFAULT_GRID).toContainEqual({ timeframe, product, topics: [], channels: [] });
      }
    }
    expect(new Set(DEFAULT_GRID.map(filterHash)).size).toBe(18);
    for (const filters of DEFAULT_GRID) {
      expect(canonicalFilters({ ...filters, topics: [...filters.topics], channels: [...filters.channels] })).toEqual(filters);
    }
  });
});
