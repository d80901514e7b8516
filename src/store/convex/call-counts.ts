// Per-call budgets that keep every function well inside Convex's transaction limits (see DEVELOPERS.md):
// counts here, and bytes read plus written (call-costs.ts) for every batched call.

export const RECORDS_PER_WRITE = 1000;
export const KEYS_PER_CALL = 500;
/** Aggregation headers per call (upsert, archive deletion and restore). */
export const HEADERS_PER_CALL = 100;
export const CHUNKS_PER_WRITE = 64;
/** Mutations on disjoint keys one call sends at once. */
export const PARALLEL_WRITES = 4;
/** Chunk documents are up to 768 KiB each; pages are bounded by bytes read as well. */
export const CHUNK_PAGE_ITEMS = 32;
