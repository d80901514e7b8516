import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/errors.js';
import { DatasetBuilder } from '../../src/core/dataset.js';
import type { InputRecord } from '../../src/core/record.js';
import { loadRecordsFile, streamRecordsFile } from '../../src/input/load-records.js';
import { RECORD_BATCH } from '../../src/input/records-document.js';
import { htmlEntry, htmlExport, jsonExport, watchedLine } from '../takeout/snippets.js';

const dir = mkdtempSync(join(tmpdir(), 'agg-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const TAKEOUT_ENTRY = { header: 'YouTube', title: 'Watched X', titleUrl: 'https://www.youtube.com/watch?v=abcdefghijk', time: '2024-01-01T00:00:00Z' };

describe('loadRecordsFile: formats detected by content', () => {
  it('reads records files (JSON Lines and arrays) as before, with no report', async () => {
    const path = file('records.txt', '{"id":"a","watchedAt":"2024-01-01T00:00:00Z"}\n{"id":"b","watchedAt":null}\n');
    const loaded = await loadRecordsFile(path);
    expect(loaded).toEqual({ records: [{ id: 'a', watchedAt: '2024-01-01T00:00:00Z' }, { id: 'b', watchedAt: null }], format: 'records' });
  });

  it('reads a Takeout JSON export whatever its name, with the parser’s report', async () => {
    const loaded = await loadRecordsFile(file('export.jsonl', jsonExport([TAKEOUT_ENTRY])));
    expect(loaded.format).toBe('takeout-json');
    expect(loaded.records).toHaveLength(1);
    expect(loaded.report).toMatchObject({ entries: 1, watches: 1 });
  });

  it('reads a Takeout HTML export, in UTF-16 too, and passes the source zone on', async () => {
    const html = htmlExport([htmlEntry({ lines: [watchedLine('https://www.youtube.com/watch?v=abcdefghijk', 'X'), '15 Jan 2025, 08:00:00 IST'] })]);
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(html, 'utf16le')]);
    const path = file('history.dat', utf16);
    expect((await loadRecordsFile(path)).records[0]!.watchedAt).toBeNull();
    const loaded = await loadRecordsFile(path, { sourceTimeZone: 'Asia/Kolkata' });
    expect(loaded.format).toBe('takeout-html');
    expect(loaded.records[0]!.watchedAt).toBe('2025-01-15T02:30:00.000Z');
  });

  it('turns Takeout format problems into one-line usage errors naming the file', async () => {
    const path = file('cut.json', jsonExport([TAKEOUT_ENTRY, TAKEOUT_ENTRY]).slice(0, -30));
    await expect(loadRecordsFile(path)).rejects.toThrow(UsageError);
    await expect(loadRecordsFile(path)).rejects.toThrow(`${path}: the JSON ends inside entry 2: the file looks truncated (export or download it again)`);
    await expect(loadRecordsFile(file('page.html', '<html><body>hi</body></html>'))).rejects.toThrow(/page\.html: an HTML file, but not a Takeout watch-history export/);
  });

  it('refuses an unknown source zone as a usage error', async () => {
    const path = file('ok.html', htmlExport([]));
    await expect(loadRecordsFile(path, { sourceTimeZone: 'Nowhere/Land' })).rejects.toThrow('source time zone "Nowhere/Land" is not an IANA time zone');
  });
});

describe('streamRecordsFile: records in batches as they are parsed', () => {
  const lines = (n: number, from = 0) => Array.from({ length: n }, (_, i) => JSON.stringify({ id: `r${from + i}`, watchedAt: '2024-01-01T00:00:00.000Z' }));

  it('hands a records file over in order, in batches of at most RECORD_BATCH, the same records loadRecordsFile returns', async () => {
    const path = file('batches.jsonl', `${lines(RECORD_BATCH * 2 + 7).join('\n')}\n`);
    const batches: number[] = [];
    const seen: string[] = [];
    const outcome = await streamRecordsFile(path, {}, (batch) => {
      batches.push(batch.length);
      for (const record of batch) seen.push(record.id);
    });
    expect(outcome).toEqual({ format: 'records' });
    expect(batches).toEqual([RECORD_BATCH, RECORD_BATCH, 7]);
    expect(seen).toEqual((await loadRecordsFile(path)).records.map((record) => record.id));
  });

  it('throws the usage error of a bad record after the batches before it, and hands nothing of the batch it is in', async () => {
    const path = file('bad-later.jsonl', `${[...lines(RECORD_BATCH + 3), '{"id":"x","watchedAt":"yesterday"}'].join('\n')}\n`);
    const batches: number[] = [];
    await expect(streamRecordsFile(path, {}, (batch) => batches.push(batch.length))).rejects.toThrow(UsageError);
    await expect(streamRecordsFile(path, {}, () => undefined)).rejects.toThrow(`${path}:${RECORD_BATCH + 4}: invalid record: watchedAt`);
    expect(batches).toEqual([RECORD_BATCH]);
  });

  it('with a normalizing sink, leaves the id check to it and still names both lines of a duplicate', async () => {
    const duplicate = JSON.stringify({ id: 'r5', watchedAt: null, isAd: true });
    const path = file('dup-later.jsonl', `${[...lines(RECORD_BATCH + 3), duplicate].join('\n')}\n`);
    const builder = new DatasetBuilder('UTC');
    const batches: number[] = [];
    const sink = (batch: readonly InputRecord[]) => {
      batches.push(batch.length);
      builder.add(batch);
    };
    await expect(streamRecordsFile(path, {}, sink, { sinkNormalizes: true })).rejects.toThrow(`${path}:${RECORD_BATCH + 4}: duplicate record id "r5" (first at 6)`);
    // The reader handed the duplicate's batch over: the sink found it, and the file was read again to name the lines.
    expect(batches).toEqual([RECORD_BATCH, 4]);
    // Without the flag the reader finds it itself, before handing that batch over.
    const unchecked: number[] = [];
    await expect(streamRecordsFile(path, {}, (batch) => unchecked.push(batch.length))).rejects.toThrow(`${path}:${RECORD_BATCH + 4}: duplicate record id "r5" (first at 6)`);
    expect(unchecked).toEqual([RECORD_BATCH]);
  });

  it('hands a Takeout export over in one batch, with its report', async () => {
    const batches: number[] = [];
    const outcome = await streamRecordsFile(file('stream-export.json', jsonExport([TAKEOUT_ENTRY])), {}, (batch) => batches.push(batch.length));
    expect(outcome).toMatchObject({ format: 'takeout-json', report: { entries: 1, watches: 1 } });
    expect(batches).toEqual([1]);
  });
});
