import { DuplicateRecordIdError } from '../core/normalize.js';
import type { InputRecord } from '../core/record.js';
import { InvalidTimeZoneError } from '../core/time/zone.js';
import { UsageError } from '../errors.js';
import { type TakeoutFormat, TakeoutFormatError, type TakeoutReport, detectTakeoutFormat, parseTakeout } from '../takeout/index.js';
import { FileChangedError } from './file-window.js';
import { InputError, type ReadOptions, parseRecordsDocument, readRecordsDocument } from './records-document.js';
import { decodeText, isUtf16, looksLikeBomlessUtf16, openFileWindow, readFileBytes } from './read-text.js';

export type InputFormat = 'records' | TakeoutFormat;

export interface LoadOptions {
  /** IANA zone for Takeout timestamps whose zone cannot be resolved otherwise (Takeout HTML only). */
  readonly sourceTimeZone?: string;
  /** Accept Takeout exports only: a records file or anything else is a usage error. */
  readonly takeoutOnly?: boolean;
  /** Files larger than this are refused before they are read (--max-input-size); default 1 GiB. */
  readonly maxBytes?: number;
}

export interface LoadedRecords {
  readonly records: InputRecord[];
  readonly format: InputFormat;
  /** What the Takeout parser found; absent for records files. */
  readonly report?: TakeoutReport;
}

function notTakeout(input: string | Uint8Array, source: string): string {
  try {
    parseRecordsDocument(input, source);
    return `${source}: a records file, not a Takeout export (agg compute reads it as it is)`;
  } catch {
    return `${source}: not a Takeout watch-history export (expected watch-history.json or watch-history.html)`;
  }
}

/**
 * Reads input of any supported format, detected by content: a records file (JSON array or JSON Lines
 * of input records), or a Takeout watch-history export (JSON or HTML). Both are parsed from their UTF-8
 * bytes, entry by entry (line by line, element by element), so a large file is never held as one
 * string. Errors become usage errors naming `source`.
 */
export function parseInput(input: string | Uint8Array, source: string, options: LoadOptions = {}): LoadedRecords {
  try {
    if (typeof input !== 'string' && (isUtf16(input) || looksLikeBomlessUtf16(input))) input = decodeText(input, source);
    const takeout = detectTakeoutFormat(input);
    if (takeout === null) {
      if (options.takeoutOnly) throw new UsageError(notTakeout(input, source));
      return { records: parseRecordsDocument(input, source), format: 'records' };
    }
    const { records, report } = parseTakeout(input, options.sourceTimeZone === undefined ? {} : { sourceTimeZone: options.sourceTimeZone });
    return { records, format: report.format, report };
  } catch (error) {
    throw asUsageError(error, source);
  }
}

function asUsageError(error: unknown, source: string): unknown {
  if (error instanceof InputError) return new UsageError(error.message);
  if (error instanceof TakeoutFormatError) return new UsageError(`${source}: ${error.message}`);
  if (error instanceof InvalidTimeZoneError) return new UsageError(`source time zone "${error.timeZone}" is not an IANA time zone`);
  if (error instanceof FileChangedError) return new UsageError(error.message);
  return error;
}

/**
 * Reads an input file of any supported format, detected by content, refusing one over the size limit
 * before reading it; errors become usage errors. A records file (UTF-8, a regular file) is read
 * through a window, never whole, so memory holds its records and about a megabyte of the file; the
 * Takeout formats and anything that is not a regular file are read whole.
 */
export async function loadRecordsFile(path: string, options: LoadOptions = {}): Promise<LoadedRecords> {
  const records: InputRecord[] = [];
  const { format, report } = await streamRecordsFile(path, options, (batch) => {
    for (const record of batch) records.push(record);
  });
  return report === undefined ? { records, format } : { records, format, report };
}

/**
 * loadRecordsFile's work, handing the records to `sink` in batches as they are parsed (a records file;
 * a Takeout export's records come in one batch once it is parsed whole). When it throws, batches
 * already handed over are to be discarded: the file was bad, or changed while it was read.
 */
export async function streamRecordsFile(
  path: string,
  options: LoadOptions,
  sink: (batch: readonly InputRecord[]) => void,
  read: ReadOptions = {},
): Promise<Omit<LoadedRecords, 'records'>> {
  const opened = options.takeoutOnly ? null : openFileWindow(path, options.maxBytes);
  if (opened !== null) {
    const { source, head, unchanged } = opened;
    try {
      if (!isUtf16(head) && !looksLikeBomlessUtf16(head) && detectTakeoutFormat(head) === null) {
        try {
          readRecordsDocument(source, path, sink, read);
        } catch (error) {
          if (error instanceof DuplicateRecordIdError && read.sinkNormalizes === true) throw await locatedDuplicate(path, options);
          throw asUsageError(error, path);
        }
        if (!unchanged()) throw asUsageError(new FileChangedError(path), path);
        return { format: 'records' };
      }
    } finally {
      source.close();
    }
  }
  const { records, ...rest } = parseInput(await readFileBytes(path, options.maxBytes), path, options);
  sink(records);
  return rest;
}

/**
 * The duplicate a normalizing sink found, named by its lines: the file read again with the reader's
 * own id check, which stops at the same record. Should the file have changed meanwhile, that is said.
 */
async function locatedDuplicate(path: string, options: LoadOptions): Promise<unknown> {
  try {
    await streamRecordsFile(path, options, () => undefined);
  } catch (error) {
    return error;
  }
  return asUsageError(new FileChangedError(path), path);
}
