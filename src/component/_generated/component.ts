/* eslint-disable */
/**
 * Generated `ComponentApi` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type { FunctionReference } from "convex/server";

/**
 * A utility for referencing a Convex component's exposed API.
 *
 * Useful when expecting a parameter like `components.myComponent`.
 * Usage:
 * ```ts
 * async function myFunction(ctx: QueryCtx, component: ComponentApi) {
 *   return ctx.runQuery(component.someFile.someQuery, { ...args });
 * }
 * ```
 */
export type ComponentApi<Name extends string | undefined = string | undefined> =
  {
    ingest: {
      deleteUser: FunctionReference<
        "mutation",
        "internal",
        { userId: string },
        { deleted: number; done: boolean },
        Name
      >;
      deleteWatches: FunctionReference<
        "mutation",
        "internal",
        { userId: string; ids: Array<string> },
        {
          inserted: number;
          updated: number;
          unchanged: number;
          deleted: number;
        },
        Name
      >;
      recordWatches: FunctionReference<
        "mutation",
        "internal",
        {
          userId: string;
          records: Array<{
            id: string;
            watchedAt: string | null;
            videoId?: string | null;
            videoTitle?: string | null;
            videoUrl?: string | null;
            channelTitle?: string | null;
            channelUrl?: string | null;
            product?: "YouTube" | "YouTube Music";
            topics?: Array<string>;
            isAd?: boolean;
          }>;
        },
        {
          inserted: number;
          updated: number;
          unchanged: number;
          deleted: number;
        },
        Name
      >;
    };
    serving: {
      getAggregation: FunctionReference<
        "query",
        "internal",
        {
          userId: string;
          type:
            | "kpi"
            | "monthly_trend"
            | "top_channels"
            | "day_time_heatmap"
            | "topics_leaderboard"
            | "session_analysis"
            | "viewing_patterns"
            | "enhanced_channel_metrics"
            | "channel_relationships"
            | "topic_evolution";
          filters: {
            timeframe: "MTD" | "QTD" | "YTD" | "Last6M" | "Last12M" | "All";
            product: "All" | "YouTube" | "YouTube Music";
            topics: Array<string>;
            channels: Array<string>;
          };
          flag?: string;
        },
        | null
        | {
            type:
              | "kpi"
              | "monthly_trend"
              | "top_channels"
              | "day_time_heatmap"
              | "topics_leaderboard"
              | "session_analysis"
              | "viewing_patterns"
              | "enhanced_channel_metrics"
              | "channel_relationships"
              | "topic_evolution";
            version: number;
            asOf: string;
            timeZone: string;
            computedAt: string;
            expiresAt: string;
            data: any;
          }
        | {
            type:
              | "kpi"
              | "monthly_trend"
              | "top_channels"
              | "day_time_heatmap"
              | "topics_leaderboard"
              | "session_analysis"
              | "viewing_patterns"
              | "enhanced_channel_metrics"
              | "channel_relationships"
              | "topic_evolution";
            version: number;
            asOf: string;
            timeZone: string;
            computedAt: string;
            expiresAt: string;
            json: string;
          },
        Name
      >;
      isRolledOut: FunctionReference<
        "query",
        "internal",
        { userId: string; flag?: string },
        boolean,
        Name
      >;
      recordFilterUse: FunctionReference<
        "mutation",
        "internal",
        {
          userId: string;
          filters: {
            timeframe: "MTD" | "QTD" | "YTD" | "Last6M" | "Last12M" | "All";
            product: "All" | "YouTube" | "YouTube Music";
            topics: Array<string>;
            channels: Array<string>;
          };
          maxCombinations?: number;
        },
        | { recorded: true; dropped: number }
        | { recorded: false; reason: string },
        Name
      >;
    };
  };
