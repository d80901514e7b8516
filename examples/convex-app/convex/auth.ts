import type { QueryCtx } from './_generated/server.js';

/**
 * The signed-in user's id, resolved by the app's own auth. With Convex Auth the identity's subject is
 * `userId|sessionId` (what its getAuthUserId returns is the part before the bar); with another
 * provider the subject is the user id. agg never reads ctx.auth: it is handed this id.
 */
export async function currentUserId(ctx: Pick<QueryCtx, 'auth'>): Promise<string | null> {
  const identity = await ctx.auth.getUserIdentity();
  if (identity === null) return null;
  const [userId] = identity.subject.split('|');
  return userId === undefined || userId === '' ? null : userId;
}
