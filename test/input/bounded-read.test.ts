import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as fsPromises from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../src/cli/errors.js';
import { DEFAULT_MAX_INPUT_BYTES, FileTooLargeError, MAX_INPUT_BYTES_CEILING, MAX_SMALL_FILE_BYTES, readBoundedFile } from '../../src/input/bounded-read.js';
import { loadRecordsFile } from '../../src/input/load-records.js';
import { readFileBytes } from '../../src/input/read-text.js';

const dir = mkdtempSync(join(tmpdir(), 'agg-bounded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('readBoundedFile', () => {
  it('documents its limits: 1 GiB for inputs (at most 4 GiB), 1 MiB for grids and configs', () => {
    expect(DEFAULT_MAX_INPUT_BYTES).toBe(1024 ** 3);
    expect(MAX_INPUT_BYTES_CEILING).toBe(4 * 1024 ** 3);
    expect(MAX_SMALL_FILE_BYTES).toBe(1024 ** 2);
  });

  it('reads a file up to the limit whole, into one buffer of its size', async () => {
    const bytes = Buffer.from('x'.repeat(5000));
    const read = await readBoundedFile(file('ok.txt', bytes), 5000);
    expect(read.equals(bytes)).toBe(true);
    // The bytes are the buffer's whole: allocated once at the file's size, never grown or concatenated.
    expect(read.buffer.byteLength).toBe(5000);
    expect((await readBoundedFile(file('empty.txt', ''), 10)).length).toBe(0);
  });

  it('refuses a file over the limit from its size, before reading it', async () => {
    const path = file('big.txt', 'y'.repeat(5001));
    const error = await readBoundedFile(path, 5000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileTooLargeError);
    expect(error).toMatchObject({ path, size: 5001, limit: 5000, sizeKnown: true });
  });

  it('counts again while reading: a device or pipe with no size stops at the limit', async () => {
    if (!existsSync('/dev/zero')) return;
    const error = await readBoundedFile('/dev/zero', 100_000).catch((e: unknown) => e);
    expect(error).toMatchObject({ limit: 100_000, sizeKnown: false });
    expect((error as FileTooLargeError).size).toBeGreaterThan(100_000);
  });

  it('counts a file that grows after its size was taken', async () => {
    const path = file('growing.txt', 'a'.repeat(1000));
    // The file grows between fstat and reading, as a download still being written does.
    const probe = await fsPromises.open(path, 'r');
    const prototype = Object.getPrototypeOf(probe) as { stat: (...args: unknown[]) => Promise<unknown> };
    await probe.close();
    const stat = prototype.stat;
    const spy = vi.spyOn(prototype, 'stat').mockImplementation(async function (this: unknown, ...args: unknown[]) {
      const info = await stat.apply(this, args);
      appendFileSync(path, 'b'.repeat(2000));
      return info;
    });
    try {
      expect((await readBoundedFile(path, 5000)).toString()).toBe(`${'a'.repeat(1000)}${'b'.repeat(2000)}`);
      // 3000 bytes when its size is taken, 5000 by the time it is read: over a limit of 4000.
      const error = await readBoundedFile(path, 4000).catch((e: unknown) => e);
      expect(error).toMatchObject({ limit: 4000, sizeKnown: false });
    } finally {
      spy.mockRestore();
    }
  });

  it('gives Node\'s own errors for files that cannot be read', async () => {
    await expect(readBoundedFile(join(dir, 'missing'), 10)).rejects.toMatchObject({ code: 'ENOENT' });
    mkdirSync(join(dir, 'sub'));
    await expect(readBoundedFile(join(dir, 'sub'), 10)).rejects.toMatchObject({ code: 'EISDIR' });
  });
});

describe('readFileBytes and loadRecordsFile', () => {
  it('say how large the file is, what the limit is and how to raise it', async () => {
    const path = file('records.jsonl', Array.from({ length: 100 }, (_, i) => `{"id":"r${String(i).padStart(3, '0')}","watchedAt":null}\n`).join(''));
    await expect(readFileBytes(path, 1024)).rejects.toThrow(UsageError);
    await expect(readFileBytes(path, 1024)).rejects.toThrow(`${path}: 3.0 KiB (3,100 bytes) is over the input size limit of 1 KiB (raise it with --max-input-size 1MiB or AGG_MAX_INPUT_BYTES)`);
    await expect(loadRecordsFile(path, { maxBytes: 3099 })).rejects.toThrow(/is over the input size limit of 3\.0 KiB/);
    expect((await loadRecordsFile(path, { maxBytes: 3100 })).records).toHaveLength(100);
  });
});
