import { constants as bufferConstants } from 'node:buffer';
import { type FileHandle, open } from 'node:fs/promises';

// Reading a file whole, but never more of it than a limit: the size is checked from fstat before
// anything is read, and the bytes are counted again while reading (a file that grows, a pipe or a
// device has no size to trust). A regular file is read into one buffer of its size, so the file is in
// memory once.

/** Records files and Takeout exports larger than this are refused unless the limit is raised. */
export const DEFAULT_MAX_INPUT_BYTES = 1024 ** 3;
/** The largest limit there can be: a Node.js buffer holds at most this much (4 GiB on 64-bit Node 20). */
export const MAX_INPUT_BYTES_CEILING = Math.min(bufferConstants.MAX_LENGTH, 4 * 1024 ** 3);
/** Grid and config files: small JSON documents, read whole as text. */
export const MAX_SMALL_FILE_BYTES = 1024 ** 2;

const CHUNK_BYTES = 1024 * 1024;

/** A file over its limit. `size` is the file's size, or for a stream what had been read when it went over. */
export class FileTooLargeError extends Error {
  constructor(
    readonly path: string,
    readonly size: number,
    readonly limit: number,
    /** False when the size is only a lower bound (a pipe, a device, a file that grew while read). */
    readonly sizeKnown: boolean,
  ) {
    super(`${path}: ${sizeKnown ? size : `more than ${limit}`} bytes, over the limit of ${limit}`);
    this.name = 'FileTooLargeError';
  }
}

function errno(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

/**
 * The whole content of a file of at most `maxBytes`. Throws FileTooLargeError over the limit, and
 * Node's errno errors (ENOENT, EISDIR, EACCES, …) when the file cannot be read.
 */
export async function readBoundedFile(path: string, maxBytes: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const info = await handle.stat();
    if (info.isDirectory()) throw errno('EISDIR', 'illegal operation on a directory, read');
    if (!info.isFile()) return await readStream(handle, path, maxBytes, []);
    if (info.size > maxBytes) throw new FileTooLargeError(path, info.size, maxBytes, true);
    const buffer = Buffer.allocUnsafe(info.size);
    let filled = 0;
    while (filled < info.size) {
      const { bytesRead } = await handle.read(buffer, filled, info.size - filled, filled);
      if (bytesRead === 0) return buffer.subarray(0, filled); // it shrank while read: what is there
      filled += bytesRead;
    }
    // It may have grown since fstat: whatever follows is read, and counted, as from a stream.
    return await readStream(handle, path, maxBytes, [buffer], info.size);
  } finally {
    await handle.close();
  }
}

async function readStream(handle: FileHandle, path: string, maxBytes: number, chunks: Buffer[], position: number | null = null): Promise<Buffer> {
  let total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  for (;;) {
    const chunk = Buffer.allocUnsafe(Math.max(1, Math.min(CHUNK_BYTES, maxBytes - total + 1)));
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
    if (bytesRead === 0) break;
    if (position !== null) position += bytesRead;
    total += bytesRead;
    if (total > maxBytes) throw new FileTooLargeError(path, total, maxBytes, false);
    chunks.push(chunk.subarray(0, bytesRead));
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}
