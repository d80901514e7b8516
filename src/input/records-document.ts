import { z } from 'zod';
import { type InputRecord, inputRecordSchema } from '../core/record.js';

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

/** True when the text looks like JSON Lines of objects rather than one JSON document. */
function looksLikeJsonLines(text: string): boolean {
  const start = text.search(/\S/);
  if (start < 0 || text[start] !== '{') return false;
  const newline = text.indexOf('\n', start);
  if (newline < 0) return false;
  try {
    JSON.parse(text.slice(start, newline));
    return true;
  } catch {
    return false;
  }
}

/**
 * Parses a records file: a JSON array of input records, or JSON Lines with one record per line.
 * Every record is validated; ids must be unique. Errors name the line or index and the field.
 */
export function parseRecordsDocument(text: string, source: string): InputRecord[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') throw new InputError(source, '', 'the file is empty (expected a JSON array of records or JSON Lines)');
  const records: InputRecord[] = [];
  const ids = new Map<string, string>();
  const add = (record: InputRecord, location: string): void => {
    const previous = ids.get(record.id);
    if (previous !== undefined) throw new InputError(source, location, `duplicate record id ${JSON.stringify(record.id)} (first at ${previous})`);
    ids.set(record.id, location);
    records.push(record);
  };
  if (looksLikeJsonLines(body)) {
    const lines = body.split('\n');
    lines.forEach((line, index) => {
      if (line.trim() === '') return;
      const location = String(index + 1);
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (error) {
        throw new InputError(source, location, `not valid JSON (${parseProblem(error)})`);
      }
      add(validateRecord(value, source, location), location);
    });
    return records;
  }
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw new InputError(source, '', `not valid JSON or JSON Lines (${parseProblem(error)})`);
  }
  if (!Array.isArray(value)) throw new InputError(source, '', 'expected a JSON array of records or JSON Lines, got a single JSON value');
  value.forEach((item, index) => {
    const location = `record ${index + 1}`;
    add(validateRecord(item, source, location), location);
  });
  return records;
}
