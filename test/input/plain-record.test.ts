// plainRecord is a shortcut past zod for the common case: whatever it accepts, the schema accepts, and
// what it returns is what the schema returns (same keys, same order, same values).
import { describe, expect, it } from 'vitest';
import { inputRecordSchema } from '../../src/core/record.js';
import { plainRecord } from '../../src/input/plain-record.js';
import { parseRecordsDocument } from '../../src/input/records-document.js';
import { generateUser } from '../../fixtures/generator.js';

function sameAsSchema(value: unknown): 'fast' | 'schema' {
  const fast = plainRecord(value);
  const parsed = inputRecordSchema.safeParse(value);
  if (fast === null) return 'schema';
  expect(parsed.success).toBe(true);
  expect(Object.keys(fast)).toEqual(Object.keys(parsed.data!));
  expect(fast).toEqual(parsed.data);
  return 'fast';
}

const base = { id: 'r1', watchedAt: '2025-06-01T10:00:00.000Z' };
const x = (n: number) => 'x'.repeat(n);

describe('plainRecord', () => {
  it('takes every generated record, in the schema’s key order whatever the input order', () => {
    const records = generateUser({ userId: 'plain', records: 3000, seed: 'plain-record', years: 3 });
    for (const record of records) {
      const shuffled = Object.fromEntries(Object.entries(JSON.parse(JSON.stringify(record)) as object).reverse());
      expect(sameAsSchema(shuffled)).toBe('fast');
    }
  });

  it.each<[string, unknown, 'fast' | 'schema']>([
    ['the least record', { id: 'a', watchedAt: null }, 'fast'],
    ['every field', { ...base, videoId: 'v', videoTitle: 't', videoUrl: 'u', channelTitle: 'c', channelUrl: 'cu', product: 'YouTube Music', topics: ['Music'], isAd: false }, 'fast'],
    ['null texts', { ...base, videoId: null, videoTitle: null, videoUrl: null, channelTitle: null, channelUrl: null }, 'fast'],
    ['an offset instant', { ...base, watchedAt: '2024-03-02T19:30:00+09:00' }, 'fast'],
    ['empty topics', { ...base, topics: [] }, 'fast'],
    ['the longest id', { ...base, id: x(512) }, 'fast'],
    ['the longest text', { ...base, videoTitle: x(8192) }, 'fast'],
    ['64 topics of 200 characters', { ...base, topics: Array.from({ length: 64 }, (_, i) => `${i}`.padEnd(200, 't')) }, 'fast'],
    ['an unknown key (the schema drops it)', { ...base, extra: { deep: [[1]] } }, 'schema'],
    ['__proto__ as a key', JSON.parse('{"__proto__": {"a": 1}, "id": "a", "watchedAt": null}'), 'schema'],
    ['an id too long', { ...base, id: x(513) }, 'schema'],
    ['an empty id', { ...base, id: '' }, 'schema'],
    ['a numeric id', { ...base, id: 7 }, 'schema'],
    ['no id', { watchedAt: null }, 'schema'],
    ['no watchedAt', { id: 'a' }, 'schema'],
    ['a bad instant', { ...base, watchedAt: '2025-02-30T00:00:00Z' }, 'schema'],
    ['an instant without offset', { ...base, watchedAt: '2025-02-01T00:00:00' }, 'schema'],
    ['a text too long', { ...base, channelTitle: x(8193) }, 'schema'],
    ['a numeric text', { ...base, videoId: 12 }, 'schema'],
    ['a null product', { ...base, product: null }, 'schema'],
    ['an unknown product', { ...base, product: 'YouTube Kids' }, 'schema'],
    ['null topics', { ...base, topics: null }, 'schema'],
    ['65 topics', { ...base, topics: Array.from({ length: 65 }, (_, i) => `t${i}`) }, 'schema'],
    ['an empty topic', { ...base, topics: [''] }, 'schema'],
    ['a topic too long', { ...base, topics: [x(201)] }, 'schema'],
    ['a numeric topic', { ...base, topics: [1] }, 'schema'],
    ['isAd as a string', { ...base, isAd: 'yes' }, 'schema'],
    ['an array', [base], 'schema'],
    ['null', null, 'schema'],
    ['a string', 'r1', 'schema'],
  ])('%s', (_name, value, expected) => {
    expect(sameAsSchema(value)).toBe(expected);
  });

  it('leaves records files parsing to the same records and messages', () => {
    const lines = ['{"watchedAt":null,"id":"b","extra":1}', '{"id":"a","watchedAt":null,"topics":["x"]}'];
    expect(parseRecordsDocument(`${lines.join('\n')}\n`, 'f.jsonl')).toEqual([
      { id: 'b', watchedAt: null },
      { id: 'a', watchedAt: null, topics: ['x'] },
    ]);
    expect(() => parseRecordsDocument(`${lines[1]}\n${lines[1]}\n`, 'f.jsonl')).toThrow('f.jsonl:2: duplicate record id "a" (first at 1)');
    expect(() => parseRecordsDocument(`[${lines[1]},\n${lines[1]}]`, 'f.json')).toThrow('f.json (record 2): duplicate record id "a" (first at record 1)');
    const deep = `{"id":"c","watchedAt":null,"x":${'['.repeat(65)}${']'.repeat(65)}}`;
    expect(() => parseRecordsDocument(`${lines[1]}\n${deep}\n`, 'f.jsonl')).toThrow(/^f\.jsonl:2: nested deeper than 64 levels/);
    // Too deep and not JSON: still too deep, as before.
    expect(() => parseRecordsDocument(`${lines[1]}\n${deep.slice(0, -1)}\n`, 'f.jsonl')).toThrow(/^f\.jsonl:2: nested deeper than 64 levels/);
    expect(() => parseRecordsDocument(`${lines[1]}\n{"id":\n`, 'f.jsonl')).toThrow(/^f\.jsonl:2: not valid JSON/);
  });
});
