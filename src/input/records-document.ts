import { z } from 'zod';
import { jsonTooDeepAt, tooDeepProblem } from '../core/json-depth.js';
import { type InputRecord, inputRecordSchema } from '../core/record.js';
import { TakeoutFormatError } from '../takeout/errors.js';
import { jsonArrayElements } from '../takeout/json-array-scanner.js';
import { withBlockChecks } from '../takeout/block-checked.js';
import { type TextSource, sourceOf } from '../takeout/text-source.js';
import { SharedStrings, plainRecord } from './plain-record.js';
import { readRecordGroups } from './record-groups.js';

/** A problem in an input document, located well enough for a one-line message. */
export class InputError extends Error {
  constructor(
    readonly source: string,
    readonly location: string,
    readonly problem: string,
  ) {
    super(`${source}${location === '' ? '' : /^\d+$/.test(location) ? `:${location}` : ` (${location})`}: ${problem}`);
  }
}

function describeIssue(issue: z.core.$ZodIssue, value: unknown): string {
  const path = issue.path.join('.');
  let got = '';
  if (issue.path.length > 0) {
    let current: unknown = value;
    for (const key of issue.path) current = current !== null && typeof current === 'object' ? (current as Record<PropertyKey, unknown>)[key] : undefined;
    got = current === undefined ? ' (missing)' : ` (got ${truncate(JSON.stringify(current))})`;
  }
  return `${path ? `${path}: ` : ''}${issue.message}${got}`;
}

/** A JSON.parse message on one line: V8 quotes the text it choked on, newlines and all. */
function parseProblem(error: unknown): string {
  return (error as Error).message.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/ {2,}/g, ' ');
}

function truncate(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function validateRecord(value: unknown, source: string, location: string): InputRecord {
  const parsed = inputRecordSchema.safeParse(value);
  if (!parsed.success) throw new InputError(source, location, `invalid record: ${describeIssue(parsed.error.issues[0]!, value)}`);
  return parsed.data;
}

function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** The text of [start, end), with a message naming `location` for bytes that are not UTF-8. */
function textOf(source: TextSource, start: number, end: number, file: string, location: string | (() => string)): string {
  try {
    return source.text(start, end);
  } catch (error) {
    if (error instanceof TakeoutFormatError) throw new InputError(file, typeof location === 'string' ? location : location(), error.message.replace(/ near line \d+, column \d+/, ''));
    throw error;
  }
}

/** Parses one JSON text; `what` (computed only on failure) says what was wrong, e.g. "not valid JSON". */
function parseJson(text: string, file: string, location: string, what: () => string): unknown {
  if (jsonTooDeepAt(text) >= 0) throw new InputError(file, location, tooDeepProblem());
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(file, location, `${what()} (${parseProblem(error)})`);
  }
}

/**
 * Parses and validates one record's JSON text, with the outcome of parseJson then validateRecord, but
 * quicker in the common case: a plain valid record (see plainRecord) nests two levels deep at most, so
 * its text needs no depth check. Anything else is checked for depth first, as parseJson does, so a
 * text both too deep and invalid is still refused as too deep. `location` is computed only on failure.
 */
function parseRecord(text: string, file: string, location: () => string, what: () => string, shared: SharedStrings | undefined): InputRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    if (jsonTooDeepAt(text) >= 0) throw new InputError(file, location(), tooDeepProblem());
    throw new InputError(file, location(), `${what()} (${parseProblem(error)})`);
  }
  const record = plainRecord(value, shared);
  if (record !== null) return record;
  if (jsonTooDeepAt(text) >= 0) throw new InputError(file, location(), tooDeepProblem());
  return validateRecord(value, file, location());
}

/** End of the line starting at `start` (the offset of its newline, or the end of the source). */
function lineEnd(source: TextSource, start: number): number {
  const newline = source.find(0x0a, start);
  return newline < 0 ? source.length : newline;
}

/** True when the source looks like JSON Lines of objects rather than one JSON document. */
function looksLikeJsonLines(source: TextSource, first: number, file: string): boolean {
  if (source.code(first) !== 0x7b) return false;
  const newline = source.find(0x0a, first);
  if (newline < 0) return false;
  try {
    JSON.parse(textOf(source, first, newline, file, ''));
    return true;
  } catch (error) {
    if (error instanceof InputError) throw error;
    return false;
  }
}

/** The array scanner's words for a records file: what it says about the JSON leads with "not valid JSON". */
function asRecordsProblem(message: string): string {
  if (message.startsWith('invalid JSON')) return message.replace('invalid JSON', 'not valid JSON');
  return message.startsWith('the JSON') ? `not valid JSON: ${message}` : message;
}

