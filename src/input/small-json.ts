import { UsageError } from '../errors.js';
import { formatSize } from '../text/sizes.js';
import { jsonTooDeepAt, tooDeepProblem } from '../core/json-depth.js';
import { FileTooLargeError, MAX_SMALL_FILE_BYTES, readBoundedFile } from './bounded-read.js';
import { decodeText } from './read-text.js';

// Small JSON documents agg is configured with (a --grid file, agg.config.json): at most 1 MiB, UTF-8,
// nested no deeper than any input may be. Callers word the errors of opening the file themselves.

/**
 * The text of a small file. `label` starts messages (e.g. `--grid grid.json`) and `what` names the kind
 * of file in them, without an article (`grid file`); throws Node's errno errors when the file cannot be read, for the caller to word.
 */
export async function readSmallTextFile(path: string, label: string, what: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = await readBoundedFile(path, MAX_SMALL_FILE_BYTES);
  } catch (error) {
    if (error instanceof FileTooLargeError) {
      const size = error.sizeKnown ? formatSize(error.size) : `more than ${formatSize(error.limit)}`;
      throw new UsageError(`${label}: ${size} is over the ${formatSize(error.limit)} limit for a ${what} (no ${what} needs more)`);
    }
    throw error;
  }
  return decodeText(bytes, label);
}

/** Parses a small JSON document, refusing text nested deeper than any agg input may be. */
export function parseSmallJson(text: string, label: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (jsonTooDeepAt(body) >= 0) throw new UsageError(`${label}: ${tooDeepProblem()}`);
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new UsageError(`${label}: not valid JSON (${(error as Error).message.replace(/\s+/g, ' ')})`);
  }
}
