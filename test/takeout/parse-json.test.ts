import { describe, expect, it } from 'vitest';
import { parseTakeoutJson } from '../../src/takeout/index.js';
import { jsonExport } from './snippets.js';

const CHANNEL = { name: 'Rick Astley', url: 'https://www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw' };

function watch(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    header: 'YouTube',
    title: 'Watched Never Gonna Give You Up',
    titleUrl: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
    subtitles: [CHANNEL],
    time: '2024-03-01T12:34:56.789Z',
    products: ['YouTube'],
    activityControls: ['YouTube watch history'],
    ...overrides,
  };
}

describe('parseTakeoutJson: watches', () => {
  it('maps a watch entry to a record (spec §2.5)', () => {
    const { records, report } = parseTakeoutJson(jsonExport([watch()]));
    expect(records).toEqual([
      {
        id: expect.stringMatching(/^tk-[0-9a-f]{16}$/),
        watchedAt: '2024-03-01T12:34:56.789Z',
        videoId: 'dQw4w9WgXcQ',
        videoTitle: 'Never Gonna Give You Up',
        videoUrl: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
        channelTitle: 'Rick Astley',
        channelUrl: 'https://www.youtube.com/channel/UCuAXFkgsw1L7xaCfnd5JJOw',
        product: 'YouTube',
      },
    ]);
    expect(report).toMatchObject({ format: 'takeout-json', entries: 1, watches: 1, ads: 0, undated: 0 });
  });

  it('undoes the \\u003d escape of Takeout URLs through JSON parsing', () => {
    const text = '[{"header":"YouTube","title":"Watched X","titleUrl":"https://www.youtube.com/watch?v\\u003dabcDEF12345","time":"2024-01-01T00:00:00.000Z"}]';
    expect(text).toContain('\\u003d');
    const [record] = parseTakeoutJson(text).records;
    expect(record).toMatchObject({ videoId: 'abcDEF12345', videoUrl: 'https://www.youtube.com/watch?v=abcDEF12345' });
  });

  it('reads time as an exact UTC instant, with or without milliseconds', () => {
    const { records } = parseTakeoutJson(
      jsonExport([
        watch({ time: '2026-02-12T06:34:35Z' }),
        watch({ time: '2022-04-25T18:09:04.784Z', titleUrl: 'https://www.youtube.com/watch?v=second00001' }),
      ]),
    );
    expect(records.map((r) => r.watchedAt)).toEqual(['2026-02-12T06:34:35.000Z', '2022-04-25T18:09:04.784Z']);
  });

  it('takes the channel from the entry’s own first subtitle, never a neighbour’s', () => {
    const { records } = parseTakeoutJson(
      jsonExport([
        watch({ subtitles: undefined, titleUrl: 'https://www.youtube.com/watch?v=nochannel01' }),
        watch({ subtitles: [CHANNEL, { name: 'Second', url: 'https://www.youtube.com/channel/UC2' }] }),
      ]),
    );
    expect(records[0]).not.toHaveProperty('channelTitle');
    expect(records[0]).not.toHaveProperty('channelUrl');
    expect(records[1]).toMatchObject({ channelTitle: 'Rick Astley' });
    expect(parseTakeoutJson(jsonExport([watch({ subtitles: undefined })])).report.withoutChannel).toBe(1);
  });

  it('marks YouTube Music by the header or by a music.youtube.com link', () => {
    const { records, report } = parseTakeoutJson(
      jsonExport([
        watch({ header: 'YouTube Music', titleUrl: 'https://www.youtube.com/watch?v=musicheader' }),
        watch({ titleUrl: 'https://music.youtube.com/watch?v=musiclink01' }),
        watch({ titleUrl: 'https://www.youtube.com/watch?v=plainvideo1' }),
      ]),
    );
    expect(records.map((r) => r.product)).toEqual(['YouTube Music', 'YouTube Music', 'YouTube']);
    expect(report.youtubeMusic).toBe(2);
  });

  it('keeps an entry with details as an ad record', () => {
    const { records, report } = parseTakeoutJson(
      jsonExport([watch({ details: [{ name: 'From Google Ads' }], subtitles: undefined, description: 'Watched at 11:42 PM' })]),
    );
    expect(records).toHaveLength(1);
    expect(records[0]!.isAd).toBe(true);
    expect(report).toMatchObject({ watches: 1, ads: 1 });
  });

  it('an empty details array is not an ad', () => {
    expect(parseTakeoutJson(jsonExport([watch({ details: [] })])).records[0]).not.toHaveProperty('isAd');
  });

  it('keeps a removed video as a dated watch with no video', () => {
    const { records, report } = parseTakeoutJson(
      jsonExport([{ header: 'YouTube', title: 'Watched a video that has been removed', time: '2023-05-01T10:00:00Z', products: ['YouTube'] }]),
    );
    expect(records).toEqual([{ id: expect.any(String), watchedAt: '2023-05-01T10:00:00.000Z', product: 'YouTube' }]);
    expect(report).toMatchObject({ watches: 1, removedVideos: 1 });
  });
});

