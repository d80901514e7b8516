import { AGGREGATION_TYPES, type AggregationType } from '../core/aggregations/definition.js';
import { PRODUCT_FILTERS, type ProductFilter, TIMEFRAMES, type Timeframe } from '../core/filters.js';
import { isAggregationType } from '../core/registry.js';
import { INSTANT_RANGE_TEXT, checkIsoInstant, formatIsoInstant } from '../core/time/iso.js';
import { InvalidTimeZoneError, ZoneClock } from '../core/time/zone.js';
import { UsageError } from './errors.js';
import { quoted } from './numbers.js';

/** Commander accumulator for repeatable options. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function oneOf<T extends string>(option: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${option} "${value}" is not valid (expected one of: ${allowed.join(', ')})`);
}

export function parseTypes(values: readonly string[]): AggregationType[] {
  if (values.length === 0) return [...AGGREGATION_TYPES];
  const requested = new Set<AggregationType>();
  for (const value of values.flatMap((v) => v.split(',')).map((v) => v.trim())) {
    if (!isAggregationType(value)) {
      throw new UsageError(`--type "${value}" is not an aggregation type (expected one of: ${AGGREGATION_TYPES.join(', ')})`);
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
