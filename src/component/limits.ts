import { v } from 'convex/values';
import { utf8Length } from '../core/json.js';

// Limits and answer shapes of the ingestion functions, shared by the component and the app's client
// (which refuses an oversize batch before it calls).

export const INGEST_LIMITS = {
  /** Records (or record ids) per recordWatches / deleteWatches call. */
  itemsPerCall: 1000,
  /** JSON bytes of one call's records: with the index reads, far inside a transaction's 16 MiB. */
  bytesPerCall: 4 * 1024 * 1024,
} as const;

/** Refuses a batch over either limit, naming it; bytes are the UTF-8 bytes of its JSON, as Convex counts them. */
export function refuseOversizeBatch(what: string, items: readonly unknown[]): void {
  if (items.length > INGEST_LIMITS.itemsPerCall) {
    throw new Error(`agg: ${items.length} ${what} in one call; at most ${INGEST_LIMITS.itemsPerCall} per call (split the batch)`);
  }
  const bytes = utf8Length(JSON.stringify(items));
  if (bytes > INGEST_LIMITS.bytesPerCall) {
    throw new Error(`agg: ${what} of ${bytes} bytes in one call; at most ${INGEST_LIMITS.bytesPerCall} bytes per call (split the batch)`);
  }
}

export const ingestOutcomeValidator = v.object({ inserted: v.number(), updated: v.number(), unchanged: v.number(), deleted: v.number() });

export const userDeletionValidator = v.object({ deleted: v.number(), done: v.boolean() });