describe('parseTakeoutJson: titles', () => {
  it('strips an English prefix and a Japanese suffix', () => {
    const { records } = parseTakeoutJson(
      jsonExport([
        watch({ title: 'Watched How to bake bread' }),
        watch({ title: '【実演】楽しみ方講座 を視聴しました', titleUrl: 'https://www.youtube.com/watch?v=japanese001' }),
      ]),
    );
    expect(records.map((r) => r.videoTitle)).toEqual(['How to bake bread', '【実演】楽しみ方講座']);
  });

  it('leaves a title that is only the URL as the title', () => {
    const url = 'https://www.youtube.com/watch?v=qXwDbjFXuew';
    const { records } = parseTakeoutJson(
      jsonExport([watch({ title: `Watched ${url}`, titleUrl: url }), watch({ title: `${url} を視聴しました`, titleUrl: url, time: '2024-01-01T00:00:00Z' })]),
    );
    expect(records.map((r) => r.videoTitle)).toEqual([url, url]);
  });

  it('does not decode HTML entities in JSON (they are literal text there)', () => {
    expect(parseTakeoutJson(jsonExport([watch({ title: 'Watched Tom &amp; Jerry' })])).records[0]!.videoTitle).toBe('Tom &amp; Jerry');
  });

  it('keeps a title without known wording as it is', () => {
    expect(parseTakeoutJson(jsonExport([watch({ title: 'Seen: something' })])).records[0]!.videoTitle).toBe('Seen: something');
  });
});

describe('parseTakeoutJson: activities that are not watches', () => {
  it('skips and counts posts, visits, surveys, Shorts tools, top-page ads and others', () => {
    const { records, report } = parseTakeoutJson(
      jsonExport([
        watch(),
        { header: 'YouTube', title: 'Viewed Big news for everyone', titleUrl: 'https://www.youtube.com/post/UgkxAbc', time: '2024-01-01T00:00:00Z' },
        { header: 'YouTube', title: '一生、きゅーてすと🧡 を表示しました', titleUrl: 'https://www.youtube.com/post/UgkxDef', subtitles: [CHANNEL], time: '2024-01-01T00:00:01Z' },
        {
          header: 'YouTube',
          title: 'Visited https://example.com/shop',
          titleUrl: 'https://www.google.com/url?q=https://example.com/shop&usg=AOv',
          details: [{ name: 'From Google Ads' }],
          time: '2024-01-01T00:00:02Z',
        },
        { header: 'YouTube', title: 'Answered survey question', time: '2024-01-01T00:00:03Z' },
        { header: 'YouTube', title: 'Used Shorts creation tools', time: '2024-01-01T00:00:04Z' },
        { header: 'YouTube', title: 'ショート動画作成ツールを使用しました', time: '2024-01-01T00:00:05Z' },
        { header: 'YouTube', title: 'YouTube のトップページで広告を視聴しました', details: [{ name: 'Google 広告から' }], time: '2024-01-01T00:00:06Z' },
        { header: 'YouTube', title: 'Searched for cats', time: '2024-01-01T00:00:07Z' },
      ]),
    );
    expect(records).toHaveLength(1);
    expect(report.skipped).toEqual({ post: 2, visit: 1, survey: 1, shortsTools: 2, adWithoutVideo: 1, other: 1 });
    expect(report.skippedTotal).toBe(8);
    expect(report.entries).toBe(report.watches + report.duplicatesMerged + report.skippedTotal);
  });

  it('a /watch link without a video id, or on another site, is not a watch', () => {
    const { report } = parseTakeoutJson(
      jsonExport([
        watch({ titleUrl: 'https://www.youtube.com/watch?list=PL123' }),
        watch({ titleUrl: 'https://www.notyoutube.com/watch?v=dQw4w9WgXcQ' }),
      ]),
    );
    expect(report).toMatchObject({ watches: 0, skipped: expect.objectContaining({ visit: 2 }) });
  });
});

