import type { JsonShape } from './json.js';

// Convex's limits on values, documents and transactions (docs.convex.dev/production/state/limits):
// the component, the stores and the tests all check against these numbers.

export const CONVEX_LIMITS = {
  documentBytes: 1024 * 1024,
  /** A string value, and so a function's text argument or result. */
  stringBytes: 1024 * 1024,
  arrayElements: 8192,
  objectFields: 1024,
  nestingDepth: 16,
  /** Arguments of one call, and the value one call returns. */
  functionValueBytes: 16 * 1024 * 1024,
  transactionBytes: 16 * 1024 * 1024,
  transactionDocumentsRead: 32_000,
  transactionDocumentsWritten: 16_000,
} as const;

/** What one batched call may read or write: half a transaction, so retried and mixed calls stay clear. */
export const CALL_BYTES_BUDGET = 8 * 1024 * 1024;

/**
 * True when a value of this shape, placed `below` levels down inside another value (a document's
 * field: 1), is a valid Convex value of at most `maxBytes`.
 */
export function fitsValueLimits(shape: JsonShape, below: number, maxBytes: number): boolean {
  return (
    shape.bytes <= maxBytes &&
    shape.longestArray <= CONVEX_LIMITS.arrayElements &&
    shape.widestObject <= CONVEX_LIMITS.objectFields &&
    shape.depth + below <= CONVEX_LIMITS.nestingDepth
  );
}
