import { UsageError, fsFailure } from '../errors.js';
import { formatSize, roundSizeAbove } from '../text/sizes.js';
import { DEFAULT_MAX_INPUT_BYTES, FileTooLargeError, MAX_INPUT_BYTES_CEILING, readBoundedFile } from './bounded-read.js';

/**
 * Reads a whole input file (a records file, a Takeout export) as bytes, refusing one over `maxBytes`
 * (--max-input-size), with one-line errors for the usual ways this goes wrong.
 */
export async function readFileBytes(path: string, maxBytes: number = DEFAULT_MAX_INPUT_BYTES): Promise<Uint8Array> {
  try {
    return await readBoundedFile(path, maxBytes);
  } catch (error) {
    if (error instanceof FileTooLargeError) throw new UsageError(tooLargeMessage(error));
    throw fsFailure(path, 'read', error);
  }
}

function tooLargeMessage(error: FileTooLargeError): string {
  const exact = error.size >= 1024 ? ` (${error.size.toLocaleString('en-US')} bytes)` : '';
  const size = error.sizeKnown ? `${formatSize(error.size)}${exact}` : `more than ${formatSize(error.limit)} (still reading)`;
  const raise =
    error.sizeKnown && error.size > MAX_INPUT_BYTES_CEILING
      ? `files over ${formatSize(MAX_INPUT_BYTES_CEILING)} cannot be read at all; split it`
      : `raise it with --max-input-size ${error.sizeKnown ? roundSizeAbove(error.size) : 'SIZE'} or AGG_MAX_INPUT_BYTES`;
  return `${error.path}: ${size} is over the input size limit of ${formatSize(error.limit)} (${raise})`;
}

/**
 * True when text without a byte-order mark is UTF-16 all the same: ASCII characters then come with a NUL
 * byte beside each, which UTF-8 text never has at the start of a file.
 */
export function looksLikeBomlessUtf16(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, 64) & ~1;
  if (n < 4) return false;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) even++;
    if (bytes[i + 1] === 0) odd++;
  }
  return Math.max(even, odd) >= n / 4 && Math.min(even, odd) === 0;
}

/** True when the bytes start with a UTF-16 byte-order mark. */
export function isUtf16(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff));
}

/** UTF-8 (with or without BOM) or UTF-16 with a BOM; anything else is refused rather than misread. */
export function decodeText(bytes: Uint8Array, source: string): string {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  if (looksLikeBomlessUtf16(bytes)) throw new UsageError(`${source}: UTF-16 text without a byte-order mark (save the file as UTF-8)`);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new UsageError(`${source}: not UTF-8 text (save the file as UTF-8)`);
  }
}
