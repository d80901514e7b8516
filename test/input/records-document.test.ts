import { mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileWindowSource } from '../../src/input/file-window.js';
import { InputError, parseRecordsDocument } from '../../src/input/records-document.js';

const dir = mkdtempSync(join(tmpdir(), 'agg-records-document-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

const A = { id: 'a', watchedAt: '2024-01-01T00:00:00Z', videoTitle: 'Café ☕ 日本' };
const B = { id: 'b', watchedAt: null };
const utf8 = (text: string) => new TextEncoder().encode(text);

/**
 * Parses the same text as a string, as UTF-8 bytes, and from a file through windows of 1, 7 and 64
 * bytes (every line and element then spans chunks): all must agree, errors included.
 */
function both(text: string): unknown {
  const outcome = (read: () => unknown) => {
    try {
      return { records: read() };
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      return { error: error.message };
    }
  };
  const fromString = outcome(() => parseRecordsDocument(text, 'f.json'));
  expect(outcome(() => parseRecordsDocument(utf8(text), 'f.json'))).toEqual(fromString);
  const path = join(dir, `${++files}.json`);
  writeFileSync(path, text);
  for (const chunk of [1, 7, 64]) {
    const source = fileWindowSource(openSync(path, 'r'), Buffer.byteLength(text), path, chunk);
    try {
      expect(outcome(() => parseRecordsDocument(source, 'f.json')), `through a window of ${chunk} bytes`).toEqual(fromString);
    } finally {
      source.close();
    }
  }
  return fromString;
}

describe('parseRecordsDocument, from a string, from bytes or through a file window', () => {
  it('reads JSON Lines, with blank lines, CRLF and a byte-order mark', () => {
    expect(both(`${JSON.stringify(A)}\n${JSON.stringify(B)}\n`)).toEqual({ records: [A, B] });
    expect(both(`\ufeff\n${JSON.stringify(A)}\r\n\r\n${JSON.stringify(B)}`)).toEqual({ records: [A, B] });
  });

  it('reads a JSON array, element by element', () => {
    expect(both(JSON.stringify([A, B], null, 2))).toEqual({ records: [A, B] });
    expect(both('\ufeff [ ] ')).toEqual({ records: [] });
  });

  it('names the line or record and the problem', () => {
    expect(both(`${JSON.stringify(A)}\n{"id": "c",\n`)).toEqual({ error: expect.stringMatching(/^f\.json:2: not valid JSON \(/) });
    expect(both(`${JSON.stringify(A)}\n${JSON.stringify(A)}\n`)).toEqual({ error: 'f.json:2: duplicate record id "a" (first at 1)' });
    expect(both(`[${JSON.stringify(A)}, {"id": 7, "watchedAt": null}]`)).toEqual({ error: expect.stringMatching(/^f\.json \(record 2\): invalid record: id: .*\(got 7\)$/) });
    expect(both(`[${JSON.stringify(A)},\n  {"id": "c" "watchedAt": null}]`)).toEqual({ error: expect.stringMatching(/^f\.json \(record 2\): not valid JSON starting at line 2, column 3 \(/) });
    expect(both(`[${JSON.stringify(A)}, {"id": "c"`)).toEqual({ error: 'f.json: not valid JSON: the JSON ends inside record 2: the file looks truncated (export or download it again)' });
    expect(both(`[${JSON.stringify(A)}] [`)).toEqual({ error: 'f.json: not valid JSON at line 1, column 74: unexpected text after the array' });
    expect(both(JSON.stringify(A))).toEqual({ error: 'f.json: expected a JSON array of records or JSON Lines, got a single JSON value' });
    expect(both('id,watchedAt\n1,2\n')).toEqual({ error: expect.stringMatching(/^f\.json: not valid JSON or JSON Lines \(/) });
    expect(both(' \n\t\n')).toEqual({ error: 'f.json: the file is empty (expected a JSON array of records or JSON Lines)' });
  });

  it('refuses JSON nested deeper than 64 levels, in a line or in an element', () => {
    const deep = `${'['.repeat(65)}${']'.repeat(65)}`;
    expect(both(`${JSON.stringify(A)}\n{"id": "c", "topics": ${deep}}\n`)).toEqual({ error: expect.stringMatching(/^f\.json:2: nested deeper than 64 levels/) });
    expect(both(`[{"id": "c", "topics": ${deep}}]`)).toEqual({ error: expect.stringMatching(/^f\.json: record 1 \(line 1, column 2\) is nested deeper than 64 levels/) });
    // 64 levels in all, the array counted, is fine (and then the record itself is checked).
    expect(both(`[{"id": "c", "watchedAt": null, "topics": ${'['.repeat(62)}${']'.repeat(62)}}]`)).toEqual({ error: expect.stringMatching(/invalid record: topics/) });
  });

  it('refuses bytes that are not UTF-8, naming the line of JSON Lines', () => {
    const bytes = new Uint8Array([...utf8(`${JSON.stringify(A)}\n{"id": "`), 0xe9, ...utf8('"}\n')]);
    expect(() => parseRecordsDocument(bytes, 'f.jsonl')).toThrow('f.jsonl:2: not UTF-8 text (save the file as UTF-8)');
    const path = join(dir, 'latin1.jsonl');
    writeFileSync(path, bytes);
    const source = fileWindowSource(openSync(path, 'r'), bytes.length, path, 7);
    try {
      expect(() => parseRecordsDocument(source, 'f.jsonl')).toThrow('f.jsonl:2: not UTF-8 text (save the file as UTF-8)');
    } finally {
      source.close();
    }
    expect(() => parseRecordsDocument(new Uint8Array([0x1f, 0x8b, 0x08, 0x00, 0xff, 0xfe]), 'f.gz')).toThrow('f.gz: not UTF-8 text (save the file as UTF-8)');
  });

  it('reads JSON Lines in blocks, yet names the first bad line of a block whatever is wrong with it', () => {
    // Thousands of lines: several blocks; the bad bytes far into one, an invalid record before them.
    const line = (i: number) => utf8(`${JSON.stringify({ ...A, id: `r${i}` })}\n`);
    const lines = Array.from({ length: 30_000 }, (_, i) => line(i));
    const latin1 = new Uint8Array([...utf8('{"id": "'), 0xe9, ...utf8('"}\n')]);
    const withBadBytes = Buffer.concat([...lines.slice(0, 20_000), latin1, ...lines.slice(20_000)]);
    expect(withBadBytes.length).toBeGreaterThan(4 * 256 * 1024);
    expect(() => parseRecordsDocument(withBadBytes, 'f.jsonl')).toThrow('f.jsonl:20001: not UTF-8 text (save the file as UTF-8)');
    const invalidFirst = Buffer.concat([...lines.slice(0, 19_990), utf8('{"id": 7}\n'), ...lines.slice(19_990, 20_000), latin1]);
    expect(() => parseRecordsDocument(invalidFirst, 'f.jsonl')).toThrow(/^f\.jsonl:19991: invalid record: id/);
    expect(parseRecordsDocument(Buffer.concat(lines), 'f.jsonl').map((r) => r.id)).toEqual(lines.map((_, i) => `r${i}`));
  });
});
