// A bound on how deeply JSON input may nest. JSON.parse itself copes with any depth, but whatever walks
// the value afterwards (validation, canonical JSON, JSON.stringify in a message) recurses and can
// overflow the stack; nothing agg reads legitimately nests more than a few levels.

/** Deepest nesting of arrays and objects agg reads in any JSON input (the outermost array or object is level 1). */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPENERS = /[[{]/g;

/**
 * Offset of the bracket that opens level `limit + 1` in JSON text, or -1 when the text nests no deeper
 * than `limit`. Brackets inside strings do not count; the text need not be valid JSON (the parser says
 * what else is wrong with it).
 */
export function jsonTooDeepAt(text: string, limit: number = MAX_JSON_DEPTH): number {
  // Most texts hold fewer brackets than the limit in all: then they cannot nest deeper, whatever their order.
  OPENERS.lastIndex = 0;
  let openers = 0;
  while (OPENERS.test(text)) if (++openers > limit) break;
  if (openers <= limit) return -1;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === BACKSLASH) i++;
        else if (d === QUOTE) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return i;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return -1;
}

/** The problem with a text nested too deep, for one-line messages. */
export function tooDeepProblem(limit: number = MAX_JSON_DEPTH): string {
  return `nested deeper than ${limit} levels of arrays and objects (nothing agg reads needs more)`;
}
