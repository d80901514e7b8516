import type { TextSource } from './text-source.js';

/** Bytes checked to be UTF-8 at a time. */
export const CHECK_BLOCK_BYTES = 256 * 1024;

const isContinuationByte = (code: number): boolean => code >= 0x80 && code <= 0xbf;

/**
 * The source, with `text` decoding the many small ranges a parser asks for in order (lines, array
 * elements) under one UTF-8 check per block of about `blockBytes`: a strict decoder call per range cost a
 * tenth of a large file's parse. Blocks start where a range starts and end before a character's first
 * byte, so a range inside a block that is UTF-8 is UTF-8 itself. A block that is not is decoded range
 * by range by the source's own strict `text`, which names the place. Sources without `isUtf8` are
 * returned as they are.
 */
export function withBlockChecks(source: TextSource, blockBytes = CHECK_BLOCK_BYTES): TextSource {
  const { isUtf8, trustedText } = source;
  if (isUtf8 === undefined || trustedText === undefined) return source;
  // Half the source's chunk at most, so that a block and the range it ends in stay within its window.
  const block = Math.max(4, Math.min(blockBytes, Math.floor((source.chunkBytes ?? Infinity) / 2)));
  let from = 0;
  let until = -1;
  let valid = false;
  const wrapped: TextSource = Object.create(source);
  wrapped.text = (start, end) => {
    if (start < from || end > until) {
      let blockEnd = Math.min(source.length, Math.max(end, start + block));
      while (blockEnd < source.length && blockEnd > end && isContinuationByte(source.code(blockEnd))) blockEnd--;
      from = start;
      until = blockEnd;
      valid = isUtf8(start, blockEnd);
    }
    return valid ? trustedText(start, end) : source.text(start, end);
  };
  return wrapped;
}
