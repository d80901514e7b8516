import { type Validator, v } from 'convex/values';

// Shapes shared by the schema, the functions and the client adapter: the one file both sides import.

export const productValidator = v.union(v.literal('YouTube'), v.literal('YouTube Music'));

export const aggregationTypeValidator = v.union(
  v.literal('kpi'),
  v.literal('monthly_trend'),
  v.literal('top_channels'),
  v.literal('day_time_heatmap'),
  v.literal('topics_leaderboard'),
  v.literal('session_analysis'),
  v.literal('viewing_patterns'),
  v.literal('enhanced_channel_metrics'),
  v.literal('channel_relationships'),
  v.literal('topic_evolution'),
);

/** A watch record as stored: the input record with its id as `recordId`; absent fields are omitted. */
export const recordFields = {
  recordId: v.string(),
  watchedAt: v.union(v.string(), v.null()),
  videoId: v.optional(v.string()),
  videoTitle: v.optional(v.string()),
  videoUrl: v.optional(v.string()),
  channelTitle: v.optional(v.string()),
  channelUrl: v.optional(v.string()),
  product: v.optional(productValidator),
  topics: v.optional(v.array(v.string())),
  isAd: v.optional(v.boolean()),
};

export const recordValidator = v.object(recordFields);

export const filtersValidator = v.object({
  timeframe: v.union(v.literal('MTD'), v.literal('QTD'), v.literal('YTD'), v.literal('Last6M'), v.literal('Last12M'), v.literal('All')),
  product: v.union(v.literal('All'), productValidator),
  topics: v.array(v.string()),
  channels: v.array(v.string()),
});

export const metadataValidator = v.object({ recordCount: v.number(), computeMs: v.number(), bytes: v.number() });

export const changeTypeValidator = v.union(
  v.literal('import'),
  v.literal('update'),
  v.literal('delete'),
  v.literal('archive'),
  v.literal('restore'),
);

export const changeStampValidator = v.object({ changeId: v.string(), changeType: changeTypeValidator, at: v.string() });

export const aggregationKeyFields = {
  userId: v.string(),
  aggregationType: aggregationTypeValidator,
  filterHash: v.string(),
};

/** The header of a stored aggregation; the data is inline (`data`) or in `chunkCount` ordered chunks. */
export const aggregationHeaderFields = {
  ...aggregationKeyFields,
  version: v.number(),
  filters: filtersValidator,
  dataHash: v.string(),
  asOf: v.string(),
  timeZone: v.string(),
  computedAt: v.string(),
  expiresAt: v.string(),
  metadata: metadataValidator,
  chunkCount: v.number(),
  /** The user's records revision the result was computed from; absent in rows written before agg kept it. */
  recordsRevision: v.optional(v.string()),
  /** The data is the user's shared content for dataHash (aggregation_contents), in chunkCount pieces. */
  shared: v.optional(v.boolean()),
};

export const contentStateValidator = v.union(v.literal('writing'), v.literal('complete'), v.literal('deleting'));

/** The head of one user's shared content (see schema.ts). */
export const contentHeadFields = {
  userId: v.string(),
  dataHash: v.string(),
  chunkCount: v.number(),
  /** UTF-8 bytes of the canonical JSON. */
  bytes: v.number(),
  /** A `writing` or unreferenced head older than the cleanup grace (by its _creationTime) is an orphan. */
  state: contentStateValidator,
};

/** Names one user's shared content, with what its deletion will read. */
export const contentKeyValidator = v.object({ userId: v.string(), dataHash: v.string(), bytes: v.number(), chunkCount: v.number() });

// Answers of the functions the CLI calls (src/store/convex/answers.ts parses them): documents come
// without their system fields.

/** An aggregation without its filters and data: what the digest pages list. */
export const digestValidator = v.object({
  ...aggregationKeyFields,
  version: v.number(),
  dataHash: v.string(),
  asOf: v.string(),
  timeZone: v.string(),
  computedAt: v.string(),
  expiresAt: v.string(),
  metadata: metadataValidator,
  chunkCount: v.number(),
  recordsRevision: v.union(v.string(), v.null()),
});

