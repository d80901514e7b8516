import { z } from 'zod';
import { parseIsoInstant } from './time/iso.js';

export const PRODUCTS = ['YouTube', 'YouTube Music'] as const;
export type Product = (typeof PRODUCTS)[number];

// Bounds keep any record far below Convex's 1 MiB document limit (YouTube's own limits are far lower).
export const RECORD_LIMITS = { idLength: 512, textLength: 8192, topics: 64, topicLength: 200 } as const;

const optionalText = z.string().max(RECORD_LIMITS.textLength, `must be at most ${RECORD_LIMITS.textLength} characters`).nullish();

/** The input record: what parsers produce, what the store keeps, what every computation reads. */
export const inputRecordSchema = z.object({
  id: z.string().min(1, 'must be a non-empty string').max(RECORD_LIMITS.idLength, `must be at most ${RECORD_LIMITS.idLength} characters`),
  watchedAt: z
    .string()
    .refine((value) => parseIsoInstant(value) !== null, {
      message: 'must be an ISO-8601 instant with an offset, such as 2024-03-01T12:00:00.000Z',
    })
    .nullable(),
  videoId: optionalText,
  videoTitle: optionalText,
  videoUrl: optionalText,
  channelTitle: optionalText,
  channelUrl: optionalText,
  product: z.enum(PRODUCTS).optional(),
  topics: z
    .array(z.string().min(1, 'topics must be non-empty strings').max(RECORD_LIMITS.topicLength, `topics must be at most ${RECORD_LIMITS.topicLength} characters`))
    .max(RECORD_LIMITS.topics, `at most ${RECORD_LIMITS.topics} topics per record`)
    .optional(),
  isAd: z.boolean().optional(),
});

export type InputRecord = z.infer<typeof inputRecordSchema>;
