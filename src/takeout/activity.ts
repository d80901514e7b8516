import type { SkipKind } from './report.js';
import type { ResolvedTimestamp } from './timestamp.js';
import { type VideoLink, isPostUrl, videoLinkOf } from './watch-url.js';
import { isRemovedVideoTitle, isShortsToolsTitle, isSurveyTitle } from './wording.js';

/** One Takeout entry, read from either format into the same shape. */
export interface TakeoutActivity {
  /** The product header: "YouTube" or "YouTube Music". */
  readonly header: string | null;
  /** The activity as the export words it: JSON `title`, or the text of the HTML entry's first line. */
  readonly text: string;
  /** The entry's link: the video link when there is one, otherwise the first link. */
  readonly link: string | null;
  /** The video title, without the localized "watched" wording. */
  readonly videoTitle: string | null;
  /** The entry's own channel (JSON: first subtitle; HTML: its channel anchor). */
  readonly channelTitle: string | null;
  readonly channelUrl: string | null;
  /** Non-empty `details` (HTML: a "Details:" caption), which marks an ad. */
  readonly hasDetails: boolean;
  readonly timestamp: ResolvedTimestamp;
}

export type Classification =
  | { readonly kind: 'watch'; readonly video: VideoLink | null }
  | { readonly kind: 'skip'; readonly as: SkipKind };

/**
 * A watch is an entry linking to a video, or the "video that has been removed" entry (a dated watch
 * with no video). Everything else is skipped by kind, judged by its link first and its wording last.
 */
export function classifyActivity(activity: TakeoutActivity): Classification {
  if (activity.link !== null) {
    const video = videoLinkOf(activity.link);
    if (video !== null) return { kind: 'watch', video };
    if (isPostUrl(activity.link)) return { kind: 'skip', as: 'post' };
    if (isSurveyTitle(activity.text)) return { kind: 'skip', as: 'survey' };
    return { kind: 'skip', as: 'visit' };
  }
  if (isRemovedVideoTitle(activity.text)) return { kind: 'watch', video: null };
  if (isShortsToolsTitle(activity.text)) return { kind: 'skip', as: 'shortsTools' };
  if (isSurveyTitle(activity.text)) return { kind: 'skip', as: 'survey' };
  // Top-page ads and "Viewed Ads On YouTube Shorts": an ad, but no video was watched.
  if (activity.hasDetails) return { kind: 'skip', as: 'adWithoutVideo' };
  return { kind: 'skip', as: 'other' };
}
