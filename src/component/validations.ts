import { v } from 'convex/values';
import { internalMutation, internalQuery } from './_generated/server.js';
import { validationValidator } from './validators.js';

/** Replaces each user's latest validation (one row per user). */
export const put = internalMutation({
  args: { rows: v.array(validationValidator) },
  returns: v.null(),
  handler: async (ctx, { rows }) => {
    for (const row of rows) {
      const existing = await ctx.db.query('user_validations').withIndex('by_user', (q) => q.eq('userId', row.userId)).unique();
      if (existing) await ctx.db.replace(existing._id, row);
      else await ctx.db.insert('user_validations', row);
    }
  },
});

export const get = internalQuery({
  args: { userIds: v.array(v.string()) },
  returns: v.array(validationValidator),
  handler: async (ctx, { userIds }) => {
    const rows = [];
    for (const userId of userIds) {
      const row = await ctx.db.query('user_validations').withIndex('by_user', (q) => q.eq('userId', userId)).unique();
      if (row) {
        const { _id, _creationTime, ...validation } = row;
        rows.push(validation);
      }
    }
    return rows;
  },
});
