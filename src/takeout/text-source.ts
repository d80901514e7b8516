import { TakeoutFormatError } from './errors.js';

/**
 * An export's content, as a string or as UTF-8 bytes. The scanners only look for ASCII structure
 * (quotes, brackets, tags), which is the same code in both (UTF-8 never uses bytes below 0x80 inside
 * a multi-byte character), and decode text entry by entry. Given bytes, the parser never holds the
 * whole export as one string, which in V8 takes two bytes per character as soon as one character
 * needs it: memory then stays near the size of the file plus the records.
 */
export interface TextSource {
  /** Offset of the first character after a byte-order mark. */
  readonly start: number;
  readonly length: number;
  /** The code unit (string) or byte (UTF-8) at `i`; NaN past the end. */
  code(i: number): number;
  /** Index of the ASCII character `code` at or after `from`, or -1. */
  find(code: number, from: number): number;
  /** Index of an ASCII string at or after `from`, or -1. */
  findText(ascii: string, from: number): number;
  /** The text of [start, end). */
  text(start: number, end: number): string;
  /** "line L, column C" (both from 1) of an offset, for error messages. */
  position(offset: number): string;
  /** The offset of a character position inside `text(start, …)`. */
  offsetIn(start: number, text: string, index: number): number;
  /**
   * Nothing before `offset` will be asked for again (error positions aside): a source reading a file
   * through a window may let those bytes go. Sources holding their whole input ignore it.
   */
  release?(offset: number): void;
  /** Bytes a source reading through a window reads at a time: a caller reading in blocks keeps below it. */
  readonly chunkBytes?: number;
  /** Whether the bytes of [start, end) are well-formed UTF-8 (a byte source may offer it, with trustedText). */
  isUtf8?(start: number, end: number): boolean;
  /** The text of [start, end), which isUtf8 said is UTF-8 (of a range holding it): decoded with no second check. */
  trustedText?(start: number, end: number): string;
}

export function stringSource(text: string): TextSource {
  return {
    start: text.charCodeAt(0) === 0xfeff ? 1 : 0,
    length: text.length,
    code: (i) => text.charCodeAt(i),
    find: (code, from) => text.indexOf(String.fromCharCode(code), from),
    findText: (ascii, from) => text.indexOf(ascii, from),
    text: (start, end) => text.slice(start, end),
    position: (offset) => {
      let line = 1;
      let lineStart = 0;
      for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
        line++;
        lineStart = i + 1;
      }
      return `line ${line}, column ${offset - lineStart + 1}`;
    },
    offsetIn: (start, _text, index) => start + index,
  };
}

export function utf8Source(bytes: Uint8Array): TextSource {
  const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const lenient = new TextDecoder('utf-8', { ignoreBOM: true });
  const code = (i: number): number => (i < bytes.length ? bytes[i]! : NaN);
  const find = (c: number, from: number): number => bytes.indexOf(c, from);
  const source: TextSource = {
    start: bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0,
    length: bytes.length,
    code,
    find,
    findText: (ascii, from) => findAscii(ascii, from, find, code),
    text: (start, end) => decodeEntry(strict, bytes.subarray(start, end), start, source),
    position: (offset) => {
      let line = 1;
      let lineStart = 0;
      for (let i = bytes.indexOf(0x0a); i >= 0 && i < offset; i = bytes.indexOf(0x0a, i + 1)) {
        line++;
        lineStart = i + 1;
      }
      return `line ${line}, column ${lenient.decode(bytes.subarray(lineStart, offset)).length + 1}`;
    },
    offsetIn: (start, text, index) => start + new TextEncoder().encode(text.slice(0, index)).length,
  };
  return source;
}

/** Index of an ASCII string at or after `from` in a byte source, or -1: its first byte by `find`, then the rest. */
export function findAscii(ascii: string, from: number, find: (code: number, from: number) => number, code: (i: number) => number): number {
  const first = ascii.charCodeAt(0);
  for (let i = find(first, from); i >= 0; i = find(first, i + 1)) {
    let j = 1;
    while (j < ascii.length && code(i + j) === ascii.charCodeAt(j)) j++;
    if (j === ascii.length) return i;
  }
  return -1;
}

/** The strict UTF-8 text of one entry's bytes (starting at `start` in `source`), or a TakeoutFormatError naming where. */
export function decodeEntry(strict: { decode(bytes: Uint8Array): string }, bytes: Uint8Array, start: number, source: Pick<TextSource, 'position'>): string {
  try {
    return strict.decode(bytes);
  } catch (error) {
    // A RangeError: more text than one JS string can hold (about 512 MiB), which no entry is.
    if (error instanceof RangeError) throw new TakeoutFormatError(`${bytes.length} bytes of text without a break near ${source.position(start)}: too large to be one entry`);
    throw new TakeoutFormatError(`not UTF-8 text near ${source.position(start)} (save the file as UTF-8)`);
  }
}

export function sourceOf(input: string | Uint8Array): TextSource {
  return typeof input === 'string' ? stringSource(input) : utf8Source(input);
}

/** The first characters of the input (after any BOM), decoded leniently: enough to tell formats apart. */
export function headOf(input: string | Uint8Array, length: number): string {
  if (typeof input === 'string') {
    const start = input.charCodeAt(0) === 0xfeff ? 1 : 0;
    return input.slice(start, start + length);
  }
  const start = input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf ? 3 : 0;
  let end = Math.min(input.length, start + length);
  // Not through the middle of a character: back up over continuation bytes.
  while (end < input.length && end > start && (input[end]! & 0xc0) === 0x80) end--;
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(input.subarray(start, end));
}
