import type { ResolvedContext } from './context.js';
import type { InputRecord, Product } from './record.js';
import { formatIsoInstant, parseIsoInstant } from './time/iso.js';
import { TopicDeriver, topicsOfMask } from './topics.js';
import type { ZoneClock } from './time/zone.js';

/**
 * A record as every aggregation reads it (spec §1.2b, §1.3): parsed once, defaults applied, derived
 * fields computed in the context's zone. Local fields are -1 when the record is undated. The video's
 * id, title and URL are not kept: no aggregation reads them (the title only derives topics, below), and
 * on a large history they would be a third of what the computation holds.
 */
export interface NormalizedRecord {
  readonly id: string;
  /** Epoch milliseconds; NaN when undated. */
  readonly t: number;
  /**
   * formatIsoInstant(t), made when a result first shows it (watchedAtText): a session's or a channel's
   * first and last watch, a fraction of the records, so most never hold the 40 bytes of text.
   */
  isoText: string | null;
  readonly channelTitle: string;
  readonly channelUrl: string | null;
  readonly product: Product;
  readonly topics: readonly string[];
  /** Index of `channelTitle` in the dataset's sorted channel table. */
  channel: number;
  /** Indexes of `topics` in the dataset's sorted topic table, in the record's topic order. */
  topicIds: readonly number[];
  readonly year: number;
  /** 1-12 */
  readonly month: number;
  readonly day: number;
  /** 0 = Sunday */
  readonly dayOfWeek: number;
  readonly hour: number;
  /** Week of the month, 1-5: floor((day - 1) / 7) + 1. */
  readonly week: number;
  /** year * 12 + month - 1 */
  readonly monthIndex: number;
  /** Local day number, for calendar-day differences. */
  readonly dayNumber: number;
  readonly msOfDay: number;
}

export const UNKNOWN_CHANNEL = 'Unknown Channel';

/** topicIds until the dataset assigns the shared lists: one empty array, not one per record. */
const NO_TOPIC_IDS: readonly number[] = Object.freeze([]);

/** A dated record's watchedAt as canonical ISO text, made once per record however many results show it. */
export function watchedAtText(record: NormalizedRecord): string {
  return (record.isoText ??= formatIsoInstant(record.t));
}

export class DuplicateRecordIdError extends Error {
  constructor(readonly id: string) {
    super(`duplicate record id "${id}": record ids must be unique within a user`);
  }
}

export interface NormalizedInput {
  /** Every record that is not an ad, in input order. */
  readonly records: NormalizedRecord[];
  readonly adCount: number;
}

/** Normalizes every record once. Ads are counted and left out: no v1 aggregation reads them. */
export function normalizeRecords(input: readonly InputRecord[], context: ResolvedContext): NormalizedInput {
  const normalizer = new RecordNormalizer(context.clock);
  normalizer.add(input);
  return normalizer;
}

/**
 * Normalizes records given in pieces (pages from a store, say), so the input records need not all be
 * held at once: only their normalized form accumulates. Ids must be unique across all pieces.
 */
export class RecordNormalizer implements NormalizedInput {
  readonly records: NormalizedRecord[] = [];
  adCount = 0;
  readonly #seen = new Set<string>();
  // One copy of each channel title and URL: parsed input gives every record its own, and a heavy user
  // repeats a few hundred channels over 100,000 records (10 MiB of duplicate strings).
  readonly #strings = new Map<string, string>();
  readonly #topics = new TopicDeriver();

  constructor(readonly clock: ZoneClock) {}

  add(input: readonly InputRecord[]): void {
    const ads = normalizeInto(input, this.clock, this.#seen, this.#strings, this.#topics, this.records);
    this.adCount += ads;
  }
}

/** Appends the normalized form of each record that is not an ad to `records`; answers how many were ads. */
function normalizeInto(input: readonly InputRecord[], clock: ZoneClock, seen: Set<string>, strings: Map<string, string>, topicDeriver: TopicDeriver, records: NormalizedRecord[]): number {
  const intern = (text: string): string => {
    const known = strings.get(text);
    if (known !== undefined) return known;
    strings.set(text, text);
    return text;
  };
  let adCount = 0;
  for (const raw of input) {
    if (seen.has(raw.id)) throw new DuplicateRecordIdError(raw.id);
    seen.add(raw.id);
    if (raw.isAd === true) {
      adCount++;
      continue;
    }
    const t = raw.watchedAt == null ? null : parseIsoInstant(raw.watchedAt);
    const title = raw.videoTitle || '';
    const channel = raw.channelTitle || '';
    const topics = raw.topics && raw.topics.length > 0 ? raw.topics : topicsOfMask(topicDeriver.mask(title, channel));
    let year = -1, month = -1, day = -1, dayOfWeek = -1, hour = -1, monthIndex = -1, dayNumber = -1, msOfDay = -1;
    if (t !== null) {
      const local = clock.local(t);
      ({ year, month, day, hour, monthIndex, dayNumber, msOfDay } = local);
      dayOfWeek = local.weekday;
    }
    records.push({
      id: raw.id,
      t: t ?? NaN,
      isoText: null,
      channelTitle: channel ? intern(channel) : UNKNOWN_CHANNEL,
      channelUrl: raw.channelUrl ? intern(raw.channelUrl) : null,
      product: raw.product === 'YouTube Music' ? 'YouTube Music' : 'YouTube',
      topics,
      channel: -1,
      topicIds: NO_TOPIC_IDS,
      year,
      month,
      day,
      dayOfWeek,
      hour,
      week: t === null ? -1 : Math.floor((day - 1) / 7) + 1,
      monthIndex,
      dayNumber,
      msOfDay,
    });
  }
  return adCount;
}
