import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, openSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileChangedError, fileWindowSource } from '../../src/input/file-window.js';
import { loadRecordsFile } from '../../src/input/load-records.js';
import { openFileWindow } from '../../src/input/read-text.js';
import { parseRecordsDocument } from '../../src/input/records-document.js';

const dir = mkdtempSync(join(tmpdir(), 'agg-file-window-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const record = (i: number, title = `video ${i}`) => ({ id: `r${i}`, watchedAt: `2024-01-01T00:00:${String(i % 60).padStart(2, '0')}.000Z`, videoTitle: title });

describe('a records file read through a window', () => {
  it('holds about one chunk of a large file, not the file', () => {
    const path = join(dir, 'many.jsonl');
    const text = Array.from({ length: 5000 }, (_, i) => JSON.stringify(record(i))).join('\n');
    writeFileSync(path, text);
    const size = Buffer.byteLength(text);
    const source = fileWindowSource(openSync(path, 'r'), size, path, 512);
    try {
      expect(parseRecordsDocument(source, path)).toHaveLength(5000);
      expect(size).toBeGreaterThan(100 * 512);
      expect(source.windowBytes).toBeLessThanOrEqual(1024);
    } finally {
      source.close();
    }
  });

  it('widens the window for an element longer than a chunk, and reads it whole', () => {
    const path = join(dir, 'long.json');
    const long = 'x'.repeat(8_000);
    const text = JSON.stringify([record(1), record(2, long), record(3)]);
    writeFileSync(path, text);
    const source = fileWindowSource(openSync(path, 'r'), Buffer.byteLength(text), path, 64);
    try {
      const records = parseRecordsDocument(source, path);
      expect(records.map((r) => r.videoTitle)).toEqual(['video 1', long, 'video 3']);
      expect(source.windowBytes).toBeGreaterThanOrEqual(8_000);
    } finally {
      source.close();
    }
  });

  it('says the file changed when it is shorter than it was when opened', () => {
    const path = join(dir, 'shrunk.jsonl');
    const text = [record(1), record(2), record(3)].map((r) => JSON.stringify(r)).join('\n');
    writeFileSync(path, text);
    const source = fileWindowSource(openSync(path, 'r'), Buffer.byteLength(text), path, 16);
    truncateSync(path, 20);
    try {
      expect(() => parseRecordsDocument(source, path)).toThrow(FileChangedError);
    } finally {
      source.close();
    }
  });

  it('notices a file that grew after it was opened (loadRecordsFile then refuses it)', () => {
    const path = join(dir, 'grown.jsonl');
    writeFileSync(path, `${JSON.stringify(record(1))}\n`);
    const opened = openFileWindow(path)!;
    try {
      expect(opened.unchanged()).toBe(true);
      appendFileSync(path, `${JSON.stringify(record(2))}\n`);
      expect(opened.unchanged()).toBe(false);
    } finally {
      opened.source.close();
    }
  });

  it('loadRecordsFile reads records files through the window and Takeout exports whole, with the same records', async () => {
    const path = join(dir, 'same.json');
    const records = Array.from({ length: 300 }, (_, i) => record(i, i % 7 === 0 ? 'Café ☕ 日本' : `video ${i}`));
    writeFileSync(path, `\ufeff${JSON.stringify(records, null, 1)}`);
    expect((await loadRecordsFile(path)).records).toEqual(records);
    const takeout = join(dir, 'watch-history.json');
    writeFileSync(takeout, JSON.stringify([{ header: 'YouTube', title: 'Watched a video', titleUrl: 'https://www.youtube.com/watch?v=abcdefghijk', time: '2024-01-01T00:00:00.000Z', products: ['YouTube'] }]));
    const loaded = await loadRecordsFile(takeout);
    expect(loaded.format).toBe('takeout-json');
    expect(loaded.records).toHaveLength(1);
  });

  it.skipIf(process.platform === 'win32')('loadRecordsFile reads a named pipe whole, losing nothing its writer wrote', async () => {
    const fifo = join(dir, 'records.fifo');
    execFileSync('mkfifo', [fifo]);
    const records = Array.from({ length: 2000 }, (_, i) => record(i));
    const source = join(dir, 'fifo-source.jsonl');
    writeFileSync(source, records.map((r) => JSON.stringify(r)).join('\n'));
    // A writer in another process, as a shell's `<(…)` or `cat … |` would be; 2000 lines are more than a pipe buffers.
    const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', source, fifo], { stdio: 'ignore' });
    const written = new Promise((resolve) => writer.on('close', resolve));
    const loaded = await loadRecordsFile(fifo);
    expect(await written).toBe(0);
    expect(loaded.records).toEqual(records);
  });
});
