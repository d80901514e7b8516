// Convex's limits on one document (docs.convex.dev/production/state/limits), with headroom for the
// header fields that sit beside the data.

import { CONVEX_LIMITS, fitsValueLimits } from '../core/convex-limits.js';

export { CONVEX_LIMITS };

/** Data up to this many bytes may sit inline in the aggregation's own document. */
export const INLINE_MAX_BYTES = 768 * 1024;

/**
 * Data of at least this many bytes goes to the user's shared content for its dataHash (stored once
 * however many filter sets give it) rather than inline in the header. Below it, a content head and a
 * piece (two documents, ~300 bytes of fields besides the text) and the extra reads cost more than the
 * copies they save: results that small are a kpi, a short leaderboard, an empty list. `npm run
 * bench:storage` prints the bytes on both sides of the line.
 */
export const SHARED_MIN_BYTES = 512;

/** Chunk size in UTF-16 units: at most 3 bytes each in UTF-8, so a chunk stays under 768 KiB. */
export const CHUNK_CHARS = 256 * 1024;

export interface DataShape {
  readonly bytes: number;
  readonly longestArray: number;
  readonly widestObject: number;
  readonly depth: number;
}

/** True when the data fits one document as a Convex value; otherwise it is stored as chunked text. */
export function fitsInline(shape: DataShape): boolean {
  // The data sits one level below the document itself.
  return fitsValueLimits(shape, 1, INLINE_MAX_BYTES);
}

/** Splits text into pieces of at most `size` UTF-16 units without separating a surrogate pair. */
export function splitText(text: string, size = CHUNK_CHARS): string[] {
  if (text.length === 0) return [''];
  const pieces: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + size, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}