/**
 * An aggregation as read back: the digest, its filters, and its inline data (null when chunked or
 * shared); shared data small enough comes along as its canonical JSON text (`json`).
 */
export const storedAggregationValidator = v.object({
  ...digestValidator.fields,
  filters: filtersValidator,
  data: v.any(),
  shared: v.optional(v.boolean()),
  json: v.optional(v.string()),
});

/** Names one chunk set: the owner aggregation and the hash of the data the chunks hold. */
export const chunkKeyValidator = v.object({ ...aggregationKeyFields, dataHash: v.string() });

export const chunkTextValidator = v.object({ seq: v.number(), text: v.string() });

/** A batch of a deletion that goes on over several calls: call again until `done`. */
export const batchDeletionValidator = v.object({ deleted: v.number(), done: v.boolean() });

/** What a deletion by key did: rows deleted, keys not found, and the bytes the deleted rows held. */
export const deletionFields = { deleted: v.number(), missing: v.number(), bytesFreed: v.number() };

export const deletionValidator = v.object(deletionFields);

/** A deletion of aggregations, with the chunk sets and shared contents no header references any more (for the caller to delete). */
export const deletionWithChunksValidator = v.object({ ...deletionFields, staleChunks: v.array(chunkKeyValidator), staleContents: v.array(contentKeyValidator) });

/** A deletion of archived rows, each only if unchanged since export: `changedRows` are the indexes of those that were not. */
export const conditionalDeletionFields = { deleted: v.number(), changed: v.number(), changedRows: v.array(v.number()), missing: v.number(), bytesFreed: v.number() };

export const conditionalDeletionValidator = v.object(conditionalDeletionFields);

export const restoreOutcomeFields = { inserted: v.number(), identical: v.number(), conflicting: v.number() };

export const restoreOutcomeValidator = v.object(restoreOutcomeFields);

export const recordWriteValidator = v.object({ inserted: v.number(), updated: v.number(), unchanged: v.number() });

/** A user's row of user_stats as the functions return it: gridFreshUntil null when never set. */
export const userSummaryValidator = v.object({
  userId: v.string(),
  recordCount: v.number(),
  firstWatchedAt: v.union(v.string(), v.null()),
  lastWatchedAt: v.union(v.string(), v.null()),
  lastChangeAt: v.union(v.string(), v.null()),
  gridFreshUntil: v.union(v.string(), v.null()),
  recordsRevision: v.union(v.string(), v.null()),
});

export const changeEntryFields = {
  changeId: v.string(),
  userId: v.string(),
  changeType: changeTypeValidator,
  recordCount: v.number(),
  changedAt: v.string(),
  processed: v.boolean(),
  processedAt: v.union(v.string(), v.null()),
  /** The user's records revision after the entry's latest change (absent in older rows). */
  revision: v.optional(v.string()),
};

export const changeEntryValidator = v.object(changeEntryFields);

export const runStatusValidator = v.union(
  v.literal('running'),
  v.literal('succeeded'),
  v.literal('failed'),
  v.literal('partial'),
  v.literal('interrupted'),
);

export const runFields = {
  runId: v.string(),
  command: v.string(),
  args: v.array(v.string()),
  target: v.string(),
  startedAt: v.string(),
  finishedAt: v.union(v.string(), v.null()),
  status: runStatusValidator,
  counts: v.record(v.string(), v.number()),
  checkpoint: v.any(),
  heartbeatAt: v.string(),
};

export const flagFields = {
  flag: v.string(),
  basisPoints: v.number(),
  salt: v.string(),
  rolledBack: v.boolean(),
  minRecords: v.optional(v.number()),
  requireFreshGrid: v.optional(v.boolean()),
  updatedAt: v.string(),
  updatedBy: v.string(),
};

export const flagValidator = v.object(flagFields);

export const overrideModeValidator = v.union(v.literal('allow'), v.literal('deny'));

export const overrideFields = { flag: v.string(), userId: v.string(), mode: overrideModeValidator };

export const overrideValidator = v.object(overrideFields);

/** applyChange: applied (now or by an earlier call with the same eventId), or refused on a conflict. */
export const flagChangeOutcomeValidator = v.union(
  v.object({ applied: v.literal(true) }),
  v.object({ applied: v.literal(false), reason: v.literal('conflict') }),
);

