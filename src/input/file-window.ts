import { isUtf8 } from 'node:buffer';
import { closeSync, readSync } from 'node:fs';
import { type TextSource, decodeEntry, findAscii } from '../takeout/text-source.js';

// A records file read through a window rather than whole: the scanners ask for bytes at increasing
// offsets and say, after each line or array element, that nothing before it will be asked for again
// (`release`), so memory holds the window (about one chunk) instead of the file beside its records.

const CHUNK_BYTES = 1024 * 1024;

/** The file changed size while it was read: what was read cannot be trusted to be one document. */
export class FileChangedError extends Error {
  constructor(readonly path: string) {
    super(`${path}: the file changed while it was read (read it again once it is complete)`);
    this.name = 'FileChangedError';
  }
}

export interface FileWindowSource extends TextSource {
  /** Closes the file; the source answers nothing afterwards. */
  close(): void;
  /** Bytes the window holds now (its capacity): what reading the file costs in memory. */
  readonly windowBytes: number;
}

/**
 * A TextSource over the UTF-8 bytes of an open regular file of `size` bytes (the file descriptor is
 * the source's from now on: `close()` closes it). Bytes are read on demand, one chunk at a time; a line
 * or element longer than a chunk widens the window to hold it.
 */
export function fileWindowSource(fd: number, size: number, path: string, chunkBytes = CHUNK_BYTES): FileWindowSource {
  const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const lenient = new TextDecoder('utf-8', { ignoreBOM: true });
  let window = Buffer.allocUnsafe(Math.min(Math.max(size, 1), chunkBytes));
  /** File offset of window[0]. */
  let base = 0;
  /** Bytes of the window that hold file content. */
  let filled = 0;
  /** Nothing before this offset will be asked for again. */
  let released = 0;
  let open = true;

  /** Reads `length` bytes at `position` into `target` at `offset`; a short read means the file shrank. */
  const readFully = (target: Buffer, offset: number, length: number, position: number): void => {
    let done = 0;
    while (done < length) {
      const n = readSync(fd, target, offset + done, length - done, position + done);
      if (n === 0) throw new FileChangedError(path);
      done += n;
    }
  };

  /** Makes [base, end) present in the window (end clamped to the file's size). */
  const ensure = (end: number): void => {
    if (!open) throw new Error(`${path}: read after close`);
    end = Math.min(end, size);
    if (end <= base + filled) return;
    // Read a chunk beyond what is needed, so scanning byte by byte does not read byte by byte.
    const target = Math.min(size, Math.max(end, base + filled + chunkBytes));
    const keepFrom = Math.max(base, Math.min(released, base + filled));
    const kept = base + filled - keepFrom;
    const needed = target - keepFrom;
    if (needed > window.length) {
      const wider = Buffer.allocUnsafe(Math.max(needed, Math.min(size - keepFrom, window.length * 2)));
      window.copy(wider, 0, keepFrom - base, base + filled - base);
      window = wider;
    } else if (keepFrom > base) {
      window.copy(window, 0, keepFrom - base, base + filled - base);
    }
    base = keepFrom;
    filled = kept;
    readFully(window, filled, target - (base + filled), base + filled);
    filled = target - base;
  };

  const at = (i: number): number => {
    if (i < base) throw new Error(`${path}: offset ${i} asked for after it was released`);
    return i - base;
  };

  const bomLength = (): number => {
    ensure(3);
    return size >= 3 && window[0] === 0xef && window[1] === 0xbb && window[2] === 0xbf ? 3 : 0;
  };

  const source: FileWindowSource = {
    start: bomLength(),
    length: size,
    // The scanners call these for nearly every byte: the loaded case comes first, with no call and no
    // allocation (a subarray per call cost a tenth of a large file's parse).
    code: (i) => {
      const k = i - base;
      if (k >= 0 && k < filled) return window[k]!;
      if (i >= size || i < 0) return NaN;
      ensure(i + 1);
      return window[at(i)]!;
    },
    find: (code, from) => {
      let i = Math.max(from, 0);
      for (;;) {
        if (i >= size) return -1;
        if (i >= base + filled) ensure(i + 1);
        // Bytes past `filled` are stale: a match there only says there is none before it.
        const found = window.indexOf(code, at(i));
        if (found >= 0 && found < filled) return base + found;
        i = base + filled;
      }
    },
    findText: (ascii, from) => findAscii(ascii, from, source.find, source.code),
    text: (start, end) => {
      ensure(end);
      return decodeEntry(strict, window.subarray(at(start), at(end)), start, source);
    },
    isUtf8: (start, end) => {
      ensure(end);
      return isUtf8(window.subarray(at(start), at(end)));
    },
    trustedText: (start, end) => {
      ensure(end);
      return window.toString('utf8', at(start), at(end));
    },
    // Messages only: read the file again from its start, a chunk at a time, counting lines.
    position: (offset) => {
      const chunk = Buffer.allocUnsafe(Math.min(chunkBytes, Math.max(size, 1)));
      let line = 1;
      let lineStart = 0;
      for (let position = 0; position < offset; position += chunk.length) {
        const length = Math.min(chunk.length, offset - position);
        readFully(chunk, 0, length, position);
        for (let i = chunk.indexOf(0x0a); i >= 0 && i < length; i = chunk.indexOf(0x0a, i + 1)) {
          line++;
          lineStart = position + i + 1;
        }
      }
      const column = Buffer.allocUnsafe(offset - lineStart);
      readFully(column, 0, column.length, lineStart);
      return `line ${line}, column ${lenient.decode(column).length + 1}`;
    },
    offsetIn: (start, text, index) => start + Buffer.byteLength(text.slice(0, index)),
    release: (offset) => {
      if (offset > released) released = offset;
    },
    chunkBytes,
    close: () => {
      if (open) closeSync(fd);
      open = false;
    },
    get windowBytes() {
      return window.length;
    },
  };
  return source;
}
