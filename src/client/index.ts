import type { GenericDataModel, GenericMutationCtx, GenericQueryCtx } from 'convex/server';
import type { ComponentApi } from '../component/_generated/component.js';
import type { AggregationDefinition, AggregationType } from '../core/aggregations/definition.js';
import type { channelRelationships } from '../core/aggregations/channel-relationships.js';
import type { dayTimeHeatmap } from '../core/aggregations/day-time-heatmap.js';
import type { enhancedChannelMetrics } from '../core/aggregations/enhanced-channel-metrics.js';
import type { kpi } from '../core/aggregations/kpi.js';
import type { monthlyTrend } from '../core/aggregations/monthly-trend.js';
import type { sessionAnalysis } from '../core/aggregations/session-analysis.js';
import type { topChannels } from '../core/aggregations/top-channels.js';
import type { topicEvolution } from '../core/aggregations/topic-evolution.js';
import type { topicsLeaderboard } from '../core/aggregations/topics-leaderboard.js';
import type { viewingPatterns } from '../core/aggregations/viewing-patterns.js';
import type { ProductFilter, Timeframe } from '../core/filters.js';
import type { Product } from '../core/record.js';
import { INGEST_LIMITS, refuseOversizeBatch } from '../component/limits.js';

// What the app imports (`import { Agg } from "agg"`): a typed client for the agg component, used
// inside the app's own queries and mutations with the user id the app's own auth resolved. The
// component's functions are reachable only through the app (and by admins: the agg CLI), so the app
// decides who a user is; agg never reads ctx.auth.

export type { AggregationType, Product, ProductFilter, Timeframe };
export { INGEST_LIMITS };

type DataOf<D> = D extends AggregationDefinition<infer T> ? T : never;

/** The data of each aggregation type, as computed by agg's core and served by getAggregation. */
export interface AggregationData {
  kpi: DataOf<typeof kpi>;
  monthly_trend: DataOf<typeof monthlyTrend>;
  top_channels: DataOf<typeof topChannels>;
  day_time_heatmap: DataOf<typeof dayTimeHeatmap>;
  topics_leaderboard: DataOf<typeof topicsLeaderboard>;
  session_analysis: DataOf<typeof sessionAnalysis>;
  viewing_patterns: DataOf<typeof viewingPatterns>;
  enhanced_channel_metrics: DataOf<typeof enhancedChannelMetrics>;
  channel_relationships: DataOf<typeof channelRelationships>;
  topic_evolution: DataOf<typeof topicEvolution>;
}

/** A filter set; omitted parts are `All` (timeframe, product) and no restriction (topics, channels). */
export interface FiltersInput {
  timeframe?: Timeframe;
  product?: ProductFilter;
  topics?: string[];
  channels?: string[];
}

/** One watch, as agg reads it: the app maps its own rows to this (ids unique per user). */
export interface WatchRecord {
  id: string;
  /** An ISO-8601 instant with an offset, or null for an undated watch. */
  watchedAt: string | null;
  videoId?: string | null;
  videoTitle?: string | null;
  videoUrl?: string | null;
  channelTitle?: string | null;
  channelUrl?: string | null;
  product?: Product;
  topics?: string[];
  isAd?: boolean;
}

interface ServedMeta<T extends AggregationType> {
  type: T;
  version: number;
  /** The instant every calendar window was anchored on, and the zone of every calendar field. */
  asOf: string;
  timeZone: string;
  computedAt: string;
  expiresAt: string;
}

/**
 * A stored result. Usually `data`; when the data as a whole is not a valid Convex value (an array of
 * more than 8,192 elements, an object of more than 1,024 fields, nesting deeper than 16) it comes as
 * its canonical JSON text in `json` instead — `dataOf` turns either into the data.
 */
export type ServedAggregation<T extends AggregationType = AggregationType> =
  | (ServedMeta<T> & { data: AggregationData[T]; json?: undefined })
  | (ServedMeta<T> & { json: string; data?: undefined });

/** The data of a served result, whichever form it came in. */
export function dataOf<T extends AggregationType>(served: ServedAggregation<T>): AggregationData[T] {
  return served.json !== undefined ? (JSON.parse(served.json) as AggregationData[T]) : served.data;
}

