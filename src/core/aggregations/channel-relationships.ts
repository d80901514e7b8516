import { z } from 'zod';
import type { FilteredView } from '../dataset.js';
import type { AggregationDefinition } from './definition.js';

/** A relationship session spans at most 30 minutes from its first record (spec §3.9). */
export const RELATIONSHIP_SESSION_MS = 1_800_000;
export const MIN_CO_WATCH_SCORE = 10;

export const channelRelationshipsSchema = z.array(
  z.object({
    channel1: z.string(),
    channel2: z.string(),
    coWatchScore: z.number().int().min(MIN_CO_WATCH_SCORE).max(100),
    topicOverlap: z.array(z.string()),
    temporalCorrelation: z.literal(0.5),
  }),
);

export type ChannelRelationship = z.infer<typeof channelRelationshipsSchema>[number];

/** Sessions with two or more channels, in compressed rows: members sorted ascending, topics as bitsets. */
interface SharedSessions {
  /** Session count per channel, single-channel sessions included. */
  readonly sessionsOf: Int32Array;
  readonly offsets: number[];
  readonly members: number[];
  readonly topicBits: number[];
}

function buildSessions(view: FilteredView, channelCount: number, words: number): SharedSessions {
  const records = view.dated;
  const sessionsOf = new Int32Array(channelCount);
  const lastSession = new Int32Array(channelCount).fill(-1);
  const offsets = [0];
  const members: number[] = [];
  const topicBits: number[] = [];
  const sessionTopics = new Uint32Array(words);
  const current: number[] = [];
  let session = 0;
  let i = 0;
  while (i < records.length) {
    const start = records[i]!.t;
    current.length = 0;
    sessionTopics.fill(0);
    for (; i < records.length && records[i]!.t - start <= RELATIONSHIP_SESSION_MS; i++) {
      const record = records[i]!;
      if (lastSession[record.channel] !== session) {
        lastSession[record.channel] = session;
        current.push(record.channel);
        sessionsOf[record.channel]!++;
      }
      for (const topic of record.topicIds) sessionTopics[topic >>> 5]! |= 1 << (topic & 31);
    }
    if (current.length > 1) {
      current.sort((a, b) => a - b);
      for (const channel of current) members.push(channel);
      offsets.push(members.length);
      for (const word of sessionTopics) topicBits.push(word);
    }
    session++;
  }
  return { sessionsOf, offsets, members, topicBits };
}

/**
 * Spec §3.9 after F-core. Channels and topics are indexes into sorted tables, so (channel1, channel2)
 * string order is index order and a topic union is a bitwise OR. Pairs are counted channel by channel
 * in dense scratch arrays: O(1) per (pair, shared session), no per-pair hashing or strings, and memory
 * bounded by the records, the channels and the pairs the result must list.
 */
export const channelRelationships: AggregationDefinition<ChannelRelationship[]> = {
  type: 'channel_relationships',
  version: 1,
  schema: channelRelationshipsSchema,
  compute(view, dataset) {
    const channelCount = dataset.channels.length;
    const topicCount = dataset.topics.length;
    const words = Math.max(1, Math.ceil(topicCount / 32));
    const { sessionsOf, offsets, members, topicBits } = buildSessions(view, channelCount, words);

    // Each channel's multi-channel sessions, with its position inside each (compressed rows again).
    const rowStart = new Int32Array(channelCount + 1);
    for (const channel of members) rowStart[channel + 1]!++;
    for (let c = 0; c < channelCount; c++) rowStart[c + 1]! += rowStart[c]!;
    const fill = rowStart.slice(0, channelCount);
    const rowSession = new Int32Array(members.length);
    const rowPosition = new Int32Array(members.length);
    for (let s = 0; s + 1 < offsets.length; s++) {
      for (let p = offsets[s]!; p < offsets[s + 1]!; p++) {
        const slot = fill[members[p]!]!++;
        rowSession[slot] = s;
        rowPosition[slot] = p;
      }
    }

    const coWatch = new Int32Array(channelCount);
    const overlap = new Uint32Array(channelCount * words);
    const touched: number[] = [];
    const kept: { a: number; b: number; score: number; bits: Uint32Array }[] = [];
    for (let a = 0; a < channelCount; a++) {
      for (let r = rowStart[a]!; r < rowStart[a + 1]!; r++) {
        const s = rowSession[r]!;
        const end = offsets[s + 1]!;
        for (let p = rowPosition[r]! + 1; p < end; p++) {
          const b = members[p]!;
          if (coWatch[b]++ === 0) touched.push(b);
          for (let w = 0; w < words; w++) overlap[b * words + w]! |= topicBits[s * words + w]!;
        }
      }
      for (const b of touched) {
        const score = Math.round((coWatch[b]! / Math.min(sessionsOf[a]!, sessionsOf[b]!)) * 100);
        if (score >= MIN_CO_WATCH_SCORE) kept.push({ a, b, score, bits: overlap.slice(b * words, b * words + words) });
        coWatch[b] = 0;
        overlap.fill(0, b * words, b * words + words);
      }
      touched.length = 0;
    }

    kept.sort((x, y) => y.score - x.score || x.a - y.a || x.b - y.b);
    return kept.map(({ a, b, score, bits }) => {
      const topicOverlap: string[] = [];
      for (let w = 0; w < words; w++) {
        let word = bits[w]!;
        while (word !== 0) {
          const lowest = word & -word;
          topicOverlap.push(dataset.topics[w * 32 + 31 - Math.clz32(lowest)]!);
          word ^= lowest;
        }
      }
      return {
        channel1: dataset.channels[a]!,
        channel2: dataset.channels[b]!,
        coWatchScore: score,
        temporalCorrelation: 0.5 as const,
        topicOverlap,
      };
    });
  },
};
