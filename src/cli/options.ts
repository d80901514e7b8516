import { AGGREGATION_TYPES, type AggregationType } from '../core/aggregations/definition.js';
import { DEFAULT_FILTERS, type Filters, PRODUCT_FILTERS, type ProductFilter, TIMEFRAMES, type Timeframe, canonicalFilters } from '../core/filters.js';
import { isAggregationType } from '../core/registry.js';
import { INSTANT_RANGE_TEXT, checkIsoInstant, formatIsoInstant } from '../core/time/iso.js';
import { InvalidTimeZoneError, ZoneClock } from '../core/time/zone.js';
import { didYouMean, suggest } from '../text/did-you-mean.js';
import { UsageError } from './errors.js';
import { quoted } from '../text/numbers.js';

/** Commander accumulator for repeatable options. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function oneOf<T extends string>(option: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${option} "${value}" is not valid (expected one of: ${allowed.join(', ')})`);
}

/** "; did you mean kpi?" for a type agg does not know, or nothing. */
function typeHint(value: string): string {
  const hint = didYouMean(suggest(value, AGGREGATION_TYPES, { substring: true }));
  return hint === null ? '' : `; ${hint}`;
}

/** One aggregation type, as an argument names it (`agg show USER TYPE`). */
export function parseAggregationType(label: string, value: string): AggregationType {
  if (isAggregationType(value)) return value;
  throw new UsageError(`${label} ${quoted(value)} is not an aggregation type${typeHint(value)} (the ten: ${AGGREGATION_TYPES.join(', ')})`);
}

export function parseTypes(values: readonly string[]): AggregationType[] {
  if (values.length === 0) return [...AGGREGATION_TYPES];
  const requested = new Set<AggregationType>();
  for (const value of values.flatMap((v) => v.split(',')).map((v) => v.trim())) {
    if (!isAggregationType(value)) {
      throw new UsageError(`--type "${value}" is not an aggregation type (expected one of: ${AGGREGATION_TYPES.join(', ')})${typeHint(value)}`);
    }
    requested.add(value);
  }
  // Canonical order, whatever order the user typed.
  return AGGREGATION_TYPES.filter((type) => requested.has(type));
}

export function parseTimeframe(value: string): Timeframe {
  return oneOf('--timeframe', value, TIMEFRAMES);
}

export function parseProduct(value: string): ProductFilter {
  return oneOf('--product', value, PRODUCT_FILTERS);
}

/** The filter options `agg compute` and `agg show` take, as commander gives them. */
export interface FilterOptionValues {
  readonly timeframe?: string | undefined;
  readonly product?: string | undefined;
  readonly topic: readonly string[];
  readonly channel: readonly string[];
}

/** Whether any filter option was given (otherwise the default filter set, All/All, applies). */
export function narrowsFilters(options: FilterOptionValues): boolean {
  return options.timeframe !== undefined || options.product !== undefined || options.topic.length > 0 || options.channel.length > 0;
}

/** The one filter set the options name, in canonical form: unnamed fields are All (no topics, no channels). */
export function parseFilterOptions(options: FilterOptionValues): Filters {
  if (!narrowsFilters(options)) return DEFAULT_FILTERS;
  if (options.topic.includes('')) throw new UsageError('--topic "" is empty: name a topic');
  if (options.channel.includes('')) throw new UsageError('--channel "" is empty: name a channel');
  return canonicalFilters({
    timeframe: options.timeframe === undefined ? 'All' : parseTimeframe(options.timeframe),
    product: options.product === undefined ? 'All' : parseProduct(options.product),
    topics: options.topic,
    channels: options.channel,
  });
}

/** An ISO-8601 instant with an offset, within years 1–9999 (UTC), in its canonical form. */
export function parseInstant(option: string, value: string): string {
  const check = checkIsoInstant(value);
  if ('ms' in check) return formatIsoInstant(check.ms);
  if (check.problem === 'range') throw new UsageError(`${option} ${quoted(value)} is not an instant from ${INSTANT_RANGE_TEXT} (years 1 to 9999)`);
  throw new UsageError(`${option} ${quoted(value)} is not an ISO-8601 instant (expected e.g. 2025-01-31T23:59:59Z)`);
}

export function parseTimeZone(option: string, value: string): string {
  try {
    return new ZoneClock(value).timeZone;
  } catch (error) {
    if (error instanceof InvalidTimeZoneError) {
      throw new UsageError(`${option} "${value}" is not an IANA time zone (expected e.g. UTC, Europe/Berlin, America/Chicago)`);
    }
    throw error;
  }
}
