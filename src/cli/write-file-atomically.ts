import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AggError, fsFailure } from '../errors.js';

const FLUSH_AT = 1 << 20;

function describeFailure(path: string, error: unknown): AggError {
  return fsFailure(path, 'write', error);
}

/**
 * Writes text chunks to a temporary file beside `path`, flushes it to disk, then renames it over
 * `path`: readers see the old file or the whole new one, and a failure leaves no partial file behind.
 */
export async function writeFileAtomically(path: string, chunks: Iterable<string>): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle | null = null;
  try {
    handle = await open(temporary, 'wx');
    let pending = '';
    for (const chunk of chunks) {
      pending += chunk;
      if (pending.length >= FLUSH_AT) {
        await handle.write(pending);
        pending = '';
      }
    }
    if (pending !== '') await handle.write(pending);
    await handle.sync();
    await handle.close();
    handle = null;
    await rename(temporary, path);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temporary, { force: true }).catch(() => undefined);
    throw error instanceof AggError ? error : describeFailure(path, error);
  }
}
