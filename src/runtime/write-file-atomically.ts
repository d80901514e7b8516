import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AggError, fsFailure } from '../errors.js';

const FLUSH_AT = 1 << 20;

export interface AtomicWriteOptions {
  /** The error a failure becomes (default: fsFailure's message for a write to `path`). */
  readonly describeFailure?: (error: unknown) => AggError;
}

/**
 * Writes bytes, or text chunks as they come, to a temporary file beside `path`, flushes it to disk,
 * renames it over `path` and makes the rename durable: readers see the old file or the whole new one,
 * and a failure leaves no partial file behind.
 */
export async function writeFileAtomically(path: string, content: Uint8Array | Iterable<string>, options: AtomicWriteOptions = {}): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle | null = null;
  try {
    handle = await open(temporary, 'wx');
    if (content instanceof Uint8Array) {
      await handle.writeFile(content);
    } else {
      let pending = '';
      for (const chunk of content) {
        pending += chunk;
        if (pending.length >= FLUSH_AT) {
          await handle.write(pending);
          pending = '';
        }
      }
      if (pending !== '') await handle.write(pending);
    }
    await handle.sync();
    await handle.close();
    handle = null;
    await rename(temporary, path);
    await syncDirectory(dirname(path));
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temporary, { force: true }).catch(() => undefined);
    if (error instanceof AggError) throw error;
    throw options.describeFailure ? options.describeFailure(error) : fsFailure(path, 'write', error);
  }
}

/** Makes a rename durable; not every platform can open a directory, which is harmless. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | null = null;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // best effort
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
