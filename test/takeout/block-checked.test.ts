import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileWindowSource } from '../../src/input/file-window.js';
import { readRecordsDocument } from '../../src/input/records-document.js';
import { withBlockChecks } from '../../src/takeout/block-checked.js';
import { jsonArrayElements } from '../../src/takeout/json-array-scanner.js';
import { sourceOf } from '../../src/takeout/text-source.js';

const dir = mkdtempSync(join(tmpdir(), 'agg-blocks-'));
const fds: number[] = [];
afterAll(() => {
  for (const fd of fds) closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
});

/** A file window over `bytes` reading `chunkBytes` at a time, so that blocks are a few dozen bytes. */
function windowOver(name: string, bytes: Uint8Array, chunkBytes = 64) {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  const fd = openSync(path, 'r');
  fds.push(fd);
  return fileWindowSource(fd, bytes.length, path, chunkBytes);
}

// Two-, three- and four-byte characters, so that some range or block boundary falls inside one.
const WORDS = ['é', '日本', '😀', 'plain', 'ß', 'Ω'];
const texts = Array.from({ length: 400 }, (_, i) => `${WORDS[i % WORDS.length]!.repeat(1 + (i % 5))}-${i}`);

describe('withBlockChecks: many small ranges decoded under one UTF-8 check per block', () => {
  it('decodes every range as the strict decoder does, whatever falls on a block boundary', () => {
    const lines = Buffer.from(texts.map((text) => `${text}\n`).join(''));
    const source = windowOver('lines.txt', lines);
    const checked = withBlockChecks(source);
    expect(checked).not.toBe(source);
    let at = 0;
    for (const text of texts) {
      const end = lines.indexOf(0x0a, at);
      expect(checked.text(at, end)).toBe(text);
      at = end + 1;
    }
  });

  it('hands a block that is not UTF-8 to the strict decoder, which names the bad range, and decodes the others', () => {
    const good = Buffer.from(texts.slice(0, 50).map((text) => `${text}\n`).join(''));
    const bytes = Buffer.concat([good, Buffer.from([0x41, 0xe9, 0x42, 0x0a]), good]);
    const checked = withBlockChecks(windowOver('bad.txt', bytes));
    const ranges: [number, number][] = [];
    for (let at = 0; at < bytes.length; ) {
      const end = bytes.indexOf(0x0a, at);
      ranges.push([at, end]);
      at = end + 1;
    }
    const outcomes = ranges.map(([start, end]) => {
      try {
        return checked.text(start, end);
      } catch (error) {
        return `error: ${(error as Error).message}`;
      }
    });
    expect(outcomes.filter((outcome) => outcome.startsWith('error'))).toHaveLength(1);
    expect(outcomes[50]).toMatch(/^error: .*UTF-8/);
    expect(outcomes.filter((outcome, i) => i !== 50)).toEqual([...texts.slice(0, 50), ...texts.slice(0, 50)]);
  });

  it('leaves a source without a UTF-8 check as it is', () => {
    const source = sourceOf(Buffer.from('abc'));
    expect(withBlockChecks(source)).toBe(source);
  });
});

describe('records and array elements read through a file window', () => {
  const records = texts.map((text, i) => ({ id: `r${i}`, watchedAt: null, videoTitle: text, channelTitle: WORDS[i % 3] }));

  it('JSON Lines and a JSON array give the records the text holds', () => {
    for (const [name, body] of [
      ['records.jsonl', records.map((record) => JSON.stringify(record)).join('\n')],
      ['records.json', JSON.stringify(records)],
    ] as const) {
      const read: unknown[] = [];
      readRecordsDocument(windowOver(name, Buffer.from(body)), name, (batch) => read.push(...batch));
      expect(read, name).toEqual(records);
    }
  });

  it('names the array element whose bytes are not UTF-8', () => {
    // The message names where the element with the bad byte starts (its `{`).
    const before = `${JSON.stringify(records.slice(0, 100)).slice(0, -1)},{"id":"`;
    const body = Buffer.concat([Buffer.from(before), Buffer.from([0xff]), Buffer.from('"}]')]);
    const elements = () => [...jsonArrayElements(windowOver('bad.json', body), 'a records file', 'record')];
    expect(elements).toThrow(/UTF-8/);
    expect(() => readRecordsDocument(windowOver('bad2.json', body), 'bad2.json', () => undefined)).toThrow(`bad2.json: not UTF-8 text near line 1, column ${before.length - 7 + 1} (save the file as UTF-8)`);
  });
});
