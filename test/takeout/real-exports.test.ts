import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseTakeout } from '../../src/takeout/index.js';

// Two real exports (see ../shared/fixtures/real/SOURCES.md), read in place, never copied here.
const REAL = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/fixtures/real');
const present = existsSync(join(REAL, 'keira-watch-history.json')) && existsSync(join(REAL, 'flowstate-watch-history.html'));
if (!present) console.warn(`real-data tests skipped: ${REAL} is absent`);
const suite = present ? 'real Takeout exports' : `real Takeout exports (skipped: ${REAL} is absent)`;

const read = (name: string): string => readFileSync(join(REAL, name), 'utf8');
const readBytes = (name: string): Uint8Array => readFileSync(join(REAL, name));

/** Reads and parses on first use, so nothing touches the folder when the suite is skipped. */
function lazy<T>(make: () => T): () => T {
  let value: { v: T } | null = null;
  return () => (value ??= { v: make() }).v;
}

describe.skipIf(!present)(suite, () => {
  describe('keira-watch-history.json (Japanese, 5,533 entries)', () => {
    const text = lazy(() => read('keira-watch-history.json'));
    const parsed = lazy(() => parseTakeout(text()));

    it('reports the figures established independently', () => {
      // Established once with a short python3 script (json module; a watch is a titleUrl matching
      // ^https?://(www.|m.|music.)?youtube.com/watch?v=; duplicates keyed by (parsed time, titleUrl); posts
      // by /post/ in titleUrl, other links as visits; no link with details as ads without video; the
      // rest by title). SOURCES.md agrees: 1,855 entries with details = 1,814 ads + 38 top-page ads + 3 visits.
      expect(parsed().report).toEqual({
        format: 'takeout-json',
        entries: 5533,
        watches: 5428,
        ads: 1814,
        youtubeMusic: 0,
        removedVideos: 0,
        withoutChannel: 1859,
        undated: 0,
        undatedReasons: {},
        resolvedWithSourceTimeZone: 0,
        duplicatesMerged: 0,
        skipped: { post: 51, visit: 3, survey: 0, shortsTools: 13, adWithoutVideo: 38, other: 0 },
        skippedTotal: 105,
        firstWatchedAt: '2025-12-14T13:09:44.677Z',
        lastWatchedAt: '2026-02-12T09:30:19.219Z',
        sourceTimeZone: null,
      });
    });

    it('gives every watch entry exactly its own time, title and channel', () => {
      // Read again with plain JSON.parse, independently of the entry scanner and the zod schema.
      const entries = JSON.parse(text()) as Array<{ title: string; titleUrl?: string; time: string; subtitles?: Array<{ name: string }> }>;
      const watches = entries.filter((e) => e.titleUrl !== undefined && /^https:\/\/www\.youtube\.com\/watch\?v=/.test(e.titleUrl));
      const expected = watches.map((e) => ({
        watchedAt: new Date(e.time).toISOString(),
        videoUrl: e.titleUrl,
        // Titles and channel names are trimmed (a few end in a space).
        videoTitle: e.title.slice(0, -' を視聴しました'.length).trim(),
        channelTitle: e.subtitles?.[0]?.name.trim(),
      }));
      const actual = parsed().records.map((r) => ({ watchedAt: r.watchedAt, videoUrl: r.videoUrl, videoTitle: r.videoTitle, channelTitle: r.channelTitle }));
      expect(actual).toEqual(expected);
      // The four timestamps without milliseconds among them.
      expect(watches.filter((e) => !e.time.includes('.')).length).toBe(4);
    });

    it('reads the same from the file’s bytes as from its text', () => {
      expect(parseTakeout(readBytes('keira-watch-history.json'))).toEqual(parsed());
    });

    it('keeps titles that are only a URL', () => {
      const urlOnly = parsed().records.filter((r) => r.videoTitle === r.videoUrl);
      expect(urlOnly.length).toBe(49);
    });
  });

  describe('flowstate-watch-history.html (newest layout, 1,791 entries)', () => {
    const text = lazy(() => read('flowstate-watch-history.html'));
    const parsed = lazy(() => parseTakeout(text()));

    it('reports the figures established independently', () => {
      // Established once with a short python3 script (split on outer-cell, regex over the body cell:
      // a watch has a www/music.youtube.com/watch?v= anchor; ads have "Details:" in the caption; Music by
      // the header or the link; times from the last line via datetime with the GMT offset).
      expect(parsed().report).toEqual({
        format: 'takeout-html',
        entries: 1791,
        watches: 1778,
        ads: 262,
        youtubeMusic: 126,
        removedVideos: 0,
        withoutChannel: 280,
        undated: 0,
        undatedReasons: {},
        resolvedWithSourceTimeZone: 0,
        duplicatesMerged: 0,
        skipped: { post: 7, visit: 0, survey: 0, shortsTools: 2, adWithoutVideo: 4, other: 0 },
        skippedTotal: 13,
        firstWatchedAt: '2025-08-24T07:57:42.000Z',
        lastWatchedAt: '2025-12-08T14:17:35.000Z',
        sourceTimeZone: null,
      });
    });

    it('gives every watch entry exactly the instant its timestamp text reads', () => {
      // An independent reading: one regex per entry for the link and the day-first date with its offset.
      const months: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sept: 8, Oct: 9, Nov: 10, Dec: 11 };
      const expected: Array<{ watchedAt: string; videoUrl: string }> = [];
      for (const cell of text().split('<div class="outer-cell').slice(1)) {
        const link = /href="(https:\/\/(?:www|music)\.youtube\.com\/watch\?v=[^"]+)"/.exec(cell);
        if (!link) continue;
        const date = /<br>(\d{1,2}) (\w+) (\d{4}), (\d\d):(\d\d):(\d\d) GMT([+-])(\d\d):(\d\d)<br><\/div>/.exec(cell)!;
        const offsetMinutes = (date[7] === '+' ? 1 : -1) * (Number(date[8]) * 60 + Number(date[9]));
        const utc = Date.UTC(Number(date[3]), months[date[2]!]!, Number(date[1]), Number(date[4]), Number(date[5]), Number(date[6])) - offsetMinutes * 60_000;
        expected.push({ watchedAt: new Date(utc).toISOString(), videoUrl: link[1]! });
      }
      expect(expected.length).toBe(1778);
      expect(parsed().records.map((r) => ({ watchedAt: r.watchedAt, videoUrl: r.videoUrl }))).toEqual(expected);
      // "Sept" dates are among them.
      expect(parsed().records.filter((r) => r.watchedAt!.startsWith('2025-09')).length).toBeGreaterThan(200);
    });

    it('decodes titles and keeps URL-only titles', () => {
      expect(parsed().records.find((r) => r.videoId === 'Oiv3TaIR9UY')!.videoTitle).toBe('carving emails & AI prompt injection hacking');
      expect(parsed().records.find((r) => r.videoId === 'lklit7blQ-0')!.videoTitle).toBe('https://www.youtube.com/watch?v=lklit7blQ-0');
      expect(parsed().records.every((r) => !/&(?:amp|quot|#39);/.test(r.videoTitle ?? ''))).toBe(true);
    });

    it('gives ids that are unique and stable', () => {
      expect(new Set(parsed().records.map((r) => r.id)).size).toBe(parsed().records.length);
      expect(parseTakeout(text()).records.map((r) => r.id)).toEqual(parsed().records.map((r) => r.id));
    });

    it('reads the same from the file’s bytes as from its text', () => {
      expect(parseTakeout(readBytes('flowstate-watch-history.html'))).toEqual(parsed());
    });
  });
});
