import { defineSchema, defineTable } from 'convex/server';
import { v } from 'convex/values';
import {
  aggregationHeaderFields,
  changeEntryFields,
  contentHeadFields,
  eventFields,
  filtersValidator,
  flagFields,
  leaseFields,
  manifestFields,
  overrideFields,
  recordFields,
  runFields,
  validationFields,
} from './validators.js';

// The agg component's own tables, apart from the app's; SqliteStore mirrors them table for table.
export default defineSchema({
  /** Per-user input records, unique per (userId, recordId). */
  watch_records: defineTable({ userId: v.string(), ...recordFields })
    .index('by_user_record', ['userId', 'recordId'])
    .index('by_user_watchedAt', ['userId', 'watchedAt']),

  /** One row per user with records: counts and bounds kept exact by every record mutation. */
  user_stats: defineTable({
    userId: v.string(),
    recordCount: v.number(),
    firstWatchedAt: v.union(v.string(), v.null()),
    lastWatchedAt: v.union(v.string(), v.null()),
    lastChangeAt: v.union(v.string(), v.null()),
    gridFreshUntil: v.optional(v.union(v.string(), v.null())),
    /** Names the current state of the user's records; every record write makes a new one. */
    recordsRevision: v.optional(v.string()),
  }).index('by_user', ['userId']),

  /**
   * Unique per (userId, aggregationType, filterHash). Data inline (`data`, tiny results), in the user's
   * shared content for its dataHash (`shared`, with `chunkCount` pieces), or, in rows written before
   * content-addressed storage, in aggregation_chunks of its own (`chunkCount` > 0, no `shared`).
   */
  precomputed_aggregations: defineTable({ ...aggregationHeaderFields, data: v.optional(v.any()) })
    .index('by_key', ['userId', 'aggregationType', 'filterHash'])
    .index('by_expiresAt', ['expiresAt'])
    .index('by_user_data_shared', ['userId', 'dataHash', 'shared']),

  /**
   * One per (userId, dataHash): the head of a user's shared content (content-addressed results). Its
   * state orders writers and deleters of the pieces: `writing` (created before any piece, by the first
   * header that needed it), `complete` (set in the transaction of the first header written on it),
   * `deleting` (set in the transaction that removed the last header referring to it; pieces then go,
   * the head last). A header refers to it only while complete.
   */
  aggregation_contents: defineTable(contentHeadFields).index('by_user_data', ['userId', 'dataHash']),

  /** Ordered pieces of the canonical JSON of a shared content. */
  aggregation_content_chunks: defineTable({ userId: v.string(), dataHash: v.string(), seq: v.number(), text: v.string() }).index('by_content', [
    'userId',
    'dataHash',
    'seq',
  ]),

  /** Ordered pieces of the canonical JSON of an aggregation too large for one document (rows written before shared content). */
  aggregation_chunks: defineTable({
    userId: v.string(),
    aggregationType: v.string(),
    filterHash: v.string(),
    dataHash: v.string(),
    seq: v.number(),
    text: v.string(),
  }).index('by_owner', ['userId', 'aggregationType', 'filterHash', 'dataHash', 'seq']),

  filter_combinations: defineTable({
    userId: v.string(),
    filters: filtersValidator,
    filterHash: v.string(),
    lastUsed: v.string(),
    usageCount: v.number(),
  })
    .index('by_user_filter', ['userId', 'filterHash'])
    .index('by_user_lastUsed', ['userId', 'lastUsed'])
    .index('by_lastUsed', ['lastUsed']),

  data_change_log: defineTable(changeEntryFields)
    .index('by_changeId', ['changeId'])
    .index('by_processed_user', ['processed', 'userId', 'changedAt'])
    .index('by_user_changedAt', ['userId', 'changedAt'])
    .index('by_processed_changedAt', ['processed', 'changedAt']),

  rollout_flags: defineTable(flagFields).index('by_flag', ['flag']),

  rollout_overrides: defineTable(overrideFields)
    .index('by_flag_user', ['flag', 'userId'])
    .index('by_user', ['userId']),

  /** The audit log: one event per flag change, written in the same transaction as the change. */
  rollout_events: defineTable(eventFields).index('by_eventId', ['eventId']).index('by_flag_at', ['flag', 'at']),

  /** The run ledger, with checkpoints for --resume. */
  agg_runs: defineTable(runFields)
    .index('by_runId', ['runId'])
    .index('by_startedAt', ['startedAt'])
    .index('by_command_startedAt', ['command', 'startedAt'])
    .index('by_finishedAt', ['finishedAt']),

  /** One lease per command and target, so overlapping cron runs do not collide. */
  agg_leases: defineTable(leaseFields).index('by_name', ['name']),

  /** The latest validation of each user (rollout --require-validated, status). */
  user_validations: defineTable(validationFields).index('by_user', ['userId']),

  /** Archives written to cold storage: what they hold and where, and whether they were verified. */
  archive_manifests: defineTable(manifestFields).index('by_manifestId', ['manifestId']),
});
