import { sha256Hex } from '../core/hash/sha256.js';
import type { ResolvedTimestamp } from './timestamp.js';
import { normalizeSpaces } from './wording.js';

/**
 * The identity of a watch: its time and its link (or, with no link, its title). Two entries with the
 * same identity are exact duplicates. The time is the instant when the text alone fixes it, otherwise
 * the timestamp text itself: distinct undated watches stay distinct, and ids do not depend on the
 * caller's source time zone. `watchedAt` is the timestamp's instant in ISO form.
 */
export function watchIdentity(timestamp: ResolvedTimestamp, watchedAt: string | null, videoUrl: string | null, text: string): string {
  const time = timestamp.exact && watchedAt !== null ? watchedAt : `text:${timestamp.raw}`;
  const subject = videoUrl !== null ? videoUrl : `title:${normalizeSpaces(text)}`;
  return `${time}\n${subject}`;
}

/**
 * Record ids from a watch identity's SHA-256: "tk-" and its first 16 hex digits (64 bits), so the same
 * export gives the same ids on every run and machine, and any tool can recompute them. The next 52 bits
 * are a check that tells two distinct identities apart if their short ids ever collide; such a watch
 * then gets the full digest as its id.
 */
export interface WatchDigest {
  readonly shortId: string;
  readonly fullId: string;
  readonly check: number;
}

export function digestWatch(identity: string): WatchDigest {
  const digest = sha256Hex(identity);
  return { shortId: `tk-${digest.slice(0, 16)}`, fullId: `tk-${digest}`, check: parseInt(digest.slice(16, 29), 16) };
}
