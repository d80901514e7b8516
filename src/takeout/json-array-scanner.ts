import { MAX_JSON_DEPTH } from '../core/json-depth.js';
import { withBlockChecks } from './block-checked.js';
import { TakeoutFormatError } from './errors.js';
import type { TextSource } from './text-source.js';

// Finds the elements of a top-level JSON array one at a time, so a large export is parsed entry by
// entry (each element's text is decoded and handed to JSON.parse alone) and never held as one object
// graph.

export interface JsonArrayElement {
  /** Position in the array, from 1. */
  readonly index: number;
  /** Offset of the element's first character in the source. */
  readonly start: number;
  /** The element's JSON text. */
  readonly json: string;
}

function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipSpace(source: TextSource, i: number): number {
  while (i < source.length && isJsonSpace(source.code(i))) i++;
  return i;
}

/** Offset just past the string opening at `i`, or -1 when the source ends inside it. */
function stringEnd(source: TextSource, i: number): number {
  let from = i + 1;
  for (;;) {
    const quote = source.find(0x22, from);
    if (quote < 0) return -1;
    let backslashes = 0;
    for (let j = quote - 1; source.code(j) === 0x5c; j--) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** valueEnd's answer for a value that nests deeper than it may. */
const TOO_DEEP = -2;

/**
 * Offset just past the value starting at `i`, -1 when the source ends inside it, or TOO_DEEP when it
 * opens more than `maxDepth` levels. Brackets are only counted here; JSON.parse checks the element's
 * syntax afterwards.
 */
function valueEnd(source: TextSource, i: number, maxDepth: number): number {
  const first = source.code(i);
  if (first === 0x22) return stringEnd(source, i);
  if (first !== 0x7b && first !== 0x5b) {
    // A number or literal: up to the next delimiter.
    let j = i;
    while (j < source.length) {
      const c = source.code(j);
      if (c === 0x2c || c === 0x5d || c === 0x7d || isJsonSpace(c)) break;
      j++;
    }
    return j;
  }
  let depth = 0;
  let j = i;
  while (j < source.length) {
    const c = source.code(j);
    if (c === 0x22) {
      j = stringEnd(source, j);
      if (j < 0) return -1;
      continue;
    }
    if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return TOO_DEEP;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return j + 1;
    }
    j++;
  }
  return -1;
}

const TRUNCATED = 'the file looks truncated (export or download it again)';

/** An element's place in the array: its first character's offset and how many elements came before it. */
export interface ArrayPosition {
  readonly offset: number;
  readonly index: number;
}

/**
 * Yields the elements of the JSON array that makes up the source (after any byte-order mark). `item`
 * names an element in messages; no element may nest deeper than MAX_JSON_DEPTH with the array counted.
 * With `resume`, starts at that element, the ones before it having been read by other means.
 */
export function* jsonArrayElements(source: TextSource, what: string, item = 'entry', resume?: ArrayPosition): Generator<JsonArrayElement> {
  const elements = withBlockChecks(source);
  let i: number;
  let index: number;
  if (resume === undefined) {
    i = skipSpace(source, source.start);
    if (i >= source.length) throw new TakeoutFormatError('the file is empty');
    if (source.code(i) !== 0x5b) throw new TakeoutFormatError(`not ${what}: expected a JSON array of activities`);
    i = skipSpace(source, i + 1);
    index = 0;
  } else {
    ({ offset: i, index } = resume);
  }
  if (source.code(i) !== 0x5d) {
    for (;;) {
      index++;
      if (i >= source.length) throw new TakeoutFormatError(`the JSON ends inside ${item} ${index}: ${TRUNCATED}`);
      const end = valueEnd(source, i, MAX_JSON_DEPTH - 1);
      if (end === TOO_DEEP) throw new TakeoutFormatError(`${item} ${index} (${source.position(i)}) is nested deeper than ${MAX_JSON_DEPTH} levels of arrays and objects`);
      if (end < 0) throw new TakeoutFormatError(`the JSON ends inside ${item} ${index}: ${TRUNCATED}`);
      if (end === i) throw new TakeoutFormatError(`invalid JSON at ${source.position(i)}: expected ${item} ${index}`);
      yield { index, start: i, json: elements.text(i, end) };
      source.release?.(end);
      i = skipSpace(source, end);
      if (i >= source.length) throw new TakeoutFormatError(`the JSON ends after ${item} ${index} without closing its array: ${TRUNCATED}`);
      const c = source.code(i);
      if (c === 0x5d) break;
      if (c !== 0x2c) throw new TakeoutFormatError(`invalid JSON at ${source.position(i)}: expected "," or "]" after ${item} ${index}`);
      i = skipSpace(source, i + 1);
    }
  }
  i = skipSpace(source, i + 1);
  if (i < source.length) throw new TakeoutFormatError(`invalid JSON at ${source.position(i)}: unexpected text after the array`);
}
