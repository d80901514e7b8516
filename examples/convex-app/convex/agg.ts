import { Agg, type WatchRecord } from 'agg';
import { components } from './_generated/api.js';
import type { Doc } from './_generated/dataModel.js';

/** agg's client, bound to the component this app mounts in convex.config.ts. */
export const agg = new Agg(components.agg);

export type WatchEvent = Omit<Doc<'watch_events'>, '_id' | '_creationTime'>;

/** The app's row as agg's input record: the one place the two shapes meet. */
export function watchRecordOf(event: WatchEvent): WatchRecord {
  return {
    id: event.eventId,
    watchedAt: event.watchedAt,
    videoId: event.videoId ?? null,
    videoTitle: event.title ?? null,
    videoUrl: event.videoId !== undefined ? `https://www.youtube.com/watch?v=${event.videoId}` : null,
    channelTitle: event.channel ?? null,
    channelUrl: event.channelUrl ?? null,
    product: event.music ? 'YouTube Music' : 'YouTube',
  };
}
