import { readFile } from 'node:fs/promises';
import { CliError, ExitCode, UsageError } from '../cli/errors.js';

/** Reads a whole input file as text, with one-line errors for the usual ways this goes wrong. */
export async function readTextFile(path: string): Promise<string> {
  return decodeText(await readFileBytes(path), path);
}

/** Reads a whole input file as bytes, with one-line errors for the usual ways this goes wrong. */
export async function readFileBytes(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`${path}: no such file`);
    if (code === 'EISDIR') throw new UsageError(`${path}: is a directory, expected a file`);
    if (code === 'ENOTDIR') throw new UsageError(`${path}: no such file (a directory in the path is a file)`);
    if (code === 'EACCES' || code === 'EPERM') throw new UsageError(`${path}: permission denied`);
    throw new CliError(`${path}: cannot read (${(error as Error).message})`, ExitCode.usage);
  }
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
