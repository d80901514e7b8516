import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/errors.js';
import { loadRecordsFile } from '../../src/input/load-records.js';
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