export const eventFields = {
  eventId: v.string(),
  flag: v.string(),
  at: v.string(),
  actor: v.string(),
  action: v.string(),
  fromBasisPoints: v.union(v.number(), v.null()),
  toBasisPoints: v.union(v.number(), v.null()),
  reason: v.union(v.string(), v.null()),
  details: v.any(),
};

export const eventValidator = v.object(eventFields);

export const runValidator = v.object(runFields);

export const leaseFields = {
  name: v.string(),
  holder: v.string(),
  runId: v.union(v.string(), v.null()),
  acquiredAt: v.string(),
  expiresAt: v.string(),
  // Optional: rows written before agg recorded the holder's heartbeat, host and process id lack them.
  renewedAt: v.optional(v.string()),
  host: v.optional(v.string()),
  pid: v.optional(v.number()),
};

export const leaseValidator = v.object(leaseFields);

/** acquireLease: the lease taken (and the other holder's row it replaced), or who holds it. */
export const leaseOutcomeValidator = v.union(
  v.object({ acquired: v.literal(true), lease: leaseValidator, replaced: v.union(leaseValidator, v.null()) }),
  v.object({ acquired: v.literal(false), heldBy: leaseValidator }),
);

export const validationFields = {
  userId: v.string(),
  runId: v.string(),
  validatedAt: v.string(),
  clean: v.boolean(),
  counts: v.record(v.string(), v.number()),
};

export const validationValidator = v.object(validationFields);

export const manifestStatusValidator = v.union(v.literal('exporting'), v.literal('verified'), v.literal('deleted'), v.literal('restored'));

export const manifestFields = {
  manifestId: v.string(),
  createdAt: v.string(),
  destination: v.string(),
  tables: v.array(v.string()),
  rowCount: v.number(),
  bytes: v.number(),
  status: manifestStatusValidator,
  verifiedAt: v.union(v.string(), v.null()),
  manifest: v.any(),
};

export const manifestValidator = v.object(manifestFields);

/** putManifest: applied (now or by an earlier identical call), or refused with the status found. */
export const manifestWriteOutcomeValidator = v.union(
  v.object({ applied: v.literal(true) }),
  v.object({ applied: v.literal(false), current: v.union(manifestStatusValidator, v.null()) }),
);

/** One page of a paginated read, as every paging function returns it. */
export function pageOf<T extends Validator<any, 'required', any>>(item: T) {
  return v.object({ page: v.array(item), isDone: v.boolean(), continueCursor: v.string() });
}

const servedFields = {
  type: aggregationTypeValidator,
  version: v.number(),
  asOf: v.string(),
  timeZone: v.string(),
  computedAt: v.string(),
  expiresAt: v.string(),
};

/**
 * A stored result as the serving path returns it: the data as a value, or, when the data as a whole
 * is not a valid Convex value (too long an array, too wide an object, too deep), as its canonical
 * JSON text.
 */
export const servedAggregationValidator = v.union(
  v.object({ ...servedFields, data: v.any() }),
  v.object({ ...servedFields, json: v.string() }),
);

export const filterUseOutcomeValidator = v.union(
  v.object({ recorded: v.literal(true), dropped: v.number() }),
  v.object({ recorded: v.literal(false), reason: v.string() }),
);

export const filterCombinationValidator = v.object({
  userId: v.string(),
  filters: filtersValidator,
  filterHash: v.string(),
  lastUsed: v.string(),
  usageCount: v.number(),
});

/** A watch record as the app hands it to agg: the input record shape (`id`, not `recordId`). */
export const watchValidator = v.object({
  id: v.string(),
  watchedAt: v.union(v.string(), v.null()),
  videoId: v.optional(v.union(v.string(), v.null())),
  videoTitle: v.optional(v.union(v.string(), v.null())),
  videoUrl: v.optional(v.union(v.string(), v.null())),
  channelTitle: v.optional(v.union(v.string(), v.null())),
  channelUrl: v.optional(v.union(v.string(), v.null())),
  product: v.optional(productValidator),
  topics: v.optional(v.array(v.string())),
  isAd: v.optional(v.boolean()),
});
