import { v } from 'convex/values';
import { CONVEX_LIMITS, fitsValueLimits } from '../core/convex-limits.js';
import { decideServing } from '../core/eligibility.js';
import { canonicalFilters, filterHash } from '../core/filters.js';
import { measureJson, utf8Length } from '../core/json.js';
import { DEFAULT_FLAG } from '../core/rollout-plan.js';
import { REGISTRY } from '../core/registry.js';
import { mutation, query, type QueryCtx } from './_generated/server.js';
import { recordFilterUse as countFilterUse } from './filterCombinations.js';
import { findAggregation } from './lib/aggregationRows.js';
import { contentChunks } from './lib/contentRows.js';
import { aggregationTypeValidator, filterUseOutcomeValidator, filtersValidator, servedAggregationValidator } from './validators.js';

// The serving path, called by the app through the client (`Agg`) from its own queries and mutations,
// with the user id the app's own auth resolved. A component's functions are reachable only from the
// app that installed it (and by admins), so taking the user id as an argument is safe here.

/** Chunked data larger than this is not assembled in a query (it would crowd the 16 MiB read limit). */
const SERVE_MAX_BYTES = 8 * 1024 * 1024;
/** A served JSON text is one string value. */
const SERVE_JSON_MAX_BYTES = CONVEX_LIMITS.stringBytes - 1024;

/** The rollout decision and the flag's eligibility policy, with the facts backfill keeps in user_stats. */
async function rolledOut(ctx: QueryCtx, flag: string, userId: string): Promise<boolean> {
  const state = await ctx.db.query('rollout_flags').withIndex('by_flag', (q) => q.eq('flag', flag)).unique();
  if (!state) return false;
  const override = await ctx.db.query('rollout_overrides').withIndex('by_flag_user', (q) => q.eq('flag', flag).eq('userId', userId)).unique();
  const stats = await ctx.db.query('user_stats').withIndex('by_user', (q) => q.eq('userId', userId)).unique();
  const policy = { minRecords: state.minRecords ?? 0, requireFreshGrid: state.requireFreshGrid ?? false };
  const facts = { recordCount: stats?.recordCount ?? 0, gridFreshUntil: stats?.gridFreshUntil ?? null };
  return decideServing(state, userId, override?.mode ?? null, policy, facts, new Date().toISOString()).served;
}

export const isRolledOut = query({
  args: { userId: v.string(), flag: v.optional(v.string()) },
  returns: v.boolean(),
  handler: async (ctx, { userId, flag }) => rolledOut(ctx, flag ?? DEFAULT_FLAG, userId),
});

/**
 * The pre-computed aggregation for the user and filter set, when the user is rolled out and the row
 * is fresh and of the current algorithm version; otherwise null, and the app computes itself. Data
 * that is not a valid Convex value as a whole (arrays over 8,192 elements, objects over 1,024 fields,
 * nesting over 16) comes as its canonical JSON text, `{ json }`, when that fits one string; else null.
 */
export const getAggregation = query({
  args: { userId: v.string(), type: aggregationTypeValidator, filters: filtersValidator, flag: v.optional(v.string()) },
  returns: v.union(v.null(), servedAggregationValidator),
  handler: async (ctx, { userId, type, filters, flag }) => {
    if (!(await rolledOut(ctx, flag ?? DEFAULT_FLAG, userId))) return null;
    const doc = await findAggregation(ctx, { userId, aggregationType: type, filterHash: filterHash(canonicalFilters(filters)) });
    if (!doc || doc.version !== REGISTRY[type].version || doc.expiresAt <= new Date().toISOString()) return null;
    const meta = { type, version: doc.version, asOf: doc.asOf, timeZone: doc.timeZone, computedAt: doc.computedAt, expiresAt: doc.expiresAt };
    if (doc.chunkCount === 0 && doc.shared !== true) return { ...meta, data: doc.data ?? null };
    if (doc.metadata.bytes > SERVE_MAX_BYTES) return null;
    // Shared content of the user's dataHash, or (rows of the old layout) chunks of this header's own.
    const chunks =
      doc.shared === true
        ? await contentChunks(ctx, doc, doc.chunkCount + 1)
        : await ctx.db
            .query('aggregation_chunks')
            .withIndex('by_owner', (q) => q.eq('userId', userId).eq('aggregationType', type).eq('filterHash', doc.filterHash).eq('dataHash', doc.dataHash))
            .take(doc.chunkCount + 1);
    if (chunks.length !== doc.chunkCount) return null;
    const json = chunks.map((chunk) => chunk.text).join('');
    const data: unknown = JSON.parse(json);
    // The answer holds the data one level down, beside the header fields.
    if (fitsValueLimits(measureJson(data, json), 1, SERVE_MAX_BYTES)) return { ...meta, data };
    return utf8Length(json) <= SERVE_JSON_MAX_BYTES ? { ...meta, json } : null;
  },
});

/**
 * Counts a filter set the user looked at, so backfill computes it too. Bounded: see
 * filterCombinations.ts; a refused filter set is reported, never thrown, so the app's mutation goes on.
 */
export const recordFilterUse = mutation({
  args: { userId: v.string(), filters: filtersValidator, maxCombinations: v.optional(v.number()) },
  returns: filterUseOutcomeValidator,
  handler: async (ctx, { userId, filters, maxCombinations }) => countFilterUse(ctx, userId, filters, new Date().toISOString(), maxCombinations),
});
