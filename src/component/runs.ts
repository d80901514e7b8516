import { v } from 'convex/values';
import type { Doc } from './_generated/dataModel.js';
import { internalMutation, internalQuery } from './_generated/server.js';
import { leaseOutcomeValidator, leaseValidator, runFields, runValidator } from './validators.js';

function runOf(doc: Doc<'agg_runs'>) {
  const { _id, _creationTime, ...run } = doc;
  return run;
}

/** Creates or replaces the ledger row of a run (idempotent: keyed by runId). */
export const putRun = internalMutation({
  args: { run: v.object(runFields) },
  returns: v.null(),
  handler: async (ctx, { run }) => {
    const existing = await ctx.db.query('agg_runs').withIndex('by_runId', (q) => q.eq('runId', run.runId)).unique();
    if (existing) await ctx.db.replace(existing._id, run);
    else await ctx.db.insert('agg_runs', run);
  },
});

export const getRun = internalQuery({
  args: { runId: v.string() },
  returns: v.nullable(runValidator),
  handler: async (ctx, { runId }) => {
    const doc = await ctx.db.query('agg_runs').withIndex('by_runId', (q) => q.eq('runId', runId)).unique();
    return doc ? runOf(doc) : null;
  },
});

export const listRuns = internalQuery({
  args: { limit: v.number(), command: v.optional(v.string()) },
  returns: v.array(runValidator),
  handler: async (ctx, { limit, command }) => {
    const docs =
      command === undefined
        ? await ctx.db.query('agg_runs').withIndex('by_startedAt').order('desc').take(limit)
        : await ctx.db.query('agg_runs').withIndex('by_command_startedAt', (q) => q.eq('command', command)).order('desc').take(limit);
    return docs.map(runOf);
  },
});

/**
 * Takes the lease when it is free, expired, already ours, held by exactly `takeOverFrom` (a holder the
 * caller found dead), or `force`d; otherwise says who holds it.
 */
export const acquireLease = internalMutation({
  args: {
    name: v.string(),
    holder: v.string(),
    runId: v.union(v.string(), v.null()),
    now: v.string(),
    expiresAt: v.string(),
    force: v.boolean(),
    takeOverFrom: v.optional(v.string()),
    host: v.optional(v.string()),
    pid: v.optional(v.number()),
  },
  returns: leaseOutcomeValidator,
  handler: async (ctx, { name, holder, runId, now, expiresAt, force, takeOverFrom, host, pid }) => {
    const existing = await ctx.db.query('agg_leases').withIndex('by_name', (q) => q.eq('name', name)).unique();
    const previous = existing ? leaseOf(existing) : null;
    const other = previous !== null && previous.holder !== holder;
    if (other && previous.expiresAt > now && !force && previous.holder !== takeOverFrom) return { acquired: false as const, heldBy: previous };
    const lease = {
      name,
      holder,
      runId,
      acquiredAt: previous !== null && !other ? previous.acquiredAt : now,
      expiresAt,
      renewedAt: now,
      ...(host !== undefined ? { host } : {}),
      ...(pid !== undefined ? { pid } : {}),
    };
    if (existing) await ctx.db.replace(existing._id, lease);
    else await ctx.db.insert('agg_leases', lease);
    return { acquired: true as const, lease, replaced: other ? previous : null };
  },
});

function leaseOf(doc: Doc<'agg_leases'>) {
  const { _id, _creationTime, ...lease } = doc;
  return lease;
}

export const listLeases = internalQuery({
  args: {},
  returns: v.array(leaseValidator),
  handler: async (ctx) =>
    (await ctx.db.query('agg_leases').withIndex('by_name').take(1000)).map(leaseOf),
});

export const releaseLease = internalMutation({
  args: { name: v.string(), holder: v.string() },
  /** False when the lease is not held by `holder` (expired and taken over, or already released). */
  returns: v.boolean(),
  handler: async (ctx, { name, holder }) => {
    const existing = await ctx.db.query('agg_leases').withIndex('by_name', (q) => q.eq('name', name)).unique();
    if (!existing || existing.holder !== holder) return false;
    await ctx.db.delete(existing._id);
    return true;
  },
});
