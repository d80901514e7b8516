import { describe, expect, it } from 'vitest';
import { counted } from '../../src/text/plural.js';

describe('counted', () => {
  it('puts the noun in the number its count asks for, with thousands separated', () => {
    expect(counted(1, 'user')).toBe('1 user');
    expect(counted(0, 'user')).toBe('0 users');
    expect(counted(2, 'orphan')).toBe('2 orphans');
    expect(counted(1234, 'result')).toBe('1,234 results');
    expect(counted(2, 'entry', 'entries')).toBe('2 entries');
  });
});
