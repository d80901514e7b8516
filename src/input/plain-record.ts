import { type InputRecord, RECORD_LIMITS, inputRecordSchema } from '../core/record.js';
import { parseIsoInstant } from '../core/time/iso.js';

// The common case of input validation, without zod: a parsed value that holds only the record's own
// fields, each of the right type and within its bounds, becomes the same object zod would return (the
// schema's keys, in the schema's order, only those present): the value itself when its keys are in
// that order already, else a copy in that order. Anything else (an unknown key, a
// wrong type, a bound crossed) gets null, and the caller hands the value to the schema itself, which
// accepts it or says what is wrong in its own words. So the outcome never differs from the schema's;
// only the common case is quicker (a records file of 100,000 lines spends a fifth of its parse in zod).

const TEXT_FIELDS = ['videoId', 'videoTitle', 'videoUrl', 'channelTitle', 'channelUrl'] as const;
const FIELDS: readonly string[] = ['id', 'watchedAt', ...TEXT_FIELDS, 'product', 'topics', 'isAd'];
const KNOWN: ReadonlySet<string> = new Set(FIELDS);

/**
 * Off when the schema has other fields than these (it changed and this file did not follow): then
 * every value goes through the schema, as it would without this file.
 */
const ENABLED = ((): boolean => {
  const keys = Object.keys(inputRecordSchema.shape);
  return keys.length === FIELDS.length && keys.every((key, i) => key === FIELDS[i]);
})();

/** Fields whose values repeat from record to record (a channel's name and link, the product). */
const SHARED_FIELDS: ReadonlySet<string> = new Set(['channelTitle', 'channelUrl']);
/** A table of shared strings stops growing here, so a file where nothing repeats costs little. */
const MAX_SHARED_STRINGS = 65_536;

/**
 * One string per distinct value of the fields that repeat, for the records of one file: JSON.parse
 * makes a new string for every occurrence, so 100,000 records of 600 channels would otherwise hold
 * 100,000 copies of each channel's name and link (about a fifth of the records' memory). Equal
 * strings are interchangeable, so the records are the same values either way.
 */
export class SharedStrings {
  private readonly table = new Map<string, string>();

  share(text: string): string {
    const known = this.table.get(text);
    if (known !== undefined) return known;
    if (this.table.size < MAX_SHARED_STRINGS) this.table.set(text, text);
    return text;
  }
}

/**
 * The record `inputRecordSchema` would make of a value that JSON.parse returned, when the value is a
 * plain, valid record; null when the schema has to judge it (it may still accept it, e.g. with unknown
 * keys, which it drops). A value accepted here nests two levels deep at most. With `shared`, the
 * values of the fields that repeat are taken from it.
 */
export function plainRecord(value: unknown, shared?: SharedStrings): InputRecord | null {
  if (!ENABLED || value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  // Keys in the schema's order (as agg and most tools write records) let the parsed object itself be
  // the record: one object per record fewer to allocate and collect.
  let inOrder = true;
  let next = 0;
  for (const key in v) {
    if (!KNOWN.has(key)) return null;
    if (inOrder) {
      while (next < FIELDS.length && FIELDS[next] !== key) next++;
      if (next === FIELDS.length) inOrder = false;
      else next++;
    }
  }
  const id = v.id;
  if (typeof id !== 'string' || id.length < 1 || id.length > RECORD_LIMITS.idLength) return null;
  const watchedAt = v.watchedAt;
  if (watchedAt !== null && (typeof watchedAt !== 'string' || parseIsoInstant(watchedAt) === null)) return null;
  const record: Record<string, unknown> = inOrder ? v : { id, watchedAt };
  for (const field of TEXT_FIELDS) {
    const text = v[field];
    if (text === undefined) continue;
    if (text !== null && (typeof text !== 'string' || text.length > RECORD_LIMITS.textLength)) return null;
    record[field] = shared !== undefined && text !== null && SHARED_FIELDS.has(field) ? shared.share(text) : text;
  }
  const product = v.product;
  if (product !== undefined) {
    if (product === 'YouTube') record.product = 'YouTube';
    else if (product === 'YouTube Music') record.product = 'YouTube Music'; // the literal: one string, not one per record
    else return null;
  }
  const topics = v.topics;
  if (topics !== undefined) {
    if (!Array.isArray(topics) || topics.length > RECORD_LIMITS.topics) return null;
    for (const topic of topics as unknown[]) if (typeof topic !== 'string' || topic.length < 1 || topic.length > RECORD_LIMITS.topicLength) return null;
    record.topics = topics; // a fresh array from JSON.parse that nothing else holds
  }
  const isAd = v.isAd;
  if (isAd !== undefined) {
    if (typeof isAd !== 'boolean') return null;
    record.isAd = isAd;
  }
  return record as InputRecord;
}
