import { describe, expect, it } from 'vitest';
import { parseTakeoutHtml } from '../../src/takeout/index.js';
import { channelLine, htmlEntry, htmlExport, watchedLine } from './snippets.js';

const VIDEO = 'https://www.youtube.com/watch?v=dQw4w9WgXcQ';
const CHANNEL = 'https://www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw';
const WHEN = 'Aug 15, 2025, 11:04:01\u202fAM CDT';

describe('parseTakeoutHtml: watches', () => {
  it('maps a watch entry of the US layout (spec §2.2)', () => {
    const html = htmlExport([htmlEntry({ lines: [watchedLine(VIDEO, 'Never Gonna Give You Up'), channelLine(CHANNEL, 'Rick Astley'), WHEN] })]);
    const { records, report } = parseTakeoutHtml(html);
    expect(records).toEqual([
      {
        id: expect.stringMatching(/^tk-[0-9a-f]{16}$/),
        watchedAt: '2025-08-15T16:04:01.000Z',
        videoId: 'dQw4w9WgXcQ',
        videoTitle: 'Never Gonna Give You Up',
        videoUrl: VIDEO,
        channelTitle: 'Rick Astley',
        channelUrl: CHANNEL,
        product: 'YouTube',
      },
    ]);
    expect(report).toMatchObject({ format: 'takeout-html', entries: 1, watches: 1 });
  });

  it('reads the newest layout: day-first dates with a GMT offset, Sept', () => {
    const html = htmlExport([
      htmlEntry({ lines: [watchedLine(VIDEO, 'A'), channelLine(CHANNEL, 'C'), '8 Dec 2025, 19:47:35 GMT+05:30'] }),
      htmlEntry({ lines: [watchedLine('https://www.youtube.com/watch?v=sept0000001', 'B'), '14 Sept 2025, 07:00:00 GMT+05:30'] }),
    ]);
    expect(parseTakeoutHtml(html).records.map((r) => r.watchedAt)).toEqual(['2025-12-08T14:17:35.000Z', '2025-09-14T01:30:00.000Z']);
  });

  it('decodes HTML entities in titles, channel names and links', () => {
    const html = htmlExport([
      htmlEntry({
        lines: [
          'Watched&nbsp;<a href="https://www.youtube.com/watch?v=abcdefghijk&amp;t=42s">Tom &amp; Jerry &quot;Best of&quot; &#39;97 &lt;HD&gt; &#x1F600;</a>',
          channelLine('https://www.youtube.com/@tom&amp;jerry', 'Tom &amp; Jerry'),
          WHEN,
        ],
      }),
    ]);
    expect(parseTakeoutHtml(html).records[0]).toMatchObject({
      videoTitle: 'Tom & Jerry "Best of" \'97 <HD> 😀',
      videoId: 'abcdefghijk',
      videoUrl: 'https://www.youtube.com/watch?v=abcdefghijk&t=42s',
      channelTitle: 'Tom & Jerry',
      channelUrl: 'https://www.youtube.com/@tom&jerry',
    });
  });

  it('keeps a title that is only the URL', () => {
    const html = htmlExport([htmlEntry({ lines: [watchedLine(VIDEO, VIDEO), WHEN] })]);
    expect(parseTakeoutHtml(html).records[0]!.videoTitle).toBe(VIDEO);
  });

  it('a localized entry (Japanese wording after the anchor) keeps just the anchor text', () => {
    const html = htmlExport([htmlEntry({ lines: [`<a href="${VIDEO}">【実演】楽しみ方講座</a> を視聴しました`, channelLine(CHANNEL, 'CUTIE STREET'), '2025/08/15 11:04:01 JST'] })]);
    expect(parseTakeoutHtml(html).records[0]).toMatchObject({ videoTitle: '【実演】楽しみ方講座', channelTitle: 'CUTIE STREET', watchedAt: '2025-08-15T02:04:01.000Z' });
  });

  it('takes the channel from the same entry only, never the next one (D15)', () => {
    const html = htmlExport([
      htmlEntry({ details: 'From Google Ads', lines: [watchedLine(VIDEO, 'An ad'), 'Watched at 11:42\u202fPM', 'Aug 14, 2025, 11:42:22\u202fPM CDT'] }),
      htmlEntry({ lines: [watchedLine('https://www.youtube.com/watch?v=nextvideo01', 'Next'), channelLine(CHANNEL, 'Next channel'), WHEN] }),
    ]);
    const { records } = parseTakeoutHtml(html);
    expect(records[0]).not.toHaveProperty('channelTitle');
    expect(records[0]!.watchedAt).toBe('2025-08-15T04:42:22.000Z');
    expect(records[1]).toMatchObject({ channelTitle: 'Next channel' });
  });

  it('marks YouTube Music by the header or by a music.youtube.com link', () => {
    const html = htmlExport([
      htmlEntry({ header: 'YouTube Music', lines: [watchedLine('https://www.youtube.com/watch?v=musichead01', 'A'), WHEN] }),
      htmlEntry({ lines: [watchedLine('https://music.youtube.com/watch?v=musiclink01', 'B'), WHEN] }),
      htmlEntry({ lines: [watchedLine('https://www.youtube.com/watch?v=plainvideo1', 'C'), WHEN] }),
    ]);
    const { records, report } = parseTakeoutHtml(html);
    expect(records.map((r) => r.product)).toEqual(['YouTube Music', 'YouTube Music', 'YouTube']);
    expect(report.youtubeMusic).toBe(2);
  });

  it('keeps an entry with a "Details:" caption as an ad record', () => {
    const html = htmlExport([htmlEntry({ details: 'From Google Ads', lines: [watchedLine(VIDEO, 'Buy now'), WHEN] })]);
    const { records, report } = parseTakeoutHtml(html);
    expect(records[0]!.isAd).toBe(true);
    expect(report).toMatchObject({ watches: 1, ads: 1 });
  });

  it('keeps a removed video as a dated watch with no video', () => {
    const html = htmlExport([htmlEntry({ lines: ['Watched a video that has been removed', WHEN] })]);
    const { records, report } = parseTakeoutHtml(html);
    expect(records).toEqual([{ id: expect.any(String), watchedAt: '2025-08-15T16:04:01.000Z', product: 'YouTube' }]);
    expect(report.removedVideos).toBe(1);
  });

  it('keeps multi-line titles as they are', () => {
    const html = htmlExport([htmlEntry({ lines: [watchedLine(VIDEO, 'First line \n♻️ Second line'), WHEN] })]);
    expect(parseTakeoutHtml(html).records[0]!.videoTitle).toBe('First line \n♻️ Second line');
  });
});

