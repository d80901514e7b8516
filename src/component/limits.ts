import { v } from 'convex/values';

// Limits and answer shapes of the ingestion functions, shared by the component and the app's client
// (which refuses an oversize batch before it calls).

export const INGEST_LIMITS = {
  /** Records (or record ids) per recordWatches / deleteWatches call. */
  itemsPerCall: 1000,
  /** JSON bytes of one call's records: with the index reads, far inside a transaction's 16 MiB. */
  bytesPerCall: 4 * 1024 * 1024,
} as const;

export const ingestOutcomeValidator = v.object({ inserted: v.number(), updated: v.number(), unchanged: v.number(), deleted: v.number() });

export const userDeletionValidator = v.object({ deleted: v.number(), done: v.boolean() });
