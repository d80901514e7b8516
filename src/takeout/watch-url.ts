/** A link to a video: what makes a Takeout entry a watch. */
export interface VideoLink {
  readonly url: string;
  /** The `v` parameter. */
  readonly videoId: string;
  /** On music.youtube.com. */
  readonly music: boolean;
}

const WATCH_URL = /^https?:\/\/(?:(www|m|music)\.)?youtube\.com\/watch\?(?:[^#]*&)?v=([^&#]*)/i;
const VIDEO_ID = /^[A-Za-z0-9_-]+$/;
const CHANNEL_URL = /^https?:\/\/(?:(?:www|m|music)\.)?youtube\.com\/(?:channel\/|user\/|c\/|@)[^/?#]/i;
const POST_URL = /^https?:\/\/(?:(?:www|m)\.)?youtube\.com\/(?:post\/|channel\/[^/?#]+\/community\b)/i;

/** The video a URL links to (`/watch?v=` on youtube.com or music.youtube.com), or null. */
export function videoLinkOf(url: string): VideoLink | null {
  const match = WATCH_URL.exec(url);
  if (!match || !VIDEO_ID.test(match[2]!)) return null;
  return { url, videoId: match[2]!, music: match[1]?.toLowerCase() === 'music' };
}

/** A channel page: /channel/UC…, /@handle, /user/…, /c/…. */
export function isChannelUrl(url: string): boolean {
  return CHANNEL_URL.test(url);
}

/** A community post. */
export function isPostUrl(url: string): boolean {
  return POST_URL.test(url);
}