export interface IngestOutcome {
  inserted: number;
  updated: number;
  unchanged: number;
  deleted: number;
}

export type FilterUseOutcome = { recorded: true; dropped: number } | { recorded: false; reason: string };

export interface AggOptions {
  /** The rollout flag the serving path checks (default `precomputed_aggregations`, as `agg rollout`). */
  readonly flag?: string;
  /** Distinct filter sets kept per user by recordFilterUse (default 50; the oldest used is dropped). */
  readonly maxFilterCombinations?: number;
}

type RunQueryCtx = { runQuery: GenericQueryCtx<GenericDataModel>['runQuery'] };
type RunMutationCtx = RunQueryCtx & { runMutation: GenericMutationCtx<GenericDataModel>['runMutation'] };

function fullFilters(filters: FiltersInput = {}) {
  return { timeframe: filters.timeframe ?? 'All', product: filters.product ?? 'All', topics: filters.topics ?? [], channels: filters.channels ?? [] };
}

export class Agg {
  /**
   * @param component `components.agg` from the app's `convex/_generated/api`.
   */
  constructor(
    public readonly component: ComponentApi,
    private readonly options: AggOptions = {},
  ) {}

  /**
   * Adds or updates the user's watch records (idempotent by record id), with the change-log entry
   * `agg backfill --changed` reads, in the caller's transaction. At most 1,000 records (4 MiB) per call.
   */
  async recordWatches(ctx: RunMutationCtx, userId: string, records: readonly WatchRecord[]): Promise<IngestOutcome> {
    refuseOversizeBatch('records', records);
    return ctx.runMutation(this.component.ingest.recordWatches, { userId, records: records.map((record) => ({ ...record })) });
  }

  /** Removes records by id (missing ids are fine), with their change-log entry. At most 1,000 ids per call. */
  async deleteWatches(ctx: RunMutationCtx, userId: string, ids: readonly string[]): Promise<IngestOutcome> {
    refuseOversizeBatch('record ids', ids);
    return ctx.runMutation(this.component.ingest.deleteWatches, { userId, ids: [...ids] });
  }

  /**
   * Removes everything agg holds for the user (records, results, filter sets, change log, overrides,
   * validations). The first step runs in the caller's transaction; the rest are scheduled, so `done`
   * is false for a user with much data.
   */
  async deleteUser(ctx: RunMutationCtx, userId: string): Promise<{ deleted: number; done: boolean }> {
    return ctx.runMutation(this.component.ingest.deleteUser, { userId });
  }

  /**
   * The pre-computed result for the user and filter set when the user is rolled out and the result is
   * fresh and of the current algorithm version; null otherwise, and the app computes it itself.
   */
  async getAggregation<T extends AggregationType>(ctx: RunQueryCtx, userId: string, type: T, filters?: FiltersInput, options: { flag?: string } = {}): Promise<ServedAggregation<T> | null> {
    const flag = options.flag ?? this.options.flag;
    const served = await ctx.runQuery(this.component.serving.getAggregation, { userId, type, filters: fullFilters(filters), ...(flag !== undefined ? { flag } : {}) });
    return served as ServedAggregation<T> | null;
  }

  /** Whether the user is served pre-computed results under the flag (rollout and eligibility). */
  async isRolledOut(ctx: RunQueryCtx, userId: string, flag?: string): Promise<boolean> {
    const chosen = flag ?? this.options.flag;
    return ctx.runQuery(this.component.serving.isRolledOut, { userId, ...(chosen !== undefined ? { flag: chosen } : {}) });
  }

  /**
   * Records that the user looked at a filter set, so backfill computes it too. Never throws for the
   * user's choice: a filter set beyond the limits (20 topics or channels, 200 characters each) is
   * reported as not recorded.
   */
  async recordFilterUse(ctx: RunMutationCtx, userId: string, filters: FiltersInput): Promise<FilterUseOutcome> {
    const max = this.options.maxFilterCombinations;
    return ctx.runMutation(this.component.serving.recordFilterUse, { userId, filters: fullFilters(filters), ...(max !== undefined ? { maxCombinations: max } : {}) });
  }
}

/** The component's function references (`components.agg`), for apps that call it directly. */
export type AggComponent = ComponentApi;
