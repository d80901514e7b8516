import { defineSchema, defineTable } from 'convex/server';
import { v } from 'convex/values';

// The app's own data. agg keeps its mirror of these watches in its own tables (the component's).
export default defineSchema({
  watch_events: defineTable({
    userId: v.string(),
    /** The app's own id for the event; agg keys its record by it. */
    eventId: v.string(),
    watchedAt: v.union(v.string(), v.null()),
    videoId: v.optional(v.string()),
    title: v.optional(v.string()),
    channel: v.optional(v.string()),
    channelUrl: v.optional(v.string()),
    music: v.optional(v.boolean()),
  })
    .index('by_user_event', ['userId', 'eventId'])
    .index('by_user', ['userId']),
});
