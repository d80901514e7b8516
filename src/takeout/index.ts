// Pure parsers for Google Takeout watch-history exports: a string in, input records and a report out.
// No I/O, no clock, no Node built-ins, so they also run outside Node (Convex, a browser).
import type { TakeoutParseResult } from './collector.js';
import { detectTakeoutFormat } from './detect.js';
import { TakeoutFormatError } from './errors.js';
import type { TakeoutParseOptions } from './options.js';
import { parseTakeoutHtml } from './parse-html.js';
import { parseTakeoutJson } from './parse-json.js';

export type { TakeoutParseResult } from './collector.js';
export { detectTakeoutFormat } from './detect.js';
export { TakeoutFormatError } from './errors.js';
export type { TakeoutParseOptions } from './options.js';
export { parseTakeoutHtml } from './parse-html.js';
export { parseTakeoutJson } from './parse-json.js';
export { SKIP_KINDS, SKIP_KIND_LABELS, type SkipKind, type TakeoutFormat, type TakeoutReport } from './report.js';

/**
 * Parses a Takeout export of either format, detected by content. Give UTF-8 bytes rather than a string
 * for large exports: the parser then decodes one entry at a time.
 */
export function parseTakeout(input: string | Uint8Array, options: TakeoutParseOptions = {}): TakeoutParseResult {
  switch (detectTakeoutFormat(input)) {
    case 'takeout-json':
      return parseTakeoutJson(input, options);
    case 'takeout-html':
      return parseTakeoutHtml(input, options);
    default:
      throw new TakeoutFormatError('not a Takeout watch-history export (expected watch-history.json or watch-history.html)');
  }
}
