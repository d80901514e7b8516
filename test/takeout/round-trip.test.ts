import { describe, expect, it } from 'vitest';
import type { InputRecord } from '../../src/core/record.js';
import { parseTakeout } from '../../src/takeout/index.js';
import { generateUser } from '../../fixtures/generator.js';
import { type TakeoutWriteOptions, writeTakeout } from '../../fixtures/takeout-writer.js';

// Generated users written as Takeout exports by fixtures/takeout-writer.ts and read back: the parser
// must return the generator's records (ids aside), and a report that accounts for every entry.

const records = generateUser({ userId: 'round-trip', records: 1500, seed: 'round-trip-v1', years: 3, adShare: 0.05, undatedShare: 0.01 });

type Comparable = Omit<InputRecord, 'id'>;

function comparable(record: InputRecord): Comparable {
  const { id: _id, ...rest } = record;
  return rest;
}

/** What a format can carry: HTML times have whole seconds and name channels only through links. */
function expectedOf(record: InputRecord, html: boolean): Comparable {
  const expected: Comparable = { ...comparable(record) };
  if (html) {
    if (expected.watchedAt != null) expected.watchedAt = new Date(Math.floor(Date.parse(expected.watchedAt) / 1000) * 1000).toISOString();
    if (expected.channelUrl == null) delete expected.channelTitle;
  }
  return expected;
}

const byContent = (a: Comparable, b: Comparable): number => {
  const ka = `${a.videoId}|${a.watchedAt}`;
  const kb = `${b.videoId}|${b.watchedAt}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

const CASES: ReadonlyArray<[string, TakeoutWriteOptions]> = [
  ['JSON, English', { format: 'takeout-json', seed: 1 }],
  ['JSON, Japanese', { format: 'takeout-json', seed: 2, language: 'ja' }],
  ['HTML, US layout (Chicago, CST/CDT, U+202F)', { format: 'takeout-html', seed: 3, dateLayout: 'month-first' }],
  ['HTML, US layout (Los Angeles)', { format: 'takeout-html', seed: 4, dateLayout: 'month-first', timeZone: 'America/Los_Angeles' }],
  ['HTML, newest layout (GMT+05:30, Sept)', { format: 'takeout-html', seed: 5, dateLayout: 'day-first' }],
  ['HTML, newest layout (Berlin, offsets across DST)', { format: 'takeout-html', seed: 6, dateLayout: 'day-first', timeZone: 'Europe/Berlin' }],
  ['HTML, Japanese (year-first, JST)', { format: 'takeout-html', seed: 7, language: 'ja' }],
];

describe.each(CASES)('writer → parser → generator records: %s', (_name, options) => {
  const html = options.format === 'takeout-html';
  const written = writeTakeout(records, { ...options, extras: 0.06, duplicates: 0.01 });
  const parsed = parseTakeout(written.text);

  it('returns the generator’s records', () => {
    const watches = parsed.records.filter((r) => r.videoUrl != null).map(comparable).sort(byContent);
    const expected = records.filter((r) => html || r.watchedAt !== null).map((r) => expectedOf(r, html)).sort(byContent);
    expect(watches).toEqual(expected);
  });

  it('accounts for every entry in the report', () => {
    const kept = records.length - written.omittedUndated;
    const { report } = parsed;
    expect(report.entries).toBe(written.entries);
    expect(report.watches).toBe(kept + written.removedVideos);
    expect(report.removedVideos).toBe(written.removedVideos);
    expect(report.duplicatesMerged).toBe(written.duplicates);
    expect(report.skipped).toEqual(written.skipped);
    expect(report.ads).toBe(records.filter((r) => r.isAd && (html || r.watchedAt !== null)).length);
    expect(report.youtubeMusic).toBe(records.filter((r) => r.product === 'YouTube Music' && (html || r.watchedAt !== null)).length);
    expect(report.undated).toBe(written.unresolvableTimestamps);
    expect(report.entries).toBe(report.watches + report.duplicatesMerged + report.skippedTotal);
    // The mix is realistic enough to exercise every rule.
    expect(written.removedVideos).toBeGreaterThan(0);
    expect(written.duplicates).toBeGreaterThan(0);
    // Every kind of skipped activity but 'other' (the writer invents no unknown activities).
    expect(Object.entries(written.skipped).filter(([kind, n]) => kind !== 'other' && n === 0)).toEqual([]);
    expect(report.ads).toBeGreaterThan(0);
    expect(report.youtubeMusic).toBeGreaterThan(0);
    if (html) expect(report.undated).toBeGreaterThan(0);
  });

  it('reads the same from UTF-8 bytes', () => {
    expect(parseTakeout(new TextEncoder().encode(written.text))).toEqual(parsed);
  });

  it('dates the unresolvable timestamps once the source zone is given', () => {
    if (!html) return;
    const zone = options.timeZone ?? (options.language === 'ja' ? 'Asia/Tokyo' : options.dateLayout === 'day-first' ? 'Asia/Kolkata' : 'America/Chicago');
    const withZone = parseTakeout(written.text, { sourceTimeZone: zone });
    expect(withZone.report.undated).toBe(0);
    expect(withZone.report.resolvedWithSourceTimeZone).toBe(written.unresolvableTimestamps);
    expect(withZone.records.map((r) => r.id)).toEqual(parsed.records.map((r) => r.id));
  });
});