/** Texts larger than this are never decoded as one string: V8 strings stop at about 512 MiB. */
const MAX_DOCUMENT_TEXT = 256 * 1024 * 1024;

/** Records handed to a sink at a time: small enough that each batch dies young once the sink is done. */
export const RECORD_BATCH = 1024;

/**
 * Parses a records file: a JSON array of input records, or JSON Lines with one record per line, from a
 * string or from UTF-8 bytes. Bytes are never decoded as one string: each line or array element is
 * decoded and parsed alone, so the file is in memory once, beside its records. Every record is
 * validated; ids must be unique. Errors name the line or index and the field.
 */
export function parseRecordsDocument(input: string | Uint8Array | TextSource, file: string): InputRecord[] {
  const records: InputRecord[] = [];
  readRecordsDocument(input, file, (batch) => {
    for (const record of batch) records.push(record);
  });
  return records;
}

/** What the sink of readRecordsDocument does itself, so that the reader need not do it again. */
export interface ReadOptions {
  /**
   * The sink is a RecordNormalizer: it refuses a repeated id (DuplicateRecordIdError, which names no
   * line) and keeps one copy of each channel string. The reader then does neither (a tenth of a large
   * file's parse); a caller that wants the line named reads the file again without this.
   */
  readonly sinkNormalizes?: boolean;
}

/**
 * parseRecordsDocument's work, handing the records to `sink` in batches of RECORD_BATCH as they are
 * parsed, so a caller that keeps only a digest of them (a normalized dataset) never holds them all.
 * A problem further on throws after earlier batches were handed over: the sink's caller discards what it built.
 */
export function readRecordsDocument(input: string | Uint8Array | TextSource, file: string, sink: (batch: readonly InputRecord[]) => void, options: ReadOptions = {}): void {
  const source = typeof input === 'string' || input instanceof Uint8Array ? sourceOf(input) : input;
  let first = source.start;
  while (first < source.length && isJsonSpace(source.code(first))) first++;
  if (first >= source.length) throw new InputError(file, '', 'the file is empty (expected a JSON array of records or JSON Lines)');
  let batch: InputRecord[] = [];
  // Each id's line or element number, named the way `where` says (only when a duplicate is found).
  const ids = options.sinkNormalizes === true ? null : new Map<string, number>();
  const shared = options.sinkNormalizes === true ? undefined : new SharedStrings();
  const add = (record: InputRecord, at: number, where: (at: number) => string): void => {
    if (ids !== null) {
      const previous = ids.get(record.id);
      if (previous !== undefined) throw new InputError(file, where(at), `duplicate record id ${JSON.stringify(record.id)} (first at ${where(previous)})`);
      ids.set(record.id, at);
    }
    batch.push(record);
    if (batch.length === RECORD_BATCH) {
      sink(batch);
      batch = [];
    }
  };
  const flush = (): void => {
    if (batch.length > 0) sink(batch);
    batch = [];
  };
  if (looksLikeJsonLines(source, first, file)) {
    const where = (line: number): string => String(line);
    let line = 0;
    const addLine = (text: string): void => {
      const at = ++line;
      if (text.trim() !== '') add(parseRecord(text, file, () => where(at), () => 'not valid JSON', shared), at, where);
    };
    // Lines are decoded under one UTF-8 check per block (decoding a block as one string instead made
    // every line two-byte text, slower to parse).
    const lines = withBlockChecks(source);
    for (let at = source.start; at < source.length; ) {
      const end = lineEnd(source, at);
      const number = line + 1;
      addLine(textOf(lines, at, end, file, () => where(number)));
      at = end + 1;
      source.release?.(at);
    }
    return flush();
  }
  if (source.code(first) === 0x5b) {
    const where = (index: number): string => `record ${index}`;
    try {
      const resume = readRecordGroups(source, first, shared, (record, index) => add(record, index, where)) ?? undefined;
      for (const element of jsonArrayElements(source, 'a records file', 'record', resume)) {
        add(parseRecord(element.json, file, () => where(element.index), () => `not valid JSON starting at ${source.position(element.start)}`, shared), element.index, where);
      }
    } catch (error) {
      if (error instanceof TakeoutFormatError) throw new InputError(file, '', asRecordsProblem(error.message));
      throw error;
    }
    return flush();
  }
  // Neither: one JSON value, or not JSON at all; parsed whole only to say which.
  if (source.length - first > MAX_DOCUMENT_TEXT) throw new InputError(file, '', 'not valid JSON or JSON Lines (expected a JSON array of records or JSON Lines)');
  parseJson(textOf(source, first, source.length, file, ''), file, '', () => 'not valid JSON or JSON Lines');
  throw new InputError(file, '', 'expected a JSON array of records or JSON Lines, got a single JSON value');
}
