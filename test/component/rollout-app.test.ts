import { describe, expect, it } from 'vitest';
import { makeConvexTestStore, makeTestConvex } from '../support/convex-test-store.js';
import { VECTORS } from '../support/rollout-vectors.js';


describe('the serving query isRolledOut', () => {
  it('agrees with the published bucket of every vector user at thresholds on both sides of it', async () => {
    const t = makeTestConvex();
    const store = makeConvexTestStore(t);
    const thresholds = new Set([0, 10_000]);
    for (const { bucket } of VECTORS.vectors.slice(0, 8)) {
      thresholds.add(bucket);
      thresholds.add(bucket + 1);
    }
    let updatedAt: string | null = null;
    let i = 0;
    for (const basisPoints of [...thresholds].sort((a, b) => a - b)) {
      const at = new Date(Date.UTC(2025, 0, 1, 0, 0, i++)).toISOString();
      const flag = { flag: VECTORS.flag, basisPoints, salt: VECTORS.salt, rolledBack: false, minRecords: 0, requireFreshGrid: false, updatedAt: at, updatedBy: 'test' };
      const event = { eventId: `e${i}`, flag: VECTORS.flag, at, actor: 'test', action: 'set-percent', fromBasisPoints: null, toBasisPoints: basisPoints, reason: null, details: null };
      expect(await store.applyFlagChange({ flag, setOverrides: [], clearOverrides: [], event, expectedUpdatedAt: updatedAt })).toEqual({ applied: true });
      updatedAt = at;
      for (const { userId, bucket } of VECTORS.vectors) {
        const served = await t.query('serving:isRolledOut', { userId });
        expect(served, `${userId} (bucket ${bucket}) at ${basisPoints}`).toBe(bucket < basisPoints);
      }
    }
    // A flag that does not exist serves nobody.
    expect(await t.query('serving:isRolledOut', { userId: VECTORS.vectors[0]!.userId, flag: 'no_such_flag' })).toBe(false);
  });
});
