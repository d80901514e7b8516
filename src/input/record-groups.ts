import type { InputRecord } from '../core/record.js';
import { withBlockChecks } from '../takeout/block-checked.js';
import type { ArrayPosition } from '../takeout/json-array-scanner.js';
import type { TextSource } from '../takeout/text-source.js';
import { type SharedStrings, plainRecord } from './plain-record.js';

// A records array written without spaces between its elements (as JSON.stringify and agg write it) is
// read many records at a time: the text up to a `},{` is handed to one JSON.parse as an array. Finding
// each element's end by scanning its characters in JavaScript, and one JSON.parse per element, cost a
// third of reading a large file. Such a cut is at a boundary between elements exactly when its group
// parses: a `},{` inside a string leaves that string open, one inside an element leaves its brackets
// open, and JSON.parse refuses both. Anything the group cannot take (a cut that was not a boundary
// after a few tries, a record that is not plain, bytes that are not UTF-8, bad JSON) is left to the
// element-by-element reader from the group's first element on, which says what is wrong and where.

/** Bytes of text per group, about fifty records: small enough to die young once normalized. */
const GROUP_BYTES = 16 * 1024;
/** Cuts tried for one group before the rest is left to the element-by-element reader. */
const CUTS_TRIED = 3;
/** How far past the group's size a cut is looked for, so that a file with spaces between elements is not searched to its end. */
const SEARCH_BYTES = 4 * GROUP_BYTES;

/** The offset just past the first `}` at or after `from` that a `,{` follows, or -1 before `limit`. */
function nextCut(source: TextSource, from: number, limit: number): number {
  for (let brace = source.find(0x7d, from); brace >= 0 && brace < limit; brace = source.find(0x7d, brace + 1)) {
    if (source.code(brace + 1) === 0x2c && source.code(brace + 2) === 0x7b) return brace + 1;
  }
  return -1;
}

/** The records of the elements in [start, end) when that text is whole elements of plain records, else null. */
function parseGroup(texts: TextSource, start: number, end: number, shared: SharedStrings | undefined): InputRecord[] | null {
  let values: unknown;
  try {
    values = JSON.parse(`[${texts.text(start, end)}]`);
  } catch {
    return null;
  }
  const records = values as unknown[];
  for (let i = 0; i < records.length; i++) {
    const record = plainRecord(records[i], shared);
    if (record === null) return null;
    records[i] = record;
  }
  return records as InputRecord[];
}

/**
 * Reads the records array opening at `open` (the offset of its `[`) group by group, handing each
 * record to `add` with its position in the array (from 1), and answers where the element-by-element
 * reader takes over: at the latest the last group's worth of elements, whose end this does not look
 * for. Null when the array does not start as this reads it (`[{`).
 */
export function readRecordGroups(source: TextSource, open: number, shared: SharedStrings | undefined, add: (record: InputRecord, index: number) => void): ArrayPosition | null {
  if (source.code(open + 1) !== 0x7b) return null;
  const texts = withBlockChecks(source);
  let start = open + 1;
  let index = 0;
  for (;;) {
    let records: InputRecord[] | null = null;
    let end = start + GROUP_BYTES;
    for (let tried = 0; tried < CUTS_TRIED && records === null; tried++) {
      end = nextCut(source, end, start + GROUP_BYTES + SEARCH_BYTES);
      if (end < 0) break;
      records = parseGroup(texts, start, end, shared);
    }
    if (records === null) return { offset: start, index };
    for (const record of records) add(record, ++index);
    source.release?.(end);
    start = end + 1;
  }
}
