import { z } from 'zod';
import type { InputRecord } from './record.js';
import { canonicalIsoInstant } from './time/iso.js';

/** A record as both stores keep it: the id as `recordId`, watchedAt canonical, empty fields omitted. */
export interface StoredRecord {
  recordId: string;
  watchedAt: string | null;
  videoId?: string;
  videoTitle?: string;
  videoUrl?: string;
  channelTitle?: string;
  channelUrl?: string;
  product?: 'YouTube' | 'YouTube Music';
  topics?: string[];
  isAd?: boolean;
}

/** The stored shape, as answers and archives carry it back (checked at those boundaries). */
export const storedRecordSchema = z.object({
  recordId: z.string(),
  watchedAt: z.string().nullable(),
  videoId: z.string().optional(),
  videoTitle: z.string().optional(),
  videoUrl: z.string().optional(),
  channelTitle: z.string().optional(),
  channelUrl: z.string().optional(),
  product: z.enum(['YouTube', 'YouTube Music']).optional(),
  topics: z.array(z.string()).optional(),
  isAd: z.boolean().optional(),
});

const TEXT_FIELDS = ['videoId', 'videoTitle', 'videoUrl', 'channelTitle', 'channelUrl'] as const;

export function toStoredRecord(record: InputRecord): StoredRecord {
  const stored: StoredRecord = {
    recordId: record.id,
    // Canonical instants keep the (user, watchedAt) index in time order.
    watchedAt: record.watchedAt == null ? null : canonicalIsoInstant(record.watchedAt),
  };
  for (const field of TEXT_FIELDS) {
    const value = record[field];
    if (value != null) stored[field] = value;
  }
  if (record.product !== undefined) stored.product = record.product;
  if (record.topics !== undefined) stored.topics = [...record.topics];
  if (record.isAd !== undefined) stored.isAd = record.isAd;
  return stored;
}

export function fromStoredRecord(stored: StoredRecord): InputRecord {
  const { recordId, ...rest } = stored;
  return { id: recordId, ...rest };
}

/** Deterministic text of a stored record: equal texts mean equal records. */
export function storedRecordText(stored: StoredRecord): string {
  return JSON.stringify([
    stored.recordId,
    stored.watchedAt,
    stored.videoId ?? null,
    stored.videoTitle ?? null,
    stored.videoUrl ?? null,
    stored.channelTitle ?? null,
    stored.channelUrl ?? null,
    stored.product ?? null,
    stored.topics ?? null,
    stored.isAd ?? null,
  ]);
}
