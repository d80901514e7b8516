import { describe, expect, it } from 'vitest';
import { readRecordGroups } from '../../src/input/record-groups.js';
import { InputError, parseRecordsDocument } from '../../src/input/records-document.js';
import { stringSource } from '../../src/takeout/text-source.js';

/** Records whose strings hold the text a cut looks for, quoted and escaped. */
function tricky(count: number): Array<Record<string, unknown>> {
  const titles = ['plain', 'a },{ b', '"},{"id":"x"}', 'back\\slash },{', '{"nested":[{"a":1},{"b":2}]}', 'Café ☕ },{ 日本'];
  return Array.from({ length: count }, (_, i) => ({
    id: `r${i}`,
    watchedAt: i % 50 === 7 ? null : `2024-01-${String((i % 28) + 1).padStart(2, '0')}T10:00:00Z`,
    videoTitle: titles[i % titles.length],
    channelTitle: `Channel ${i % 13} },{`,
    ...(i % 3 === 0 ? { topics: ['a', 'b'] } : {}),
  }));
}

function outcome(text: string | Uint8Array): { records: unknown } | { error: string } {
  try {
    return { records: parseRecordsDocument(text, 'f.json') };
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return { error: error.message };
  }
}

/** The same array with a space after each comma: read element by element throughout. */
const spaced = (records: unknown[]) => `[${records.map((r) => JSON.stringify(r)).join(', ')}]`;

describe('readRecordGroups: a compact records array, many records at a time', () => {
  it('reads most of a large array in groups, handing records over in order with their positions', () => {
    const records = tricky(600);
    const seen: Array<[string, number]> = [];
    const resume = readRecordGroups(stringSource(JSON.stringify(records)), 0, undefined, (record, index) => seen.push([record.id, index]));
    expect(resume).not.toBeNull();
    expect(resume!.index).toBeGreaterThan(400);
    expect(seen).toEqual(records.slice(0, resume!.index).map((r, i) => [r.id, i + 1]));
    expect(JSON.stringify(records).slice(resume!.offset).startsWith(JSON.stringify(records[resume!.index]))).toBe(true);
  });

  it('leaves arrays with space after the bracket, and small ones, to the element-by-element reader', () => {
    expect(readRecordGroups(stringSource(`[ ${JSON.stringify(tricky(600)).slice(1)}`), 0, undefined, () => {})).toBeNull();
    expect(readRecordGroups(stringSource(JSON.stringify(tricky(3))), 0, undefined, () => {})).toEqual({ offset: 1, index: 0 });
  });
});

describe('parseRecordsDocument of a compact array: the records and errors of reading element by element', () => {
  it('reads the same records, from a string and from bytes', () => {
    const records = tricky(1500);
    const compact = JSON.stringify(records);
    expect(outcome(compact)).toEqual({ records });
    expect(outcome(new TextEncoder().encode(compact))).toEqual({ records });
    expect(outcome(spaced(records))).toEqual({ records });
  });

  it('goes on past a string full of the cut it looks for, and past a record that is not plain', () => {
    const records = tricky(1500);
    // 150 KiB of nothing but cuts inside strings: some group's tries all land there.
    const cuts = '},{'.repeat(2700);
    for (let i = 300; i < 306; i++) records[i] = { ...records[i], videoTitle: cuts, videoUrl: cuts, channelUrl: cuts };
    const handedOver = readRecordGroups(stringSource(JSON.stringify(records)), 0, undefined, () => {});
    expect(handedOver!.index, 'groups were read before the strings, and the reader took over there').toBeGreaterThan(100);
    expect(handedOver!.index).toBeLessThanOrEqual(306);
    const withExtra = records.map((r, i) => (i === 900 ? { ...r, extra: [{ a: 1 }, { b: 2 }] } : r));
    expect(outcome(JSON.stringify(withExtra))).toEqual(outcome(spaced(withExtra)));
    expect(outcome(JSON.stringify(withExtra))).toEqual({ records });
  });

  it('names the record that is not valid JSON, not a record, or repeats an id', () => {
    const records = tricky(1500);
    const compact = JSON.stringify(records);
    const at = compact.indexOf('{"id":"r1200"');
    const badJson = `${compact.slice(0, at)}{"id":"c" "watchedAt":null}${compact.slice(compact.indexOf(',{"id":"r1201"'))}`;
    expect(outcome(badJson)).toEqual({ error: expect.stringMatching(new RegExp(`^f\\.json \\(record 1201\\): not valid JSON starting at line 1, column ${at + 1} \\(`)) });
    const notRecord = JSON.stringify(records.map((r, i) => (i === 1200 ? { ...r, id: 7 } : r)));
    expect(outcome(notRecord)).toEqual({ error: expect.stringMatching(/^f\.json \(record 1201\): invalid record: id: .*\(got 7\)$/) });
    const repeated = JSON.stringify(records.map((r, i) => (i === 1200 ? { ...r, id: 'r10' } : r)));
    expect(outcome(repeated)).toEqual({ error: 'f.json (record 1201): duplicate record id "r10" (first at record 11)' });
  });

  it('names bytes that are not UTF-8 as the element-by-element reader does', () => {
    const records = tricky(1500);
    const encode = (text: string) => new TextEncoder().encode(text);
    const latin1 = (text: string) => {
      const bytes = encode(text);
      const at = text.indexOf('"r1200"') + 2; // the "r" of the id: not UTF-8 once it is 0xe9
      bytes[at] = 0xe9;
      return bytes;
    };
    const compact = outcome(latin1(JSON.stringify(records)));
    expect(compact).toEqual({ error: expect.stringMatching(/not UTF-8 text/) });
    // The spaced array's message names another column; the rest is the same.
    const column = (message: string) => message.replace(/column \d+/, 'column N');
    expect(column((compact as { error: string }).error)).toBe(column((outcome(latin1(spaced(records))) as { error: string }).error));
  });
});
