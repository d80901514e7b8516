import { TakeoutFormatError } from './errors.js';
import { htmlText } from './html-entities.js';
import type { TextSource } from './text-source.js';
import { normalizeSpaces } from './wording.js';

// Splits a Takeout "My Activity" HTML export into entries with plain searches, decoding one entry at a
// time: no DOM, so memory stays near the size of the file. Layout (spec §2.2): each entry is an
// `outer-cell` div holding a header cell (the product), a body content cell (the activity lines
// separated by <br>), an empty cell, and a caption cell (Products, Details, Why is this here?).

export interface HtmlEntry {
  /** Position in the export, from 1. */
  readonly index: number;
  /** The header cell's title, e.g. "YouTube" or "YouTube Music". */
  readonly header: string | null;
  /** Inner HTML of the body content cell. */
  readonly content: string;
  /** Inner HTML of the caption cell ('' when there is none). */
  readonly caption: string;
}

const OUTER_CELL = 'class="outer-cell';
const CONTENT_CELL = '<div class="content-cell';
const TITLE = 'mdl-typography--title';
const NOT_AN_EXPORT = 'an HTML file, but not a Takeout watch-history export (no activity entries found)';
/** The largest HTML without entries that is read whole to see whether it is an empty history. */
const EMPTY_EXPORT_MAX_BYTES = 4 * 1024 * 1024;

function incomplete(index: number): TakeoutFormatError {
  return new TakeoutFormatError(`entry ${index} is incomplete: the file looks truncated (export or download it again)`);
}

function headerOf(entry: string): string | null {
  const at = entry.indexOf(TITLE);
  if (at < 0) return null;
  const open = entry.indexOf('>', at);
  const close = entry.indexOf('</p>', open);
  if (open < 0 || close < 0) return null;
  return normalizeSpaces(htmlText(entry.slice(open + 1, close)));
}

function parseEntry(entry: string, index: number): HtmlEntry {
  let content: string | null = null;
  let caption = '';
  for (let at = entry.indexOf(CONTENT_CELL); at >= 0; at = entry.indexOf(CONTENT_CELL, at + 1)) {
    const classStart = at + CONTENT_CELL.length - 'content-cell'.length;
    const classEnd = entry.indexOf('"', classStart);
    const open = entry.indexOf('>', classEnd);
    const close = entry.indexOf('</div>', open);
    if (classEnd < 0 || open < 0 || close < 0) throw incomplete(index);
    const classes = entry.slice(classStart, classEnd);
    const inner = entry.slice(open + 1, close);
    if (classes.includes('mdl-typography--caption')) caption = inner;
    else if (content === null && !classes.includes('text-right')) content = inner;
    at = close;
  }
  if (content === null) throw new TakeoutFormatError(`entry ${index} has no content cell: not a Takeout My Activity layout`);
  return { index, header: headerOf(entry), content, caption };
}

/** Yields the entries of a Takeout HTML export, in document order. */
export function* htmlEntries(source: TextSource): Generator<HtmlEntry> {
  let start = source.findText(OUTER_CELL, source.start);
  if (start < 0) {
    // An export without entries is a page of a few kilobytes; anything large without entries is no export.
    if (source.length - source.start > EMPTY_EXPORT_MAX_BYTES) throw new TakeoutFormatError(NOT_AN_EXPORT);
    const html = source.text(source.start, source.length);
    if (/<body[^>]*>\s*(?:<div class="mdl-grid">\s*<\/div>\s*)?<\/body>/i.test(html)) return; // an empty history
    throw new TakeoutFormatError(NOT_AN_EXPORT);
  }
  // A download cut short loses the closing tags first; refuse it rather than count a partial history.
  const tail = Math.max(start, source.length - 4096);
  if (source.findText('</body>', tail) < 0 && source.findText('</html>', tail) < 0) {
    throw new TakeoutFormatError('the HTML ends before its closing </body> tag: the file looks truncated (export or download it again)');
  }
  let index = 0;
  while (start >= 0) {
    const next = source.findText(OUTER_CELL, start + OUTER_CELL.length);
    index++;
    yield parseEntry(source.text(start, next < 0 ? source.length : next), index);
    start = next;
  }
}