describe('parseTakeoutJson: ids and duplicates', () => {
  it('gives the same ids on every run', () => {
    const text = jsonExport([watch(), watch({ titleUrl: 'https://www.youtube.com/watch?v=other000001' })]);
    const first = parseTakeoutJson(text).records.map((r) => r.id);
    expect(parseTakeoutJson(text).records.map((r) => r.id)).toEqual(first);
    expect(new Set(first).size).toBe(2);
  });

  it('pins the id scheme: tk- and 16 hex digits of SHA-256 over instant and link', () => {
    // sha256("2024-03-01T12:34:56.789Z\nhttps://www.youtube.com/watch?v=dQw4w9WgXcQ"), computed with
    // `printf '%s\n%s' … | sha256sum` once.
    expect(parseTakeoutJson(jsonExport([watch()])).records[0]!.id).toBe('tk-bd93ff4a6cbf0545');
  });

  it('merges exact duplicates (same time and link) and counts them', () => {
    const { records, report } = parseTakeoutJson(
      jsonExport([watch({ subtitles: undefined }), watch(), watch({ time: '2024-03-01T12:34:56.789Z' })]),
    );
    expect(records).toHaveLength(1);
    // The duplicate's channel completes the first record.
    expect(records[0]).toMatchObject({ channelTitle: 'Rick Astley' });
    expect(report).toMatchObject({ entries: 3, watches: 1, duplicatesMerged: 2 });
  });

  it('the same time written with and without milliseconds is the same instant', () => {
    const { report } = parseTakeoutJson(jsonExport([watch({ time: '2024-03-01T12:34:56Z' }), watch({ time: '2024-03-01T12:34:56.000Z' })]));
    expect(report.duplicatesMerged).toBe(1);
  });

  it('same video at different times, or different videos at the same time, are distinct watches', () => {
    const { report } = parseTakeoutJson(
      jsonExport([watch(), watch({ time: '2024-03-01T12:34:57.789Z' }), watch({ titleUrl: 'https://www.youtube.com/watch?v=different01' })]),
    );
    expect(report).toMatchObject({ watches: 3, duplicatesMerged: 0 });
  });

  it('removed videos are identified by their title', () => {
    const removed = { header: 'YouTube', title: 'Watched a video that has been removed', time: '2023-05-01T10:00:00Z' };
    const { report } = parseTakeoutJson(jsonExport([removed, removed, { ...removed, time: '2023-05-01T10:00:01Z' }]));
    expect(report).toMatchObject({ watches: 2, removedVideos: 2, duplicatesMerged: 1 });
  });
});

describe('parseTakeoutJson: undated entries and the report', () => {
  it('keeps an entry whose time is not an instant as an undated record, never dropped', () => {
    const { records, report } = parseTakeoutJson(
      jsonExport([watch({ time: 'yesterday' }), watch({ time: 'last week' }), watch({ time: 'yesterday' })]),
    );
    expect(records.map((r) => r.watchedAt)).toEqual([null, null]);
    // Keyed by the raw text: the two distinct undated watches stay apart, the identical ones merge.
    expect(report).toMatchObject({ undated: 2, duplicatesMerged: 1, undatedReasons: { 'not an ISO-8601 instant': 2 } });
    expect(new Set(records.map((r) => r.id)).size).toBe(2);
  });

  it('reports the first and last instant', () => {
    const { report } = parseTakeoutJson(
      jsonExport([
        watch({ time: '2024-05-01T00:00:00Z' }),
        watch({ time: '2023-01-01T00:00:00Z' }),
        watch({ time: '2024-01-01T00:00:00Z' }),
      ]),
    );
    expect(report).toMatchObject({ firstWatchedAt: '2023-01-01T00:00:00.000Z', lastWatchedAt: '2024-05-01T00:00:00.000Z' });
  });

  it('an empty export has an empty report', () => {
    const { records, report } = parseTakeoutJson('[]');
    expect(records).toEqual([]);
    expect(report).toMatchObject({ entries: 0, watches: 0, firstWatchedAt: null, lastWatchedAt: null });
  });
});
