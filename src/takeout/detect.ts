import { jsonArrayElements } from './json-array-scanner.js';
import type { TakeoutFormat } from './report.js';
import { headOf, stringSource } from './text-source.js';

/** Enough of the start of a file to see its first entry. */
const HEAD = 65_536;

const TAKEOUT_KEYS: ReadonlySet<string> = new Set(['header', 'titleUrl', 'subtitles', 'activityControls', 'products']);

function firstNonSpace(text: string): number {
  let i = 0;
  while (i < text.length && /\s/.test(text[i]!)) i++;
  return i;
}

function isTakeoutActivity(keys: readonly string[]): boolean {
  if (keys.includes('watchedAt')) return false;
  return keys.some((key) => TAKEOUT_KEYS.has(key)) || (keys.includes('title') && keys.includes('time'));
}

/** Keys of the array's first element; from a plain key scan when it cannot be parsed (truncated, say). */
function firstElementKeys(text: string, start: number): string[] {
  try {
    const first = jsonArrayElements(stringSource(text), 'JSON').next();
    if (!first.done) {
      const value: unknown = JSON.parse(first.value.json);
      return value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : [];
    }
    return [];
  } catch {
    return [...text.slice(start).matchAll(/"([A-Za-z]+)"\s*:/g)].map((m) => m[1]!);
  }
}

/**
 * Which Takeout export the text is, by content alone: HTML, or a JSON array whose first element is an
 * activity (header, title, titleUrl, time, …) rather than an input record. Null for anything else.
 */
export function detectTakeoutFormat(input: string | Uint8Array): TakeoutFormat | null {
  const text = headOf(input, HEAD);
  const start = firstNonSpace(text);
  const first = text[start];
  if (first === '<') return 'takeout-html';
  if (first !== '[') return null;
  return isTakeoutActivity(firstElementKeys(text, start)) ? 'takeout-json' : null;
}
