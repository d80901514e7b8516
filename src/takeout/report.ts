/** Kinds of Takeout activity that are not watches: skipped, and counted by kind. */
export const SKIP_KINDS = ['post', 'visit', 'survey', 'shortsTools', 'adWithoutVideo', 'other'] as const;
export type SkipKind = (typeof SKIP_KINDS)[number];

export const SKIP_KIND_LABELS: { readonly [K in SkipKind]: string } = {
  post: 'viewed community posts',
  visit: 'visited links (not videos)',
  survey: 'survey answers',
  shortsTools: 'Shorts creation tools',
  adWithoutVideo: 'ads without a video link',
  other: 'other activity',
};

export type TakeoutFormat = 'takeout-json' | 'takeout-html';

/**
 * What a parse found. Every entry is accounted for exactly once:
 * entries = watches + duplicatesMerged + skippedTotal.
 */
export interface TakeoutReport {
  readonly format: TakeoutFormat;
  /** Activity entries in the export. */
  readonly entries: number;
  /** Records produced: one per distinct watch entry, ads included. */
  readonly watches: number;
  /** Records marked `isAd` (entries with details, such as "From Google Ads"). */
  readonly ads: number;
  readonly youtubeMusic: number;
  /** Watches of a video that has since been removed: dated, with no video. */
  readonly removedVideos: number;
  readonly withoutChannel: number;
  /** Records whose timestamp could not be resolved to an instant. */
  readonly undated: number;
  /** Why timestamps were left unresolved, with counts; keys sorted. */
  readonly undatedReasons: Readonly<Record<string, number>>;
  /** Timestamps resolved through the caller's `sourceTimeZone` (no zone, or an unknown abbreviation). */
  readonly resolvedWithSourceTimeZone: number;
  /** Exact duplicates (same time and same link, or same title when there is no link), merged into one record. */
  readonly duplicatesMerged: number;
  readonly skipped: Readonly<Record<SkipKind, number>>;
  readonly skippedTotal: number;
  /** Oldest and newest watchedAt among the records, or null when none is dated. */
  readonly firstWatchedAt: string | null;
  readonly lastWatchedAt: string | null;
  readonly sourceTimeZone: string | null;
}
