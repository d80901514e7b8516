import { z } from 'zod';
import { AGGREGATION_TYPES } from '../../core/aggregations/definition.js';
import { PRODUCT_FILTERS, TIMEFRAMES } from '../../core/filters.js';
import { VALIDATION_STATUSES } from '../../store/types.js';

// The building blocks of agg's JSON documents (`--json`): each document is a strict object (an
// undocumented key fails its schema) whose first key is `schema`, its id (`agg.<command>/v1`).

export const instant = z.string().describe('an ISO 8601 instant in UTC, e.g. 2025-07-01T00:00:00.000Z');
export const count = z.number().int().nonnegative();
export const millis = z.number().nonnegative().describe('milliseconds');
export const bytes = z.number().nonnegative().describe('bytes');
export const aggregationType = z.enum(AGGREGATION_TYPES);
export const validationStatus = z.enum(VALIDATION_STATUSES);

/** A filter set, canonical: every field present, lists sorted. */
export const filters = z.strictObject({
  timeframe: z.enum(TIMEFRAMES),
  product: z.enum(PRODUCT_FILTERS),
  topics: z.array(z.string()),
  channels: z.array(z.string()),
});

/** Counts by validation status, every status present. */
export const statusCounts = z.strictObject(Object.fromEntries(VALIDATION_STATUSES.map((status) => [status, count])) as Record<(typeof VALIDATION_STATUSES)[number], typeof count>);

/** A user that could not be processed, with the one-line error. */
export const failure = z.strictObject({ userId: z.string(), error: z.string() });

/** Any JSON value, as stored (aggregation data, audit details, checkpoints): not described further here. */
export const anyJson = z.unknown().describe('any JSON value');

/** A document: `schema` (its id) first, then the fields of `shape`, nothing else. */
export function jsonDocument<const Id extends string, Shape extends z.ZodRawShape>(id: Id, description: string, shape: Shape) {
  return z.strictObject({ schema: z.literal(id).describe(`always ${id} for this layout`), ...shape }).meta({ title: id, description });
}

export type Frozen<T> = T extends readonly (infer U)[] ? readonly Frozen<U>[] : T extends object ? { readonly [K in keyof T]: Frozen<T[K]> } : T;

/** A document's value as the code builds it (read-only lists and objects welcome). */
export type DocumentOf<S extends z.ZodType> = Frozen<z.input<S>>;

/**
 * A document as one line of JSON, its value typed by its schema: the command's code and the documented
 * shape cannot drift apart unnoticed (the compiler checks the one, tests check real outputs against the other).
 */
export function jsonText<S extends z.ZodType>(_schema: S, value: Frozen<z.input<S>>): string {
  return JSON.stringify(value);
}

/** The document and a newline, as a command writes it to stdout. */
export function jsonLine<S extends z.ZodType>(schema: S, value: Frozen<z.input<S>>): string {
  return `${jsonText(schema, value)}\n`;
}
