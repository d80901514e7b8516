import type { AggregationResult } from '../core/compute.js';
import { createHash } from 'node:crypto';
import { formatIsoInstant } from '../core/time/iso.js';
import type { AggregationWrite } from './types.js';

export interface WriteContext {
  readonly userId: string;
  readonly asOf: string;
  readonly timeZone: string;
  /** Wall-clock instant of the computation (the only clock read, done by the caller). */
  readonly computedAtMs: number;
  readonly ttlMs: number;
  readonly recordCount: number;
  readonly computeMs: number;
  /** The user's records revision the result was computed from. */
  readonly recordsRevision?: string | null;
}

/** A computed result as the store takes it: canonical JSON, its SHA-256, and the envelope fields. */
export function toAggregationWrite(result: AggregationResult, context: WriteContext): AggregationWrite {
  return {
    userId: context.userId,
    aggregationType: result.type,
    filterHash: result.filterHash,
    version: result.version,
    filters: result.filters,
    json: result.json,
    // The same digest as core's sha256Hex, natively: this runs for every result of every user.
    dataHash: createHash('sha256').update(result.json, 'utf8').digest('hex'),
    asOf: context.asOf,
    timeZone: context.timeZone,
    computedAt: formatIsoInstant(context.computedAtMs),
    expiresAt: formatIsoInstant(context.computedAtMs + context.ttlMs),
    metadata: { recordCount: context.recordCount, computeMs: context.computeMs, bytes: result.shape.bytes },
    longestArray: result.shape.longestArray,
    widestObject: result.shape.widestObject,
    depth: result.shape.depth,
    recordsRevision: context.recordsRevision ?? null,
  };
}
