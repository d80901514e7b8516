import { AGGREGATION_TYPES, type AggregationType } from '../../../src/core/aggregations/definition.js';
import { computeAggregations } from '../../../src/core/compute.js';
import { canonicalFilters, type FiltersInput } from '../../../src/core/filters.js';
import type { InputRecord } from '../../../src/core/record.js';
import { REGISTRY } from '../../../src/core/registry.js';
import { Random } from '../../../fixtures/random.js';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** A record with an instant (or null) and whatever else the test cares about. */
export function rec(id: string, watchedAt: string | number | null, fields: Partial<InputRecord> = {}): InputRecord {
  const at = typeof watchedAt === 'number' ? new Date(watchedAt).toISOString() : watchedAt;
  return { id, watchedAt: at, ...fields };
}

/** `n` records with ids `<prefix>-<i>`, one minute apart from `start`, sharing the given fields. */
export function many(prefix: string, n: number, start: string, fields: Partial<InputRecord> = {}, step = MINUTE): InputRecord[] {
  const t0 = Date.parse(start);
  return Array.from({ length: n }, (_, i) => rec(`${prefix}-${i}`, t0 + i * step, fields));
}

export interface RunOptions {
  asOf: string;
  timeZone?: string;
  filters?: FiltersInput;
}

/** The data of one type for one filter set, after checking it against the type's schema. */
export function compute<T = unknown>(type: AggregationType, records: readonly InputRecord[], options: RunOptions): T {
  const { results } = computeAggregations({
    records,
    context: { asOf: options.asOf, timeZone: options.timeZone ?? 'UTC' },
    types: [type],
    filterSets: [canonicalFilters(options.filters ?? {})],
  });
  const data = results[0]!.data;
  REGISTRY[type].schema.parse(data);
  return data as T;
}

/** Every type for one filter set, keyed by type. */
export function computeAll(records: readonly InputRecord[], options: RunOptions): Record<AggregationType, unknown> {
  const { results } = computeAggregations({
    records,
    context: { asOf: options.asOf, timeZone: options.timeZone ?? 'UTC' },
    filterSets: [canonicalFilters(options.filters ?? {})],
  });
  return Object.fromEntries(AGGREGATION_TYPES.map((type, i) => [type, results[i]!.data])) as Record<AggregationType, unknown>;
}

/** Fisher-Yates with a seeded generator. */
export function shuffle<T>(items: readonly T[], random: Random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
