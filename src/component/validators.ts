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
};

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

export const overrideModeValidator = v.union(v.literal('allow'), v.literal('deny'));

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
