import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { UsageError, fsFailure } from '../errors.js';
import { formatSize, roundSizeAbove } from '../text/sizes.js';
import { DEFAULT_MAX_INPUT_BYTES, FileTooLargeError, MAX_INPUT_BYTES_CEILING, readBoundedFile } from './bounded-read.js';
import { type FileWindowSource, fileWindowSource } from './file-window.js';

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

export interface OpenedWindow {
  readonly source: FileWindowSource;
  /** The file's first bytes (up to `headBytes`: 64 KiB after a byte-order mark), to tell its format by. */
  readonly head: Uint8Array;
  /** True when the file's size is still what it was when it was opened. */
  unchanged(): boolean;
}

/**
 * Opens a regular file to be read through a window (see fileWindowSource), refusing one over
 * `maxBytes` as readFileBytes does; null for anything that is not a regular file (a pipe, a device),
 * which has to be read whole. The caller closes the source.
 */
export function openFileWindow(path: string, maxBytes: number = DEFAULT_MAX_INPUT_BYTES, headBytes = 65_539): OpenedWindow | null {
  let fd: number;
  try {
    // Stat first: opening a pipe would wait for its writer, and closing it again would lose what it wrote.
    if (!statSync(path).isFile()) return null;
    fd = openSync(path, 'r');
  } catch (error) {
    throw fsFailure(path, 'read', error);
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) {
      closeSync(fd);
      return null;
    }
    if (info.size > maxBytes) throw new UsageError(tooLargeMessage(new FileTooLargeError(path, info.size, maxBytes, true)));
    const head = Buffer.allocUnsafe(Math.min(info.size, headBytes));
    const n = readSync(fd, head, 0, head.length, 0);
    const source = fileWindowSource(fd, info.size, path);
    return { source, head: head.subarray(0, n), unchanged: () => fstatSync(fd).size === info.size };
  } catch (error) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    if (error instanceof UsageError) throw error;
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
