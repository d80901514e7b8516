import type { ComputeContext, ResolvedContext } from './context.js';
import { resolveContext } from './context.js';
import type { Filters, ProductFilter, Timeframe } from './filters.js';
import { type NormalizedRecord, RecordNormalizer, normalizeRecords } from './normalize.js';
import type { InputRecord } from './record.js';
import type { LocalTime } from './time/zone.js';
import { formatIsoInstant } from './time/iso.js';
import { ZoneClock, addDays, addMonths, startOfMonth, startOfQuarter, startOfYear } from './time/zone.js';

/** Instants derived from asOf once per context (spec §1.5, §3.1, §3.5, §3.8). */
export interface Anchors {
  readonly now: number;
  readonly nowLocal: LocalTime;
  /** Start of each non-All timeframe; the window is [start, now]. */
  readonly timeframeStart: Readonly<Record<Exclude<Timeframe, 'All'>, number>>;
  /** addMonths(now, -12): the end of every year-over-year window. */
  readonly lastYear: number;
  readonly lastYearStarts: Readonly<{ year: number; quarter: number; month: number }>;
  /** topics_leaderboard `prev`: [addMonths(now, -2), addMonths(now, -1)]. */
  readonly previousMonthWindow: readonly [number, number];
  /** now − 30 calendar days (same wall time). */
  readonly thirtyDaysAgo: number;
}

interface ProductSlice {
  /** Dated records, sorted by (instant, id). */
  readonly dated: readonly NormalizedRecord[];
  /** Undated records, sorted by id. */
  readonly undated: readonly NormalizedRecord[];
}

/** One user's records, normalized, sorted and indexed once, shared by every type and filter set. */
export interface Dataset {
  readonly context: ResolvedContext;
  readonly anchors: Anchors;
  /** Distinct channel titles, sorted; NormalizedRecord.channel indexes this. */
  readonly channels: readonly string[];
  /** Distinct topics, sorted; NormalizedRecord.topicIds index this. */
  readonly topics: readonly string[];
  readonly byProduct: Readonly<Record<ProductFilter, ProductSlice>>;
  readonly recordCount: number;
  readonly adCount: number;
  /** False only when a DST fold makes local months step back along the instant order. */
  readonly monthsAscending: boolean;
}

/** The records one filter set selects (F-core, spec §1.5), as views on the dataset's sorted arrays. */
export interface FilteredView {
  readonly filters: Filters;
  /** F-core records with an instant, sorted by (instant, id). */
  readonly dated: readonly NormalizedRecord[];
  /** F-core records without an instant (only when the timeframe is All), sorted by id. */
  readonly undated: readonly NormalizedRecord[];
  /** Dated records after the product, topic and channel filters but not the timeframe (kpi's D′, leaderboard prev). */
  readonly basis: readonly NormalizedRecord[];
}

function compareIds(a: NormalizedRecord, b: NormalizedRecord): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function compareChronologically(a: NormalizedRecord, b: NormalizedRecord): number {
  return a.t - b.t || compareIds(a, b);
}

function computeAnchors(context: ResolvedContext): Anchors {
  const { clock, asOfMs: now } = context;
  const lastYear = addMonths(clock, now, -12);
  return {
    now,
    nowLocal: clock.local(now),
    timeframeStart: {
      MTD: startOfMonth(clock, now),
      QTD: startOfQuarter(clock, now),
      YTD: startOfYear(clock, now),
      Last6M: addMonths(clock, now, -6),
      Last12M: lastYear,
    },
    lastYear,
    lastYearStarts: {
      year: startOfYear(clock, lastYear),
      quarter: startOfQuarter(clock, lastYear),
      month: startOfMonth(clock, lastYear),
    },
    previousMonthWindow: [addMonths(clock, now, -2), addMonths(clock, now, -1)],
    thirtyDaysAgo: addDays(clock, now, -30),
  };
}

/** Assigns each distinct string its rank in sorted order, so comparisons by rank follow string order. */
function rankTable(values: Iterable<string>): { table: string[]; rank: Map<string, number> } {
  const table = [...new Set(values)].sort();
  return { table, rank: new Map(table.map((value, index) => [value, index])) };
}

export function prepareDataset(input: readonly InputRecord[], context: ComputeContext | ResolvedContext): Dataset {
  const resolved = 'clock' in context ? context : resolveContext(context);
  const { records, adCount } = normalizeRecords(input, resolved);
  return assembleDataset(records, adCount, resolved);
}