describe('parseTakeoutHtml: activities that are not watches', () => {
  it('skips and counts posts, visits, surveys, Shorts tools, ads without a video and others', () => {
    const html = htmlExport([
      htmlEntry({ lines: [watchedLine(VIDEO, 'A watch'), WHEN] }),
      htmlEntry({ lines: ['Viewed&nbsp;<a href="https://www.youtube.com/post/UgkxU2Lap">It was a delight</a>', channelLine(CHANNEL, 'Someone'), WHEN] }),
      htmlEntry({ lines: ['Visited&nbsp;<a href="https://www.google.com/url?q=https://example.com">https://example.com</a>', WHEN] }),
      htmlEntry({ lines: ['Answered survey question', WHEN] }),
      htmlEntry({ lines: ['Used Shorts creation tools', WHEN] }),
      htmlEntry({ details: 'From Google Ads', lines: ['Viewed Ads On YouTube Shorts', WHEN] }),
      htmlEntry({ lines: ['Subscribed to nothing in particular', WHEN] }),
    ]);
    const { records, report } = parseTakeoutHtml(html);
    expect(records).toHaveLength(1);
    expect(report.skipped).toEqual({ post: 1, visit: 1, survey: 1, shortsTools: 1, adWithoutVideo: 1, other: 1 });
    expect(report.entries).toBe(7);
  });
});

describe('parseTakeoutHtml: timestamps, ids, duplicates', () => {
  it('an unresolvable timestamp makes the record undated, never dropped, never UTC', () => {
    const html = htmlExport([
      htmlEntry({ lines: [watchedLine(VIDEO, 'A'), '15 Jan 2025, 08:00:00 IST'] }),
      htmlEntry({ lines: [watchedLine(VIDEO, 'A'), '16 Jan 2025, 08:00:00 IST'] }),
      htmlEntry({ lines: [watchedLine(VIDEO, 'A'), '15 Mai 2025, 08:00:00 CEST'] }),
    ]);
    const { records, report } = parseTakeoutHtml(html);
    expect(records.map((r) => r.watchedAt)).toEqual([null, null, null]);
    expect(new Set(records.map((r) => r.id)).size).toBe(3);
    expect(report.undated).toBe(3);
    expect(report.undatedReasons).toEqual({ 'unknown month "Mai"': 1, 'unknown time zone "IST"': 2 });
  });

  it('resolves unknown zones through sourceTimeZone, with ids that do not depend on it', () => {
    const html = htmlExport([htmlEntry({ lines: [watchedLine(VIDEO, 'A'), '15 Jan 2025, 08:00:00 IST'] })]);
    const kolkata = parseTakeoutHtml(html, { sourceTimeZone: 'Asia/Kolkata' });
    expect(kolkata.records[0]!.watchedAt).toBe('2025-01-15T02:30:00.000Z');
    expect(kolkata.report).toMatchObject({ resolvedWithSourceTimeZone: 1, undated: 0, sourceTimeZone: 'Asia/Kolkata' });
    expect(parseTakeoutHtml(html).records[0]!.id).toBe(kolkata.records[0]!.id);
  });

  it('an invalid source zone is refused', () => {
    expect(() => parseTakeoutHtml(htmlExport([]), { sourceTimeZone: 'Mars/Olympus' })).toThrow(/unknown time zone "Mars\/Olympus"/);
  });

  it('merges exact duplicates and keeps ids stable across runs', () => {
    const entry = htmlEntry({ lines: [watchedLine(VIDEO, 'A'), channelLine(CHANNEL, 'C'), WHEN] });
    const html = htmlExport([entry, entry, htmlEntry({ lines: [watchedLine(VIDEO, 'A'), 'Aug 15, 2025, 11:04:02\u202fAM CDT'] })]);
    const first = parseTakeoutHtml(html);
    expect(first.report).toMatchObject({ entries: 3, watches: 2, duplicatesMerged: 1 });
    expect(parseTakeoutHtml(html).records).toEqual(first.records);
  });

  it('the same instant written in two zones is one watch', () => {
    const html = htmlExport([
      htmlEntry({ lines: [watchedLine(VIDEO, 'A'), 'Aug 15, 2025, 11:04:01 AM CDT'] }),
      htmlEntry({ lines: [watchedLine(VIDEO, 'A'), '15 Aug 2025, 16:04:01 GMT+00:00'] }),
    ]);
    expect(parseTakeoutHtml(html).report.duplicatesMerged).toBe(1);
  });

  it('an empty history parses to nothing', () => {
    expect(parseTakeoutHtml('<html><body><div class="mdl-grid"></div></body></html>').report.entries).toBe(0);
  });
});
