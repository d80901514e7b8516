import { describe, expect, it } from 'vitest';
import { ZoneClock } from '../../src/core/time/zone.js';
import { resolveHtmlTimestamp } from '../../src/takeout/html-timestamp.js';

const iso = (text: string, zone: string | null = null): string | null => {
  const { instant } = resolveHtmlTimestamp(text, zone === null ? null : new ZoneClock(zone));
  return instant === null ? null : new Date(instant).toISOString();
};

describe('resolveHtmlTimestamp: layouts (spec §2.6)', () => {
  it('reads the US layout with U+202F before AM/PM (the HEAD golden examples, §2.4)', () => {
    expect(iso('Aug 15, 2025, 11:04:01\u202fAM CDT')).toBe('2025-08-15T16:04:01.000Z');
    expect(iso('Aug 14, 2025, 11:42:22\u202fPM CDT')).toBe('2025-08-15T04:42:22.000Z');
  });

  it('reads the day-first layout with an explicit GMT offset', () => {
    expect(iso('8 Dec 2025, 19:47:35 GMT+05:30')).toBe('2025-12-08T14:17:35.000Z');
    expect(iso('1 Jan 2024, 00:30:00 GMT-03:00')).toBe('2024-01-01T03:30:00.000Z');
  });

  it('reads the year-first layout (Japanese exports)', () => {
    expect(iso('2025/08/15 11:04:01 JST')).toBe('2025-08-15T02:04:01.000Z');
  });

  it('maps every Unicode space to a space and collapses runs', () => {
    expect(iso('Aug\u00a015,\u20092025,\u3000 11:04:01\u202f\u202fAM\u00a0CDT')).toBe('2025-08-15T16:04:01.000Z');
    expect(iso('  8 Dec 2025, 19:47:35 GMT+05:30\n')).toBe('2025-12-08T14:17:35.000Z');
  });

  it('accepts English month names and abbreviations, including Sept', () => {
    expect(iso('15 Sept 2025, 10:00:00 GMT+00:00')).toBe('2025-09-15T10:00:00.000Z');
    expect(iso('Sep 15, 2025, 10:00:00 AM UTC')).toBe('2025-09-15T10:00:00.000Z');
    expect(iso('September 15, 2025, 10:00:00 AM UTC')).toBe('2025-09-15T10:00:00.000Z');
    expect(iso('Sept. 15, 2025, 10:00:00 AM UTC')).toBe('2025-09-15T10:00:00.000Z');
    expect(iso('february 29, 2024, 1:00:00 PM GMT')).toBe('2024-02-29T13:00:00.000Z');
  });

  it('handles 12 AM and 12 PM, seconds-less times and 24-hour times', () => {
    expect(iso('Jan 1, 2024, 12:00:00 AM UTC')).toBe('2024-01-01T00:00:00.000Z');
    expect(iso('Jan 1, 2024, 12:00:00 PM UTC')).toBe('2024-01-01T12:00:00.000Z');
    expect(iso('Jan 1, 2024, 9:05 PM EST')).toBe('2024-01-02T02:05:00.000Z');
    expect(iso('1 Jan 2024, 21:05 GMT+01:00')).toBe('2024-01-01T20:05:00.000Z');
    expect(iso('Jan 1, 2024, 9:05:07 p.m. UTC')).toBe('2024-01-01T21:05:07.000Z');
  });
});

