import type { TakeoutActivity } from './activity.js';
import { type TakeoutParseResult, TakeoutCollector } from './collector.js';
import { TakeoutFormatError } from './errors.js';
import { jsonArrayElements } from './json-array-scanner.js';
import { type TakeoutJsonEntry, validateTakeoutJsonEntry } from './json-entry.js';
import type { TakeoutParseOptions } from './options.js';
import { type TextSource, sourceOf } from './text-source.js';
import { resolveJsonTime } from './timestamp.js';
import { stripWatchedWording } from './wording.js';

function activityOf(entry: TakeoutJsonEntry): TakeoutActivity {
  // The channel is the entry's own first subtitle, never a neighbour's.
  const channel = entry.subtitles?.[0];
  return {
    header: entry.header ?? null,
    text: entry.title,
    link: entry.titleUrl ?? null,
    videoTitle: stripWatchedWording(entry.title),
    channelTitle: channel?.name ?? null,
    channelUrl: channel?.url ?? null,
    hasDetails: (entry.details?.length ?? 0) > 0,
    timestamp: resolveJsonTime(entry.time),
  };
}

function parseElement(source: TextSource, json: string, start: number, where: string): unknown {
  try {
    return JSON.parse(json);
  } catch (error) {
    // V8 names a position for some syntax errors only; otherwise the entry's start is the best pointer.
    const message = (error as Error).message;
    const at = /at position (\d+)/.exec(message);
    const position = at ? `at ${source.position(source.offsetIn(start, json, Number(at[1])))}` : `starting at ${source.position(start)}`;
    throw new TakeoutFormatError(`invalid JSON in ${where} ${position}: ${message.replace(/ in JSON at position \d+.*$/s, '')}`);
  }
}

/**
 * Parses watch-history.json entry by entry, from a string or from UTF-8 bytes. Times are exact UTC
 * instants; the `\u003d` escapes in URLs are undone by JSON parsing itself.
 */
export function parseTakeoutJson(input: string | Uint8Array, options: TakeoutParseOptions = {}): TakeoutParseResult {
  const source = sourceOf(input);
  const collector = new TakeoutCollector('takeout-json', options.sourceTimeZone ?? null);
  for (const element of jsonArrayElements(source, 'a Takeout watch-history export')) {
    const where = `entry ${element.index}`;
    const value = parseElement(source, element.json, element.start, where);
    const entry = validateTakeoutJsonEntry(value, () => `${where} (${source.position(element.start)})`);
    collector.add(activityOf(entry));
  }
  return collector.finish();
}
