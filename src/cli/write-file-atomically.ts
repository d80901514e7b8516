import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CliError, ExitCode, UsageError } from './errors.js';

const FLUSH_AT = 1 << 20;

function describeFailure(path: string, error: unknown): CliError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new UsageError(`${path}: cannot write: the directory does not exist`);
  if (code === 'EISDIR') return new UsageError(`${path}: cannot write: it is a directory`);
  if (code === 'ENOTDIR') return new UsageError(`${path}: cannot write: a directory in the path is a file`);
  if (code === 'EACCES' || code === 'EPERM') return new UsageError(`${path}: cannot write: permission denied`);
  if (code === 'ENOSPC') return new CliError(`${path}: cannot write: no space left on the device`, ExitCode.infrastructure);
  return new CliError(`${path}: cannot write (${(error as Error).message})`, ExitCode.infrastructure);
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
    throw error instanceof CliError ? error : describeFailure(path, error);
  }
}