describe('resolveHtmlTimestamp: zones', () => {
  it('uses the spec table for US abbreviations', () => {
    expect(iso('Jan 15, 2025, 8:00:00 AM PST')).toBe('2025-01-15T16:00:00.000Z');
    expect(iso('Jul 15, 2025, 8:00:00 AM PDT')).toBe('2025-07-15T15:00:00.000Z');
    expect(iso('Jan 15, 2025, 8:00:00 AM MST')).toBe('2025-01-15T15:00:00.000Z');
    expect(iso('Jul 15, 2025, 8:00:00 AM MDT')).toBe('2025-07-15T14:00:00.000Z');
    expect(iso('Jan 15, 2025, 8:00:00 AM CST')).toBe('2025-01-15T14:00:00.000Z');
    expect(iso('Jan 15, 2025, 8:00:00 AM EST')).toBe('2025-01-15T13:00:00.000Z');
    expect(iso('Jul 15, 2025, 8:00:00 AM EDT')).toBe('2025-07-15T12:00:00.000Z');
    expect(iso('Jul 15, 2025, 8:00:00 AM GMT')).toBe('2025-07-15T08:00:00.000Z');
  });

  it('extends the table with unambiguous abbreviations', () => {
    expect(iso('15 Jul 2025, 08:00:00 CEST')).toBe('2025-07-15T06:00:00.000Z');
    expect(iso('15 Jan 2025, 08:00:00 CET')).toBe('2025-01-15T07:00:00.000Z');
    expect(iso('15 Jan 2025, 08:00:00 AEDT')).toBe('2025-01-14T21:00:00.000Z');
    expect(iso('15 Jan 2025, 08:00:00 NST')).toBe('2025-01-15T11:30:00.000Z');
  });

  it('reads explicit GMT and UTC offsets with or without minutes', () => {
    expect(iso('15 Jan 2025, 08:00:00 GMT+5')).toBe('2025-01-15T03:00:00.000Z');
    expect(iso('15 Jan 2025, 08:00:00 UTC-7')).toBe('2025-01-15T15:00:00.000Z');
    expect(iso('15 Jan 2025, 08:00:00 GMT+0545')).toBe('2025-01-15T02:15:00.000Z');
    expect(iso('15 Jan 2025, 08:00:00 GMT\u22123:30')).toBe('2025-01-15T11:30:00.000Z');
  });

  it('never falls back to UTC: an ambiguous or unknown abbreviation, or no zone, leaves it unresolved', () => {
    for (const text of ['15 Jan 2025, 08:00:00 IST', '15 Jan 2025, 08:00:00 BST', 'Jan 15, 2025, 8:00:00 AM XYZT', 'Jan 15, 2025, 8:00:00 AM']) {
      const resolved = resolveHtmlTimestamp(text, null);
      expect(resolved.instant, text).toBeNull();
      expect(resolved.problem, text).toMatch(/time zone/);
    }
    expect(resolveHtmlTimestamp('15 Jan 2025, 08:00:00 IST', null).problem).toBe('unknown time zone "IST"');
  });

  it('resolves those through the caller’s IANA source zone, DST included', () => {
    expect(iso('15 Jan 2025, 08:00:00 IST', 'Asia/Kolkata')).toBe('2025-01-15T02:30:00.000Z');
    expect(iso('15 Jul 2025, 08:00:00 BST', 'Europe/London')).toBe('2025-07-15T07:00:00.000Z');
    expect(iso('Jan 15, 2025, 8:00:00 AM', 'America/New_York')).toBe('2025-01-15T13:00:00.000Z');
    expect(iso('Jul 15, 2025, 8:00:00 AM', 'America/New_York')).toBe('2025-07-15T12:00:00.000Z');
    const viaZone = resolveHtmlTimestamp('15 Jan 2025, 08:00:00 IST', new ZoneClock('Asia/Kolkata'));
    expect(viaZone).toMatchObject({ exact: false, viaSourceTimeZone: true });
  });

  it('a known abbreviation or offset wins over the source zone', () => {
    expect(iso('Jan 15, 2025, 8:00:00 AM PST', 'Asia/Tokyo')).toBe('2025-01-15T16:00:00.000Z');
    expect(resolveHtmlTimestamp('Jan 15, 2025, 8:00:00 AM PST', new ZoneClock('Asia/Tokyo')).exact).toBe(true);
  });
});

describe('resolveHtmlTimestamp: failures', () => {
  it('non-English months, impossible dates and other text are unresolved with a reason', () => {
    expect(resolveHtmlTimestamp('15 Mai 2025, 08:00:00 CEST', null)).toMatchObject({ instant: null, problem: 'unknown month "Mai"' });
    expect(resolveHtmlTimestamp('Feb 30, 2025, 8:00:00 AM UTC', null).problem).toBe('invalid date or time');
    expect(resolveHtmlTimestamp('Feb 3, 2025, 13:00:00 PM UTC', null).problem).toBe('invalid date or time');
    expect(resolveHtmlTimestamp('Feb 3, 2025, 24:00:00 UTC', null).problem).toBe('invalid date or time');
    expect(resolveHtmlTimestamp('Rick Astley', null).problem).toBe('unrecognized timestamp layout');
    expect(resolveHtmlTimestamp('', null).problem).toBe('no timestamp');
  });

  it('keeps the normalized text of every timestamp', () => {
    expect(resolveHtmlTimestamp('15\u00a0Mai 2025,  08:00:00 CEST', null).raw).toBe('15 Mai 2025, 08:00:00 CEST');
  });
});
