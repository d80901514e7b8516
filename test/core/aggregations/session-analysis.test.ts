import { describe, expect, it } from 'vitest';
import type { SessionAnalysis } from '../../../src/core/aggregations/session-analysis.js';
import type { InputRecord } from '../../../src/core/record.js';
import { Random } from '../../../fixtures/random.js';
import { compute, rec, shuffle, type RunOptions } from '../support/records.js';

const sessions = (records: readonly InputRecord[], options: RunOptions) => compute<SessionAnalysis>('session_analysis', records, options);

describe('session_analysis, variant A (spec §3.6)', () => {
  const asOf = '2024-01-02T00:00:00.000Z';
  // New session when fullMinutes(prev, cur) > 30, i.e. a gap of 31 whole minutes or more.
  const records = [
    rec('s1', '2024-01-01T10:00:00.000Z'),
    rec('s2', '2024-01-01T10:30:00.000Z'), // gap exactly 30 min → same session
    rec('s3', '2024-01-01T11:00:59.999Z'), // gap 30 min 59.999 s → 30 whole minutes → same session
    rec('s4', '2024-01-01T11:32:00.000Z'), // gap 31 min 0.001 s → new session
    rec('k2', '2024-01-01T12:03:00.000Z'), // gap exactly 31 min → new session
    rec('k1', '2024-01-01T12:03:00.000Z'), // same instant: k1 before k2 (ties by id)
    rec('k3', '2024-01-01T12:10:30.000Z'), // gap 7.5 min → 7
    rec('undated', null),
    rec('ad', '2024-01-01T11:16:00.000Z', { isAd: true }),
  ];

  it('splits on more than 30 whole minutes and reports ids, times and truncated gaps', () => {
    expect(sessions(records, { asOf })).toEqual({
      sessions: [
        {
          id: 'session-1',
          startTime: '2024-01-01T10:00:00.000Z',
          endTime: '2024-01-01T11:00:59.999Z',
          recordIds: ['s1', 's2', 's3'],
          duration: 60, // fullMinutes(10:00, 11:00:59.999)
          avgGapMinutes: 30, // (30 + 30) / 2
        },
        { id: 'session-2', startTime: '2024-01-01T11:32:00.000Z', endTime: '2024-01-01T11:32:00.000Z', recordIds: ['s4'], duration: 0, avgGapMinutes: 0 },
        {
          id: 'session-3',
          startTime: '2024-01-01T12:03:00.000Z',
          endTime: '2024-01-01T12:10:30.000Z',
          recordIds: ['k1', 'k2', 'k3'],
          duration: 7,
          avgGapMinutes: 3.5, // (0 + 7) / 2
        },
      ],
      totalSessions: 3,
      avgSessionLength: 67 / 3, // (60 + 0 + 7) / 3 = 22.333333333333332
      avgVideosPerSession: 7 / 3, // (3 + 1 + 3) / 3 = 2.3333333333333335
    });
  });

  it('does not let an ad bridge two records 31 minutes apart, and ignores undated records', () => {
    const recs = [rec('a', '2024-01-01T10:00:00.000Z'), rec('ad', '2024-01-01T10:20:00.000Z', { isAd: true }), rec('b', '2024-01-01T10:31:00.000Z')];
    expect(sessions(recs, { asOf }).sessions.map((s) => s.recordIds)).toEqual([['a'], ['b']]);
  });

  it('writes canonical ISO instants whatever the input spelling', () => {
    const recs = [rec('a', '2024-01-01T19:00:00+09:00'), rec('b', '2024-01-01T10:05Z')];
    expect(sessions(recs, { asOf }).sessions).toEqual([
      { id: 'session-1', startTime: '2024-01-01T10:00:00.000Z', endTime: '2024-01-01T10:05:00.000Z', recordIds: ['a', 'b'], duration: 5, avgGapMinutes: 5 },
    ]);
  });

  it('applies F-core first: timeframe, product, channel', () => {
    const recs = [
      rec('y1', '2023-12-31T23:50:00.000Z', { product: 'YouTube Music' }),
      rec('y2', '2024-01-01T00:10:00.000Z'),
      rec('y3', '2024-01-01T00:20:00.000Z', { product: 'YouTube Music', channelTitle: 'C' }),
    ];
    // Without filters one session spans the new year.
    expect(sessions(recs, { asOf }).sessions.map((s) => s.recordIds)).toEqual([['y1', 'y2', 'y3']]);
    // YTD starts 2024-01-01: y1 is dropped before sessions are built.
    expect(sessions(recs, { asOf, filters: { timeframe: 'YTD' } }).sessions.map((s) => s.recordIds)).toEqual([['y2', 'y3']]);
    // Music only: y1 → y3 is 30 minutes apart, one session.
    expect(sessions(recs, { asOf, filters: { product: 'YouTube Music' } })).toMatchObject({ totalSessions: 1, avgSessionLength: 30 });
    expect(sessions(recs, { asOf, filters: { channels: ['C'] } }).sessions.map((s) => s.recordIds)).toEqual([['y3']]);
  });

  it('is all zeros for no dated records', () => {
    const empty = { sessions: [], totalSessions: 0, avgSessionLength: 0, avgVideosPerSession: 0 };
    expect(sessions([], { asOf })).toEqual(empty);
    expect(sessions([rec('u', null)], { asOf })).toEqual(empty);
  });

  it('gives the same sessions for any input order (ties at one instant by id)', () => {
    const random = new Random('sessions-order');
    const expected = sessions(records, { asOf });
    for (let i = 0; i < 10; i++) expect(sessions(shuffle(records, random), { asOf })).toEqual(expected);
  });
});