/**
 * Prepares a dataset from records given in pieces (pages of a store), holding only their normalized
 * form: the same dataset prepareDataset makes of all the pieces at once. asOf may be chosen after the
 * last piece (the newest watch, say), since normalizing needs only the zone.
 */
export class DatasetBuilder {
  readonly #normalizer: RecordNormalizer;

  constructor(readonly timeZone: string) {
    this.#normalizer = new RecordNormalizer(new ZoneClock(timeZone));
  }

  add(records: readonly InputRecord[]): void {
    this.#normalizer.add(records);
  }

  /** The newest watch so far (ads aside), as newestWatchedAt would say of the same records. */
  newestWatchedAt(): string | null {
    let newest = -Infinity;
    for (const record of this.#normalizer.records) if (record.t > newest) newest = record.t;
    return newest === -Infinity ? null : formatIsoInstant(newest);
  }

  /** The dataset at `asOf`; the builder is spent. */
  build(asOf: string): Dataset {
    const normalizer = this.#normalizer;
    return assembleDataset(normalizer.records, normalizer.adCount, resolveContext({ asOf, timeZone: this.timeZone }, normalizer.clock));
  }
}

function assembleDataset(records: NormalizedRecord[], adCount: number, resolved: ResolvedContext): Dataset {

  const channelNames = new Set<string>();
  const topicNames = new Set<string>();
  for (const record of records) {
    channelNames.add(record.channelTitle);
    for (const topic of record.topics) topicNames.add(topic);
  }
  const channels = rankTable(channelNames);
  const topics = rankTable(topicNames);
  // Derived topic lists are shared arrays, so their id lists are shared too.
  const topicIdLists = new Map<readonly string[], readonly number[]>();
  for (const record of records) {
    record.channel = channels.rank.get(record.channelTitle)!;
    let ids = topicIdLists.get(record.topics);
    if (ids === undefined) {
      ids = record.topics.map((topic) => topics.rank.get(topic)!);
      topicIdLists.set(record.topics, ids);
    }
    record.topicIds = ids;
  }

  const dated = records.filter((record) => record.t === record.t).sort(compareChronologically);
  const undated = records.filter((record) => record.t !== record.t).sort(compareIds);
  const slice = (product: ProductFilter): ProductSlice =>
    product === 'All'
      ? { dated, undated }
      : {
          dated: dated.filter((record) => record.product === product),
          undated: undated.filter((record) => record.product === product),
        };

  return {
    context: resolved,
    anchors: computeAnchors(resolved),
    channels: channels.table,
    topics: topics.table,
    byProduct: { All: slice('All'), YouTube: slice('YouTube'), 'YouTube Music': slice('YouTube Music') },
    recordCount: records.length,
    adCount,
    monthsAscending: dated.every((record, i) => i === 0 || dated[i - 1]!.monthIndex <= record.monthIndex),
  };
}

/** First index whose instant is ≥ t. */
export function lowerBound(sorted: readonly NormalizedRecord[], t: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]!.t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose instant is > t. */
export function upperBound(sorted: readonly NormalizedRecord[], t: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]!.t <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Records of a sorted array with start ≤ instant ≤ end. */
export function countBetween(sorted: readonly NormalizedRecord[], start: number, end: number): number {
  return Math.max(0, upperBound(sorted, end) - lowerBound(sorted, start));
}

export function selectView(dataset: Dataset, filters: Filters): FilteredView {
  const slice = dataset.byProduct[filters.product];
  let basis = slice.dated;
  let undated = slice.undated;
  if (filters.topics.length > 0 || filters.channels.length > 0) {
    const topicSet = new Set(filters.topics);
    const channelSet = new Set(filters.channels);
    const keep = (record: NormalizedRecord): boolean =>
      (topicSet.size === 0 || record.topics.some((topic) => topicSet.has(topic))) &&
      (channelSet.size === 0 || channelSet.has(record.channelTitle));
    basis = basis.filter(keep);
    undated = undated.filter(keep);
  }
  if (filters.timeframe === 'All') return { filters, dated: basis, undated, basis };
  const start = dataset.anchors.timeframeStart[filters.timeframe];
  const dated = basis.slice(lowerBound(basis, start), upperBound(basis, dataset.anchors.now));
  return { filters, dated, undated: [], basis };
}
