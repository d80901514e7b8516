import { describe, expect, it } from 'vitest';
import { Random } from '../../../fixtures/random.js';
import { MAX_INSTANT_MS, MIN_INSTANT_MS, canonicalIsoInstant, checkIsoInstant, formatIsoInstant, parseIsoInstant } from '../../../src/core/time/iso.js';

describe('parseIsoInstant', () => {
  it('reads ISO-8601 instants with an explicit offset, to the millisecond', () => {
    expect(canonicalIsoInstant('2024-02-29T23:59:59.999Z')).toBe('2024-02-29T23:59:59.999Z');
    expect(canonicalIsoInstant('2024-03-01T08:30:00+09:00')).toBe('2024-02-29T23:30:00.000Z');
    expect(canonicalIsoInstant('2024-03-01T00:00:00.5-05:30')).toBe('2024-03-01T05:30:00.500Z');
    expect(canonicalIsoInstant('2024-03-01T00:00-0100')).toBe('2024-03-01T01:00:00.000Z');
    expect(canonicalIsoInstant('2024-03-01T00:00:00.123456789Z')).toBe('2024-03-01T00:00:00.123Z');
    expect(parseIsoInstant('1970-01-01T00:00:00.000Z')).toBe(0);
  });

  it('refuses text that is not an instant: no offset, impossible dates, other formats', () => {
    for (const text of [
      '', '2024-03-01', '2024-03-01T00:00:00', '2023-02-29T00:00:00Z', '2024-04-31T00:00:00Z', '2024-13-01T00:00:00Z',
      '2024-03-01T24:00:00Z', '2024-03-01T00:60:00Z', 'Aug 15, 2025, 11:04:01 AM CDT', '2024-03-01 00:00:00Z',
      '2024-3-1T00:00:00Z', ' 2024-03-01T00:00:00Z', '2024-03-01T00:00:00.000ZZ', '2024-03-0aT00:00:00.000Z',
    ]) {
      expect(parseIsoInstant(text), text).toBeNull();
    }
  });
});

describe('instants are bounded to years 1–9999 (UTC)', () => {
  it('reads the first and last instants, and nothing beyond them', () => {
    expect(canonicalIsoInstant('0001-01-01T00:00:00Z')).toBe('0001-01-01T00:00:00.000Z');
    expect(canonicalIsoInstant('9999-12-31T23:59:59.999Z')).toBe('9999-12-31T23:59:59.999Z');
    expect(parseIsoInstant('0001-01-01T00:00:00Z')).toBe(MIN_INSTANT_MS);
    expect(parseIsoInstant('9999-12-31T23:59:59.999Z')).toBe(MAX_INSTANT_MS);
    // An offset that carries a local time over either end.
    expect(parseIsoInstant('0001-01-01T00:30:00+01:00')).toBeNull();
    expect(parseIsoInstant('9999-12-31T23:30:00-01:00')).toBeNull();
    expect(parseIsoInstant('0000-06-01T00:00:00.000Z')).toBeNull();
  });

  it('tells an instant out of range from text that is no instant', () => {
    expect(checkIsoInstant('2025-01-31T23:59:59Z')).toEqual({ ms: Date.UTC(2025, 0, 31, 23, 59, 59) });
    for (const text of ['0000-12-31T00:00:00Z', '0001-01-01T00:30:00+01:00', '9999-12-31T23:30:00-01:00', '10000-01-01T00:00:00Z', '+010000-01-01T00:00:00Z', '-000001-01-01T00:00:00Z']) {
      expect(checkIsoInstant(text), text).toEqual({ problem: 'range' });
    }
    for (const text of ['tomorrow', '2025-02-30T00:00:00Z', '2025-01-31', '0000-02-30T00:00:00Z']) expect(checkIsoInstant(text), text).toEqual({ problem: 'syntax' });
  });
});

describe('formatIsoInstant writes what toISOString writes', () => {
  it('for 20,000 instants spread over years 0–9999, whole milliseconds', () => {
    const random = new Random(16);
    const low = new Date('0000-01-01T00:00:00.000Z').getTime();
    const high = new Date('9999-12-31T23:59:59.999Z').getTime();
    for (let i = 0; i < 20_000; i++) {
      const ms = Math.floor(low + random.next() * (high - low));
      expect(formatIsoInstant(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it('at the edges: the epoch, day and year boundaries, leap days, years 0 and 9999, and beyond', () => {
    const edges = [
      '1970-01-01T00:00:00.000Z', '1969-12-31T23:59:59.999Z', '2024-02-29T12:34:56.789Z', '2000-02-29T00:00:00.000Z',
      '1900-03-01T00:00:00.000Z', '0000-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z', '0001-01-01T00:00:00.000Z',
    ].map((text) => new Date(text).getTime());
    for (const ms of [...edges, edges[5]! - 1, edges[6]! + 1, 8.64e15, -8.64e15]) expect(formatIsoInstant(ms)).toBe(new Date(ms).toISOString());
    expect(() => formatIsoInstant(NaN)).toThrow(RangeError);
  });
});
