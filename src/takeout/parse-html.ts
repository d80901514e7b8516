import { ZoneClock } from '../core/time/zone.js';
import type { TakeoutActivity } from './activity.js';
import { type TakeoutParseResult, TakeoutCollector } from './collector.js';
import { detached } from './detach.js';
import { decodeHtmlEntities, htmlText } from './html-entities.js';
import { type HtmlEntry, htmlEntries } from './html-entry-scanner.js';
import { resolveHtmlTimestamp } from './html-timestamp.js';
import type { TakeoutParseOptions } from './options.js';
import { sourceOf } from './text-source.js';
import { isChannelUrl, videoLinkOf } from './watch-url.js';
import { isDetailsLabel, normalizeSpaces } from './wording.js';

const LINE_BREAK = /<br\s*\/?>/i;
const ANCHOR = /<a\b[^>]*?\bhref="([^"]*)"[^>]*>([\s\S]*?)<\/a>/gi;

interface Anchor {
  readonly href: string;
  readonly inner: string;
}

function anchorsOf(content: string): Anchor[] {
  const anchors: Anchor[] = [];
  for (const match of content.matchAll(ANCHOR)) anchors.push({ href: decodeHtmlEntities(match[1]!), inner: match[2]! });
  return anchors;
}

/** A "Details:" section with text in the caption (Details: From Google Ads) marks an ad. */
function captionHasDetails(caption: string): boolean {
  const sections = caption.split(/<b>/i);
  for (let i = 1; i < sections.length; i++) {
    const section = sections[i]!;
    const labelEnd = section.search(/<\/b>/i);
    if (labelEnd < 0) continue;
    if (isDetailsLabel(htmlText(section.slice(0, labelEnd))) && normalizeSpaces(htmlText(section.slice(labelEnd + 4))) !== '') {
      return true;
    }
  }
  return false;
}

const NOT_SPACE = /[^\s\p{Zs}]/u;

/** The text of the first and of the last line that has any, or null. */
function firstAndLastText(lines: readonly string[]): [string, string] | null {
  let first = -1;
  let firstText = '';
  for (let i = 0; i < lines.length && first < 0; i++) {
    firstText = htmlText(lines[i]!);
    if (NOT_SPACE.test(firstText)) first = i;
  }
  if (first < 0) return null;
  for (let i = lines.length - 1; i > first; i--) {
    const text = htmlText(lines[i]!);
    if (NOT_SPACE.test(text)) return [firstText, text];
  }
  return [firstText, ''];
}

function activityOf(entry: HtmlEntry, sourceZone: ZoneClock | null): TakeoutActivity {
  const lines = firstAndLastText(entry.content.split(LINE_BREAK));
  const anchors = anchorsOf(entry.content);
  const video = anchors.find((anchor) => videoLinkOf(anchor.href) !== null);
  // The channel is the entry's own channel anchor; an entry without one has no channel.
  const channel = anchors.find((anchor) => anchor !== video && isChannelUrl(anchor.href));
  const link = video ?? anchors[0];
  // The first line is the activity itself; the timestamp is the last line after it.
  const [text, timestampLine] = lines ?? ['', ''];
  return {
    header: entry.header,
    text,
    // Records keep these: copies, so they do not hold the decoded entry they were cut from.
    link: link === undefined ? null : detached(link.href),
    videoTitle: video === undefined ? null : detached(htmlText(video.inner)),
    channelTitle: channel === undefined ? null : detached(htmlText(channel.inner)),
    channelUrl: channel === undefined ? null : detached(channel.href),
    hasDetails: captionHasDetails(entry.caption),
    timestamp: resolveHtmlTimestamp(timestampLine, sourceZone),
  };
}

/** Parses watch-history.html entry by entry, from a string or UTF-8 bytes (spec §2.2, timestamps §2.6). */
export function parseTakeoutHtml(input: string | Uint8Array, options: TakeoutParseOptions = {}): TakeoutParseResult {
  const sourceZone = options.sourceTimeZone === undefined ? null : new ZoneClock(options.sourceTimeZone);
  const collector = new TakeoutCollector('takeout-html', sourceZone?.timeZone ?? null);
  for (const entry of htmlEntries(sourceOf(input))) collector.add(activityOf(entry, sourceZone));
  return collector.finish();
}
